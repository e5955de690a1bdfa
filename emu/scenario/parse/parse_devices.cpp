// `devices:` — kemu::DeviceConfig fields, the interrupt line, and a register-file description.
#include <fmt/format.h>

#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

constexpr std::uint64_t kMaxU64 = ~std::uint64_t{0};
constexpr std::uint64_t kMaxMessages = 2048;  // MSI-X table size limit
constexpr std::uint64_t kMaxMemoryBytes = 0x100000;
constexpr std::uint64_t kMaxPortBytes = 256;
// A line's IRQL: a device IRQL (above DISPATCH_LEVEL, below SYNCH_LEVEL 12), or 0 for a
// passive-level line such as a GPIO-routed one (kemu::Devices::Add checks the same).
constexpr std::uint64_t kLowestDirql = 3;
constexpr std::uint64_t kHighestDirql = 11;

std::optional<LineInterrupt> ReadLine(Reader& reader, const YAML::Node& node,
                                      Location& affinity_where) {
  static const std::vector<std::string> kKeys{"vector", "irql", "mode", "shared", "affinity"};
  MapReader map(reader, node, "'line'", &kKeys);
  if (!map.ok()) return std::nullopt;
  LineInterrupt line;
  map.Require("vector");
  map.Require("irql");
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "vector") {
      if (auto v = ReadU32(reader, e.value, what)) line.vector = *v;
    } else if (e.key == "irql") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxU64)) {
        if (*v == 0 || (*v >= kLowestDirql && *v <= kHighestDirql)) {
          line.irql = static_cast<std::uint8_t>(*v);
        } else {
          reader.Error(e.value, fmt::format("{} is out of range: {} (expected {}..{}, or 0 for a "
                                            "passive-level line)",
                                            what, Describe(e.value), kLowestDirql, kHighestDirql));
        }
      }
    } else if (e.key == "mode") {
      if (auto v = ReadChoice(reader, e.value, what, {"level", "edge"})) {
        line.mode = *v == 0 ? Trigger::kLevel : Trigger::kEdge;
      }
    } else if (e.key == "shared") {
      if (auto v = ReadBool(reader, e.value, what)) line.shared = *v;
    } else if (e.key == "affinity") {
      if (auto v = ReadUnsigned(reader, e.value, what, 1, kMaxU64)) line.affinity = *v;
      affinity_where = reader.Where(e.value);
    }
  }
  return line;
}

// Offsets as written, so that they can be checked against the file's size afterwards.
using Offsets = std::vector<std::pair<std::uint32_t, Location>>;

void ReadOffsetMap(Reader& reader, const YAML::Node& node, const std::string& what,
                   std::map<std::uint32_t, std::uint32_t>& out, Offsets& offsets) {
  MapReader map(reader, node, what, nullptr);
  for (const MapEntry& e : map.entries()) {
    std::optional<std::uint32_t> offset = ReadOffset(reader, e.key_node, what);
    std::optional<std::uint32_t> value = ReadU32(reader, e.value, what);
    if (!offset || !value) continue;
    out[*offset] = *value;
    offsets.emplace_back(*offset, reader.Where(e.key_node));
  }
}

void ReadOffsetList(Reader& reader, const YAML::Node& node, const std::string& what,
                    std::vector<std::uint32_t>& out, Offsets& offsets) {
  if (!node.IsSequence()) {
    reader.Error(node,
                 fmt::format("expected a list of offsets for {}, got {}", what, Describe(node)));
    return;
  }
  for (const YAML::Node& item : node) {
    if (std::optional<std::uint32_t> offset = ReadOffset(reader, item, what)) {
      out.push_back(*offset);
      offsets.emplace_back(*offset, reader.Where(item));
    }
  }
}

std::optional<RegisterSpec> ReadRegisters(Reader& reader, const YAML::Node& node,
                                          Offsets& offsets) {
  static const std::vector<std::string> kKeys{"size", "values", "read_to_clear",
                                              "write_one_to_clear", "interrupt_status"};
  MapReader map(reader, node, "'registers'", &kKeys);
  if (!map.ok()) return std::nullopt;
  RegisterSpec spec;
  spec.where = reader.Where(node);
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "size") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxMemoryBytes)) {
        spec.size = static_cast<std::uint32_t>(*v);
      }
    } else if (e.key == "values") {
      ReadOffsetMap(reader, e.value, what, spec.values, offsets);
    } else if (e.key == "read_to_clear") {
      ReadOffsetList(reader, e.value, what, spec.read_to_clear, offsets);
    } else if (e.key == "write_one_to_clear") {
      ReadOffsetList(reader, e.value, what, spec.write_one_to_clear, offsets);
    } else if (e.key == "interrupt_status") {
      ReadOffsetMap(reader, e.value, what, spec.interrupt_status, offsets);
    }
  }
  return spec;
}

void CheckOffsets(Reader& reader, const DeviceSpec& spec, const Offsets& offsets) {
  std::uint32_t size = spec.registers->size;
  if (size == 0) size = std::max(spec.config.memory_bytes, spec.config.port_bytes);
  if (size == 0) {
    reader.Error(spec.registers->where,
                 "'registers' needs a 'size', or 'memory_bytes' or 'port_bytes' on the device");
    return;
  }
  for (const auto& [offset, where] : offsets) {
    if (offset >= size || size - offset < 4) {
      reader.Error(where, fmt::format("register offset {:#x} is outside the {:#x}-byte register "
                                      "file",
                                      offset, size));
    }
  }
}

