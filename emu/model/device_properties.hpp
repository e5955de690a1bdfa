// The PnP properties of an emulated device, as IoGetDeviceProperty returns them: what the test set
// in DeviceConfig::properties, else what kemu derives from the device (a PCI function).
#ifndef KEMU_EMU_MODEL_DEVICE_PROPERTIES_HPP_
#define KEMU_EMU_MODEL_DEVICE_PROPERTIES_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace kemu::model {

struct DeviceState;

/// GUID_BUS_TYPE_PCI (wdmguid.h). kemu does not define the header's GUIDs itself: a driver's
/// translation unit that includes <initguid.h> does.
inline constexpr GUID kPciBusTypeGuid = {
    0xC8EBDFB0, 0xB510, 0x11D0, {0x80, 0xE5, 0x00, 0xA0, 0xC9, 0x25, 0x42, 0xE3}};

/// The device's PCI device (slot) number: DeviceProperties::pci_device, or its index among the
/// machine's devices modulo 32.
std::uint16_t PciDeviceNumber(const DeviceState& device);

/// Whether `property` is a DEVICE_REGISTRY_PROPERTY IoGetDeviceProperty handles (the value as
/// the driver passed it, which may be any 32-bit integer).
bool KnownDeviceProperty(std::uint32_t property);

/// The bytes IoGetDeviceProperty copies out for `property` (a known one) of `device`; nullopt
/// when the device has no such property. Strings are WCHARs with their terminating NUL; ID
/// lists are REG_MULTI_SZ, one more NUL after the last string's.
std::optional<std::vector<std::uint8_t>> DevicePropertyBytes(const DeviceState& device,
                                                             std::uint32_t property);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DEVICE_PROPERTIES_HPP_
