// A DPC on another vCPU that polls with KeStallExecutionProcessor for the test thread's progress
// gets it under the default schedule: each stall lets the test's context run on from the schedule
// point it handed the DPC over at (docs/differences.md, "Concurrency is as fine-grained as the
// schedule points"). Before, the test's context handed the baton straight back, the poll never
// ended, and an unbounded one was bug check 0x133 (audit round 15, R1).
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

struct Poll {
  KDPC dpc;
  volatile LONG ready = 0;
  LONG saw = 0;
  LONG spins = 0;
};

constexpr LONG kGiveUp = 100000;  // 100 ms of stalls

VOID PollDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* poll = static_cast<Poll*>(context);
  while (ReadAcquire(&poll->ready) == 0 && poll->spins < kGiveUp) {
    KeStallExecutionProcessor(1);
    ++poll->spins;
  }
  poll->saw = ReadAcquire(&poll->ready);
}

TEST(StallPollTest, ADpcPollingForTheTestThreadSeesItsWriteUnderTheDefaultSchedule) {
  kemu::Machine machine({.processors = 2});
  Poll poll;
  KeInitializeDpc(&poll.dpc, &PollDpc, &poll);
  KeSetTargetProcessorDpc(&poll.dpc, 1);
  KeInsertQueueDpc(&poll.dpc, nullptr, nullptr);  // vCPU 1 takes it at once
  WriteRelease(&poll.ready, 1);                   // what the poll waits for
  machine.Settle();
  EXPECT_EQ(poll.saw, 1);
  EXPECT_LT(poll.spins, 10);
}

// The same poll queued from DISPATCH_LEVEL.
TEST(StallPollTest, ADpcQueuedAtDispatchLevelSeesTheWriteBeforeItPolls) {
  kemu::Machine machine({.processors = 2});
  Poll poll;
  KeInitializeDpc(&poll.dpc, &PollDpc, &poll);
  KeSetTargetProcessorDpc(&poll.dpc, 1);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeInsertQueueDpc(&poll.dpc, nullptr, nullptr);
  WriteRelease(&poll.ready, 1);
  KeLowerIrql(old);
  machine.Settle();
  EXPECT_EQ(poll.saw, 1);
  EXPECT_LT(poll.spins, 10);
}

}  // namespace
