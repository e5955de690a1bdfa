// kemu/fuzz.hpp — fuzzing a driver through its scenario adapter.
//
// A driver project that has a kemu::scenario::DriverAdapter gets a libFuzzer target from it with
// one source file and one CMake line. The fuzzer's bytes decode straight into a scenario (no YAML
// on the hot path): personality, machine (vCPUs, kernel mode, seeds), devices (line mode, sharing,
// MSI requests and grants, foreign neighbours), faults, and a bounded program of steps (the
// adapter's actions with fuzzed arguments, start and stop, device events at once or after N
// kernel calls, IRQL moves, DPC drains, processor switches, virtual time). Every byte string
// decodes to a valid scenario, and the same bytes always to the same one.
//
//   // my_fuzzer.cpp
//   #include "kemu/fuzz.hpp"
//   #include "my_adapter.hpp"
//   void kemu::fuzz::ConfigureFuzzer(kemu::fuzz::FuzzTarget& target) {
//     target.name = "mydriver";
//     target.factory = [] { return std::make_unique<MyAdapter>(); };
//     target.arguments = {{.action = "send", .parameter = "bytes", .min = 1, .max = 1514}};
//   }
//
//   # CMakeLists.txt
//   kemu_add_driver_fuzzer(my_fuzzer ADAPTER_SOURCES my_fuzzer.cpp LINK my_adapter)
//
// A bug check (kemu::BugCheck, kemu::DataRace included), a failed invariant, or a run that fails
// without a bug check (the driver calls a routine the personality lacks, kemu::MissingExport) is
// a finding: the fuzz entry point aborts, which libFuzzer reports as a crash. A bug check the
// target declares expected, a failed start, or an action argument the adapter refuses is not;
// after a failed
// start the adapter's requests (ActionInfo::needs_started) are not sent, as PnP sends none to a
// device that did not start, while its hardware actions still happen. Any input can be
// written out as a scenario file that the scenario runner plays with the same outcome
// (`--emit-scenario=<file>` or KEMU_FUZZ_EMIT=<file>), so a finding becomes a regression test.
#ifndef KEMU_FUZZ_HPP_
#define KEMU_FUZZ_HPP_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/os.hpp"
#include "kemu/scenario/driver_adapter.hpp"
#include "kemu/scenario/runner.hpp"
#include "kemu/scenario/scenario.hpp"

