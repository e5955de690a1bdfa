// The runner (emu/scenario/run/run.cpp, session.cpp): setup, validation, starting and connecting,
// per-personality expectations, observations and RunAll's filter, with the small test driver of
// test_driver.hpp. Steps are in runner_steps_test.cpp, crashes and errors in
// runner_crash_test.cpp.
#include "kemu/scenario/runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kemu/testing/ntstatus.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RunnerTest, StartAndStopConnectWithTheBestVersionOnEveryPersonality) {
  Scenario s = Base({Start(10), Stop(11)});
  s.devices = {Nic(4)};
  s.os.assign(AllOs().begin(), AllOs().end());
  Expectations all;
  all.connect_version = Want<std::uint32_t>(CONNECT_MESSAGE_BASED, 20);
  all.message_count = Want<std::uint32_t>(4, 21);
  Expectations old;
  old.connect_version = Want<std::uint32_t>(CONNECT_FULLY_SPECIFIED, 23);
  old.message_count = Want<std::uint32_t>(0, 24);
  s.expect = Block(19, all);
  s.expect->per_os.push_back({{Os::kWindows2000, Os::kWindowsXP, Os::kWindowsServer2003}, old});
  const std::vector<Outcome> outcomes = RunAll(s, TestFactory());
  ASSERT_EQ(outcomes.size(), 9u);
  for (const Outcome& o : outcomes) {
    SCOPED_TRACE(OsName(o.os));
    EXPECT_THAT(Messages(o), IsEmpty());
    EXPECT_EQ(o.scenario, "runner_test");
    EXPECT_EQ(o.seed, 7u);
    EXPECT_EQ(o.steps_run, 2u);
    ASSERT_TRUE(o.connection.has_value());  // the snapshot survives `stop`
    EXPECT_EQ(o.start_status, STATUS_SUCCESS);
    EXPECT_FALSE(o.crash.has_value());
  }
  EXPECT_EQ(outcomes[0].os, Os::kWindows2000);
  EXPECT_EQ(outcomes[0].connection->version, CONNECT_FULLY_SPECIFIED);
  EXPECT_EQ(outcomes[8].os, Os::kWindows11);
  EXPECT_EQ(outcomes[8].connection->version, CONNECT_MESSAGE_BASED);
  EXPECT_THAT(outcomes[8].observations,
              ElementsAre("write nic0 mem 0x004/4 = 0x00000001", "start nic0 -> STATUS_SUCCESS",
                          "connect nic0 CONNECT_MESSAGE_BASED messages=4",
                          "write nic0 mem 0x004/4 = 0x00000000", "stop nic0", "disconnect nic0",
                          "counters nic0 isr_calls=0 isr_claimed=0 dpcs_requested=0",
                          "probe dpc_runs = 0", "probe isr_claims = 0", "probe last_read = -1"));
  EXPECT_EQ(outcomes[0].observations[2], "connect nic0 CONNECT_FULLY_SPECIFIED messages=0");
}

