#include "abi/entry.hpp"

#include <fmt/format.h>

#include <string>

#include "kemu/error.hpp"
#include "kemu/machine.hpp"

namespace kemu::abi {

void Refuse(ExportId id) {
  const ExportInfo& info = Info(id);
  Machine* machine = Machine::CurrentOrNull();
  if (machine == nullptr) throw NoMachine(std::string(info.name));
  model::Kernel& kernel = machine->kernel();
  const Personality& personality = kernel.personality();
  const std::string called_from = kernel.crashed() ? "" : kernel.RunningCallback();
  if (const char* how = kernel.stopped_by()) {
    kernel.ThrowIfCrashed();  // a crash (a leak Shutdown found) is said again, as on every call
    // The routine may exist on the personality: what matters is that nothing runs any more.
    Error stopped(fmt::format(
        "kemu: {} called after {}{}: the emulated system is off, so its leak checks have run and "
        "no kernel routine can be called; a test that unloads its driver or releases what it "
        "holds must do it before the machine shuts down",
        info.name, how, called_from.empty() ? "" : fmt::format(" (from {})", called_from)));
    if (!called_from.empty()) kernel.End(stopped);
    throw stopped;
  }
  MissingExport missing(std::string(info.name), std::string(personality.display_name), called_from);
  if (!called_from.empty()) kernel.End(missing);
  throw missing;
}

}  // namespace kemu::abi
