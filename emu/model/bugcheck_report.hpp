// The human-readable bug-check report: what Windows would print, explained, plus the context a
// developer needs to replay it.
#ifndef KEMU_EMU_MODEL_BUGCHECK_REPORT_HPP_
#define KEMU_EMU_MODEL_BUGCHECK_REPORT_HPP_

#include <cstddef>
#include <string>
#include <string_view>

#include "verifier/violation.hpp"

namespace kemu::model {

class Kernel;

std::string FormatReport(const Kernel& kernel, const verifier::Violation& violation);
/// The part of every report after its summary: the machine, the seed that replays it, the last
/// kernel calls and the driver's last debug output.
std::string FormatMachineContext(const Kernel& kernel);
/// Where FormatMachineContext's part begins in `report` (at the blank line that ends the
/// summary), or `report`'s size when it has none: what comes before is the report's own head.
std::size_t MachineContextOffset(std::string_view report);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_BUGCHECK_REPORT_HPP_
