// kemu/scenario/runner.hpp — playing a scenario on one personality.
//
// Run() builds a Machine for the personality, adds the scenario's devices (hardware from the
// adapter, from `registers:`, or a plain RegisterFile), arms the faults, connects foreign devices,
// then performs the steps in order, checking each `expect:` as it comes and the final one at the
// end, and finally shuts the machine down (which bug-checks on anything the driver leaked). A bug
// check stops the steps; it fails the run unless an expectation names it. Harness errors
// (kemu::Error: a routine kemu does not model, a bad action argument) fail the run with their
// message; nothing escapes Run() but std::bad_alloc.
//
//   kemu::scenario::Outcome o = kemu::scenario::Run(scenario, kemu::Os::kWindowsXP, factory);
//   if (!o.passed()) std::cerr << o.failures[0].message;
#ifndef KEMU_SCENARIO_RUNNER_HPP_
#define KEMU_SCENARIO_RUNNER_HPP_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/os.hpp"
#include "kemu/scenario/driver_adapter.hpp"
#include "kemu/scenario/scenario.hpp"
#include "kemu/schedule.hpp"

namespace kemu::scenario {

struct RunOptions {
  /// Replaces the scenario's `machine: {seed:}` (the runner's --seed).
  std::optional<std::uint64_t> seed = std::nullopt;
  /// Replaces the scenario's `machine: {schedule:}` (what Explore() sets for each schedule).
  std::optional<ScheduleOptions> schedule = std::nullopt;
  /// Keep the machine's trace (Machine::TraceJson) in Outcome::trace_json.
  bool keep_trace = true;
  /// Write Outcome::observations. Off, the run behaves the same (the driver sees the same calls,
  /// in the same order) but formats no lines and reads no probes at the end: what a fuzzer that
  /// needs only the verdict saves.
  bool observe = true;
};

/// An expectation that did not hold, or another reason the run failed.
struct Failure {
  Location where;  ///< the expectation or step in the scenario file
  std::string message;
};

/// The bug check a run ended with.
struct CrashSummary {
  std::uint32_t code = 0;
  std::array<std::uint64_t, 4> parameters{};
  std::string name;    ///< "DRIVER_VERIFIER_DETECTED_VIOLATION", or ""
  std::string report;  ///< kemu::BugCheck::report()
};

/// What one scenario × personality run did.
struct Outcome {
  std::string scenario;
  /// Where the scenario is written (Scenario::where): JUnit reports name it as file and line.
  Location where;
  Os os = Os::kWindows10;
  std::uint64_t seed = 0;
  /// The schedule the run played under: the scenario's `machine: {schedule:}`, or
  /// RunOptions::schedule.
  ScheduleOptions schedule = {};
  /// Explore(): how many schedules were played, the last being `schedule` (the first that failed,
  /// when the run failed). 0 for a single Run().
  std::uint64_t schedules = 0;
  /// Emulated time the run took, in 100 ns units (Machine::InterruptTime() at the end; summed
  /// over the schedules Explore() played). Virtual, so a report is the same on every run.
  std::uint64_t virtual_time = 0;
  std::vector<Failure> failures;
  bool passed() const { return failures.empty(); }
  /// The message of the first exception other than a bug check that stopped the run (also among
  /// `failures`): a routine the personality lacks (kemu::MissingExport), one kemu does not model
  /// (kemu::NotModelled), another kemu::Error or an adapter's exception; "" when none did. An
  /// action argument the adapter refused (ScenarioError) and a failed expectation are failures
  /// only.
  std::string error;

  /// Steps performed (a bug check or harness error stops the rest).
  std::size_t steps_run = 0;
  /// The driver device's connection as last seen after a step (the version the driver connected
  /// with, and its counters), or nullopt when it never connected.
  std::optional<Connection> connection;
  /// Status of the last `start` step, if any.
  std::optional<std::int32_t> start_status;
  std::optional<CrashSummary> crash;

  /// The driver's observable behaviour, one line per event, for --diff: step results, register
  /// writes ("write nic0 mem 0x00c/4 = 0x00000007"), connections, counters and probe values at the
  /// end. Identical lines on two personalities mean the driver behaved the same.
  std::vector<std::string> observations;

  /// Machine::TraceJson() at the end (when RunOptions::keep_trace).
  std::string trace_json;
  /// Where the trace was written, if the caller wrote it (reports link failing cells to it).
  std::string trace_path;
};

/// Plays `scenario` on `os` with a fresh adapter from `factory`. Validates the scenario against
/// the adapter first (a Validate() diagnostic becomes a failure and nothing runs).
Outcome Run(const Scenario& scenario, Os os, const AdapterFactory& factory,
            const RunOptions& options = {});

/// The schedules Explore() plays: seeds `first` .. `first + count - 1` of `strategy` (with `depth`
/// for kPct).
struct Exploration {
  Strategy strategy = Strategy::kRandom;
  unsigned depth = 3;
  std::uint64_t first = 0;
  std::uint64_t count = 1;
};

/// Plays `scenario` on `os` once per schedule of `exploration`, in seed order, each a fresh Run()
/// with RunOptions::schedule set, and stops at the first run that fails. Returns that run's
/// Outcome (Outcome::schedule names the failing seed), else the last one's; Outcome::schedules
/// says how many were played. The caller says how to replay the failing seed (the runner prints
/// `--schedule <seed>`, RegisterTests `KEMU_SCHEDULE=<seed>`).
Outcome Explore(const Scenario& scenario, Os os, const AdapterFactory& factory,
                const Exploration& exploration, const RunOptions& options = {});

/// Runs `scenario` on every personality it names that is also in `only` (empty: no filter),
/// oldest first.
std::vector<Outcome> RunAll(const Scenario& scenario, const AdapterFactory& factory,
                            const std::vector<Os>& only = {}, const RunOptions& options = {});

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_RUNNER_HPP_
