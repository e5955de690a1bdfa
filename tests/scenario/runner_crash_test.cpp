// Bug checks and harness errors in the runner: expected and unexpected crashes, crashes expected
// but absent, leaks found at shutdown, and kemu::Error / ScenarioError thrown by a step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kemu/bugcheck.hpp"
#include "kemu/scenario/runner.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

Expectations Crash(std::uint32_t code, std::optional<std::uint64_t> parameter1, int line) {
  Expectations e;
  e.bugcheck =
      Want(BugCheckExpectation{.none = false, .code = code, .parameter1 = parameter1}, line);
  return e;
}

Expectations NoCrash(int line) {
  Expectations e;
  e.bugcheck = Want(BugCheckExpectation{.none = true, .code = 0, .parameter1 = std::nullopt}, line);
  return e;
}

// The driver never acknowledges, so a raise storms the level line (0xF2) after four deliveries.
Scenario Storm() {
  Scenario s = Base({Start(10), Raise(11, kIntStatus, 1), Stop(12)});
  s.machine.storm_threshold = 4;
  return s;
}

TEST(RunnerCrashTest, AnExpectedBugCheckPasses) {
  Scenario s = Storm();
  s.expect = Block(19, Crash(bugcheck::kHardwareInterruptStorm, std::nullopt, 20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory({.acknowledge = false}));
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.steps_run, 2u);  // the crash stops the steps: no `stop`
  ASSERT_TRUE(o.crash.has_value());
  EXPECT_EQ(o.crash->code, bugcheck::kHardwareInterruptStorm);
  EXPECT_EQ(o.crash->name, "HARDWARE_INTERRUPT_STORM");
  EXPECT_FALSE(o.crash->report.empty());
  ASSERT_TRUE(o.connection.has_value());  // counters as they were when the machine crashed
  EXPECT_GE(o.connection->isr_calls, 4u);
  EXPECT_EQ(o.connection->isr_claimed, o.connection->isr_calls);
  EXPECT_THAT(o.observations, Contains("bugcheck 0xF2 HARDWARE_INTERRUPT_STORM"));
  EXPECT_THAT(o.observations, Not(Contains("stop nic0")));
  // The trace ends with the crash.
  EXPECT_NE(o.trace_json.rfind("HARDWARE_INTERRUPT_STORM"), std::string::npos);
}

TEST(RunnerCrashTest, AnUnexpectedBugCheckFailsAtTheStepThatCrashed) {
  const Outcome o = Play(Storm(), Os::kWindows10, TestFactory({.acknowledge = false}));
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(FormatLocation(o.failures[0].where), "runner_test.yaml:11:3");
  EXPECT_THAT(o.failures[0].message,
              StartsWith("unexpected bug check 0xF2 HARDWARE_INTERRUPT_STORM (0x"));
}

TEST(RunnerCrashTest, BugCheckNoneFailsWhenTheMachineCrashed) {
  Scenario s = Storm();
  s.expect = Block(19, NoCrash(20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory({.acknowledge = false}));
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(FormatLocation(o.failures[0].where), "runner_test.yaml:20:5");
  EXPECT_THAT(o.failures[0].message,
              StartsWith("bugcheck: expected none, got 0xF2 HARDWARE_INTERRUPT_STORM/0x"));
}

TEST(RunnerCrashTest, AnotherBugCheckThanTheExpectedOneFails) {
  Scenario s = Storm();
  s.expect = Block(19, Crash(bugcheck::kDriverVerifierDetectedViolation, 0x42, 20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory({.acknowledge = false}));
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_THAT(o.failures[0].message,
              StartsWith("bugcheck: expected 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION/0x42, got "
                         "0xF2 HARDWARE_INTERRUPT_STORM/0x"));
}

TEST(RunnerCrashTest, AnExpectedBugCheckThatDoesNotHappenFails) {
  Scenario s = Storm();
  s.expect = Block(19, Crash(bugcheck::kHardwareInterruptStorm, std::nullopt, 20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), ElementsAre("runner_test.yaml:20:5: bugcheck: expected 0xF2 "
                                       "HARDWARE_INTERRUPT_STORM, but the machine did not crash"));
  EXPECT_FALSE(o.crash.has_value());
  EXPECT_EQ(o.steps_run, 3u);
}

TEST(RunnerCrashTest, AStepExpectationSeesNoCrashYet) {
  const Scenario s =
      Base({Start(10), Expect(11, NoCrash(11)),
            Expect(12, Crash(bugcheck::kHardwareInterruptStorm, std::nullopt, 12)), Stop(13)});
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:12:5: bugcheck: expected 0xF2 "
                          "HARDWARE_INTERRUPT_STORM, but the machine did not crash"));
}

TEST(RunnerCrashTest, ALeakAtShutdownIsACrash) {
  const Scenario s = Base({Start(10)});  // no `stop`: the ISR stays connected, the BAR mapped
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  ASSERT_TRUE(o.crash.has_value());
  EXPECT_EQ(o.crash->code, bugcheck::kDriverVerifierDetectedViolation);
  EXPECT_EQ(o.crash->parameters[0], verifier_code::kLeakAtShutdown);
  EXPECT_THAT(Messages(o),
              ElementsAre(StartsWith("runner_test.yaml:1:1: unexpected bug check 0xC4 "
                                     "DRIVER_VERIFIER_DETECTED_VIOLATION (0x4B450003, ")));
  EXPECT_THAT(o.observations,
              ElementsAre("write nic0 mem 0x004/4 = 0x00000001", "start nic0 -> STATUS_SUCCESS",
                          "connect nic0 CONNECT_LINE_BASED messages=0",
                          "bugcheck 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION/0x4B450003",
                          "counters nic0 isr_calls=0 isr_claimed=0 dpcs_requested=0",
                          "probe dpc_runs = 0", "probe isr_claims = 0", "probe last_read = -1"));
}

