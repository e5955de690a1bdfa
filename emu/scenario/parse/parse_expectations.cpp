// `expect:` blocks, at the end of a scenario or between steps, with per-personality overrides.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "scenario/parse/numbers.hpp"
#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

constexpr std::uint64_t kMaxU32 = 0xFFFFFFFF;
constexpr std::uint64_t kMaxU64 = ~std::uint64_t{0};
// Every top-level bug-check code kemu raises is below this (verifier sub-codes are parameters).
constexpr std::uint32_t kBugCheckCodesScanned = 0x200;

std::vector<std::string> BugCheckNames() {
  std::vector<std::string> names;
  for (std::uint32_t code = 0; code < kBugCheckCodesScanned; ++code) {
    if (!BugCheckName(code).empty()) names.emplace_back(BugCheckName(code));
  }
  return names;
}

std::optional<std::uint32_t> BugCheckCode(Reader& reader, const YAML::Node& node,
                                          std::string_view text) {
  // 0 is no bug check code, and an empty text (`/0x42`) names none: both would match code 0.
  if (std::optional<std::uint64_t> code = ParseUnsigned(text)) {
    if (*code != 0 && *code <= kMaxU32) return static_cast<std::uint32_t>(*code);
  }
  for (std::uint32_t code = 1; !text.empty() && code < kBugCheckCodesScanned; ++code) {
    if (BugCheckName(code) == text) return code;
  }
  const std::string close = ClosestMatch(text, BugCheckNames());
  reader.Error(node, fmt::format("unknown bug check '{}' for 'bugcheck' ({})", text,
                                 close.empty() ? "expected none, a code, code/parameter1 or "
                                                 "NAME/parameter1"
                                               : "did you mean '" + close + "'?"));
  return std::nullopt;
}

// `none`, `0xF2`, `0xC4/0x42`, `DRIVER_VERIFIER_DETECTED_VIOLATION/0x42`.
std::optional<BugCheckExpectation> ReadBugCheck(Reader& reader, const YAML::Node& node) {
  std::optional<std::string> text = ReadScalar(reader, node, "'bugcheck'", "a bug check");
  if (!text) return std::nullopt;
  BugCheckExpectation expectation;
  if (*text == "none") {
    expectation.none = true;
    return expectation;
  }
  const std::size_t slash = text->find('/');
  std::optional<std::uint32_t> code = BugCheckCode(reader, node, text->substr(0, slash));
  if (!code) return std::nullopt;
  expectation.code = *code;
  if (slash == std::string::npos) return expectation;
  expectation.parameter1 = ParseUnsigned(text->substr(slash + 1));
  if (!expectation.parameter1) {
    reader.Error(node, fmt::format("expected a number (decimal or 0x hex) after '/' in "
                                   "'bugcheck', got {}",
                                   Describe(node)));
    return std::nullopt;
  }
  return expectation;
}

std::optional<std::uint32_t> ReadConnectVersion(Reader& reader, const YAML::Node& node) {
  std::optional<std::string> text =
      ReadScalar(reader, node, "'connect_version'", "a CONNECT_* name");
  if (!text) return std::nullopt;
  if (std::optional<std::uint32_t> version = ParseConnectVersion(*text)) return version;
  std::vector<std::string> names;
  for (std::uint32_t version = 0; version <= CONNECT_MESSAGE_BASED_PASSIVE; ++version) {
    names.push_back(ConnectVersionName(version));
  }
  const std::string close = ClosestMatch(*text, names);
  reader.Error(node,
               fmt::format("unknown connect version {} for 'connect_version' ({})", Describe(node),
                           close.empty() ? "expected " + JoinOr(names) + " or a number"
                                         : "did you mean '" + close + "'?"));
  return std::nullopt;
}

template <typename T, typename V>
void Set(std::optional<Expected<T>>& field, const std::optional<V>& value, const Location& where) {
  if (value) field = Expected<T>{static_cast<T>(*value), where};
}

void ReadProbes(Reader& reader, const YAML::Node& node, Expectations& out) {
  MapReader map(reader, node, "'probes'", nullptr);
  for (const MapEntry& e : map.entries()) {
    if (auto v = ReadSigned(reader, e.value, Quote(e.key))) {
      out.probes[e.key] = {*v, reader.Where(e.key_node)};
    }
  }
}

