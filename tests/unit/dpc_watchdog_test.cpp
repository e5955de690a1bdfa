// The DPC watchdog (0x133) with more than one vCPU: each vCPU counts the DPCs of its own burst, so
// a retirement of another vCPU's queue nested inside a runaway DPC cannot restart the count.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"
#include "model/dpcs.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

// A runaway DPC on vCPU0 that, every run, re-queues itself, queues `helper` (targeted at vCPU1)
// and gives vCPU1 a chance to retire it: through KeFlushQueuedDpcs, or by lowering and raising
// the IRQL.
struct Runaway {
  KDPC self{};
  KDPC helper{};
  bool flush = true;
  std::uint64_t runs = 0;
  std::uint64_t helper_runs = 0;
};

VOID HelperRoutine(PKDPC, PVOID context, PVOID, PVOID) {
  ++static_cast<Runaway*>(context)->helper_runs;
}

VOID RunawayRoutine(PKDPC, PVOID context, PVOID, PVOID) {
  auto* runaway = static_cast<Runaway*>(context);
  ++runaway->runs;
  KeInsertQueueDpc(&runaway->self, nullptr, nullptr);
  KeInsertQueueDpc(&runaway->helper, nullptr, nullptr);
  if (runaway->flush) {
    KeFlushQueuedDpcs();  // at DISPATCH_LEVEL: a retail kernel does not check the IRQL
  } else {
    KIRQL old;
    KeLowerIrql(PASSIVE_LEVEL);  // a checked kernel lets a DPC lower (the 0xC8 needs a bad return)
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  }
}

kemu::BugCheck RunAway(Runaway& runaway) {
  KeInitializeDpc(&runaway.self, &RunawayRoutine, &runaway);
  KeInitializeDpc(&runaway.helper, &HelperRoutine, &runaway);
  KeSetTargetProcessorDpc(&runaway.helper, 1);
  return CrashOf([&] { KeInsertQueueDpc(&runaway.self, nullptr, nullptr); });
}

TEST(DpcWatchdogTest, RunawayDpcFlushingAnotherVcpuStillTripsTheWatchdogOnRetail) {
  kemu::Machine machine(
      {.os = kemu::Os::kWindows10, .processors = 2, .verifier = false, .checked_build = false});
  Runaway runaway{.flush = true};
  const kemu::BugCheck crash = RunAway(runaway);
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 1));
  // Arg2 is vCPU0's own burst: every run of the runaway DPC plus the one not run.
  EXPECT_EQ(crash.parameter(1), runaway.runs + 1);
  EXPECT_EQ(runaway.runs, kemu::model::Dpcs::kWatchdogLimit);
  EXPECT_EQ(runaway.helper_runs, runaway.runs);  // vCPU1 retired its DPC every time
}

TEST(DpcWatchdogTest, RunawayDpcLoweringTheIrqlStillTripsTheWatchdogOnChecked) {
  kemu::Machine machine(
      {.os = kemu::Os::kWindows10, .processors = 2, .verifier = false, .checked_build = true});
  Runaway runaway{.flush = false};
  const kemu::BugCheck crash = RunAway(runaway);
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 1));
  EXPECT_EQ(crash.parameter(1), runaway.runs + 1);
  EXPECT_EQ(runaway.helper_runs, runaway.runs);
}

// Correct use: DPCs that each run once, on two vCPUs, across many bursts never add up to the
// bound, because each burst on each vCPU starts its own count.
VOID CountingRoutine(PKDPC, PVOID context, PVOID, PVOID) {
  ++*static_cast<std::uint64_t*>(context);
}

TEST(DpcWatchdogTest, ManyShortBurstsOnTwoVcpusStaySilent) {
  kemu::Machine machine(
      {.os = kemu::Os::kWindows10, .processors = 2, .verifier = false, .checked_build = false});
  std::uint64_t runs = 0;
  KDPC on_zero;
  KDPC on_one;
  KeInitializeDpc(&on_zero, &CountingRoutine, &runs);
  KeInitializeDpc(&on_one, &CountingRoutine, &runs);
  KeSetTargetProcessorDpc(&on_one, 1);
  const std::uint64_t bursts = kemu::model::Dpcs::kWatchdogLimit / 2 + 10;
  for (std::uint64_t i = 0; i < bursts; ++i) {
    KeInsertQueueDpc(&on_one, nullptr, nullptr);
    KeInsertQueueDpc(&on_zero, nullptr, nullptr);  // retires both queues
  }
  EXPECT_EQ(runs, 2 * bursts);
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
