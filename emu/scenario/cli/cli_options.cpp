// Parsing the runner's command line with CLI11, then checking what CLI11 cannot: personality
// selectors, numbers in 0x form, and driver names against the registry.
#include "scenario/cli/cli_options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "kemu/scenario/parser.hpp"
#include "kemu/version.hpp"
#include "scenario/parse/numbers.hpp"
#include "scenario/parse/os_selector.hpp"

namespace kemu::scenario::internal {
namespace {

// What CLI11 collects as text before it is checked.
struct RawOptions {
  std::string os;
  std::string seed;
  std::string schedules;
  std::string schedule;
  std::string schedule_range;
  std::string schedule_strategy;
  std::string diff;
  std::string driver;
};

void AddScheduleOptions(CLI::App& app, RawOptions& raw) {
  CLI::Option* schedules = app.add_option(
      "--schedules", raw.schedules,
      "Explore N schedules (seeds 0..N-1, 1..1000000) per run; a run stops at the first that "
      "fails and names its seed");
  CLI::Option* schedule =
      app.add_option("--schedule", raw.schedule, "Replay the schedule with seed S in every run");
  CLI::Option* range = app.add_option(
      "--schedule-range", raw.schedule_range,
      "Explore the schedules with seeds A to B-1 (A..B), to split an exploration across jobs");
  schedules->excludes(schedule)->excludes(range);
  schedule->excludes(range);
  app.add_option("--schedule-strategy", raw.schedule_strategy,
                 "random or pct for the schedules above (default: pct when the scenario's "
                 "machine.schedule names pct, else random)");
}

void AddOptions(CLI::App& app, CliOptions& options, RawOptions& raw) {
  app.add_option("paths", options.paths,
                 "Scenario files (*.yaml, *.yml) or directories searched for them");
  CLI::Option* os = app.add_option(
      "--os", raw.os, "Only these personalities of each scenario (xp, vista..win11, win8.., all)");
  app.add_option("--seed", raw.seed, "Seed for every run, replacing the scenarios' machine seeds");
  AddScheduleOptions(app, raw);
  app.add_option("--trace", options.trace,
                 "Write the machine trace (JSON); with several runs, FILE's stem gets "
                 ".<scenario>.<os> added");
  app.add_option("--report", options.report, "Write the matrix as Markdown (CI job summary)");
  app.add_option("--junit", options.junit, "Write JUnit XML");
  app.add_option("--diff", raw.diff,
                 "Run every scenario on two personalities (A,B) and show where they differ")
      ->excludes(os);
  app.add_option("--driver", raw.driver, "Run every scenario with this driver adapter");
  app.add_flag("--list", options.list, "List the scenarios and driver adapters, then exit");
  app.set_version_flag("--version", "kemu " KEMU_VERSION_STRING, "Print kemu's version and exit");
  app.footer(
      "Exit codes: 0 every run passed (or --help, --version, --list); 1 some run failed; 2 bad "
      "command line, invalid scenario file or unwritable output file (nothing was run, or a report "
      "could not be written).");
}

// One end of --diff, or the problem with it ("" when it is fine).
std::string DiffEnd(std::string_view name, std::optional<Os>& os) {
  os = ParseOs(name);
  if (os) return "";
  std::vector<std::string> names;
  for (Os each : AllOs()) names.emplace_back(OsName(each));
  const std::string close = ClosestMatch(name, names);
  return fmt::format("unknown personality '{}'{}", name,
                     close.empty() ? "" : " (did you mean '" + close + "'?)");
}

std::string CheckDiff(const std::string& text, CliOptions& options) {
  const std::size_t comma = text.find(',');
  if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos) {
    return fmt::format("--diff: '{}' is not two personalities (like xp,win10)", text);
  }
  std::optional<Os> a, b;
  std::string problem = DiffEnd(std::string_view(text).substr(0, comma), a);
  if (problem.empty()) problem = DiffEnd(std::string_view(text).substr(comma + 1), b);
  if (!problem.empty()) return "--diff: " + problem;
  if (*a == *b) return fmt::format("--diff: '{}' names one personality twice", text);
  options.diff = std::make_pair(*a, *b);
  return "";
}

// "--seed: 'x' is not a number (decimal or 0x hex)" and the like, or "" with `value` set.
std::string ReadNumber(std::string_view flag, const std::string& text, std::uint64_t& value) {
  const std::optional<std::uint64_t> number = ParseUnsigned(text);
  if (number) {
    value = *number;
    return "";
  }
  return LooksNumeric(text)
             ? fmt::format("{}: {} is out of range (expected 0..0xffffffffffffffff)", flag, text)
             : fmt::format("{}: '{}' is not a number (decimal or 0x hex)", flag, text);
}

std::string CheckRange(const std::string& text, ScheduleRequest& request) {
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos) {
    return fmt::format("--schedule-range: '{}' is not a range A..B (seeds A to B-1)", text);
  }
  std::uint64_t end = 0;
  std::string problem = ReadNumber("--schedule-range", text.substr(0, dots), request.first);
  if (problem.empty()) problem = ReadNumber("--schedule-range", text.substr(dots + 2), end);
  if (!problem.empty()) return problem;
  if (end <= request.first) {
    return fmt::format("--schedule-range: '{}' is empty (A..B explores seeds A to B-1)", text);
  }
  request.count = end - request.first;
  if (request.count > kMaxSchedules) {
    return fmt::format("--schedule-range: '{}' spans {} schedules (at most {} per run)", text,
                       request.count, kMaxSchedules);
  }
  return "";
}