void ReadRegisters(Reader& reader, const YAML::Node& node, Expectations& out) {
  MapReader map(reader, node, "'registers'", nullptr);
  for (const MapEntry& e : map.entries()) {
    std::optional<std::uint32_t> offset = ReadOffset(reader, e.key_node, "'registers'");
    std::optional<std::uint32_t> value = ReadU32(reader, e.value, "'registers'");
    if (offset && value) out.registers[*offset] = {*value, reader.Where(e.key_node)};
  }
}

void ReadOverrides(Context& context, const YAML::Node& node, ExpectationBlock& block);

void ReadKey(Context& context, const MapEntry& e, Expectations& out, ExpectationBlock* block) {
  Reader& reader = context.reader;
  const std::string what = Quote(e.key);
  const Location where = reader.Where(e.key_node);
  const YAML::Node& v = e.value;
  if (e.key == "device") {
    if (auto name = ReadDevice(context, v, what)) out.device = *name;
  } else if (e.key == "connect_version") {
    Set(out.connect_version, ReadConnectVersion(reader, v), where);
  } else if (e.key == "isr_calls") {
    Set(out.isr_calls, ReadUnsigned(reader, v, what, 0, kMaxU64), where);
  } else if (e.key == "isr_claimed") {
    Set(out.isr_claimed, ReadUnsigned(reader, v, what, 0, kMaxU64), where);
  } else if (e.key == "dpcs_requested") {
    Set(out.dpcs_requested, ReadUnsigned(reader, v, what, 0, kMaxU64), where);
  } else if (e.key == "message_count") {
    Set(out.message_count, ReadUnsigned(reader, v, what, 0, kMaxU32), where);
  } else if (e.key == "granted_messages") {
    Set(out.granted_messages, ReadUnsigned(reader, v, what, 0, kMaxU32), where);
  } else if (e.key == "registers") {
    ReadRegisters(reader, v, out);
  } else if (e.key == "probes") {
    ReadProbes(reader, v, out);
  } else if (e.key == "bugcheck") {
    Set(out.bugcheck, ReadBugCheck(reader, v), where);
  } else if (e.key == "irql") {
    Set(out.irql, ReadIrql(reader, v, what), where);
  } else if (e.key == "start_status") {
    Set(out.start_status, ReadStatus(reader, v, what), where);
  } else if (e.key == "os" && block != nullptr) {
    ReadOverrides(context, v, *block);
  }
}

const std::vector<std::string>& Keys(bool with_os) {
  static const std::vector<std::string> kOverride{
      "device",        "connect_version",  "isr_calls", "isr_claimed", "dpcs_requested",
      "message_count", "granted_messages", "registers", "probes",      "bugcheck",
      "irql",          "start_status"};
  static const std::vector<std::string> kBlock = [] {
    std::vector<std::string> keys = kOverride;
    keys.emplace_back("os");
    return keys;
  }();
  return with_os ? kBlock : kOverride;
}

// `os: {win2000..ws2003: {connect_version: CONNECT_FULLY_SPECIFIED}}`.
void ReadOverrides(Context& context, const YAML::Node& node, ExpectationBlock& block) {
  Reader& reader = context.reader;
  MapReader map(reader, node, "'os' in an expect block", nullptr);
  for (const MapEntry& e : map.entries()) {
    std::vector<Os> selected;
    const std::string problem = SelectOs(e.key, selected);
    if (!problem.empty()) {
      reader.Error(e.key_node, fmt::format("bad 'os' override '{}': {}", e.key, problem));
    }
    const std::string what = fmt::format("the '{}' override", e.key);
    MapReader fields(reader, e.value, what, &Keys(false));
    Expectations overrides;
    for (const MapEntry& field : fields.entries()) ReadKey(context, field, overrides, nullptr);
    if (problem.empty() && fields.ok()) block.per_os.emplace_back(selected, std::move(overrides));
  }
}

}  // namespace

std::optional<ExpectationBlock> ParseExpectationBlock(Context& context, const YAML::Node& node,
                                                      const std::string& what) {
  MapReader map(context.reader, node, what, &Keys(true));
  if (!map.ok()) return std::nullopt;
  ExpectationBlock block;
  block.where = context.reader.Where(node);
  for (const MapEntry& e : map.entries()) ReadKey(context, e, block.all, &block);
  return block;
}

}  // namespace kemu::scenario::internal
