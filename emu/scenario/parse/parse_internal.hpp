// parse_internal.hpp — the pieces of the scenario parser, one file each: the top level,
// devices, steps, expectations, and the value syntaxes they share.
#ifndef KEMU_EMU_SCENARIO_PARSE_PARSE_INTERNAL_HPP_
#define KEMU_EMU_SCENARIO_PARSE_PARSE_INTERNAL_HPP_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kemu/scenario/scenario.hpp"
#include "scenario/parse/os_selector.hpp"
#include "scenario/parse/yaml_reader.hpp"

namespace kemu::scenario::internal {

/// What the parts of one file's parse share: the diagnostics, and the device names steps and
/// expectations use, checked against `devices:` once the whole file has been read.
struct Context {
  Reader& reader;
  std::vector<std::pair<std::string, Location>> device_uses;
  /// False when the file has no top-level map or its `driver:` could not be read: the scenario's
  /// driver is then unknown, and checking its steps against some adapter would mislead.
  bool driver_known = true;
};

/// The scenario in `root` (the file's only document). Problems go to context.reader.
Scenario BuildScenario(Context& context, const YAML::Node& root);
std::vector<DeviceSpec> ParseDevices(Context& context, const YAML::Node& node);
/// A device's `properties:` map (parse_device_properties.cpp).
std::optional<DeviceProperties> ReadDeviceProperties(Reader& reader, const YAML::Node& node);
/// A device's `registry:` map: the values of its hardware and software keys
/// (parse_device_registry.cpp).
std::optional<DeviceRegistry> ReadDeviceRegistry(Reader& reader, const YAML::Node& node);
/// One key's values: `named.value` maps value names to one typed value each (`{dword: 1}`);
/// `named.key` names the key in diagnostics (parse_device_registry.cpp).
std::optional<RegistryKey> ReadRegistryKey(Reader& reader, const MapEntry& named);
/// The scenario's `service:` map (parse_service_registry.cpp).
std::optional<ServiceSpec> ReadServiceRegistry(Reader& reader, const YAML::Node& node);
/// A string as the WCHARs a driver reads (UTF-8 in the file).
std::optional<std::wstring> ReadWide(Reader& reader, const YAML::Node& node,
                                     const std::string& what);
std::vector<Step> ParseSteps(Context& context, const YAML::Node& node);
std::optional<ExpectationBlock> ParseExpectationBlock(Context& context, const YAML::Node& node,
                                                      const std::string& what);

/// The step keywords the parser knows (everything else is a driver action).
const std::vector<std::string>& BuiltInSteps();

// Value syntaxes shared by several parts (parse_values.cpp).

/// A device name; remembered in context.device_uses.
std::optional<std::string> ReadDevice(Context& context, const YAML::Node& node,
                                      std::string_view what);
/// An NTSTATUS name (STATUS_PENDING) or a 32-bit number.
std::optional<std::int32_t> ReadStatus(Reader& reader, const YAML::Node& node,
                                       std::string_view what);
/// An IRQL: 0..15 or PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL.
std::optional<std::uint8_t> ReadIrql(Reader& reader, const YAML::Node& node, std::string_view what);
/// A 32-bit register offset, a multiple of 4 (RegisterFile's side effects are per register).
std::optional<std::uint32_t> ReadOffset(Reader& reader, const YAML::Node& node,
                                        std::string_view what);
/// A 32-bit value.
std::optional<std::uint32_t> ReadU32(Reader& reader, const YAML::Node& node, std::string_view what);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_PARSE_INTERNAL_HPP_