namespace kemu::fuzz {

/// The values the fuzzer gives one argument of one action (both ends included). Arguments with no
/// range get 0..15.
struct ArgumentRange {
  std::string action;
  std::string parameter;
  std::uint64_t min = 0;
  std::uint64_t max = 15;
};

/// What a driver's fuzz target is: the adapter and the bounds of the inputs it is given.
struct FuzzTarget {
  /// Names the target in reports and in emitted scenarios (`driver:`, scenario name).
  std::string name = "driver";
  /// Makes a fresh adapter for every input (kemu::scenario::AdapterFactory).
  scenario::AdapterFactory factory;
  /// Personalities an input may pick; empty: every personality. A driver that imports a routine
  /// a personality lacks fails there (a finding): list only the versions it is meant to load on.
  std::vector<Os> personalities;
  /// The driver device as the adapter expects it: name, BAR and ports. Its interrupt (line mode,
  /// sharing, vector, MSI request and grant) is fuzzed.
  DeviceConfig device = {.name = "dev0", .memory_bytes = 0x200};
  /// Up to this many foreign devices (kemu's built-in foreign ISR) share the driver's line or sit
  /// on their own; device events go to them.
  unsigned max_foreign_devices = 2;
  /// Device events (assert, deassert, pulse, message) may target the driver device itself. Off by
  /// default: a raw line event carries no cause in the driver's registers, so a level line stays
  /// asserted that no correct ISR can acknowledge, an interrupt storm the harness made.
  bool raw_events_on_driver_device = false;
  /// Routines faults may name (kemu::Machine::InjectFault's list).
  std::vector<std::string> fault_routines = {"IoConnectInterruptEx", "WdmlibIoConnectInterruptEx",
                                             "IoConnectInterrupt", "MmMapIoSpace",
                                             "ExAllocatePoolWithTag"};
  /// Argument values by action and parameter.
  std::vector<ArgumentRange> arguments;
  /// Steps a program has at most, besides the final lower_irql and stop the decoder appends.
  unsigned max_steps = 48;
  /// MachineOptions::storm_threshold of every input. Low, because a storm is found as surely at
  /// 10 re-deliveries as at 1000 and far sooner: on a shared level line with several vCPUs under
  /// an exploring schedule the cost of reaching the threshold grows steeply with it (0.06 s at 10,
  /// over a minute at 30 for one such input; docs/decisions.md "Fuzz inputs are scenarios").
  unsigned storm_threshold = 10;
  /// Bug checks that are not findings (e.g. one the adapter provokes on purpose); nullptr: none.
  std::function<bool(const scenario::CrashSummary&)> expected_crash;
  /// Checked after every start, stop and action that returned: a non-empty string is a failed
  /// invariant, a finding. nullptr: no invariant.
  std::function<std::string(scenario::DriverAdapter& adapter, Device& device)> invariant;
};

/// A driver project defines this (one per fuzz program); kemu::fuzz_main's entry points call it
/// once, before the first input.
void ConfigureFuzzer(FuzzTarget& target);

/// The scenario `data` encodes for `target`: one personality in `os`, at most
/// target.max_steps + 2 steps, every action and argument one the adapter offers. Total and
/// deterministic: any bytes give a valid scenario, the same bytes the same scenario.
scenario::Scenario Decode(const FuzzTarget& target, std::span<const std::uint8_t> data);

/// The target's adapter's actions (from a throwaway adapter). Decode(target, data) asks for them
/// every time; a loop over many inputs looks them up once and passes them here.
std::vector<scenario::ActionInfo> TargetActions(const FuzzTarget& target);
scenario::Scenario Decode(const FuzzTarget& target,
                          const std::vector<scenario::ActionInfo>& actions,
                          std::span<const std::uint8_t> data);

/// What one input did.
struct Verdict {
  scenario::Outcome outcome;
  /// A finding: an unexpected bug check, a failed invariant, or a run that failed without a bug
  /// check once the driver was loaded (not for an action argument the adapter refused).
  bool finding = false;
  /// Why it is one ("bug check 0xC4/0x... DRIVER_VERIFIER_DETECTED_VIOLATION", "invariant failed
  /// after <step>: ...", "the run failed without a bug check: <the failure>"), or "".
  std::string reason;
  /// What each `start` step of the driver device returned, in order (EmitScenario writes them
  /// into the steps, so the emitted file expects the statuses the fuzz run saw).
  std::vector<std::int32_t> start_statuses;
};

/// How much of a run Run() writes down. Either way the driver sees the same calls in the same
/// order, so the verdict is the same.
enum class Detail {
  /// Outcome::observations as the scenario runner writes them (what a test compares).
  kObservations,
  /// Only what the verdict needs: the bug check, the steps run, the start statuses (what
  /// TestOneInput() uses; EmitScenario() needs no more).
  kVerdict,
};

/// Plays `scenario` (from Decode, or parsed from an emitted file) with the target's adapter,
/// checking its invariant, and judges the outcome.
Verdict Run(const FuzzTarget& target, const scenario::Scenario& scenario,
            Detail detail = Detail::kObservations);

/// The scenario as a YAML file the scenario parser reads back into the same steps. With
/// `verdict` (what Run() made of it), a comment says what the run did, each `start` step names
/// the status it returned, and the final `expect:` names the run's bug check (or
/// `bugcheck: none`): the file passes while it reproduces the run, so a finding becomes a
/// regression test; change the bug check to `none` once the driver is fixed. A run that failed
/// without a bug check fails the runner with the same message until the driver is fixed.
std::string EmitScenario(const scenario::Scenario& scenario, const Verdict* verdict = nullptr);

/// The libFuzzer entry point's work: decode, run, write the scenario to `emit_path` when it is not
/// empty, and abort on a finding after printing its reason, the bug check report and the scenario.
/// kemu::fuzz_main's LLVMFuzzerTestOneInput calls it with the program's target, and with the
/// path from --emit-scenario=<file> or KEMU_FUZZ_EMIT=<file>.
int TestOneInput(const FuzzTarget& target, const std::uint8_t* data, std::size_t size,
                 const std::string& emit_path = "");

/// The inputs of a corpus directory (its regular files, not recursively), in path order, for
/// tests and benchmarks that replay a corpus in-process. Throws kemu::Error when `directory`
/// cannot be read.
std::vector<std::vector<std::uint8_t>> ReadCorpus(const std::string& directory);

}  // namespace kemu::fuzz

#endif  // KEMU_FUZZ_HPP_