// An interrupt landing on the stop path's first kernel call runs the ISR before the disconnect,
// inside the `stop` step: the final counters, the outcome and the `counters` observation count
// it (they kept the copy taken at the end of the step before, and said 0).
TEST(RunnerTest, TheCountersAfterAStopIncludeTheIsrCallsMadeDuringTheStop) {
  Scenario s = Base({Start(10), Event(11, DeviceAction::kPulseLine, "", 1), Stop(12)});
  s.devices[0].config.line->mode = Trigger::kEdge;
  s.devices[0].config.line->shared = false;
  s.os = {Os::kWindowsXP};
  Expectations final_counts;
  final_counts.isr_calls = Want<std::uint64_t>(1, 20);
  final_counts.isr_claimed = Want<std::uint64_t>(0, 21);
  s.expect = Block(19, final_counts);
  const Outcome o = Play(s, Os::kWindowsXP, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  ASSERT_TRUE(o.connection.has_value());
  EXPECT_EQ(o.connection->isr_calls, 1u);
  EXPECT_EQ(o.connection->pending, 0u);
  EXPECT_THAT(
      o.observations,
      ElementsAre("write nic0 mem 0x004/4 = 0x00000001", "start nic0 -> STATUS_SUCCESS",
                  "connect nic0 CONNECT_FULLY_SPECIFIED messages=0", "pulse nic0 after_calls=1",
                  "write nic0 mem 0x004/4 = 0x00000000", "stop nic0", "disconnect nic0",
                  "counters nic0 isr_calls=1 isr_claimed=0 dpcs_requested=0", "probe dpc_runs = 0",
                  "probe isr_claims = 0", "probe last_read = -1"));
}

TEST(RunnerTest, TheWrongPersonalityOverrideFailsWithNamedVersions) {
  Scenario s = Base({Start(10), Stop(11)});
  s.devices = {Nic(4)};
  s.os = {Os::kWindowsXP, Os::kWindows7};
  Expectations all;
  all.connect_version = Want<std::uint32_t>(CONNECT_MESSAGE_BASED, 20);
  s.expect = Block(19, all);
  const std::vector<Outcome> outcomes = RunAll(s, TestFactory());
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_THAT(Messages(outcomes[0]),
              ElementsAre("runner_test.yaml:20:5: nic0 connect_version: expected "
                          "CONNECT_MESSAGE_BASED, got CONNECT_FULLY_SPECIFIED"));
  EXPECT_THAT(Messages(outcomes[1]), IsEmpty());
}

TEST(RunnerTest, WithoutMessagesVistaAndLaterConnectLineBased) {
  Scenario s = Base({Start(10), Expect(11, {}), Stop(12)});
  std::get<ExpectStep>(s.steps[1].body).block.all.connect_version =
      Want<std::uint32_t>(CONNECT_LINE_BASED, 11);
  s.os = {Os::kWindowsVista};
  const Outcome o = Play(s, Os::kWindowsVista, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.connection->version, CONNECT_LINE_BASED);
}

TEST(RunnerTest, RunAllHonoursOnlyAndRunsOldestFirst) {
  Scenario s = Base({Start(10), Stop(11)});
  s.os = {Os::kWindows11, Os::kWindowsXP, Os::kWindows7, Os::kWindowsXP};
  const std::vector<Outcome> outcomes =
      RunAll(s, TestFactory(), {Os::kWindows11, Os::kWindowsXP, Os::kWindows8});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].os, Os::kWindowsXP);
  EXPECT_EQ(outcomes[1].os, Os::kWindows11);
  EXPECT_EQ(RunAll(s, TestFactory()).size(), 3u);
  EXPECT_THAT(RunAll(s, TestFactory(), {Os::kWindows8}), IsEmpty());
}

TEST(RunnerTest, RunOptionsSeedReplacesTheScenarioSeed) {
  const Scenario s = Base({});
  EXPECT_EQ(Play(s, Os::kWindows10, TestFactory()).seed, 7u);
  const Outcome o = Play(s, Os::kWindows10, TestFactory(), {.seed = 99});
  EXPECT_EQ(o.seed, 99u);
  EXPECT_NE(o.trace_json.find("\"seed\":\"99\""), std::string::npos);
}

