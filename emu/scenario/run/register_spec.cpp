// `registers:` → kemu::RegisterFile.
#include "scenario/run/register_spec.hpp"

#include <algorithm>

namespace kemu::scenario::internal {

std::unique_ptr<RegisterFile> BuildRegisterFile(const DeviceSpec& device) {
  const std::uint32_t bar = std::max(device.config.memory_bytes, device.config.port_bytes);
  if (!device.registers) {
    if (bar == 0) return nullptr;
    return std::make_unique<RegisterFile>(bar);
  }
  const RegisterSpec& spec = *device.registers;
  auto file = std::make_unique<RegisterFile>(spec.size != 0 ? spec.size : bar);
  // Values first: RegisterFile::Attach asserts a level line for a cause already pending, which is
  // how a scenario starts with an interrupt waiting.
  for (const auto& [offset, value] : spec.values) file->Poke(offset, value);
  for (std::uint32_t offset : spec.read_to_clear) file->ReadToClear(offset);
  for (std::uint32_t offset : spec.write_one_to_clear) file->WriteOneToClear(offset);
  for (const auto& [offset, mask] : spec.interrupt_status) file->InterruptStatus(offset, mask);
  return file;
}

}  // namespace kemu::scenario::internal
