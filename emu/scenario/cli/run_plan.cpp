// Planning the runs (adapters resolved, scenarios validated) and listing them (--list).
#include "scenario/cli/run_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scenario/report/visible_text.hpp"

namespace kemu::scenario::internal {
namespace {

Diagnostic UnknownDriver(const Scenario& scenario, const std::string& driver,
                         const AdapterRegistry& adapters) {
  if (adapters.empty()) return {scenario.where, "no driver adapter is registered"};
  const std::string suggestion = ClosestMatch(driver, adapters.Names());
  std::string names;
  for (const std::string& name : adapters.Names()) names += (names.empty() ? "" : ", ") + name;
  return {scenario.driver_where,
          fmt::format("unknown driver '{}'{}; registered: {}", driver,
                      suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)", names)};
}

std::string OsList(const std::vector<Os>& os) {
  std::string text;
  for (Os each : os) {
    if (!text.empty()) text += ' ';
    text += OsName(each);
  }
  return text.empty() ? "(none)" : text;
}

}  // namespace

std::size_t RunPlan::runs() const {
  std::size_t total = 0;
  for (const PlannedScenario& planned : scenarios) total += planned.os.size();
  return total;
}

std::string DriverOf(const Scenario& scenario, const CliOptions& options) {
  return options.driver ? *options.driver : scenario.driver;
}

std::vector<Os> PersonalitiesOf(const Scenario& scenario, const CliOptions& options) {
  if (options.diff) return {options.diff->first, options.diff->second};
  if (!options.os) return scenario.os;
  std::vector<Os> selected;
  for (Os os : scenario.os) {
    if (std::find(options.os->begin(), options.os->end(), os) != options.os->end()) {
      selected.push_back(os);
    }
  }
  return selected;
}

std::vector<Diagnostic> CheckDriver(const Scenario& scenario, const CliOptions& options,
                                    const AdapterRegistry& adapters) {
  const std::string driver = DriverOf(scenario, options);
  const AdapterFactory* factory = adapters.Find(driver);
  if (factory == nullptr) return {UnknownDriver(scenario, driver, adapters)};
  return Validate(scenario, *(*factory)());
}

RunPlan MakeRunPlan(const std::vector<Scenario>& scenarios, const CliOptions& options,
                    const AdapterRegistry& adapters) {
  RunPlan plan;
  for (const Scenario& scenario : scenarios) {
    const std::string driver = DriverOf(scenario, options);
    const AdapterFactory* factory = adapters.Find(driver);
    if (factory == nullptr) {
      plan.diagnostics.push_back(UnknownDriver(scenario, driver, adapters));
      continue;
    }
    const std::unique_ptr<DriverAdapter> adapter = (*factory)();
    for (Diagnostic& diagnostic : Validate(scenario, *adapter)) {
      plan.diagnostics.push_back(std::move(diagnostic));
    }
    plan.scenarios.push_back({&scenario, driver, factory, PersonalitiesOf(scenario, options)});
  }
  return plan;
}

std::string FormatList(const std::vector<Scenario>& scenarios, const CliOptions& options,
                       const AdapterRegistry& adapters) {
  std::string out = "scenarios:\n";
  for (const Scenario& scenario : scenarios) {
    const std::string driver = DriverOf(scenario, options);
    out += fmt::format("  {}  [{}]  {}\n", scenario.name, driver.empty() ? "default" : driver,
                       OsList(PersonalitiesOf(scenario, options)));
    out += fmt::format("      {}", FormatLocation(scenario.where));
    if (!scenario.description.empty()) {
      out += " — ";
      out += scenario.description;
    }
    out += '\n';
  }
  out += "adapters:\n";
  for (const std::string& name : adapters.Names()) {
    const std::string& description = adapters.Description(name);
    out += fmt::format("  {}{}\n", name, description.empty() ? "" : " — " + description);
    const std::unique_ptr<DriverAdapter> adapter = (*adapters.Find(name))();
    for (const ActionInfo& action : adapter->Actions()) {
      std::string parameters;
      for (const std::string& p : action.parameters)
        parameters += (parameters.empty() ? "" : ", ") + p;
      out += fmt::format("      action {}({}){}{}\n", action.name, parameters,
                         action.help.empty() ? "" : "  " + action.help,
                         action.needs_started ? " (a request: only to a started device)" : "");
    }
    for (const std::string& probe : adapter->Probes())
      out += fmt::format("      probe {}\n", probe);
  }
  // Descriptions come from scenario files and adapters, and go to a terminal.
  return VisibleText(out);
}

}  // namespace kemu::scenario::internal
