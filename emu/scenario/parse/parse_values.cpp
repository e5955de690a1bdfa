// Value syntaxes several parts of a scenario file share: devices, statuses, IRQLs, registers.
#include <fmt/format.h>

#include <array>
#include <cctype>

#include "kemu/testing/ntstatus.hpp"
#include "scenario/parse/numbers.hpp"
#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

constexpr std::uint32_t kMaxU32 = 0xFFFFFFFF;
constexpr std::uint8_t kHighestIrql = 15;

struct IrqlName {
  std::string_view name;
  std::uint8_t level;
};
constexpr std::array<IrqlName, 4> kIrqlNames{{
    {"PASSIVE_LEVEL", 0},
    {"APC_LEVEL", 1},
    {"DISPATCH_LEVEL", 2},
    {"HIGH_LEVEL", 15},
}};

}  // namespace

std::optional<std::string> ReadDevice(Context& context, const YAML::Node& node,
                                      std::string_view what) {
  std::optional<std::string> name = ReadScalar(context.reader, node, what, "a device name");
  if (name) context.device_uses.emplace_back(*name, context.reader.Where(node));
  return name;
}

std::optional<std::int32_t> ReadStatus(Reader& reader, const YAML::Node& node,
                                       std::string_view what) {
  std::optional<std::string> text = ReadScalar(reader, node, what, "an NTSTATUS name or number");
  if (!text) return std::nullopt;
  if (std::optional<NTSTATUS> status = testing::ParseNtStatus(*text)) return *status;
  if (std::optional<std::uint64_t> number = ParseUnsigned(*text)) {
    if (*number <= kMaxU32) return static_cast<std::int32_t>(static_cast<std::uint32_t>(*number));
    reader.Error(
        node, fmt::format("{} is out of range: {} (expected 0..0xffffffff)", what, Describe(node)));
    return std::nullopt;
  }
  reader.Error(node, fmt::format("unknown NTSTATUS name {} for {}", Describe(node), what));
  return std::nullopt;
}

std::optional<std::uint8_t> ReadIrql(Reader& reader, const YAML::Node& node,
                                     std::string_view what) {
  std::optional<std::string> text = ReadScalar(reader, node, what, "an IRQL");
  if (!text) return std::nullopt;
  for (const IrqlName& irql : kIrqlNames) {
    if (irql.name == *text) return irql.level;
  }
  if (text->empty() || std::isdigit(static_cast<unsigned char>((*text)[0])) != 0) {
    std::optional<std::uint64_t> level = ReadUnsigned(reader, node, what, 0, kHighestIrql);
    if (!level) return std::nullopt;
    return static_cast<std::uint8_t>(*level);
  }
  std::vector<std::string> names;
  for (const IrqlName& irql : kIrqlNames) names.emplace_back(irql.name);
  const std::string close = ClosestMatch(*text, names);
  reader.Error(node, fmt::format("unknown IRQL {} for {} ({})", Describe(node), what,
                                 close.empty() ? "expected 0..15 or " + JoinOr(names)
                                               : "did you mean '" + close + "'?"));
  return std::nullopt;
}

std::optional<std::uint32_t> ReadOffset(Reader& reader, const YAML::Node& node,
                                        std::string_view what) {
  std::optional<std::uint64_t> offset = ReadUnsigned(reader, node, what, 0, kMaxU32);
  if (!offset) return std::nullopt;
  if (*offset % 4 != 0) {
    reader.Error(
        node, fmt::format("register offset {} in {} is not a multiple of 4", Describe(node), what));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*offset);
}

std::optional<std::uint32_t> ReadU32(Reader& reader, const YAML::Node& node,
                                     std::string_view what) {
  std::optional<std::uint64_t> value = ReadUnsigned(reader, node, what, 0, kMaxU32);
  if (!value) return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

}  // namespace kemu::scenario::internal
