// `steps:` — each a keyword alone (`run_dpcs`, `settle`), or a map with one keyword whose value is
// a shorthand scalar (`assert: nic0`) or a map of arguments. Unknown keywords are driver actions;
// Validate() checks them against the adapter.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

constexpr std::uint64_t kMaxU64 = ~std::uint64_t{0};
constexpr std::uint64_t kMaxMessageId = 2047;
constexpr std::uint64_t kMaxProcessor = 63;
// Machine::KeepProcessorBusy's IRQLs: the busy work is DPC-like or above.
constexpr std::uint8_t kLowestBusyIrql = 2;  // DISPATCH_LEVEL
// Virtual time counts 100 ns units in 64 bits; a later microsecond has no tick to land on.
constexpr std::uint64_t kMaxAtUs = kMaxU64 / 10;

bool IsIdentifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

// What a step needs to read its value: where problems go and how to name it.
struct StepInput {
  Context& context;
  std::string keyword;
  YAML::Node value;  // Null for a bare keyword
  std::string what;  // "'assert'"
  Location where;    // the step's
};

std::optional<StepBody> StartOrStop(const StepInput& in, bool start) {
  StartStep body;
  if (in.value.IsScalar()) {
    if (auto v = ReadDevice(in.context, in.value, in.what)) body.device = *v;
  } else if (!in.value.IsNull()) {
    static const std::vector<std::string> kStart{"device", "status"};
    static const std::vector<std::string> kStop{"device"};
    MapReader map(in.context.reader, in.value, in.what, start ? &kStart : &kStop);
    if (const MapEntry* e = map.Find("device")) {
      if (auto v = ReadDevice(in.context, e->value, "'device'")) body.device = *v;
    }
    if (const MapEntry* e = map.Find("status"))
      body.status = ReadStatus(in.context.reader, e->value, "'status'");
  }
  if (!start) return StopStep{body.device};
  return body;
}

std::optional<StepBody> DeviceEvent(const StepInput& in, DeviceAction action) {
  Reader& reader = in.context.reader;
  DeviceEventStep body;
  body.action = action;
  const bool message = action == DeviceAction::kSignalMessage;
  // A message step whose id did not read is dropped (the error is reported), so that no later
  // check reports the id it does not have.
  bool have_id = false;
  if (in.value.IsScalar()) {
    if (!message) {
      if (auto v = ReadDevice(in.context, in.value, in.what)) body.device = *v;
    } else if (auto v = ReadUnsigned(reader, in.value, in.what, 0, kMaxMessageId)) {
      body.message_id = static_cast<std::uint32_t>(*v);
      have_id = true;
    }
    if (message && !have_id) return std::nullopt;
    return body;
  }
  if (in.value.IsNull()) return body;
  static const std::vector<std::string> kLine{"device", "after_calls", "at_us"};
  static const std::vector<std::string> kMessage{"id", "device", "after_calls", "at_us"};
  MapReader map(reader, in.value, in.what, message ? &kMessage : &kLine);
  if (!map.ok()) return std::nullopt;
  if (message) map.Require("id");
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "id") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxMessageId)) {
        body.message_id = static_cast<std::uint32_t>(*v);
        have_id = true;
      }
    } else if (e.key == "device") {
      if (auto v = ReadDevice(in.context, e.value, what)) body.device = *v;
    } else if (e.key == "after_calls") {
      body.after_calls = ReadUnsigned(reader, e.value, what, 1, kMaxU64);  // 1 = the next call
    } else if (e.key == "at_us") {
      body.at_us = ReadUnsigned(reader, e.value, what, 0, kMaxAtUs);
    }
  }
  if (map.Find("after_calls") != nullptr && map.Find("at_us") != nullptr) {
    reader.Error(in.value, fmt::format("{} takes 'after_calls' or 'at_us', not both", in.what));
  }
  if (message && !have_id) return std::nullopt;
  return body;
}

std::optional<StepBody> RegisterEvent(const StepInput& in, RegisterStep::Kind kind) {
  Reader& reader = in.context.reader;
  const bool poke = kind == RegisterStep::Kind::kPoke;
  static const std::vector<std::string> kBits{"device", "register", "bits"};
  static const std::vector<std::string> kValue{"device", "register", "value"};
  MapReader map(reader, in.value, in.what, poke ? &kValue : &kBits);
  if (!map.ok()) return std::nullopt;
  RegisterStep body;
  body.kind = kind;
  map.Require("register");
  map.Require(poke ? "value" : "bits");
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "device") {
      if (auto v = ReadDevice(in.context, e.value, what)) body.device = *v;
    } else if (e.key == "register") {
      if (auto v = ReadOffset(reader, e.value, what)) body.offset = *v;
    } else if (auto v = ReadU32(reader, e.value, what)) {
      body.value = *v;
    }
  }
  return body;
}

