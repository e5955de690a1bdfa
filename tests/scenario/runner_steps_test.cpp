// Every step kind of the runner (emu/scenario/run_steps.cpp): register steps, device events at
// once and scheduled, IRQL and processor moves, run_dpcs, settle, stall_us, and the foreign driver
// on a shared line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "kemu/scenario/runner.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

Step RaiseIrql(int line, std::uint8_t irql) {
  return MakeStep(line, "raise_irql", IrqlStep{.raise = true, .irql = irql});
}
Step LowerIrql(int line, std::uint8_t irql) {
  return MakeStep(line, "lower_irql", IrqlStep{.raise = false, .irql = irql});
}
Step Stall(int line, std::uint32_t us) {
  return MakeStep(line, "stall_us", StallStep{.microseconds = us});
}
Step Processor(int line, unsigned processor) {
  return MakeStep(line, "processor", ProcessorStep{.processor = processor});
}
Step Register(int line, RegisterStep::Kind kind, std::uint32_t offset, std::uint32_t value,
              std::string device = "") {
  return MakeStep(line, "register",
                  RegisterStep{.kind = kind, .device = device, .offset = offset, .value = value});
}

Expectations Calls(std::string device, std::uint64_t calls, std::uint64_t claimed, int line) {
  Expectations e;
  e.device = std::move(device);
  e.isr_calls = Want(calls, line);
  e.isr_claimed = Want(claimed, line);
  return e;
}

Expectations Register(std::uint32_t offset, std::uint32_t value, int line) {
  Expectations e;
  e.registers[offset] = Want(value, line);
  return e;
}

TEST(RunnerStepsTest, RaiseClearAndPokeWorkOnTheDevicesRegisterFile) {
  const Scenario s =
      Base({Start(10), RaiseIrql(11, HIGH_LEVEL),
            Register(12, RegisterStep::Kind::kRaise, kIntStatus, 0x1),
            Expect(13, Register(kIntStatus, 0x1, 13)),
            Register(14, RegisterStep::Kind::kClear, kIntStatus, 0x1),
            Expect(15, Register(kIntStatus, 0x0, 15)), LowerIrql(16, PASSIVE_LEVEL),
            Register(17, RegisterStep::Kind::kPoke, 0x10, 0x1234),
            Expect(18, Register(0x10, 0x1234, 18)), Expect(19, Calls("", 0, 0, 19)), Stop(20)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("raise nic0 0x000 0x00000001"));
  EXPECT_THAT(o.observations, Contains("clear nic0 0x000 0x00000001"));
  EXPECT_THAT(o.observations, Contains("poke nic0 0x010 0x00001234"));
  EXPECT_THAT(o.observations, Contains("raise_irql 15"));
  EXPECT_THAT(o.observations, Contains("lower_irql 0"));
}

TEST(RunnerStepsTest, ARaiseAtPassiveLevelRunsTheIsrAndItsDpc) {
  Expectations e = Calls("", 1, 1, 12);
  e.dpcs_requested = Want<std::uint64_t>(1, 13);
  e.probes["dpc_runs"] = Want<std::int64_t>(1, 14);
  e.registers[kIntStatus] = Want<std::uint32_t>(0, 15);
  const Scenario s = Base({Start(10), Raise(11, kIntStatus, 1), Expect(12, e), Stop(16)});
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())), IsEmpty());
}

TEST(RunnerStepsTest, RegisterStepsNeedARegisterFile) {
  Scenario s = Base({Raise(10, kIntStatus, 1, "other0"), Stop(11)});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o),
              ElementsAre("runner_test.yaml:10:3: device other0 has no register file"));
  EXPECT_EQ(o.steps_run, 1u);
}

TEST(RunnerStepsTest, RegisterExpectationsNeedARegisterFile) {
  Scenario s = Base({});
  s.devices.push_back(Foreign());
  Expectations e = Register(0x0, 0, 20);
  e.device = "other0";
  s.expect = Block(19, e);
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:20:5: device other0 has no register file"));
}

// The foreign ISR is connected before the first step, so it is first on the shared line: it
// claims its own device's interrupt (the driver's ISR is not called: a level line's chain stops at
// the first claim) and returns FALSE for the driver's, which the driver's ISR then claims.
TEST(RunnerStepsTest, TheForeignDriverClaimsOnlyItsOwnInterruptOnASharedLine) {
  Scenario s = Base({Start(10), Event(11, DeviceAction::kAssertLine, "other0"),
                     Expect(12, Calls("", 0, 0, 12)), Expect(13, Calls("other0", 1, 1, 13)),
                     Raise(14, kIntStatus, 1), Expect(15, Calls("", 1, 1, 15)),
                     Expect(16, Calls("other0", 2, 1, 16)), Stop(17)});
  s.devices.push_back(Foreign());
  for (Os os : {Os::kWindowsXP, Os::kWindows10}) {
    SCOPED_TRACE(OsName(os));
    const Outcome o = Play(s, os, TestFactory());
    EXPECT_THAT(Messages(o), IsEmpty());
    EXPECT_EQ(o.connection->isr_calls, 1u);
    EXPECT_THAT(o.observations, Contains("assert other0"));
    // The foreign driver's connection is kemu's, not the driver's behaviour.
    EXPECT_THAT(o.observations, Not(Contains(::testing::HasSubstr("connect other0"))));
  }
}