TEST(RunnerCrashTest, AnExpectedLeakPasses) {
  Scenario s = Base({Start(10), Stop(11), Action(12, "leak")});
  s.expect = Block(
      19, Crash(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kLeakAtShutdown, 20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_NE(o.crash->report.find("IRQL 2"), std::string::npos) << o.crash->report;
}

TEST(RunnerCrashTest, ABugCheckFromAnIrqlStepCanBeExpected) {
  Scenario s = Base({MakeStep(10, "raise_irql", IrqlStep{.raise = true, .irql = DISPATCH_LEVEL}),
                     MakeStep(11, "lower_irql", IrqlStep{.raise = false, .irql = HIGH_LEVEL})});
  s.expect = Block(
      19, Crash(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kLowerIrqlInvalid, 20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.steps_run, 2u);
}

// `nmi`: the test driver registers no NMI callback, so the HAL's default handler stops the
// machine, and a scenario expects it by name.
TEST(RunnerCrashTest, AnNmiNoDriverClaimsIsNmiHardwareFailure) {
  Scenario s = Base({Start(10), MakeStep(11, "nmi", NmiStep{}), Stop(12)});
  s.expect = Block(19, Crash(bugcheck::kNmiHardwareFailure, 0, 20));
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.steps_run, 2u);
  ASSERT_TRUE(o.crash.has_value());
  EXPECT_EQ(o.crash->name, "NMI_HARDWARE_FAILURE");
  EXPECT_THAT(o.observations, Contains("bugcheck 0x80 NMI_HARDWARE_FAILURE"));
}

// A kemu::Error ends the steps with a failure where the step is; the final `expect:` is not
// checked (the run already failed and its state is arbitrary), and the leaks shutdown finds are
// recorded as the crash without failing twice.
TEST(RunnerCrashTest, AHarnessErrorInAnActionFailsAtTheStep) {
  Scenario s = Base({Start(10), Action(11, "read", {{"offset", "0x20"}}), Stop(12)});
  s.devices[0].registers->size = 0x10;  // smaller than the 0x40-byte BAR
  Expectations e;
  e.isr_calls = Want<std::uint64_t>(99, 20);
  s.expect = Block(19, e);
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o),
              ElementsAre("runner_test.yaml:11:3: kemu: a 4-byte access at offset 0x20 is outside "
                          "this 0x10-byte RegisterFile; make it as large as the device's BAR and "
                          "port range"));
  // Outcome::error names it: what the fuzz kit judges a finding by.
  EXPECT_EQ(o.error,
            "kemu: a 4-byte access at offset 0x20 is outside this 0x10-byte RegisterFile; make it "
            "as large as the device's BAR and port range");
  EXPECT_EQ(o.steps_run, 2u);
  // The stop step never ran, so the connected interrupt is the harness's doing, not a leak the
  // run reports as the driver's bug check.
  EXPECT_FALSE(o.crash.has_value());
}

// A harness error met above PASSIVE_LEVEL (a driver call cut short, a raise_irql step) leaves the
// vCPU there; kemu's foreign driver is not disconnected then, or its IoDisconnectInterrupt at
// DISPATCH_LEVEL would add a 0xA that neither the driver nor Windows caused (audit round 20, D3).
TEST(RunnerCrashTest, AHarnessErrorAbovePassiveLevelIsReportedAloneBesideAForeignDevice) {
  Scenario s =
      Base({Start(10), MakeStep(11, "raise_irql", IrqlStep{.raise = true, .irql = DISPATCH_LEVEL}),
            Action(12, "read", {{"offset", "0x20"}}), Stop(13)});
  s.devices[0].registers->size = 0x10;  // smaller than the 0x40-byte BAR
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(FormatLocation(o.failures[0].where), "runner_test.yaml:12:3");
  EXPECT_FALSE(o.crash.has_value()) << o.crash->name;
}

TEST(RunnerCrashTest, ABadActionArgumentFailsAtTheStep) {
  const Scenario s = Base({Start(10), Action(11, "ring", {{"value", "seven"}}), Stop(12)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), ElementsAre("runner_test.yaml:11:3: argument 'value' must be an "
                                       "unsigned number, got 'seven'"));
  EXPECT_EQ(o.error, "");  // a refused argument is a failure, not an error
  EXPECT_EQ(o.steps_run, 2u);
}

TEST(RunnerCrashTest, AProcessorOutOfRangeIsAHarnessError) {
  const Scenario s = Base({MakeStep(10, "processor", ProcessorStep{.processor = 3})});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(FormatLocation(o.failures[0].where), "runner_test.yaml:10:3");
  EXPECT_FALSE(o.crash.has_value());
}

TEST(RunnerCrashTest, ABadMachineIsAFailureNotAnException) {
  Scenario s = Base({Start(10)});
  s.machine.processors = 65;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(FormatLocation(o.failures[0].where), "runner_test.yaml:1:1");
  EXPECT_EQ(o.steps_run, 0u);
}

TEST(RunnerCrashTest, AMissingAdapterIsAFailure) {
  const Scenario s = Base({});
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, AdapterFactory())),
              ElementsAre("runner_test.yaml:1:1: no driver adapter to run the scenario with"));
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, [] { return std::unique_ptr<DriverAdapter>(); })),
              ElementsAre("runner_test.yaml:1:1: the driver adapter factory returned no adapter"));
}

}  // namespace
}  // namespace kemu::scenario::test
