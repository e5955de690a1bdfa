// kemu/scenario/main.hpp — the scenario runner executable (target kemu::scenario_main).
//
// Link kemu::scenario_main with your driver and define ConfigureRunner(); you get a program that
// runs scenario files on the personalities they name:
//
//   <runner> [files or dirs...] [--os=xp,vista..win11] [--seed=N] [--trace=out.json]
//            [--report=matrix.md] [--junit=out.xml] [--diff=xp,win10] [--driver=name] [--list]
//            [--schedules=N | --schedule=S | --schedule-range=A..B] [--schedule-strategy=pct]
//   <runner> --version | --help
//
// With --schedules=N each scenario × personality run is played under N schedules (seeds 0..N-1)
// and stops at the first that fails, whose seed the failure names with the flags that replay it.
//
// It prints a progress line per scenario × personality and the matrix, and exits 0 only when
// every expectation held (1: some failed; 2: bad command line or invalid scenario files, in
// which case nothing ran, or an output file that could not be written).
//
//   void kemu::scenario::ConfigureRunner(kemu::scenario::RunnerConfig& config) {
//     config.adapters.Add("nic", [] { return std::make_unique<NicAdapter>(); });
//     config.default_paths = {"scenarios"};
//   }
#ifndef KEMU_SCENARIO_MAIN_HPP_
#define KEMU_SCENARIO_MAIN_HPP_

#include <string>
#include <vector>

#include "kemu/scenario/driver_adapter.hpp"

namespace kemu::scenario {

/// What a runner program knows before it reads its command line.
struct RunnerConfig {
  AdapterRegistry adapters;
  /// Scenario files or directories used when the command line names none.
  std::vector<std::string> default_paths;
  /// Shown by --help.
  std::string program_description = "Runs kemu scenario files across Windows personalities.";
};

/// Defined by the program that links kemu::scenario_main.
void ConfigureRunner(RunnerConfig& config);

/// The runner's main(): parses `argv` (CLI11), loads and validates every scenario, runs them and
/// writes the reports. Returns the process exit code.
int ScenarioMain(int argc, char** argv, const RunnerConfig& config);

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_MAIN_HPP_