std::optional<unsigned> ReadProcessor(Reader& reader, const YAML::Node& node,
                                      std::string_view what) {
  std::optional<std::uint64_t> n = ReadUnsigned(reader, node, what, 0, kMaxProcessor);
  if (!n) return std::nullopt;
  return static_cast<unsigned>(*n);
}

// `busy_processor: 1` or `busy_processor: {processor: 1, irql: HIGH_LEVEL}`.
std::optional<StepBody> BusyProcessor(const StepInput& in) {
  Reader& reader = in.context.reader;
  if (in.value.IsScalar()) {
    std::optional<unsigned> n = ReadProcessor(reader, in.value, in.what);
    if (!n) return std::nullopt;
    return BusyProcessorStep{.processor = *n};
  }
  static const std::vector<std::string> kKeys{"processor", "irql"};
  MapReader map(reader, in.value, in.what, &kKeys);
  if (!map.ok()) return std::nullopt;
  BusyProcessorStep body;
  bool ok = map.Require("processor") != nullptr;
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "processor") {
      std::optional<unsigned> n = ReadProcessor(reader, e.value, what);
      ok = ok && n.has_value();
      if (n) body.processor = *n;
    } else if (e.key == "irql") {
      const std::string irql_what = fmt::format("{} of {}", what, in.what);
      std::optional<std::uint8_t> irql = ReadIrql(reader, e.value, irql_what);
      if (irql && *irql < kLowestBusyIrql) {
        reader.Error(e.value, fmt::format("{} is out of range: {} (expected DISPATCH_LEVEL to "
                                          "HIGH_LEVEL, {}..15)",
                                          irql_what, Describe(e.value), kLowestBusyIrql));
        irql.reset();
      }
      ok = ok && irql.has_value();
      if (irql) body.irql = *irql;
    }
  }
  // A step whose processor or IRQL did not read is dropped (the error is reported), so that the
  // vCPU check after loading does not report a number the file does not say.
  if (!ok) return std::nullopt;
  return body;
}

std::optional<StepBody> Action(const StepInput& in) {
  Reader& reader = in.context.reader;
  if (!IsIdentifier(in.keyword)) {
    reader.Error(in.where, fmt::format("{} is not a step or action name", in.what));
    return std::nullopt;
  }
  ActionStep body;
  body.name = in.keyword;
  std::map<std::string, std::string> args;
  if (in.value.IsScalar()) {
    args[""] = in.value.Scalar();  // the action's first parameter; see scenarios/README.md
  } else if (!in.value.IsNull()) {
    MapReader map(reader, in.value, in.what, nullptr);
    for (const MapEntry& e : map.entries()) {
      const std::string what = fmt::format("argument '{}' of {}", e.key, in.what);
      if (e.key == "device") {
        if (auto v = ReadDevice(in.context, e.value, what)) body.device = *v;
      } else if (auto v = ReadScalar(reader, e.value, what, "a scalar")) {
        args[e.key] = *v;
      }
    }
  }
  body.args = ActionArgs(in.where, std::move(args));
  return body;
}

std::optional<StepBody> NoValue(const StepInput& in, StepBody body) {
  if (!in.value.IsNull()) {
    in.context.reader.Error(in.value,
                            fmt::format("{} takes no value, got {}", in.what, Describe(in.value)));
  }
  return body;
}

