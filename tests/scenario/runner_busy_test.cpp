// The busy_processor and release_processor steps (emu/scenario/run/run_steps.cpp): a vCPU kept
// busy with work the scenario does not model (Machine::KeepProcessorBusy, docs/concurrency.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <wdm.h>

#include "kemu/bugcheck.hpp"
#include "kemu/scenario/runner.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Step Busy(int line, unsigned processor, std::uint8_t irql = DISPATCH_LEVEL) {
  return MakeStep(line, "busy_processor", BusyProcessorStep{.processor = processor, .irql = irql});
}
Step Release(int line, unsigned processor) {
  return MakeStep(line, "release_processor", ReleaseProcessorStep{.processor = processor});
}
Step Processor(int line, unsigned processor) {
  return MakeStep(line, "processor", ProcessorStep{.processor = processor});
}
Step QueueDpcOn(int line, unsigned processor) {
  return Action(line, "queue_dpc", {{"processor", std::to_string(processor)}});
}

Expectations DpcRuns(std::int64_t runs, int line) {
  Expectations e;
  e.probes["dpc_runs"] = Want(runs, line);
  return e;
}

// Two vCPUs; the test runs on vCPU 0.
Outcome PlayTwoVcpus(std::vector<Step> steps, TestDriverOptions options = {}) {
  Scenario s = Base(std::move(steps));
  s.machine.processors = 2;
  return Play(s, Os::kWindows10, TestFactory(options));
}

TEST(RunnerBusyTest, ADpcTargetedAtTheBusyVcpuRunsOnlyAtReleaseProcessor) {
  // DPC-11: a DPC runs on its target processor once that processor drops below DISPATCH_LEVEL.
  // Settling does not end the busy work.
  const Outcome o = PlayTwoVcpus({Start(10), Busy(11, 1), QueueDpcOn(12, 1), Settle(13),
                                  RunDpcs(14), Expect(15, DpcRuns(0, 15)), Release(16, 1),
                                  Expect(17, DpcRuns(1, 17)), Stop(18)});
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.steps_run, 9u);
  EXPECT_THAT(o.observations, Contains("busy_processor 1 irql=2"));
  EXPECT_THAT(o.observations, Contains("release_processor 1"));
}

TEST(RunnerBusyTest, AStopsFlushWaitingForTheBusyVcpuCompletesWhenNothingElseCanRun) {
  // The driver's stop disconnects and then calls KeFlushQueuedDpcs, which waits for the DPC queued
  // on busy vCPU 1; nothing else can run, so vCPU 1 finishes its work, runs the DPC, and the flush
  // returns (DPC-11).
  const Outcome o = PlayTwoVcpus({Start(10), Busy(11, 1), QueueDpcOn(12, 1),
                                  Expect(13, DpcRuns(0, 13)), Stop(14), Expect(15, DpcRuns(1, 15))},
                                 {.flush_at_stop = true});
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_FALSE(o.crash.has_value());
  EXPECT_EQ(o.steps_run, 6u);
}

TEST(RunnerBusyTest, AStopsFlushWaitingForAVcpuTheScenarioRaisedNeverEnds) {
  // The same stop with vCPU 1 raised by the scenario itself: it never lowers by itself, so the
  // flush is kemu's report of a wait that never ends, not a completed flush.
  const Step raise = MakeStep(12, "raise_irql", IrqlStep{.raise = true, .irql = DISPATCH_LEVEL});
  const Outcome o = PlayTwoVcpus(
      {Start(10), Processor(11, 1), raise, Processor(13, 0), QueueDpcOn(14, 1), Stop(15)},
      {.flush_at_stop = true});
  ASSERT_TRUE(o.crash.has_value());
  EXPECT_EQ(o.crash->code, bugcheck::kDriverVerifierDetectedViolation);
  EXPECT_EQ(o.crash->parameters[0], verifier_code::kWaitNeverCompletes);
}

TEST(RunnerBusyTest, KeepingTheScenariosOwnVcpuBusyFailsAtTheStep) {
  const Outcome o = PlayTwoVcpus({Start(10), Busy(11, 0), Stop(12)});
  EXPECT_THAT(Messages(o),
              ElementsAre("runner_test.yaml:11:3: kemu: Machine::KeepProcessorBusy(0): "
                          "the test runs on vCPU 0; switch to another first"));
  EXPECT_EQ(o.steps_run, 2u);
  EXPECT_FALSE(o.crash.has_value());
}

TEST(RunnerBusyTest, ReleasingAVcpuNotKeptBusyFailsAtTheStep) {
  const Outcome o = PlayTwoVcpus({Start(10), Busy(11, 1), Release(12, 1), Release(13, 1)});
  EXPECT_THAT(Messages(o),
              ElementsAre("runner_test.yaml:13:3: kemu: Machine::ReleaseProcessor(1): vCPU 1 is "
                          "not kept busy (KeepProcessorBusy)"));
  EXPECT_EQ(o.steps_run, 4u);
}

TEST(RunnerBusyTest, SwitchingToAVcpuKeptBusyAtHighLevelFailsAtTheStep) {
  const Outcome o = PlayTwoVcpus({Busy(11, 1, HIGH_LEVEL), Processor(12, 1)});
  EXPECT_THAT(o.observations, Contains("busy_processor 1 irql=15"));
  EXPECT_THAT(Messages(o), ElementsAre("runner_test.yaml:12:3: kemu: vCPU 1 is kept busy "
                                       "(Machine::KeepProcessorBusy); ReleaseProcessor(1) first"));
}

}  // namespace
}  // namespace kemu::scenario::test
