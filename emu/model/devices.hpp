// Emulated devices: their PDOs, the resources the personality's PnP manager grants them, and
// the state of their interrupt lines.
#ifndef KEMU_EMU_MODEL_DEVICES_HPP_
#define KEMU_EMU_MODEL_DEVICES_HPP_

#include <wdm.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/personality.hpp"
#include "model/device_io.hpp"
#include "model/pci_config.hpp"

namespace kemu::model {

class Kernel;
struct ConnectionRecord;

/// Device IRQLs lie above DISPATCH_LEVEL and below SYNCH_LEVEL: 3..11 on x64.
inline constexpr KIRQL kLowestDirql = DISPATCH_LEVEL + 1;
inline KIRQL HighestDirql(const Personality& personality) {
  return static_cast<KIRQL>(personality.synch_level - 1);
}

/// One granted MSI/MSI-X message.
struct MessageVector {
  ULONG vector;
  KIRQL irql;
};

struct DeviceState {
  DeviceConfig config;
  unsigned index = 0;
  DEVICE_OBJECT pdo{};
  std::vector<std::uint8_t> raw_resources;         ///< CM_RESOURCE_LIST bytes, empty: none
  std::vector<std::uint8_t> translated_resources;  ///< same layout, system view
  std::vector<MessageVector> messages;             ///< granted messages, in MessageID order
  bool line_asserted = false;
  ConnectionRecord* connection = nullptr;  ///< the current connection, or nullptr
  /// The last connection's figures as they stood at its disconnect (Device::last_connection).
  std::optional<Connection> last_connection;
  DeviceIo io;                ///< memory BAR, ports and their Hardware
  PciConfigSpace pci;         ///< what HalGetBusDataByOffset reads
  std::wstring hardware_key;  ///< PLUGPLAY_REGKEY_DEVICE's path (registry_keys.cpp)
  std::wstring software_key;  ///< PLUGPLAY_REGKEY_DRIVER's path
  std::unique_ptr<Device> facade;

  bool HasLine() const { return config.line.has_value() && messages.empty(); }
  bool OwnsVector(ULONG vector) const;
  bool OwnsMessageVector(ULONG vector) const;
};

class Devices {
 public:
  /// First vector kemu hands out for MSI messages; x64 maps vector >> 4 to the DIRQL.
  static constexpr ULONG kFirstMessageVector = 0x90;

  explicit Devices(Kernel& kernel) : kernel_(kernel) {}

  Device& Add(DeviceConfig config);
  DeviceState* FindByPdo(PDEVICE_OBJECT pdo);
  /// The PCI function (a device whose legacy bus type is PCIBus) at `bus` (segment 0), device
  /// `device`, function `function`, or nullptr.
  DeviceState* FindPciFunction(std::uint32_t bus, unsigned device, unsigned function);
  /// The device whose line has bus-relative level `level` (kemu makes it the line's vector) on
  /// bus `bus` of type `type` (DeviceProperties::legacy_bus_type), or nullptr.
  DeviceState* FindByBusInterrupt(INTERFACE_TYPE type, std::uint32_t bus, std::uint32_t level);
  /// The device on bus `bus` of type `type` whose granted memory range (`port`: port range) holds
  /// bus address `address`, or nullptr.
  DeviceState* FindByBusAddress(INTERFACE_TYPE type, std::uint32_t bus, std::uint64_t address,
                                bool port);
  /// Whether PCI bus `bus` exists: bus 0 always, and every bus a PCI function was placed on.
  bool PciBusExists(std::uint32_t bus) const;
  const std::vector<std::unique_ptr<DeviceState>>& all() const { return devices_; }

 private:
  void GrantResources(DeviceState& device);
  ULONG AllocateMessageVector();

  Kernel& kernel_;
  std::vector<std::unique_ptr<DeviceState>> devices_;
  ULONG next_message_vector_ = kFirstMessageVector;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DEVICES_HPP_
