#include "abi/entry.hpp"

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
  MissingExport missing(std::string(info.name), std::string(personality.display_name), called_from);
  if (!called_from.empty()) kernel.End(missing);
  throw missing;
}

}  // namespace kemu::abi
