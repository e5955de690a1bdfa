// The register side of an emulated device: where its memory BAR and port range sit, the
// CmResourceTypeMemory / CmResourceTypePort descriptors the PnP manager grants for them, and the
// kemu::Hardware that answers the driver's accesses.
#ifndef KEMU_EMU_MODEL_DEVICE_IO_HPP_
#define KEMU_EMU_MODEL_DEVICE_IO_HPP_

#include <wdm.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "kemu/hardware.hpp"

namespace kemu::model {

struct DeviceState;

struct DeviceIo {
  /// Deterministic assignment (docs/decisions.md, decision 4): device i gets its BAR at
  /// kMemoryWindow + i * kMemoryStride and its ports at kPortWindow + i * kPortStride.
  static constexpr std::uint64_t kMemoryWindow = 0xF0000000;
  static constexpr std::uint64_t kMemoryStride = 0x100000;
  static constexpr std::uint32_t kPortWindow = 0xE000;
  static constexpr std::uint32_t kPortStride = 0x100;

  std::uint64_t memory_base = 0;  ///< 0: no BAR
  std::uint32_t memory_bytes = 0;
  std::uint32_t port_base = 0;  ///< 0: no ports
  std::uint32_t port_bytes = 0;
  Hardware* hardware = nullptr;
  std::unique_ptr<RegisterFile> owned;  ///< the default RegisterFile, when the test gave none

  bool MemoryContains(std::uint64_t address, std::uint64_t bytes) const {
    return memory_bytes != 0 && address >= memory_base && bytes <= memory_bytes &&
           address - memory_base <= memory_bytes - bytes;
  }
  bool PortsContain(std::uint32_t port, unsigned width) const {
    return port_bytes != 0 && port >= port_base && port + width <= port_base + port_bytes;
  }
};

/// Assigns `device`'s BAR and port range and appends their descriptors to the raw and translated
/// lists (before the interrupt descriptors, as a PCI bus driver reports them). Throws kemu::Error
/// for a BAR or port range larger than the window kemu gives each device.
void GrantIoResources(DeviceState& device, std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR>& raw,
                      std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR>& translated);

/// Gives `device` its Hardware (a RegisterFile when the config names none but the device has a
/// BAR or ports) and attaches it to the device's facade, which must exist.
void AttachHardware(DeviceState& device);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DEVICE_IO_HPP_