void ReadDeviceKey(Reader& reader, const MapEntry& e, DeviceSpec& spec, Offsets& offsets) {
  DeviceConfig& config = spec.config;
  const std::string what = Quote(e.key);
  if (e.key == "name") {
    if (auto v = ReadString(reader, e.value, what)) config.name = *v;
  } else if (e.key == "line") {
    spec.line_where = reader.Where(e.value);
    config.line = ReadLine(reader, e.value, spec.affinity_where);
  } else if (e.key == "messages") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxMessages)) {
      config.messages = static_cast<unsigned>(*v);
    }
  } else if (e.key == "msix") {
    if (auto v = ReadBool(reader, e.value, what)) config.msix = *v;
  } else if (e.key == "grant_messages") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxMessages)) {
      config.grant_messages = static_cast<unsigned>(*v);
    }
  } else if (e.key == "withhold_msi") {
    if (auto v = ReadBool(reader, e.value, what)) config.withhold_msi = *v;
  } else if (e.key == "memory_bytes") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxMemoryBytes)) {
      config.memory_bytes = static_cast<std::uint32_t>(*v);
    }
  } else if (e.key == "port_bytes") {
    if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxPortBytes)) {
      config.port_bytes = static_cast<std::uint32_t>(*v);
    }
  } else if (e.key == "registers") {
    spec.registers = ReadRegisters(reader, e.value, offsets);
  } else if (e.key == "properties") {
    if (auto v = ReadDeviceProperties(reader, e.value)) config.properties = std::move(*v);
  } else if (e.key == "registry") {
    if (auto v = ReadDeviceRegistry(reader, e.value)) config.registry = std::move(*v);
  } else if (e.key == "foreign") {
    if (auto v = ReadBool(reader, e.value, what)) spec.foreign = *v;
  }
}

std::optional<DeviceSpec> ReadDeviceSpec(Reader& reader, const YAML::Node& node) {
  static const std::vector<std::string> kKeys{
      "name",         "line",       "messages",  "msix",    "grant_messages", "withhold_msi",
      "memory_bytes", "port_bytes", "registers", "foreign", "properties",     "registry"};
  MapReader map(reader, node, "a device", &kKeys);
  if (!map.ok()) return std::nullopt;
  DeviceSpec spec;
  spec.where = reader.Where(node);
  const MapEntry* name = map.Require("name");
  Offsets offsets;
  for (const MapEntry& e : map.entries()) ReadDeviceKey(reader, e, spec, offsets);
  if (name != nullptr && name->value.IsScalar() && spec.config.name.empty()) {
    reader.Error(name->value, "the device name is empty");
  }
  if (spec.registers) CheckOffsets(reader, spec, offsets);
  return spec;
}

// Two devices on one line vector: Windows connects an ISR to a vector that already has one only
// when both say ShareVector and use the same mode (docs/windows-facts.md §9.3), so one of the
// two drivers (the scenario connects every device) would fail to start. Both halves are in the
// file: an error before anything runs.
void CheckSharedVectors(Reader& reader, const std::vector<DeviceSpec>& devices) {
  const auto mode_name = [](Trigger mode) {
    return mode == Trigger::kEdge ? "an edge" : "a level";
  };
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const DeviceSpec& device = devices[i];
    if (!device.config.line) continue;
    const LineInterrupt& line = *device.config.line;
    for (std::size_t j = 0; j < i; ++j) {
      const DeviceSpec& other = devices[j];
      if (!other.config.line || other.config.line->vector != line.vector) continue;
      const LineInterrupt& first = *other.config.line;
      if (first.mode != line.mode) {
        reader.Error(device.line_where,
                     fmt::format("device '{}' puts {} line on vector {:#x}, where '{}' has {} "
                                 "line: Windows shares a vector only between ISRs of one mode, so "
                                 "the second connect fails (STATUS_INVALID_PARAMETER)",
                                 device.config.name, mode_name(line.mode), line.vector,
                                 other.config.name, mode_name(first.mode)));
      } else if (!first.shared || !line.shared) {
        const std::string unshared =
            !first.shared && !line.shared
                ? fmt::format("'{}' and '{}' are", other.config.name, device.config.name)
                : fmt::format("'{}' is", !first.shared ? other.config.name : device.config.name);
        reader.Error(device.line_where,
                     fmt::format("devices '{}' and '{}' both use vector {:#x}, but {} not "
                                 "'shared: true': Windows shares a vector only when both ISRs say "
                                 "ShareVector, so the second connect fails "
                                 "(STATUS_INVALID_PARAMETER)",
                                 other.config.name, device.config.name, line.vector, unshared));
      } else {
        continue;
      }
      break;  // one report per device
    }
  }
}

}  // namespace

std::vector<DeviceSpec> ParseDevices(Context& context, const YAML::Node& node) {
  Reader& reader = context.reader;
  std::vector<DeviceSpec> devices;
  if (!node.IsSequence() || node.size() == 0) {
    reader.Error(node, fmt::format("expected a list of at least one device for 'devices', got {}",
                                   node.IsSequence() ? "an empty list" : Describe(node)));
    return devices;
  }
  for (const YAML::Node& item : node) {
    std::optional<DeviceSpec> spec = ReadDeviceSpec(reader, item);
    if (!spec) continue;
    const std::string& name = spec->config.name;
    auto same = std::find_if(devices.begin(), devices.end(),
                             [&](const DeviceSpec& d) { return d.config.name == name; });
    if (!name.empty() && same != devices.end()) {
      reader.Error(item, fmt::format("duplicate device name '{}' (first at line {})", name,
                                     same->where.line));
      continue;
    }
    devices.push_back(std::move(*spec));
  }
  CheckSharedVectors(reader, devices);
  return devices;
}

}  // namespace kemu::scenario::internal
