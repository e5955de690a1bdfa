// A device's `properties:` — kemu::DeviceProperties, what IoGetDeviceProperty returns.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

// UTF-8 as written in the file to the WCHARs the driver reads; nullopt when it is not UTF-8.
std::optional<std::wstring> Widen(const std::string& text) {
  std::wstring wide;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if ((lead >= 0x80 && lead < 0xC2) || lead > 0xF4 || i + length > text.size()) {
      return std::nullopt;
    }
    char32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      code = (code << 6) | (next & 0x3F);
    }
    wide.push_back(static_cast<wchar_t>(code));
    i += length;
  }
  return wide;
}

std::optional<std::vector<std::wstring>> ReadIds(Reader& reader, const YAML::Node& node,
                                                 const std::string& what) {
  if (!node.IsSequence()) {
    reader.Error(node, fmt::format("expected a list of IDs for {}, got {}", what, Describe(node)));
    return std::nullopt;
  }
  std::vector<std::wstring> ids;
  for (const YAML::Node& item : node) {
    std::optional<std::wstring> id = ReadWide(reader, item, what);
    if (!id) continue;
    // REG_MULTI_SZ: an empty string would end the list early.
    if (id->empty()) reader.Error(item, fmt::format("an ID in {} is empty", what));
    ids.push_back(std::move(*id));
  }
  return ids;
}

// "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", hex digits of either case.
std::optional<GUID> ParseGuid(const std::string& text) {
  static constexpr std::array<std::size_t, 4> kDashes{9, 14, 19, 24};
  if (text.size() != 38 || text.front() != '{' || text.back() != '}') return std::nullopt;
  std::uint8_t bytes[16] = {};
  std::size_t nibble = 0;
  for (std::size_t i = 1; i < 37; ++i) {
    if (std::find(kDashes.begin(), kDashes.end(), i) != kDashes.end()) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const char c = text[i];
    int value = -1;
    if (c >= '0' && c <= '9') value = c - '0';
    if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
    if (value < 0) return std::nullopt;
    bytes[nibble / 2] = static_cast<std::uint8_t>(bytes[nibble / 2] << 4 | value);
    ++nibble;
  }
  GUID guid{};
  guid.Data1 = static_cast<ULONG>(bytes[0]) << 24 | static_cast<ULONG>(bytes[1]) << 16 |
               static_cast<ULONG>(bytes[2]) << 8 | bytes[3];
  guid.Data2 = static_cast<USHORT>(bytes[4] << 8 | bytes[5]);
  guid.Data3 = static_cast<USHORT>(bytes[6] << 8 | bytes[7]);
  for (int i = 0; i < 8; ++i) guid.Data4[i] = bytes[8 + i];
  return guid;
}

bool ReadStringKey(Reader& reader, const MapEntry& e, DeviceProperties& p) {
  std::optional<std::wstring> DeviceProperties::*const field =
      e.key == "device_description"     ? &DeviceProperties::device_description
      : e.key == "class_name"           ? &DeviceProperties::class_name
      : e.key == "class_guid"           ? &DeviceProperties::class_guid
      : e.key == "driver_key_name"      ? &DeviceProperties::driver_key_name
      : e.key == "manufacturer"         ? &DeviceProperties::manufacturer
      : e.key == "friendly_name"        ? &DeviceProperties::friendly_name
      : e.key == "location_information" ? &DeviceProperties::location_information
      : e.key == "pdo_name"             ? &DeviceProperties::pdo_name
      : e.key == "enumerator_name"      ? &DeviceProperties::enumerator_name
      : e.key == "container_id"         ? &DeviceProperties::container_id
                                        : nullptr;
  if (field == nullptr) return false;
  p.*field = ReadWide(reader, e.value, Quote(e.key));
  return true;
}

void ReadNumberKey(Reader& reader, const MapEntry& e, DeviceProperties& p) {
  const std::string what = Quote(e.key);
  std::uint16_t DeviceProperties::*const id =
      e.key == "vendor_id"             ? &DeviceProperties::vendor_id
      : e.key == "device_id"           ? &DeviceProperties::device_id
      : e.key == "subsystem_vendor_id" ? &DeviceProperties::subsystem_vendor_id
      : e.key == "subsystem_id"        ? &DeviceProperties::subsystem_id
                                       : nullptr;
  if (id != nullptr) {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, 0xFFFF)) {
      p.*id = static_cast<std::uint16_t>(*v);
    }
  } else if (e.key == "revision_id") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, 0xFF)) {
      p.revision_id = static_cast<std::uint8_t>(*v);
    }
  } else if (e.key == "class_code") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, 0xFFFFFF)) {
      p.class_code = static_cast<std::uint32_t>(*v);
    }
  } else if (e.key == "pci_device") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, 31)) {
      p.pci_device = static_cast<std::uint16_t>(*v);
    }
  } else if (e.key == "pci_function") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, 7)) {
      p.pci_function = static_cast<std::uint16_t>(*v);
    }
  } else if (e.key == "bus_number" || e.key == "address" || e.key == "ui_number") {
    if (auto v = ReadU32(reader, e.value, what)) {
      if (e.key == "bus_number") p.bus_number = *v;
      if (e.key == "address") p.address = *v;
      if (e.key == "ui_number") p.ui_number = *v;
    }
  }
}