// `start: other0` connects the foreign ISR at that step instead: started after the driver, it is
// second on the line, so the driver's ISR is asked first about the neighbour's interrupt and must
// say FALSE (calls 1, claimed 0) before the foreign ISR claims it.
TEST(RunnerStepsTest, StartingAForeignDeviceInAStepPutsItsIsrAfterTheDrivers) {
  Scenario s = Base({Start(10), Start(11, "other0"), Event(12, DeviceAction::kAssertLine, "other0"),
                     Expect(13, Calls("", 1, 0, 13)), Expect(14, Calls("other0", 1, 1, 14)),
                     Stop(15, "other0"), Stop(16)});
  s.devices.push_back(Foreign());
  for (Os os : {Os::kWindowsXP, Os::kWindows10}) {
    SCOPED_TRACE(OsName(os));
    const Outcome o = Play(s, os, TestFactory());
    EXPECT_THAT(Messages(o), IsEmpty());
    EXPECT_THAT(o.observations, Contains("start other0 (foreign)"));
    EXPECT_THAT(o.observations, Contains("stop other0 (foreign)"));
  }
}

TEST(RunnerStepsTest, StartingAForeignDeviceTwiceIsAnError) {
  Scenario s = Base({Start(10, "other0"), Start(11, "other0")});
  s.devices.push_back(Foreign());
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:11:3: kemu: foreign device other0 is already started"));
}

TEST(RunnerStepsTest, ADeassertBeforeDeliveryLeavesTheLineQuiet) {
  Scenario s = Base({RaiseIrql(10, HIGH_LEVEL), Event(11, DeviceAction::kAssertLine, "other0"),
                     Event(12, DeviceAction::kDeassertLine, "other0"), LowerIrql(13, PASSIVE_LEVEL),
                     Expect(14, Calls("other0", 0, 0, 14))});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("deassert other0"));
}

TEST(RunnerStepsTest, AfterCallsFiresBeforeTheNthKernelCall) {
  Scenario s = Base({Event(10, DeviceAction::kAssertLine, "other0", 2), RaiseIrql(11, 2),
                     Expect(12, Calls("other0", 0, 0, 12)), LowerIrql(13, 0),
                     Expect(14, Calls("other0", 1, 1, 14))});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.observations[0], "assert other0 after_calls=2");
}

TEST(RunnerStepsTest, AtUsFiresWhenVirtualTimeGetsThere) {
  Scenario s = Base({Event(10, DeviceAction::kAssertLine, "other0", std::nullopt, 100),
                     Stall(11, 50), Expect(12, Calls("other0", 0, 0, 12)), Stall(13, 60),
                     Expect(14, Calls("other0", 1, 1, 14))});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations,
              ElementsAre("assert other0 at_us=100", "stall_us 50", "stall_us 60",
                          "probe dpc_runs = 0", "probe isr_claims = 0", "probe last_read = -1"));
}

TEST(RunnerStepsTest, AdvanceTimeMovesVirtualTimeWithoutADriverCall) {
  Scenario s = Base({Event(10, DeviceAction::kAssertLine, "other0", std::nullopt, 100),
                     MakeStep(11, "advance_time", AdvanceTimeStep{.microseconds = 50}),
                     Expect(12, Calls("other0", 0, 0, 12)),
                     MakeStep(13, "advance_time", AdvanceTimeStep{.microseconds = 60}),
                     Expect(14, Calls("other0", 1, 1, 14))});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, ::testing::Contains("advance_time 60"));
}

TEST(RunnerStepsTest, AtUsZeroFiresBeforeVirtualTimeMoves) {
  // at_us: 0 was stored as one tick past boot, so it waited for the first stall.
  Scenario s = Base({Event(10, DeviceAction::kAssertLine, "other0", std::nullopt, 0),
                     Expect(11, Calls("other0", 1, 1, 11))});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.observations[0], "assert other0 at_us=0");
}

TEST(RunnerStepsTest, AfterCallsPastTheCallCounterNeverFires) {
  // The most calls the file format allows: added to the call count it wrapped to the next call.
  Scenario s =
      Base({Event(10, DeviceAction::kAssertLine, "other0", ~std::uint64_t{0}), RaiseIrql(11, 2),
            LowerIrql(12, 0), Stall(13, 10), Expect(14, Calls("other0", 0, 0, 14))});
  s.devices.push_back(Foreign());
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
}

TEST(RunnerStepsTest, APulseOnAnEdgeLineCallsTheIsrOnce) {
  Scenario s = Base(
      {Start(10), Event(11, DeviceAction::kPulseLine), Expect(12, Calls("", 1, 0, 12)), Stop(13)});
  s.devices[0].config.line->mode = Trigger::kEdge;
  s.devices[0].config.line->shared = false;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("pulse nic0"));
}

