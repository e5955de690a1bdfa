// Parsing the runner's command line with CLI11, then checking what CLI11 cannot: personality
// selectors, numbers in 0x form, and driver names against the registry.
#include "scenario/cli_options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "kemu/scenario/parser.hpp"
#include "kemu/version.hpp"
#include "scenario/numbers.hpp"
#include "scenario/os_selector.hpp"

namespace kemu::scenario::internal {
namespace {

// What CLI11 collects as text before it is checked.
struct RawOptions {
  std::string os;
  std::string seed;
  std::string diff;
  std::string driver;
};

void AddOptions(CLI::App& app, CliOptions& options, RawOptions& raw) {
  app.add_option("paths", options.paths,
                 "Scenario files (*.yaml, *.yml) or directories searched for them");
  CLI::Option* os = app.add_option(
      "--os", raw.os, "Only these personalities of each scenario (xp, vista..win11, win8.., all)");
  app.add_option("--seed", raw.seed, "Seed for every run, replacing the scenarios' machine seeds");
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

// Turns the raw text into typed options; returns a usage error message, or "".
std::string Check(const RawOptions& raw, const RunnerConfig& config, CliOptions& options) {
  if (!raw.os.empty()) {
    std::vector<Os> selected;
    const std::string problem = SelectOs(raw.os, selected);
    if (!problem.empty()) return fmt::format("--os: bad selector '{}': {}", raw.os, problem);
    options.os = std::move(selected);
  }
  if (!raw.seed.empty()) {
    options.seed = ParseUnsigned(raw.seed);
    if (!options.seed) {
      return LooksNumeric(raw.seed)
                 ? fmt::format("--seed: {} is out of range (expected 0..0xffffffffffffffff)",
                               raw.seed)
                 : fmt::format("--seed: '{}' is not a number (decimal or 0x hex)", raw.seed);
    }
  }
  if (!raw.diff.empty()) {
    const std::string problem = CheckDiff(raw.diff, options);
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