std::string CheckStrategy(const std::string& text, ScheduleRequest& request) {
  // kDefault is not offered: its schedule ignores the seed, so exploring it repeats one run.
  const std::vector<std::string> names{"random", "pct"};
  if (text == "random") {
    request.strategy = Strategy::kRandom;
  } else if (text == "pct") {
    request.strategy = Strategy::kPct;
  } else {
    const std::string close = ClosestMatch(text, names);
    return fmt::format("--schedule-strategy: unknown strategy '{}' ({})", text,
                       close.empty() ? "expected random or pct" : "did you mean '" + close + "'?");
  }
  return "";
}

// --schedules, --schedule, --schedule-range (CLI11 lets through at most one) and
// --schedule-strategy.
std::string CheckSchedules(const RawOptions& raw, CliOptions& options) {
  ScheduleRequest request;
  std::string problem;
  if (!raw.schedules.empty()) {
    const std::optional<std::uint64_t> count = ParseScheduleCount(raw.schedules);
    if (!count) {
      return fmt::format("--schedules: expected a number of schedules from 1 to {}, got '{}'",
                         kMaxSchedules, raw.schedules);
    }
    request.count = *count;
  } else if (!raw.schedule.empty()) {
    problem = ReadNumber("--schedule", raw.schedule, request.first);
  } else if (!raw.schedule_range.empty()) {
    problem = CheckRange(raw.schedule_range, request);
  } else if (!raw.schedule_strategy.empty()) {
    return "--schedule-strategy needs --schedules, --schedule or --schedule-range";
  } else {
    return "";
  }
  if (problem.empty() && !raw.schedule_strategy.empty()) {
    problem = CheckStrategy(raw.schedule_strategy, request);
  }
  if (problem.empty()) options.schedules = request;
  return problem;
}

// Turns the raw text into typed options; returns a usage error message, or "".
std::string Check(const RawOptions& raw, const RunnerConfig& config, CliOptions& options) {
  if (!raw.os.empty()) {
    std::vector<Os> selected;
    const std::string problem = SelectOs(raw.os, selected);
    if (!problem.empty()) return fmt::format("--os: bad selector '{}': {}", raw.os, problem);
    options.os = std::move(selected);
  }
  if (!raw.seed.empty()) {
    std::uint64_t seed = 0;
    std::string problem = ReadNumber("--seed", raw.seed, seed);  // not const: returned by move
    if (!problem.empty()) return problem;
    options.seed = seed;
  }
  if (std::string problem = CheckSchedules(raw, options); !problem.empty()) return problem;
  if (!raw.diff.empty()) {
    std::string problem = CheckDiff(raw.diff, options);
    if (!problem.empty()) return problem;
  }
  if (!raw.driver.empty()) {
    if (config.adapters.Find(raw.driver) == nullptr) {
      const std::string suggestion = ClosestMatch(raw.driver, config.adapters.Names());
      return fmt::format("--driver: unknown driver adapter '{}'{}", raw.driver,
                         suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)");
    }
    options.driver = raw.driver;
  }
  if (options.paths.empty()) options.paths = config.default_paths;
  if (options.paths.empty() && !options.list) return "no scenario files or directories given";
  return "";
}

}  // namespace

ParsedCommandLine ParseCommandLine(int argc, char** argv, const RunnerConfig& config,
                                   std::ostream& out, std::ostream& err) {
  CLI::App app(config.program_description, argc > 0 ? argv[0] : "kemu-scenarios");
  ParsedCommandLine parsed;
  RawOptions raw;
  AddOptions(app, parsed.options, raw);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, out, err);
    parsed.exit_code = code == 0 ? kExitPassed : kExitUsage;
    return parsed;
  }
  const std::string problem = Check(raw, config, parsed.options);
  if (!problem.empty()) {
    err << "error: " << problem << "\nRun with --help for more information.\n";
    parsed.exit_code = kExitUsage;
  }
  return parsed;
}

}  // namespace kemu::scenario::internal
