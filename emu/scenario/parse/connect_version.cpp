// CONNECT_* names for scenario files and reports.
#include <wdm.h>

#include <array>
#include <string>
#include <utility>

#include "kemu/scenario/scenario.hpp"
#include "scenario/parse/numbers.hpp"

namespace kemu::scenario {
namespace {

constexpr std::array<std::pair<std::uint32_t, std::string_view>, 5> kVersions{{
    {CONNECT_FULLY_SPECIFIED, "CONNECT_FULLY_SPECIFIED"},
    {CONNECT_LINE_BASED, "CONNECT_LINE_BASED"},
    {CONNECT_MESSAGE_BASED, "CONNECT_MESSAGE_BASED"},
    {CONNECT_FULLY_SPECIFIED_GROUP, "CONNECT_FULLY_SPECIFIED_GROUP"},
    {CONNECT_MESSAGE_BASED_PASSIVE, "CONNECT_MESSAGE_BASED_PASSIVE"},
}};

}  // namespace

std::string ConnectVersionName(std::uint32_t version) {
  if (version == 0) return "none";
  for (const auto& [value, name] : kVersions) {
    if (value == version) return std::string(name);
  }
  return std::to_string(version);
}

std::optional<std::uint32_t> ParseConnectVersion(std::string_view name) {
  if (name == "none") return 0;
  for (const auto& [value, version_name] : kVersions) {
    if (version_name == name) return value;
  }
  // A number names a version too, so that values newer than kemu's headers can be written.
  std::optional<std::uint64_t> number = internal::ParseUnsigned(name);
  if (number && *number <= 0xFFFFFFFFu) return static_cast<std::uint32_t>(*number);
  return std::nullopt;
}

}  // namespace kemu::scenario