// JUnit's file, line and time attributes come from here.
TEST(RunnerTest, OutcomeNamesTheScenarioFileAndTheEmulatedTimeTheRunTook) {
  Scenario s = Base({Start(10), MakeStep(11, "stall_us", StallStep{.microseconds = 50}), Stop(12)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  ASSERT_THAT(o.failures, IsEmpty());
  EXPECT_EQ(FormatLocation(o.where), "runner_test.yaml:1:1");
  // 50 us of KeStallExecutionProcessor, in 100 ns units; nothing else moves the clock here.
  EXPECT_EQ(o.virtual_time, 500u);
}

TEST(RunnerTest, AValidateDiagnosticFailsTheRunBeforeAnythingRuns) {
  const Scenario s = Base({Start(10), Action(11, "teleport"), Stop(12)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(FormatLocation(o.failures[0].where), "runner_test.yaml:11:3");
  EXPECT_NE(o.failures[0].message.find("'teleport'"), std::string::npos);
  EXPECT_EQ(o.steps_run, 0u);
  EXPECT_FALSE(o.start_status.has_value());
  EXPECT_THAT(o.observations, IsEmpty());
  EXPECT_TRUE(o.trace_json.empty());
}

TEST(RunnerTest, AdapterHardwareAndRegistersTogetherFailBeforeAnythingRuns) {
  const Scenario s = Base({Start(10), Stop(11)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory({.own_hardware = true}));
  EXPECT_THAT(Messages(o), ElementsAre("runner_test.yaml:2:3: device nic0: the driver adapter "
                                       "supplies its hardware model, so the scenario cannot give "
                                       "it registers:"));
  EXPECT_EQ(o.steps_run, 0u);
  EXPECT_THAT(o.observations, IsEmpty());
}

TEST(RunnerTest, TheAdaptersRegisterFileServesRegisterStepsAndExpectations) {
  Scenario s = Base({Start(10), Raise(11, kIntStatus, 1), RunDpcs(12), Stop(13)});
  s.devices[0].registers.reset();
  Expectations e;
  e.registers[kControl] = Want<std::uint32_t>(0, 20);
  e.probes["dpc_runs"] = Want<std::int64_t>(1, 21);
  e.isr_claimed = Want<std::uint64_t>(1, 22);
  s.expect = Block(19, e);
  const Outcome o = Play(s, Os::kWindows10, TestFactory({.own_hardware = true}));
  EXPECT_THAT(Messages(o), IsEmpty());
}

TEST(RunnerTest, ADeviceWithABarButNoRegistersGetsAPlainRegisterFile) {
  Scenario s = Base({Action(10, "ring", {{"value", "0x5"}})});
  s.devices[0].registers.reset();
  Expectations e;
  e.registers[kDoorbell] = Want<std::uint32_t>(5, 20);
  s.expect = Block(19, e);
  // `ring` before `start` writes through an unmapped pointer; map it first.
  s.steps.insert(s.steps.begin(), Start(9));
  s.steps.push_back(Stop(11));
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.observations[3], "write nic0 mem 0x008/4 = 0x00000005");
  EXPECT_EQ(o.observations[4], "ring nic0 value=0x5");
}

TEST(RunnerTest, RegisterValuesFromTheSpecArePokedBeforeTheDriverStarts) {
  Scenario s = Base({Start(10), Action(11, "read", {{"offset", "0x10"}}), Stop(12)});
  s.devices[0].registers->values[0x10] = 0xABCD;
  Expectations e;
  e.probes["last_read"] = Want<std::int64_t>(0xABCD, 20);
  s.expect = Block(19, e);
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
}

TEST(RunnerTest, StartMustSucceedWhenTheScenarioGivesNoStatus) {
  Scenario s = Base({Start(10)});
  s.faults.push_back(
      {At(5), Fault{.routine = "IoConnectInterruptEx", .status = STATUS_INSUFFICIENT_RESOURCES}});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o),
              ElementsAre("runner_test.yaml:10:3: start nic0: expected a success status, got "
                          "STATUS_INSUFFICIENT_RESOURCES (0xC000009A)"));
  EXPECT_EQ(o.start_status, STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_FALSE(o.connection.has_value());
  EXPECT_EQ(o.observations[0], "start nic0 -> STATUS_INSUFFICIENT_RESOURCES");
}

// ActionInfo::needs_started: "read" is a request to the driver, which Windows sends only to a
// started device. Before the start, after a failed start and after the stop it is not sent.
TEST(RunnerTest, ARequestReachesTheDriverOnlyWhileTheDeviceIsStarted) {
  const Step read = Action(11, "read", {{"offset", "0x10"}});
  Scenario s =
      Base({read,
            MakeStep(12, "start", StartStep{.device = "", .status = STATUS_INSUFFICIENT_RESOURCES}),
            read, Start(14), read, Stop(16), read});
  s.faults.push_back({At(5), Fault{.routine = "IoConnectInterruptEx",
                                   .status = STATUS_INSUFFICIENT_RESOURCES,
                                   .count = 1}});
  s.devices[0].registers->values[0x10] = 0xABCD;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  std::vector<std::string> reads;
  for (const std::string& line : o.observations) {
    if (line.starts_with("read ")) reads.push_back(line);
  }
  EXPECT_THAT(reads, ElementsAre("read nic0 offset=0x10 (not sent: nic0 is not started)",
                                 "read nic0 offset=0x10 (not sent: nic0 is not started)",
                                 "read nic0 offset=0x10",
                                 "read nic0 offset=0x10 (not sent: nic0 is not started)"));
}

TEST(RunnerTest, AnExplicitStartStatusMustMatchExactly) {
  Scenario s = Base(
      {MakeStep(10, "start", StartStep{.device = "", .status = STATUS_INSUFFICIENT_RESOURCES})});
  s.faults.push_back(
      {At(5), Fault{.routine = "IoConnectInterruptEx", .status = STATUS_INSUFFICIENT_RESOURCES}});
  Expectations e;
  e.start_status = Want<std::int32_t>(STATUS_INSUFFICIENT_RESOURCES, 20);
  e.connect_version = Want<std::uint32_t>(0, 21);
  s.expect = Block(19, e);
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())), IsEmpty());

  s.faults.clear();  // now it succeeds, which is not what the step says
  s.steps.push_back(Stop(11));
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:10:3: start nic0: expected "
                          "STATUS_INSUFFICIENT_RESOURCES (0xC000009A), got STATUS_SUCCESS "
                          "(0x00000000)",
                          "runner_test.yaml:21:5: nic0 connect_version: expected none, got "
                          "CONNECT_LINE_BASED",
                          "runner_test.yaml:20:5: start_status: expected "
                          "STATUS_INSUFFICIENT_RESOURCES (0xC000009A), got STATUS_SUCCESS "
                          "(0x00000000)"));
}

