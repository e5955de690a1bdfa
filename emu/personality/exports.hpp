// Whether a manifest routine exists on a release: the one place ABI code asks a version question.
#ifndef KEMU_EMU_PERSONALITY_EXPORTS_HPP_
#define KEMU_EMU_PERSONALITY_EXPORTS_HPP_

#include "abi/export_manifest.hpp"
#include "kemu/os.hpp"

namespace kemu::personality {

/// A driver may call the routine directly on `os`.
bool IsCallable(const abi::ExportInfo& info, Os os);
/// MmGetSystemRoutineAddress finds the routine on `os`.
bool IsResolvable(const abi::ExportInfo& info, Os os);

}  // namespace kemu::personality

#endif  // KEMU_EMU_PERSONALITY_EXPORTS_HPP_
