// Building the RegisterFile a scenario's `registers:` describes.
#ifndef KEMU_EMU_SCENARIO_RUN_REGISTER_SPEC_HPP_
#define KEMU_EMU_SCENARIO_RUN_REGISTER_SPEC_HPP_

#include <memory>

#include "kemu/hardware.hpp"
#include "kemu/scenario/scenario.hpp"

namespace kemu::scenario::internal {

/// A RegisterFile for `device`: from its `registers:` (size 0 = the larger of memory_bytes and
/// port_bytes), or a plain one as large as its BAR and ports. nullptr when it has neither
/// registers nor a BAR nor ports. Throws kemu::Error for a spec RegisterFile rejects (an offset
/// outside the file or not a multiple of 4).
std::unique_ptr<RegisterFile> BuildRegisterFile(const DeviceSpec& device);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_RUN_REGISTER_SPEC_HPP_