std::optional<StepBody> Body(const StepInput& in) {
  Reader& reader = in.context.reader;
  const std::string& k = in.keyword;
  if (k == "start" || k == "stop") return StartOrStop(in, k == "start");
  if (k == "assert") return DeviceEvent(in, DeviceAction::kAssertLine);
  if (k == "deassert") return DeviceEvent(in, DeviceAction::kDeassertLine);
  if (k == "pulse") return DeviceEvent(in, DeviceAction::kPulseLine);
  if (k == "message") return DeviceEvent(in, DeviceAction::kSignalMessage);
  if (k == "raise") return RegisterEvent(in, RegisterStep::Kind::kRaise);
  if (k == "clear") return RegisterEvent(in, RegisterStep::Kind::kClear);
  if (k == "poke") return RegisterEvent(in, RegisterStep::Kind::kPoke);
  if (k == "raise_irql" || k == "lower_irql") {
    std::optional<std::uint8_t> irql = ReadIrql(reader, in.value, in.what);
    if (!irql) return std::nullopt;
    return IrqlStep{k == "raise_irql", *irql};
  }
  if (k == "processor") {
    std::optional<unsigned> n = ReadProcessor(reader, in.value, in.what);
    if (!n) return std::nullopt;
    return ProcessorStep{*n};
  }
  if (k == "busy_processor") return BusyProcessor(in);
  if (k == "release_processor") {
    std::optional<unsigned> n = ReadProcessor(reader, in.value, in.what);
    if (!n) return std::nullopt;
    return ReleaseProcessorStep{*n};
  }
  if (k == "run_dpcs") return NoValue(in, RunDpcsStep{});
  if (k == "settle") return NoValue(in, SettleStep{});
  if (k == "nmi") return NoValue(in, NmiStep{});
  if (k == "stall_us") {
    std::optional<std::uint32_t> us = ReadU32(reader, in.value, in.what);
    if (!us) return std::nullopt;
    return StallStep{*us};
  }
  if (k == "advance_time") {
    std::optional<std::uint32_t> us = ReadU32(reader, in.value, in.what);
    if (!us) return std::nullopt;
    return AdvanceTimeStep{*us};
  }
  if (k == "expect") {
    std::optional<ExpectationBlock> block = ParseExpectationBlock(in.context, in.value, in.what);
    if (!block) return std::nullopt;
    return ExpectStep{std::move(*block)};
  }
  return Action(in);
}

std::optional<Step> ReadStep(Context& context, const YAML::Node& item) {
  Reader& reader = context.reader;
  Step step;
  step.where = reader.Where(item);
  YAML::Node value;  // Null: a bare keyword
  if (item.IsScalar()) {
    step.keyword = item.Scalar();
  } else if (item.IsMap() && item.size() == 1 && item.begin()->first.IsScalar()) {
    step.keyword = item.begin()->first.Scalar();
    value = item.begin()->second;
  } else if (item.IsMap() && item.size() == 0) {
    reader.Error(item, "a step has one keyword, got an empty map");
    return std::nullopt;
  } else if (item.IsMap() && item.size() > 1) {
    std::vector<std::string> keys;
    for (auto it = item.begin(); it != item.end(); ++it) keys.push_back(Describe(it->first));
    reader.Error(item, fmt::format("a step has one keyword, got {} keys ({}); put arguments in a "
                                   "map under the keyword",
                                   keys.size(), fmt::join(keys, ", ")));
    return std::nullopt;
  } else {
    reader.Error(item, fmt::format("expected a step (a keyword, or a map with one keyword), got {}",
                                   Describe(item)));
    return std::nullopt;
  }
  static const std::vector<std::string> kNeedValue{
      "message",           "raise",      "clear",        "poke",
      "raise_irql",        "lower_irql", "processor",    "busy_processor",
      "release_processor", "stall_us",   "advance_time", "expect"};
  if (value.IsNull() &&
      std::find(kNeedValue.begin(), kNeedValue.end(), step.keyword) != kNeedValue.end()) {
    reader.Error(step.where, fmt::format("step '{}' needs a value", step.keyword));
    return std::nullopt;
  }
  const StepInput in{context, step.keyword, value, Quote(step.keyword), step.where};
  std::optional<StepBody> body = Body(in);
  if (!body) return std::nullopt;
  step.body = std::move(*body);
  return step;
}

}  // namespace

const std::vector<std::string>& BuiltInSteps() {
  static const std::vector<std::string> kKeywords{"start",          "stop",
                                                  "assert",         "deassert",
                                                  "pulse",          "message",
                                                  "raise",          "clear",
                                                  "poke",           "raise_irql",
                                                  "lower_irql",     "processor",
                                                  "busy_processor", "release_processor",
                                                  "run_dpcs",       "settle",
                                                  "stall_us",       "advance_time",
                                                  "expect"};
  return kKeywords;
}

std::vector<Step> ParseSteps(Context& context, const YAML::Node& node) {
  std::vector<Step> steps;
  if (node.IsNull()) return steps;  // `steps:` with nothing: no steps
  if (!node.IsSequence()) {
    context.reader.Error(node, fmt::format("expected a list for 'steps', got {}", Describe(node)));
    return steps;
  }
  // A Step is large (an expect step holds a whole expectation block): reserving once keeps a long
  // list from being copied as it grows.
  steps.reserve(std::min<std::size_t>(node.size(), kMaxScenarioSteps));
  std::size_t count = 0;
  for (const YAML::Node& item : node) {
    if (++count > kMaxScenarioSteps) {
      context.reader.Error(item, fmt::format("too many steps: a scenario has at most {}; this is "
                                             "step {}",
                                             kMaxScenarioSteps, count));
      break;
    }
    if (std::optional<Step> step = ReadStep(context, item)) steps.push_back(std::move(*step));
  }
  return steps;
}

}  // namespace kemu::scenario::internal
