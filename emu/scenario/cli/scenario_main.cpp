// ScenarioMain: the runner program's flow. Load and check everything first (a bad file or driver
// name runs nothing), then run scenario × personality in order with a progress line each, then
// the matrix and the report files.
#include <iostream>
#include <string>
#include <vector>

#include "kemu/scenario/main.hpp"
#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/report.hpp"
#include "kemu/scenario/runner.hpp"
#include "scenario/cli/cli_options.hpp"
#include "scenario/cli/output_files.hpp"
#include "scenario/cli/run_plan.hpp"
#include "scenario/parse/scenario_files.hpp"
#include "scenario/report/visible_text.hpp"
#include "scenario/run/exploration.hpp"

namespace kemu::scenario {
namespace {

using internal::CliOptions;

void PrintDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& diagnostic : diagnostics) {
    // Validate's messages quote argument names and values from the file as written.
    std::cerr << internal::VisibleText(FormatDiagnostic(diagnostic)) << "\n";
  }
  std::cerr << "nothing was run\n";
}

// Report and trace files are checked before the runs so that a typo in a path does not cost a
// whole run. Every run writes a trace under --trace, so each of their paths is checked.
bool OutputsWritable(const internal::RunPlan& plan, const CliOptions& options) {
  bool writable = true;
  for (const std::string* path : {&options.report, &options.junit}) {
    if (!path->empty() && !internal::CanWrite(*path, std::cerr)) writable = false;
  }
  if (options.trace.empty()) return writable;
  for (const internal::PlannedScenario& planned : plan.scenarios) {
    for (Os os : planned.os) {
      Outcome run;
      run.scenario = planned.scenario->name;
      run.os = os;
      if (!internal::CanWrite(internal::TracePath(options, plan.runs(), run), std::cerr)) {
        return false;  // one message is enough: the others are beside it
      }
    }
  }
  return writable;
}

struct RunResults {
  std::vector<Outcome> outcomes;
  bool write_failed = false;
};

RunResults RunAllPlanned(const internal::RunPlan& plan, const CliOptions& options) {
  const RunOptions run_options{.seed = options.seed,
                               .keep_trace = !options.trace.empty() || !options.report.empty()};
  RunResults results;
  for (const internal::PlannedScenario& planned : plan.scenarios) {
    const std::size_t first = results.outcomes.size();
    for (Os os : planned.os) {
      Outcome outcome = options.schedules
                            ? internal::ExploreAndNote(*planned.scenario, os, *planned.factory,
                                                       *options.schedules, run_options,
                                                       internal::Replay::kCommandLine)
                            : Run(*planned.scenario, os, *planned.factory, run_options);
      const std::string trace = internal::TracePath(options, plan.runs(), outcome);
      if (!trace.empty()) {
        if (internal::WriteOutputFile(trace, outcome.trace_json, std::cerr)) {
          outcome.trace_path = trace;
        } else {
          results.write_failed = true;
        }
      }
      std::cout << FormatProgress(outcome) << std::flush;
      results.outcomes.push_back(std::move(outcome));
    }
    if (options.diff && results.outcomes.size() == first + 2) {
      std::cout << FormatDiff(results.outcomes[first], results.outcomes[first + 1]) << std::flush;
    }
  }
  return results;
}

bool WriteReports(const std::vector<Outcome>& outcomes, const CliOptions& options) {
  bool written = true;
  if (!options.report.empty()) {
    written &= internal::WriteOutputFile(
        options.report, FormatMatrixMarkdown(outcomes, internal::ReportLinkBase(options.report)),
        std::cerr);
  }
  if (!options.junit.empty()) {
    written &= internal::WriteOutputFile(options.junit, FormatJUnit(outcomes), std::cerr);
  }
  return written;
}

}  // namespace

int ScenarioMain(int argc, char** argv, const RunnerConfig& config) {
  const internal::ParsedCommandLine parsed =
      internal::ParseCommandLine(argc, argv, config, std::cout, std::cerr);
  if (parsed.exit_code) return *parsed.exit_code;
  const CliOptions& options = parsed.options;

  // Each file is checked against its driver's adapter as it is parsed, so a file with both
  // structural errors and unknown actions reports all of them at once. --list only reads them.
  internal::ScenarioCheck check;
  if (!options.list) {
    check = [&](const Scenario& scenario) {
      return internal::CheckDriver(scenario, options, config.adapters);
    };
  }
  std::vector<Scenario> scenarios;
  try {
    if (!options.paths.empty()) scenarios = internal::LoadScenarios(options.paths, check);
  } catch (const ScenarioError& error) {
    PrintDiagnostics(error.diagnostics());
    return internal::kExitUsage;
  }
  if (options.list) {
    std::cout << internal::FormatList(scenarios, options, config.adapters);
    return internal::kExitPassed;
  }
  const internal::RunPlan plan = internal::MakeRunPlan(scenarios, options, config.adapters);
  if (!plan.diagnostics.empty()) {
    PrintDiagnostics(plan.diagnostics);
    return internal::kExitUsage;
  }
  // An empty selection is a mistake (a wrong --os or path), not a green run.
  if (plan.runs() == 0) {
    std::cerr << "error: no scenario runs on the selected personalities\n";
    return internal::kExitUsage;
  }
  if (!OutputsWritable(plan, options)) return internal::kExitUsage;

  const RunResults results = RunAllPlanned(plan, options);
  std::cout << "\n" << FormatMatrixText(results.outcomes) << std::flush;
  const bool reports_written = WriteReports(results.outcomes, options);
  if (results.write_failed || !reports_written) return internal::kExitUsage;
  for (const Outcome& outcome : results.outcomes) {
    if (!outcome.passed()) return internal::kExitFailed;
  }
  return internal::kExitPassed;
}

}  // namespace kemu::scenario
