// The scenario runner's command line, parsed and checked into one struct (CLI11 stays here).
#ifndef KEMU_EMU_SCENARIO_CLI_CLI_OPTIONS_HPP_
#define KEMU_EMU_SCENARIO_CLI_CLI_OPTIONS_HPP_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "kemu/os.hpp"
#include "kemu/scenario/main.hpp"
#include "scenario/run/exploration.hpp"

namespace kemu::scenario::internal {

/// Exit codes of a runner program (kemu/scenario/main.hpp).
inline constexpr int kExitPassed = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct CliOptions {
  /// Files and directories to load (the config's default_paths when none are given).
  std::vector<std::string> paths;
  /// --os: only these personalities of each scenario's own list.
  std::optional<std::vector<Os>> os;
  std::optional<std::uint64_t> seed;
  /// --schedules=N, --schedule=S or --schedule-range=A..B (with --schedule-strategy): each run
  /// explores these schedules; unset, each run plays its scenario's own `machine: {schedule:}`.
  std::optional<ScheduleRequest> schedules;
  std::string trace;   ///< --trace=FILE
  std::string report;  ///< --report=FILE.md
  std::string junit;   ///< --junit=FILE.xml
  /// --diff=A,B: every scenario on both, whatever its own list says.
  std::optional<std::pair<Os, Os>> diff;
  /// --driver=NAME: replaces every scenario's `driver:`.
  std::optional<std::string> driver;
  bool list = false;
};

/// The parsed command line, or the exit code when the program should stop now (--help: 0, after
/// printing the help to `out`; a usage error: 2, after printing it to `err`).
struct ParsedCommandLine {
  CliOptions options;
  std::optional<int> exit_code;
};

ParsedCommandLine ParseCommandLine(int argc, char** argv, const RunnerConfig& config,
                                   std::ostream& out, std::ostream& err);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_CLI_CLI_OPTIONS_HPP_