TEST(RunnerStepsTest, AMessageReachesTheMessageIsrAtOnceOrScheduled) {
  DeviceEventStep now;
  now.action = DeviceAction::kSignalMessage;
  now.message_id = 1;
  DeviceEventStep later = now;
  later.message_id = 0;
  later.after_calls = 1;
  Scenario s = Base({Start(10), MakeStep(11, "message", now), Expect(12, Calls("", 1, 0, 12)),
                     MakeStep(13, "message", later), RaiseIrql(14, 2), LowerIrql(15, 0),
                     Expect(16, Calls("", 2, 0, 16)), Stop(17)});
  s.devices = {Nic(2)};
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("message nic0 1"));
  EXPECT_THAT(o.observations, Contains("message nic0 0 after_calls=1"));
}

TEST(RunnerStepsTest, IrqlAndProcessorStepsMoveTheRunningVcpu) {
  Expectations dispatch;
  dispatch.irql = Want<std::uint8_t>(DISPATCH_LEVEL, 12);
  Expectations passive;
  passive.irql = Want<std::uint8_t>(PASSIVE_LEVEL, 14);
  Scenario s =
      Base({Processor(10, 1), RaiseIrql(11, DISPATCH_LEVEL), Expect(12, dispatch), Processor(13, 0),
            Expect(14, passive), Processor(15, 1), LowerIrql(16, PASSIVE_LEVEL)});
  s.machine.processors = 2;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("processor 1"));
}

TEST(RunnerStepsTest, RunDpcsRetiresADpcQueuedOnAnIdleProcessor) {
  Expectations none;
  none.probes["dpc_runs"] = Want<std::int64_t>(0, 13);
  Expectations one;
  one.probes["dpc_runs"] = Want<std::int64_t>(1, 15);
  Scenario s = Base({Start(10), RaiseIrql(11, DISPATCH_LEVEL),
                     Action(12, "queue_dpc", {{"processor", "1"}}), Expect(13, none), RunDpcs(14),
                     Expect(15, one), LowerIrql(16, PASSIVE_LEVEL), Stop(17)});
  s.machine.processors = 2;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("queue_dpc nic0 processor=1"));
}

TEST(RunnerStepsTest, SettleRunsADpcQueuedOnTheOtherProcessorBetweenTwoActions) {
  // The running vCPU stays at DISPATCH_LEVEL throughout: settling lets vCPU 1 take each DPC,
  // the second queueing finds the first retired, and the count is exact.
  Expectations none;
  none.probes["dpc_runs"] = Want<std::int64_t>(0, 13);
  Expectations one;
  one.probes["dpc_runs"] = Want<std::int64_t>(1, 15);
  Expectations two;
  two.probes["dpc_runs"] = Want<std::int64_t>(2, 18);
  Scenario s = Base({Start(10), RaiseIrql(11, DISPATCH_LEVEL),
                     Action(12, "queue_dpc", {{"processor", "1"}}), Expect(13, none), Settle(14),
                     Expect(15, one), Action(16, "queue_dpc", {{"processor", "1"}}), Settle(17),
                     Expect(18, two), LowerIrql(19, PASSIVE_LEVEL), Stop(20)});
  s.machine.processors = 2;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("settle"));
  EXPECT_EQ(std::count(o.observations.begin(), o.observations.end(), "settle"), 2);
}

TEST(RunnerStepsTest, AnUnknownDeviceEndsTheStepsAtItsLocation) {
  const Scenario s = Base({Event(10, DeviceAction::kAssertLine, "nic9"), Start(11)});
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), ElementsAre("runner_test.yaml:10:3: unknown device 'nic9'"));
  EXPECT_EQ(o.steps_run, 1u);
}

TEST(RunnerStepsTest, WithOnlyForeignDevicesThereIsNoDriverDevice) {
  Scenario s = Base({Start(10)});
  s.devices = {Foreign()};
  EXPECT_THAT(Messages(Play(s, Os::kWindows10, TestFactory())),
              ElementsAre("runner_test.yaml:10:3: the scenario has no driver device (every "
                          "device is foreign)"));
}

TEST(RunnerStepsTest, AForeignDeviceWithoutALineFailsAtItsDeclaration) {
  Scenario s = Base({Start(10)});
  s.devices.push_back(Foreign());
  s.devices[1].config.line.reset();
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), ElementsAre("runner_test.yaml:3:3: kemu: foreign device other0 was "
                                       "granted no line interrupt to connect to (give it a "
                                       "`line:`)"));
  EXPECT_EQ(o.steps_run, 0u);
}

TEST(RunnerStepsTest, AScalarActionArgumentIsTheActionsFirstParameter) {
  // `queue_dpc: 1` as the parser stores it: the value under "", named only by the adapter.
  Expectations one;
  one.probes["dpc_runs"] = Want<std::int64_t>(1, 15);
  Scenario s = Base({Start(10), RaiseIrql(11, DISPATCH_LEVEL), Action(12, "queue_dpc", {{"", "1"}}),
                     RunDpcs(14), Expect(15, one), LowerIrql(16, PASSIVE_LEVEL), Stop(17)});
  s.machine.processors = 2;
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_THAT(o.observations, Contains("queue_dpc nic0 processor=1"));
}

}  // namespace
}  // namespace kemu::scenario::test
