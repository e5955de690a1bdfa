// The human-readable bug-check report: what Windows would print, explained, plus the context a
// developer needs to replay it.
#ifndef KEMU_EMU_MODEL_BUGCHECK_REPORT_HPP_
#define KEMU_EMU_MODEL_BUGCHECK_REPORT_HPP_

#include <string>

#include "verifier/violation.hpp"

namespace kemu::model {

class Kernel;

std::string FormatReport(const Kernel& kernel, const verifier::Violation& violation);
/// The part of every report after its summary: the machine, the seed that replays it, the last
/// kernel calls and the driver's last debug output.
std::string FormatMachineContext(const Kernel& kernel);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_BUGCHECK_REPORT_HPP_
