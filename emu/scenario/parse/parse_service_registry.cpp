// The scenario's `service:` — kemu::scenario::ServiceSpec, the driver's service key under
// \Registry\Machine\System\CurrentControlSet\Services: its own values and its Parameters subkey,
// each a map of value names to one typed value, as a device's `registry:` writes them:
//
//   service:
//     name: mynic
//     values:
//       Start: {dword: 3}
//     parameters:
//       DebugLevel: {dword: 2}
//       Adapters: {multi_string: [eth0, eth1]}
#include <fmt/format.h>

#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario {

std::wstring ServiceName(const Scenario& scenario) {
  if (!scenario.service.name.empty()) return scenario.service.name;
  // Adapter names are ASCII in practice; each byte widens to the WCHAR of the same value.
  if (!scenario.driver.empty()) return {scenario.driver.begin(), scenario.driver.end()};
  return L"driver";
}

namespace internal {

std::optional<ServiceSpec> ReadServiceRegistry(Reader& reader, const YAML::Node& node) {
  static const std::vector<std::string> kKeys{"name", "values", "parameters"};
  MapReader map(reader, node, "'service'", &kKeys);
  if (!map.ok()) return std::nullopt;
  ServiceSpec service;
  service.where = reader.Where(node);
  for (const MapEntry& e : map.entries()) {
    if (e.key == "name") {
      std::optional<std::wstring> name = ReadWide(reader, e.value, "'name' of 'service'");
      if (!name) continue;
      // One key name under Services: a backslash would make it a path, and an empty name none;
      // a key name has at most 255 characters (audit round 16, V7).
      if (name->empty() || name->size() > 255 || name->find(L'\\') != std::wstring::npos) {
        reader.Error(e.value,
                     fmt::format("bad service name {} (a key name: 1 to 255 characters, no '\\')",
                                 Describe(e.value)));
        continue;
      }
      service.name = std::move(*name);
    } else if (std::optional<RegistryKey> key = ReadRegistryKey(reader, e)) {
      (e.key == "values" ? service.values : service.parameters) = std::move(*key);
    }
  }
  return service;
}

}  // namespace internal
}  // namespace kemu::scenario
