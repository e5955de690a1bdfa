// What the runner will do, decided before anything runs: each scenario with its adapter and the
// personalities it runs on. Building the plan is where bad driver names and scenarios that do not
// fit their adapter are caught, so that an invalid set of files runs nothing.
#ifndef KEMU_EMU_SCENARIO_CLI_RUN_PLAN_HPP_
#define KEMU_EMU_SCENARIO_CLI_RUN_PLAN_HPP_

#include <string>
#include <vector>

#include "kemu/os.hpp"
#include "kemu/scenario/driver_adapter.hpp"
#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/scenario.hpp"
#include "scenario/cli/cli_options.hpp"

namespace kemu::scenario::internal {

struct PlannedScenario {
  const Scenario* scenario = nullptr;
  std::string driver;  ///< the adapter's name ("" = the registry's default)
  const AdapterFactory* factory = nullptr;
  std::vector<Os> os;  ///< where it runs, oldest first (--diff: the two personalities, in order)
};

struct RunPlan {
  std::vector<PlannedScenario> scenarios;
  std::vector<Diagnostic> diagnostics;  ///< non-empty: nothing may run
  std::size_t runs() const;
};

/// The driver a scenario runs with: --driver, else its own `driver:`.
std::string DriverOf(const Scenario& scenario, const CliOptions& options);

/// The personalities a scenario runs on under `options` (--diff, else its list filtered by --os).
std::vector<Os> PersonalitiesOf(const Scenario& scenario, const CliOptions& options);

/// A scenario against the adapter it runs with (DriverOf): "unknown driver", or Validate()'s
/// diagnostics. The loader runs it on every file, a file with other errors too (see
/// internal::LoadScenarios), so that one pass reports everything.
std::vector<Diagnostic> CheckDriver(const Scenario& scenario, const CliOptions& options,
                                    const AdapterRegistry& adapters);

/// Resolves every scenario's adapter and validates the scenario with one instance of it.
RunPlan MakeRunPlan(const std::vector<Scenario>& scenarios, const CliOptions& options,
                    const AdapterRegistry& adapters);

/// "scenarios:" and "adapters:" sections for --list.
std::string FormatList(const std::vector<Scenario>& scenarios, const CliOptions& options,
                       const AdapterRegistry& adapters);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_CLI_RUN_PLAN_HPP_
