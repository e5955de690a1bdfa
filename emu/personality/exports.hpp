// Whether a manifest routine exists on a release: the one place ABI code asks a version question.
#ifndef KEMU_EMU_PERSONALITY_EXPORTS_HPP_
#define KEMU_EMU_PERSONALITY_EXPORTS_HPP_

#include "kemu/os.hpp"
#include "personality/export_manifest.hpp"

namespace kemu::personality {

/// A driver may call the routine directly on `os`.
bool IsCallable(const personality::ExportInfo& info, Os os);
/// MmGetSystemRoutineAddress finds the routine on `os`.
bool IsResolvable(const personality::ExportInfo& info, Os os);

}  // namespace kemu::personality

#endif  // KEMU_EMU_PERSONALITY_EXPORTS_HPP_
