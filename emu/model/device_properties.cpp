#include "model/device_properties.hpp"

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "model/devices.hpp"

namespace kemu::model {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename T>
Bytes Plain(const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  Bytes bytes(sizeof value);
  std::memcpy(bytes.data(), &value, sizeof value);
  return bytes;
}

void Append(Bytes& bytes, const std::wstring& text) {
  const std::size_t start = bytes.size();
  const std::size_t size = (text.size() + 1) * sizeof(WCHAR);  // with its NUL
  bytes.resize(start + size, 0);
  std::memcpy(bytes.data() + start, text.c_str(), size);
}

std::optional<Bytes> String(const std::optional<std::wstring>& text) {
  if (!text) return std::nullopt;
  Bytes bytes;
  Append(bytes, *text);
  return bytes;
}

// REG_MULTI_SZ: each string with its NUL, then the empty string ending the list. An empty list
// is the empty string alone, doubled as the registry stores it: two NULs.
std::optional<Bytes> MultiString(const std::optional<std::vector<std::wstring>>& list) {
  if (!list) return std::nullopt;
  Bytes bytes;
  for (const std::wstring& text : *list) Append(bytes, text);
  if (list->empty()) Append(bytes, L"");
  Append(bytes, L"");
  return bytes;
}

std::optional<Bytes> ResourceList(const std::vector<std::uint8_t>& list) {
  if (list.empty()) return std::nullopt;
  return list;
}

std::wstring Hex(unsigned value, int digits) {
  static constexpr wchar_t kDigits[] = L"0123456789ABCDEF";
  std::wstring text(static_cast<std::size_t>(digits), L'0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    text[static_cast<std::size_t>(i)] = kDigits[value & 0xF];
  return text;
}

// The device's name as WCHARs, byte for byte (never sign-extended).
std::wstring Latin1(const std::string& text) {
  std::wstring wide;
  for (const char c : text) wide.push_back(static_cast<wchar_t>(static_cast<unsigned char>(c)));
  return wide;
}

// The IDs the PCI bus driver reports: SUBSYS_ is the subsystem ID, then its vendor.
std::vector<std::wstring> DefaultHardwareIds(const DeviceProperties& p) {
  const std::wstring ids = L"PCI\\VEN_" + Hex(p.vendor_id, 4) + L"&DEV_" + Hex(p.device_id, 4);
  return {ids + L"&SUBSYS_" + Hex(p.subsystem_id, 4) + Hex(p.subsystem_vendor_id, 4) + L"&REV_" +
              Hex(p.revision_id, 2),
          ids};
}

std::wstring DefaultLocation(const DeviceState& device) {
  const DeviceProperties& p = device.config.properties;
  return L"PCI bus " + std::to_wstring(p.bus_number) + L", device " +
         std::to_wstring(PciDeviceNumber(device)) + L", function " +
         std::to_wstring(p.pci_function);
}

// The software key's name under Control\Class: the key IoOpenDeviceRegistryKey
// (PLUGPLAY_REGKEY_DRIVER) opens, named by the test or by kemu's default (registry_keys.cpp), so
// the property and the key agree (audit round 17, X9).
std::wstring SoftwareKeyName(const DeviceState& device) {
  constexpr std::wstring_view kClassKey = L"\\Control\\Class\\";
  const std::size_t at = device.software_key.find(kClassKey);
  return at == std::wstring::npos ? device.software_key
                                  : device.software_key.substr(at + kClassKey.size());
}

std::optional<Bytes> Identity(const DeviceState& device, std::uint32_t property) {
  const DeviceProperties& p = device.config.properties;
  switch (property) {
    case DevicePropertyDeviceDescription:
      return String(p.device_description.value_or(Latin1(device.config.name)));
    case DevicePropertyHardwareID:
      return MultiString(p.hardware_ids.value_or(DefaultHardwareIds(p)));
    case DevicePropertyCompatibleIDs:
      return MultiString(p.compatible_ids);
    case DevicePropertyClassName:
      return String(p.class_name);
    case DevicePropertyClassGuid:
      return String(p.class_guid);
    case DevicePropertyDriverKeyName:
      return String(p.driver_key_name.value_or(SoftwareKeyName(device)));
    case DevicePropertyManufacturer:
      return String(p.manufacturer);
    case DevicePropertyFriendlyName:
      return String(p.friendly_name);
    case DevicePropertyLocationInformation:
      return String(p.location_information.value_or(DefaultLocation(device)));
    case DevicePropertyPhysicalDeviceObjectName:
      return String(p.pdo_name.value_or(L"\\Device\\NTPNP_PCI" + Hex(device.index, 4)));
    case DevicePropertyEnumeratorName:
      return String(p.enumerator_name.value_or(L"PCI"));
    case DevicePropertyContainerID:
      return String(p.container_id);
    default:
      return std::nullopt;
  }
}

}  // namespace

std::uint16_t PciDeviceNumber(const DeviceState& device) {
  const DeviceProperties& p = device.config.properties;
  return p.pci_device ? *p.pci_device : static_cast<std::uint16_t>(device.index % 32);
}

bool KnownDeviceProperty(std::uint32_t property) {
  return property <= static_cast<std::uint32_t>(DevicePropertyContainerID);
}

std::optional<Bytes> DevicePropertyBytes(const DeviceState& device, std::uint32_t property) {
  const DeviceProperties& p = device.config.properties;
  switch (property) {
    case DevicePropertyBootConfiguration:
    case DevicePropertyBootConfigurationTranslated:
    case DevicePropertyResourceRequirements:
      return std::nullopt;  // kemu's devices have no firmware configuration or requirements list
    case DevicePropertyAllocatedResources:
      return ResourceList(device.raw_resources);
    case DevicePropertyBusTypeGuid:
      return Plain(p.bus_type_guid.value_or(kPciBusTypeGuid));
    case DevicePropertyLegacyBusType:
      return Plain(p.legacy_bus_type);
    case DevicePropertyBusNumber:
      return Plain(static_cast<ULONG>(p.bus_number));
    case DevicePropertyAddress:
      // PCI: the device number in the high word, the function number in the low word.
      return Plain(static_cast<ULONG>(
          p.address.value_or((std::uint32_t{PciDeviceNumber(device)} << 16) | p.pci_function)));
    case DevicePropertyUINumber:
      if (!p.ui_number) return std::nullopt;
      return Plain(static_cast<ULONG>(*p.ui_number));
    case DevicePropertyInstallState:
      return Plain(p.install_state);
    case DevicePropertyRemovalPolicy:
      return Plain(p.removal_policy);
    default:
      return Identity(device, property);
  }
}

}  // namespace kemu::model
