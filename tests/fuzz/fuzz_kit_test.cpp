// kemu::fuzz (include/kemu/fuzz.hpp) against the runner tests' small adapter
// (tests/scenario/test_driver.hpp): every byte string decodes to a valid, bounded scenario, the
// same one every time; the emitted YAML reads back to the same scenario and replays to the same
// outcome; bug checks and failed invariants are findings, declared ones are not.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/fuzz.hpp"
#include "kemu/scenario/parser.hpp"
#include "test_driver.hpp"

namespace kemu::fuzz {
namespace {

using scenario::test::TestDriverOptions;
using scenario::test::TestFactory;

FuzzTarget TestTarget(TestDriverOptions options = {.own_hardware = true}) {
  FuzzTarget target;
  target.name = "test_driver";
  target.factory = TestFactory(options);
  target.device = {.name = "dev0", .memory_bytes = scenario::test::kBarBytes};
  target.raw_events_on_driver_device = true;
  return target;
}

// Seeded, so every run of the suite decodes the same inputs.
std::vector<std::vector<std::uint8_t>> Inputs(std::size_t count, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<std::vector<std::uint8_t>> inputs;
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<std::uint8_t> bytes(random() % 200);
    for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

unsigned StartsMinusStops(const scenario::Scenario& s) {
  int open = 0;
  for (const scenario::Step& step : s.steps) {
    if (std::holds_alternative<scenario::StartStep>(step.body)) ++open;
    if (std::holds_alternative<scenario::StopStep>(step.body)) --open;
    EXPECT_GE(open, 0) << "a stop before its start";
    EXPECT_LE(open, 1) << "a second start without a stop";
  }
  return static_cast<unsigned>(open);
}

TEST(FuzzDecodeTest, TheEmptyInputIsTheSmallestScenario) {
  const FuzzTarget target = TestTarget();
  const scenario::Scenario s = Decode(target, {});
  ASSERT_EQ(s.os.size(), 1u);
  EXPECT_EQ(s.os[0], AllOs()[0]);
  EXPECT_EQ(s.name, "test_driver_fuzz");
  EXPECT_EQ(s.driver, "test_driver");
  EXPECT_EQ(s.machine.processors, 1u);
  EXPECT_TRUE(s.machine.verifier);
  EXPECT_EQ(s.machine.seed, 0u);
  EXPECT_EQ(s.machine.storm_threshold, 10u);
  EXPECT_EQ(s.machine.schedule.strategy, Strategy::kDefault);
  ASSERT_EQ(s.devices.size(), 1u);
  EXPECT_EQ(s.devices[0].config.name, "dev0");
  EXPECT_EQ(s.devices[0].config.memory_bytes, scenario::test::kBarBytes);
  EXPECT_FALSE(s.devices[0].config.line.has_value());  // byte 0: no line
  EXPECT_EQ(s.devices[0].config.messages, 0u);
  EXPECT_TRUE(s.faults.empty());
  EXPECT_TRUE(s.steps.empty());
}

TEST(FuzzDecodeTest, EveryInputDecodesToAValidBoundedProgram) {
  const FuzzTarget target = TestTarget();
  const std::unique_ptr<scenario::DriverAdapter> adapter = target.factory();
  for (const std::vector<std::uint8_t>& input : Inputs(2000, 1)) {
    const scenario::Scenario s = Decode(target, input);
    ASSERT_EQ(s.os.size(), 1u);
    EXPECT_GE(s.machine.processors, 1u);
    EXPECT_LE(s.machine.processors, 4u);
    EXPECT_LE(s.devices.size(), 1u + target.max_foreign_devices);
    EXPECT_LE(s.faults.size(), 3u);
    EXPECT_LE(s.steps.size(), target.max_steps + 2u);
    EXPECT_TRUE(scenario::Validate(s, *adapter).empty());
    EXPECT_EQ(StartsMinusStops(s), 0u) << "the program ends with the driver stopped";
    int irql = 0;
    for (const scenario::Step& step : s.steps) {
      if (const auto* move = std::get_if<scenario::IrqlStep>(&step.body)) {
        EXPECT_TRUE(move->raise ? move->irql > irql : move->irql < irql);
        irql = move->irql;
      } else if (std::holds_alternative<scenario::StartStep>(step.body) ||
                 std::holds_alternative<scenario::StopStep>(step.body) ||
                 std::holds_alternative<scenario::ActionStep>(step.body)) {
        EXPECT_EQ(irql, PASSIVE_LEVEL) << "driver calls run at PASSIVE_LEVEL";
      }
    }
    EXPECT_EQ(irql, PASSIVE_LEVEL) << "the program ends at PASSIVE_LEVEL";
  }
}

TEST(FuzzDecodeTest, TheSameBytesGiveTheSameScenario) {
  const FuzzTarget target = TestTarget();
  for (const std::vector<std::uint8_t>& input : Inputs(200, 2)) {
    EXPECT_EQ(EmitScenario(Decode(target, input)), EmitScenario(Decode(target, input)));
  }
}

TEST(FuzzDecodeTest, AnInputLongerThanTheProgramNeedsIgnoresTheRest) {
  const FuzzTarget target = TestTarget();
  std::vector<std::uint8_t> input = Inputs(1, 3).front();
  input.resize(4096, 0x5A);  // every decision is made long before the end
  const std::string first = EmitScenario(Decode(target, input));
  input.back() = 0xA5;
  EXPECT_EQ(EmitScenario(Decode(target, input)), first);
}

TEST(FuzzEmitTest, TheEmittedScenarioParsesBackToTheSameScenario) {
  const FuzzTarget target = TestTarget();
  for (const std::vector<std::uint8_t>& input : Inputs(300, 4)) {
    const std::string yaml = EmitScenario(Decode(target, input));
    scenario::Scenario parsed;
    ASSERT_NO_THROW(parsed = scenario::ParseScenario(yaml, "emitted.yaml")) << yaml;
    EXPECT_EQ(EmitScenario(parsed), yaml);
  }
}

TEST(FuzzEmitTest, BusyAndReleaseStepsParseBack) {
  // The decoder makes neither step, but a scenario built by hand and written out must read back.
  scenario::Scenario s = Decode(TestTarget(), {});
  s.machine.processors = 2;
  s.steps = {
      {{}, "busy_processor", scenario::BusyProcessorStep{.processor = 1, .irql = HIGH_LEVEL}},
      {{}, "release_processor", scenario::ReleaseProcessorStep{.processor = 1}},
  };
  const std::string yaml = EmitScenario(s);
  EXPECT_NE(yaml.find("  - busy_processor: {processor: 1, irql: 15}\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  - release_processor: 1\n"), std::string::npos) << yaml;
  scenario::Scenario parsed;
  ASSERT_NO_THROW(parsed = scenario::ParseScenario(yaml, "emitted.yaml")) << yaml;
  EXPECT_EQ(EmitScenario(parsed), yaml);
}

// Item 2 of the kit: a finding becomes a scenario that the runner plays the same way, step for
// step, down to the bug check's code.
TEST(FuzzEmitTest, TheEmittedScenarioReproducesTheOutcomeUnderTheRunner) {
  const FuzzTarget target = TestTarget({.acknowledge = false, .own_hardware = true});
  std::size_t crashes = 0;
  for (const std::vector<std::uint8_t>& input : Inputs(400, 5)) {
    const scenario::Scenario decoded = Decode(target, input);
    const Verdict fuzzed = kemu::fuzz::Run(target, decoded);
    const std::string yaml = EmitScenario(decoded, &fuzzed);
    const scenario::Scenario parsed = scenario::ParseScenario(yaml, "emitted.yaml");
    const scenario::Outcome replayed =
        scenario::Run(parsed, parsed.os.front(), target.factory, {.keep_trace = false});
    ASSERT_EQ(replayed.crash.has_value(), fuzzed.outcome.crash.has_value()) << yaml;
    if (replayed.crash) {
      ++crashes;
      EXPECT_EQ(replayed.crash->code, fuzzed.outcome.crash->code) << yaml;
      if (replayed.crash->code == bugcheck::kDriverVerifierDetectedViolation) {
        EXPECT_EQ(replayed.crash->parameters[0], fuzzed.outcome.crash->parameters[0]) << yaml;
      }
    }
    // The start statuses and the final bug check are written in, so the file passes while it
    // reproduces the run.
    EXPECT_TRUE(replayed.passed()) << yaml << replayed.failures.front().message;
    EXPECT_EQ(replayed.steps_run, fuzzed.outcome.steps_run) << yaml;
    EXPECT_EQ(replayed.observations, fuzzed.outcome.observations) << yaml;
  }
  // The corpus must hold bug checks for the check to mean anything.
  EXPECT_GE(crashes, 20u);
}

// An input whose program starts the driver and asserts its level line with no cause latched:
// the ISR never claims, so the line storms.
std::vector<std::uint8_t> StormInput(const FuzzTarget& target) {
  for (const std::vector<std::uint8_t>& input : Inputs(2000, 6)) {
    const Verdict verdict = kemu::fuzz::Run(target, Decode(target, input));
    if (verdict.outcome.crash && verdict.outcome.crash->code == bugcheck::kHardwareInterruptStorm) {
      return input;
    }
  }
  return {};
}

TEST(FuzzVerdictTest, AnUnexpectedBugCheckIsAFinding) {
  const FuzzTarget target = TestTarget();
  const std::vector<std::uint8_t> input = StormInput(target);
  ASSERT_FALSE(input.empty());
  const Verdict verdict = kemu::fuzz::Run(target, Decode(target, input));
  EXPECT_TRUE(verdict.finding);
  EXPECT_EQ(verdict.reason, "bug check 0xF2 HARDWARE_INTERRUPT_STORM");
}

TEST(FuzzVerdictTest, ABugCheckTheTargetExpectsIsNoFinding) {
  FuzzTarget target = TestTarget();
  const std::vector<std::uint8_t> input = StormInput(target);
  ASSERT_FALSE(input.empty());
  target.expected_crash = [](const scenario::CrashSummary& crash) {
    return crash.code == bugcheck::kHardwareInterruptStorm;
  };
  const Verdict verdict = kemu::fuzz::Run(target, Decode(target, input));
  ASSERT_TRUE(verdict.outcome.crash.has_value());
  EXPECT_FALSE(verdict.finding);
  EXPECT_EQ(verdict.reason, "");
}

// start, queue_dpc, run_dpcs, stop on win10: the same program a decoded input could be.
scenario::Scenario StartQueueDpcStop(const FuzzTarget& target) {
  scenario::Scenario s = Decode(target, {});
  s.os = {Os::kWindows10};
  s.devices[0].config.line = LineInterrupt{.vector = 0x51, .irql = 5};
  s.steps = {
      {{}, "start", scenario::StartStep{}},
      {{}, "queue_dpc", scenario::ActionStep{.name = "queue_dpc", .device = "", .args = {}}},
      {{}, "run_dpcs", scenario::RunDpcsStep{}},
      {{}, "stop", scenario::StopStep{}},
  };
  return s;
}

TEST(FuzzVerdictTest, AFailedInvariantIsAFindingAndStopsTheRun) {
  FuzzTarget target = TestTarget();
  target.invariant = [](scenario::DriverAdapter& adapter, Device& device) -> std::string {
    return adapter.Probe("dpc_runs", device) > 0 ? "a DPC ran" : "";
  };
  const Verdict verdict = kemu::fuzz::Run(target, StartQueueDpcStop(target));
  EXPECT_TRUE(verdict.finding);
  // Queued at PASSIVE_LEVEL, the DPC runs at once; the check after the action sees it and stops
  // the program there (Shutdown then finds the driver still started: the invariant stays the
  // reason).
  EXPECT_EQ(verdict.reason, "invariant failed after queue_dpc: a DPC ran");
  EXPECT_EQ(verdict.outcome.steps_run, 2u);
}

// Detail::kVerdict is what TestOneInput runs: no observation lines, the same run. Everything the
// verdict holds must match the full run's, crashes included, on the buggy build too.
TEST(FuzzVerdictTest, AVerdictOnlyRunJudgesEveryInputAsTheFullRunDoes) {
  std::size_t crashes = 0;
  for (const TestDriverOptions options :
       {TestDriverOptions{.own_hardware = true},
        TestDriverOptions{.acknowledge = false, .own_hardware = true}}) {
    const FuzzTarget target = TestTarget(options);
    for (const std::vector<std::uint8_t>& input : Inputs(300, 7)) {
      const scenario::Scenario decoded = Decode(target, input);
      const Verdict full = kemu::fuzz::Run(target, decoded, Detail::kObservations);
      const Verdict quick = kemu::fuzz::Run(target, decoded, Detail::kVerdict);
      EXPECT_TRUE(quick.outcome.observations.empty());
      EXPECT_EQ(quick.finding, full.finding);
      EXPECT_EQ(quick.reason, full.reason);
      EXPECT_EQ(quick.start_statuses, full.start_statuses);
      EXPECT_EQ(quick.outcome.steps_run, full.outcome.steps_run);
      EXPECT_EQ(quick.outcome.virtual_time, full.outcome.virtual_time);
      ASSERT_EQ(quick.outcome.crash.has_value(), full.outcome.crash.has_value());
      if (full.outcome.crash) {
        ++crashes;
        EXPECT_EQ(quick.outcome.crash->code, full.outcome.crash->code);
        // Parameter 1 is the verifier's sub-code for 0xC4; elsewhere it may be a host address.
        EXPECT_EQ(quick.outcome.crash->parameters[0], full.outcome.crash->parameters[0]);
      }
      // What EmitScenario needs is in the verdict either way.
      EXPECT_EQ(EmitScenario(decoded, &quick), EmitScenario(decoded, &full));
    }
  }
  EXPECT_GE(crashes, 20u);  // the comparison covers bug checks
}

TEST(FuzzVerdictTest, ACleanRunIsNoFindingAndRecordsTheStartStatus) {
  const FuzzTarget target = TestTarget();
  const Verdict verdict = kemu::fuzz::Run(target, StartQueueDpcStop(target));
  EXPECT_FALSE(verdict.finding);
  EXPECT_TRUE(verdict.outcome.passed());
  EXPECT_EQ(verdict.start_statuses, std::vector<std::int32_t>{STATUS_SUCCESS});
}

TEST(FuzzVerdictTest, AFailedStartIsNoFindingAndTheEmittedFileExpectsItsStatus) {
  const FuzzTarget target = TestTarget();
  scenario::Scenario s = StartQueueDpcStop(target);
  s.steps.erase(s.steps.begin() + 1, s.steps.begin() + 3);  // start, stop
  s.faults.push_back({{},
                      {.routine = "WdmlibIoConnectInterruptEx",
                       .status = STATUS_INSUFFICIENT_RESOURCES,
                       .count = 0}});
  const Verdict verdict = kemu::fuzz::Run(target, s);
  EXPECT_FALSE(verdict.finding);
  EXPECT_FALSE(verdict.outcome.crash.has_value());
  EXPECT_EQ(verdict.start_statuses, std::vector<std::int32_t>{STATUS_INSUFFICIENT_RESOURCES});
  const std::string yaml = EmitScenario(s, &verdict);
  EXPECT_NE(yaml.find("  - start: {status: 0xC000009A}\n"), std::string::npos) << yaml;
  const scenario::Scenario parsed = scenario::ParseScenario(yaml, "emitted.yaml");
  EXPECT_TRUE(scenario::Run(parsed, Os::kWindows10, target.factory).passed()) << yaml;
}

// A driver that calls a routine a personality the target explores lacks would not load there:
// the fuzz run is a finding (it was dropped: only bug checks and invariants counted), and the
// emitted file fails under the scenario runner with the same message, at the same step.
TEST(FuzzVerdictTest, ARoutineThePersonalityLacksIsAFindingAndTheEmittedFileFailsTheSameWay) {
  const FuzzTarget target = TestTarget({.own_hardware = true, .flush_at_stop = true});
  scenario::Scenario s = StartQueueDpcStop(target);
  s.os = {Os::kWindows2000};
  const Verdict verdict = kemu::fuzz::Run(target, s);
  const std::string missing =
      "KeFlushQueuedDpcs is not available on Windows 2000: a driver that imports it would not "
      "load there. Resolve it with MmGetSystemRoutineAddress and handle NULL, or run a newer "
      "personality.";
  EXPECT_TRUE(verdict.finding);
  EXPECT_EQ(verdict.reason, "the run failed without a bug check: " + missing);
  EXPECT_FALSE(verdict.outcome.crash.has_value());
  EXPECT_EQ(verdict.outcome.steps_run, 4u);
  const std::string yaml = EmitScenario(s, &verdict);
  EXPECT_NE(yaml.find("# The fuzz run failed after 4 step(s) without a bug check.\n# Finding: "
                      "the run failed without a bug check: KeFlushQueuedDpcs is not available"),
            std::string::npos)
      << yaml;
  const scenario::Scenario parsed = scenario::ParseScenario(yaml, "emitted.yaml");
  const scenario::Outcome replayed = scenario::Run(parsed, Os::kWindows2000, target.factory);
  ASSERT_EQ(replayed.failures.size(), 1u) << yaml;
  EXPECT_EQ(replayed.failures[0].message, missing);
  EXPECT_EQ(replayed.steps_run, verdict.outcome.steps_run);
  EXPECT_FALSE(replayed.crash.has_value());
}

// The fuzzer chose an argument the adapter refuses (a target whose ranges are wider than the
// adapter's): the harness's mistake, not the driver's.
TEST(FuzzVerdictTest, AnArgumentTheAdapterRefusesIsNoFinding) {
  const FuzzTarget target = TestTarget();
  scenario::Scenario s = StartQueueDpcStop(target);
  s.steps[1] = {
      {},
      "ring",
      scenario::ActionStep{
          .name = "ring", .device = "", .args = scenario::ActionArgs({}, {{"value", "x"}})}};
  const Verdict verdict = kemu::fuzz::Run(target, s);
  EXPECT_FALSE(verdict.outcome.passed());
  EXPECT_FALSE(verdict.finding);
  EXPECT_EQ(verdict.reason, "");
}

// An adapter that counts its Load() calls (DriverEntry, in a real one).
class LoadCountingAdapter : public scenario::test::TestAdapter {
 public:
  explicit LoadCountingAdapter(std::shared_ptr<int> loads)
      : TestAdapter({.own_hardware = true}), loads_(std::move(loads)) {}
  void Load(PUNICODE_STRING registry_path) override {
    (void)registry_path;
    ++*loads_;
  }

 private:
  std::shared_ptr<int> loads_;
};

// The fuzz run loads the driver as the scenario runner does (its DriverEntry was never called:
// the checking adapter did not pass Load() on).
TEST(FuzzVerdictTest, TheFuzzRunLoadsTheDriverOnce) {
  FuzzTarget target = TestTarget();
  auto loads = std::make_shared<int>(0);
  target.factory = [loads] { return std::make_unique<LoadCountingAdapter>(loads); };
  const Verdict verdict = kemu::fuzz::Run(target, StartQueueDpcStop(target));
  EXPECT_FALSE(verdict.finding);
  EXPECT_EQ(*loads, 1);
}

}  // namespace
}  // namespace kemu::fuzz
