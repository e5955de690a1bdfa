// A parsed scenario against the adapter that will run it: actions, their arguments, probes.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "scenario/parse/numbers.hpp"
#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string Suggestion(const std::string& word, const std::vector<std::string>& candidates,
                       const std::string& otherwise) {
  const std::string close = ClosestMatch(word, candidates);
  return close.empty() ? otherwise : fmt::format("did you mean '{}'?", close);
}

// An argument the adapter declares a number (ActionInfo::numbers): its value and range are known
// before the run, so a bad one is the file's error, not a failure at its step.
void CheckNumber(const Step& step, const ActionStep& action, const ActionInfo& info,
                 const std::string& name, const std::string& value, std::vector<Diagnostic>& out) {
  auto range = std::find_if(info.numbers.begin(), info.numbers.end(),
                            [&](const ArgumentRange& r) { return r.parameter == name; });
  if (range == info.numbers.end()) return;
  const std::optional<std::uint64_t> number = internal::ParseUnsigned(value);
  if (!number) {
    out.push_back({step.where, fmt::format("argument '{}' of action '{}' must be an unsigned "
                                           "number, got '{}'",
                                           name, action.name, value)});
  } else if (*number < range->minimum || *number > range->maximum) {
    const std::string allowed = range->maximum == UINT64_MAX
                                    ? fmt::format("at least {}", range->minimum)
                                    : fmt::format("{}..{}", range->minimum, range->maximum);
    out.push_back({step.where, fmt::format("argument '{}' of action '{}' must be {}, got {}", name,
                                           action.name, allowed, *number)});
  }
}

void CheckAction(const Step& step, const ActionStep& action, const std::vector<ActionInfo>& actions,
                 std::vector<Diagnostic>& out) {
  auto info = std::find_if(actions.begin(), actions.end(),
                           [&](const ActionInfo& a) { return a.name == action.name; });
  if (info == actions.end()) {
    std::vector<std::string> candidates = internal::BuiltInSteps();
    std::vector<std::string> names;
    names.reserve(actions.size());
    for (const ActionInfo& a : actions) names.push_back(a.name);
    candidates.insert(candidates.end(), names.begin(), names.end());
    const std::string offered = names.empty() ? "the driver adapter has no actions"
                                              : "the driver adapter's actions: " +
                                                    fmt::format("{}", fmt::join(names, ", "));
    out.push_back({step.where, fmt::format("unknown step or action '{}' ({})", action.name,
                                           Suggestion(action.name, candidates, offered))});
    return;
  }
  const std::vector<std::string>& parameters = info->parameters;
  // Formatted only for a diagnostic: a fuzzer validates every input it runs.
  const auto takes = [&] {
    return parameters.empty() ? std::string("it takes no arguments")
                              : fmt::format("its arguments: {}", fmt::join(parameters, ", "));
  };
  for (const auto& [name, value] : action.args.values()) {
    if (name.empty()) {
      if (parameters.empty()) {
        out.push_back({step.where, fmt::format("action '{}' takes no arguments, got '{}'",
                                               action.name, value)});
      } else {
        CheckNumber(step, action, *info, parameters.front(), value, out);  // the scalar form
      }
    } else if (!Contains(parameters, name)) {
      out.push_back({step.where, fmt::format("action '{}' has no argument '{}' ({})", action.name,
                                             name, Suggestion(name, parameters, takes()))});
    } else {
      CheckNumber(step, action, *info, name, value, out);
    }
  }
}

void CheckProbes(const Expectations& expectations, const std::vector<std::string>& probes,
                 std::vector<Diagnostic>& out) {
  const std::string offered =
      probes.empty() ? "the driver adapter has no probes"
                     : fmt::format("the driver adapter's probes: {}", fmt::join(probes, ", "));
  for (const auto& [name, expected] : expectations.probes) {
    if (Contains(probes, name)) continue;
    out.push_back({expected.where, fmt::format("unknown probe '{}' ({})", name,
                                               Suggestion(name, probes, offered))});
  }
}

void CheckBlock(const ExpectationBlock& block, const std::vector<std::string>& probes,
                std::vector<Diagnostic>& out) {
  CheckProbes(block.all, probes, out);
  for (const auto& [os, overrides] : block.per_os) CheckProbes(overrides, probes, out);
}

}  // namespace

std::vector<Diagnostic> Validate(const Scenario& scenario, const DriverAdapter& adapter) {
  // Each list asked for once, and only if a step needs it.
  std::optional<std::vector<ActionInfo>> actions;
  std::optional<std::vector<std::string>> probes;
  const auto probe_names = [&]() -> const std::vector<std::string>& {
    if (!probes) probes = adapter.Probes();
    return *probes;
  };
  std::vector<Diagnostic> out;
  for (const Step& step : scenario.steps) {
    if (const auto* action = std::get_if<ActionStep>(&step.body)) {
      if (!actions) actions = adapter.Actions();
      CheckAction(step, *action, *actions, out);
    } else if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      CheckBlock(expect->block, probe_names(), out);
    }
  }
  if (scenario.expect) CheckBlock(*scenario.expect, probe_names(), out);
  return out;
}

}  // namespace kemu::scenario