TEST(RunnerTest, StartStatusWithoutAStartStepFails) {
  Scenario s = Base({});
  Expectations e;
  e.start_status = Want<std::int32_t>(STATUS_SUCCESS, 20);
  s.expect = Block(19, e);
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:20:5: start_status: expected STATUS_SUCCESS "
                          "(0x00000000), but no start step ran"));
}

TEST(RunnerTest, StepExpectationsAreCheckedWhenReachedAndTheRunGoesOn) {
  Expectations before;
  before.connect_version = Want<std::uint32_t>(CONNECT_LINE_BASED, 10);
  before.isr_calls = Want<std::uint64_t>(0, 11);
  Expectations after;
  after.connect_version = Want<std::uint32_t>(CONNECT_LINE_BASED, 13);
  after.isr_calls = Want<std::uint64_t>(0, 14);
  after.granted_messages = Want<std::uint32_t>(2, 15);
  const Scenario s = Base({Expect(9, before), Start(12), Expect(12, after), Stop(16)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o),
              ElementsAre("runner_test.yaml:10:5: nic0 connect_version: expected "
                          "CONNECT_LINE_BASED, got none",
                          "runner_test.yaml:11:5: nic0 isr_calls: expected 0, but nic0 never "
                          "connected",
                          "runner_test.yaml:15:5: nic0 granted_messages: expected 2, got 0"));
  EXPECT_EQ(o.steps_run, 4u);
}

TEST(RunnerTest, ProbesAndRegistersNameTheirDeviceAndValues) {
  Expectations e;
  e.probes["dpc_runs"] = Want<std::int64_t>(3, 10);
  e.registers[kControl] = Want<std::uint32_t>(0, 11);
  e.irql = Want<std::uint8_t>(DISPATCH_LEVEL, 12);
  const Scenario s = Base({Start(8), Expect(9, e), Stop(13)});
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:11:5: nic0 register 0x004: expected 0x00000000, got "
                          "0x00000001",
                          "runner_test.yaml:10:5: nic0 probe dpc_runs: expected 3, got 0",
                          "runner_test.yaml:12:5: irql: expected 2, got 0"));
}

TEST(RunnerTest, AnExpectationOnAnUnknownDeviceFailsAtItsBlock) {
  Expectations e;
  e.device = "nic9";
  e.isr_calls = Want<std::uint64_t>(0, 10);
  const Scenario s = Base({Expect(9, e)});
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:9:3: unknown device 'nic9'"));
}

TEST(RunnerTest, ObservationsAreIdenticalForIdenticalRuns) {
  const Scenario s = Base({Start(10), Action(11, "ring", {{"value", "7"}}),
                           Raise(12, kIntStatus, 1), RunDpcs(13), Stop(14)});
  const Outcome first = Play(s, Os::kWindows8, TestFactory());
  const Outcome second = Play(s, Os::kWindows8, TestFactory());
  EXPECT_THAT(Messages(first), IsEmpty());
  EXPECT_EQ(first.observations, second.observations);
  EXPECT_THAT(
      first.observations,
      ElementsAre("write nic0 mem 0x004/4 = 0x00000001", "start nic0 -> STATUS_SUCCESS",
                  "connect nic0 CONNECT_LINE_BASED messages=0",
                  "write nic0 mem 0x008/4 = 0x00000007", "ring nic0 value=7",
                  "write nic0 mem 0x000/4 = 0x00000001", "raise nic0 0x000 0x00000001", "run_dpcs",
                  "write nic0 mem 0x004/4 = 0x00000000", "stop nic0", "disconnect nic0",
                  "counters nic0 isr_calls=1 isr_claimed=1 dpcs_requested=1", "probe dpc_runs = 1",
                  "probe isr_claims = 1", "probe last_read = -1"));
}

TEST(RunnerTest, TheSameSeedGivesAByteIdenticalTrace) {
  const Scenario s = Base({MakeStep(10, "raise_irql", IrqlStep{.raise = true, .irql = 2}),
                           MakeStep(11, "stall_us", StallStep{.microseconds = 5}),
                           MakeStep(12, "lower_irql", IrqlStep{.raise = false, .irql = 0})});
  const Outcome first = Play(s, Os::kWindowsXP, TestFactory());
  const Outcome second = Play(s, Os::kWindowsXP, TestFactory());
  EXPECT_THAT(Messages(first), IsEmpty());
  ASSERT_FALSE(first.trace_json.empty());
  EXPECT_EQ(first.trace_json, second.trace_json);
  EXPECT_NE(first.trace_json.find("KfRaiseIrql"), std::string::npos);
  EXPECT_TRUE(Play(s, Os::kWindowsXP, TestFactory(), {.seed = std::nullopt, .keep_trace = false})
                  .trace_json.empty());
}

}  // namespace
}  // namespace kemu::scenario::test
