// A device's `registry:` — kemu::DeviceRegistry, the values of the keys IoOpenDeviceRegistryKey
// opens: `device:` (PLUGPLAY_REGKEY_DEVICE) and `driver:` (PLUGPLAY_REGKEY_DRIVER), each a map
// of value names to one typed value:
//
//   registry:
//     device:
//       MSISupported: {dword: 1}
//     driver:
//       Name: {string: nic}
//       Ids: {multi_string: [a, b]}
//       Blob: {binary: [0x01, 0xFF]}
#include <fmt/format.h>

#include <limits>

#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

std::optional<std::vector<std::uint8_t>> ReadBytes(Reader& reader, const YAML::Node& node,
                                                   const std::string& what) {
  if (!node.IsSequence()) {
    reader.Error(node,
                 fmt::format("expected a list of bytes for {}, got {}", what, Describe(node)));
    return std::nullopt;
  }
  std::vector<std::uint8_t> bytes;
  for (const YAML::Node& item : node) {
    if (auto v = ReadUnsigned(reader, item, what, 0, 0xFF)) {
      bytes.push_back(static_cast<std::uint8_t>(*v));
    }
  }
  return bytes;
}

std::optional<std::vector<std::wstring>> ReadStrings(Reader& reader, const YAML::Node& node,
                                                     const std::string& what) {
  if (!node.IsSequence()) {
    reader.Error(node,
                 fmt::format("expected a list of strings for {}, got {}", what, Describe(node)));
    return std::nullopt;
  }
  std::vector<std::wstring> list;
  for (const YAML::Node& item : node) {
    std::optional<std::wstring> text = ReadWide(reader, item, what);
    if (!text) continue;
    // REG_MULTI_SZ: an empty string would end the list early.
    if (text->empty()) reader.Error(item, fmt::format("a string in {} is empty", what));
    list.push_back(std::move(*text));
  }
  return list;
}

// One value: a map with exactly one key, its type.
std::optional<RegistryValue> ReadValue(Reader& reader, const MapEntry& named) {
  static const std::vector<std::string> kTypes{"dword",         "qword",        "string",
                                               "expand_string", "multi_string", "binary"};
  const std::string what = Quote(named.key);
  MapReader map(reader, named.value, what, &kTypes);
  if (!map.ok()) return std::nullopt;
  if (map.entries().size() != 1) {
    // An unknown type was reported already; a map with none, or with two, is reported here.
    if (map.entries().size() > 1 || named.value.size() == 0) {
      reader.Error(named.value,
                   fmt::format("{} needs exactly one type: dword, qword, string, expand_string, "
                               "multi_string or binary",
                               what));
    }
    return std::nullopt;
  }
  const MapEntry& e = map.entries().front();
  const std::string inner = fmt::format("the {} of {}", e.key, what);
  if (e.key == "dword") {
    if (auto v = ReadUnsigned(reader, e.value, inner, 0, 0xFFFFFFFFu)) {
      return RegistryValue::Dword(static_cast<std::uint32_t>(*v));
    }
  } else if (e.key == "qword") {
    if (auto v =
            ReadUnsigned(reader, e.value, inner, 0, std::numeric_limits<std::uint64_t>::max())) {
      return RegistryValue::Qword(*v);
    }
  } else if (e.key == "string" || e.key == "expand_string") {
    if (auto v = ReadWide(reader, e.value, inner)) {
      return e.key == "string" ? RegistryValue::String(*v) : RegistryValue::ExpandString(*v);
    }
  } else if (e.key == "multi_string") {
    if (auto v = ReadStrings(reader, e.value, inner)) return RegistryValue::MultiString(*v);
  } else if (e.key == "binary") {
    if (auto v = ReadBytes(reader, e.value, inner)) return RegistryValue::Binary(std::move(*v));
  }
  return std::nullopt;
}

}  // namespace

std::optional<RegistryKey> ReadRegistryKey(Reader& reader, const MapEntry& key) {
  MapReader map(reader, key.value, Quote(key.key), nullptr);
  if (!map.ok()) return std::nullopt;
  RegistryKey values;
  for (const MapEntry& e : map.entries()) {
    std::optional<std::wstring> name = ReadWide(reader, e.key_node, "a value name");
    std::optional<RegistryValue> value = ReadValue(reader, e);
    if (!name || !value) continue;
    if (values.Find(*name) != nullptr) {
      // Registry names ignore case: 'Speed' and 'SPEED' are one value.
      reader.Error(e.key_node, fmt::format("value {} is named twice in {} (registry names "
                                           "ignore case)",
                                           Quote(e.key), Quote(key.key)));
      continue;
    }
    values.Set(*name, std::move(*value));
  }
  return values;
}

std::optional<DeviceRegistry> ReadDeviceRegistry(Reader& reader, const YAML::Node& node) {
  static const std::vector<std::string> kKeys{"device", "driver"};
  MapReader map(reader, node, "'registry'", &kKeys);
  if (!map.ok()) return std::nullopt;
  DeviceRegistry registry;
  for (const MapEntry& e : map.entries()) {
    std::optional<RegistryKey> key = ReadRegistryKey(reader, e);
    if (!key) continue;
    (e.key == "device" ? registry.device : registry.driver) = std::move(*key);
  }
  return registry;
}

}  // namespace kemu::scenario::internal