void ReadEnumKey(Reader& reader, const MapEntry& e, DeviceProperties& p) {
  const std::string what = Quote(e.key);
  if (e.key == "bus_type_guid") {
    const std::optional<std::string> text = ReadString(reader, e.value, what);
    if (!text) return;
    p.bus_type_guid = ParseGuid(*text);
    if (!p.bus_type_guid) {
      reader.Error(e.value, fmt::format("{} must be a GUID written "
                                        "{{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}}, got {}",
                                        what, Describe(e.value)));
    }
  } else if (e.key == "legacy_bus_type") {
    // INTERFACE_TYPE's names, in value order from Internal (0).
    static const std::vector<std::string> kBuses{"Internal",
                                                 "Isa",
                                                 "Eisa",
                                                 "MicroChannel",
                                                 "TurboChannel",
                                                 "PCIBus",
                                                 "VMEBus",
                                                 "NuBus",
                                                 "PCMCIABus",
                                                 "CBus",
                                                 "MPIBus",
                                                 "MPSABus",
                                                 "ProcessorInternal",
                                                 "InternalPowerBus",
                                                 "PNPISABus",
                                                 "PNPBus",
                                                 "Vmcs",
                                                 "ACPIBus"};
    if (auto v = ReadChoice(reader, e.value, what, kBuses)) {
      p.legacy_bus_type = static_cast<INTERFACE_TYPE>(*v);
    }
  } else if (e.key == "install_state") {
    if (auto v = ReadChoice(reader, e.value, what,
                            {"installed", "needs_reinstall", "failed_install", "finish_install"})) {
      p.install_state = static_cast<DEVICE_INSTALL_STATE>(*v);
    }
  } else if (e.key == "removal_policy") {
    if (auto v = ReadChoice(
            reader, e.value, what,
            {"expect_no_removal", "expect_orderly_removal", "expect_surprise_removal"})) {
      p.removal_policy = static_cast<DEVICE_REMOVAL_POLICY>(*v + 1);  // 1-based on Windows
    }
  }
}

}  // namespace

std::optional<std::wstring> ReadWide(Reader& reader, const YAML::Node& node,
                                     const std::string& what) {
  const std::optional<std::string> text = ReadString(reader, node, what);
  if (!text) return std::nullopt;
  std::optional<std::wstring> wide = Widen(*text);
  if (!wide) reader.Error(node, fmt::format("{} is not valid UTF-8", what));
  return wide;
}

std::optional<DeviceProperties> ReadDeviceProperties(Reader& reader, const YAML::Node& node) {
  static const std::vector<std::string> kKeys{
      "device_description", "hardware_ids",        "compatible_ids",
      "class_name",         "class_guid",          "driver_key_name",
      "manufacturer",       "friendly_name",       "location_information",
      "pdo_name",           "enumerator_name",     "container_id",
      "vendor_id",          "device_id",           "bus_number",
      "pci_device",         "pci_function",        "address",
      "bus_type_guid",      "legacy_bus_type",     "ui_number",
      "install_state",      "removal_policy",      "revision_id",
      "class_code",         "subsystem_vendor_id", "subsystem_id"};
  MapReader map(reader, node, "'properties'", &kKeys);
  if (!map.ok()) return std::nullopt;
  DeviceProperties properties;
  for (const MapEntry& e : map.entries()) {
    if (ReadStringKey(reader, e, properties)) continue;
    if (e.key == "hardware_ids") {
      properties.hardware_ids = ReadIds(reader, e.value, Quote(e.key));
    } else if (e.key == "compatible_ids") {
      properties.compatible_ids = ReadIds(reader, e.value, Quote(e.key));
    } else {
      ReadNumberKey(reader, e, properties);
      ReadEnumKey(reader, e, properties);
    }
  }
  return properties;
}

}  // namespace kemu::scenario::internal
