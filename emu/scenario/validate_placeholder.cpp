// PLACEHOLDER until the parser part lands: a minimal Validate() (actions, their parameters and
// probe names) so the runner links and its tests run on their own. It is weak, so the parser's
// real Validate() wins wherever both are linked; delete this file (and its CMake entry) when
// merging the parser.
#include <algorithm>

#include "kemu/scenario/parser.hpp"

namespace kemu::scenario {
namespace {

void CheckProbes(const Expectations& expected, const Location& where,
                 const std::vector<std::string>& probes, std::vector<Diagnostic>& out) {
  for (const auto& [name, value] : expected.probes) {
    if (std::find(probes.begin(), probes.end(), name) == probes.end()) {
      out.push_back({value.where.line != 0 ? value.where : where, "unknown probe '" + name + "'"});
    }
  }
}

void CheckBlock(const ExpectationBlock& block, const std::vector<std::string>& probes,
                std::vector<Diagnostic>& out) {
  CheckProbes(block.all, block.where, probes, out);
  for (const auto& [oses, expected] : block.per_os) CheckProbes(expected, block.where, probes, out);
}

}  // namespace

__attribute__((weak)) std::vector<Diagnostic> Validate(const Scenario& scenario,
                                                       const DriverAdapter& adapter) {
  std::vector<Diagnostic> out;
  const std::vector<ActionInfo> actions = adapter.Actions();
  const std::vector<std::string> probes = adapter.Probes();
  for (const Step& step : scenario.steps) {
    if (const auto* action = std::get_if<ActionStep>(&step.body)) {
      const auto it = std::find_if(actions.begin(), actions.end(),
                                   [&](const ActionInfo& a) { return a.name == action->name; });
      if (it == actions.end()) {
        out.push_back({step.where, "unknown action '" + action->name + "'"});
        continue;
      }
      for (const auto& [name, value] : action->args.values()) {
        if (name == "device") continue;
        if (std::find(it->parameters.begin(), it->parameters.end(), name) == it->parameters.end()) {
          out.push_back(
              {step.where, "action '" + action->name + "' has no parameter '" + name + "'"});
        }
      }
    } else if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      CheckBlock(expect->block, probes, out);
    }
  }
  if (scenario.expect) CheckBlock(*scenario.expect, probes, out);
  return out;
}

}  // namespace kemu::scenario
