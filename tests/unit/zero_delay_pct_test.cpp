// Zero-interval KeDelayExecutionThread polls under PCT exploration (model/scheduler.cpp,
// Scheduler::YieldToThreads). PCT runs the highest-priority context until it blocks; a zero
// delay gives up the time slice, so the poller drops below every other context. Before, two
// pollers (the test's thread and a system thread) handed the vCPUs to each other for ever while
// the lower-priority DPC that ends both polls never ran (audit round 20, F1;
// docs/concurrency.md, "Exploring schedules").
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"
#include "system_thread_start.hpp"

namespace {

// Far more polls than a poll that ends needs; reaching it is the old endless loop.
constexpr LONG kPollCap = 100000;

struct Poll {
  KDPC dpc;
  LONG done = 0;
  LONG thread_polls = 0;
  bool thread_queues = true;  // else the test queues the DPC before the polls begin
};

VOID SetDone(PKDPC, PVOID context, PVOID, PVOID) {
  InterlockedExchange(&static_cast<Poll*>(context)->done, 1);
}

bool Done(Poll& poll) { return InterlockedCompareExchange(&poll.done, 0, 0) != 0; }

VOID PollUntilDone(PVOID context) {
  auto& poll = *static_cast<Poll*>(context);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  while (!Done(poll) && poll.thread_polls < kPollCap) {
    // The DPC is queued while both pollers poll, as an ISR would queue it.
    if (++poll.thread_polls == 3 && poll.thread_queues) {
      KeInsertQueueDpc(&poll.dpc, nullptr, nullptr);
    }
    KeDelayExecutionThread(KernelMode, FALSE, &zero);
  }
}

// Both pollers, under 30 PCT schedules; the DPC that ends the polls queued by the thread or by
// the test.
void PollUnderPct(bool thread_queues) {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    SCOPED_TRACE(::testing::Message() << "PCT seed " << seed);
    kemu::Machine machine(
        {.processors = 2, .schedule = {.strategy = kemu::Strategy::kPct, .seed = seed}});
    Poll poll;
    poll.thread_queues = thread_queues;
    KeInitializeDpc(&poll.dpc, &SetDone, &poll);
    KeSetTargetProcessorDpc(&poll.dpc, 1);
    PVOID thread = kemu::testing::StartSystemThread(&PollUntilDone, &poll);
    ASSERT_NE(thread, nullptr);
    if (!thread_queues) KeInsertQueueDpc(&poll.dpc, nullptr, nullptr);
    LARGE_INTEGER zero;
    zero.QuadPart = 0;
    LONG polls = 0;
    while (!Done(poll) && polls < kPollCap) {
      ++polls;
      KeDelayExecutionThread(KernelMode, FALSE, &zero);
    }
    EXPECT_LT(polls, kPollCap);
    EXPECT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
    EXPECT_LT(poll.thread_polls, kPollCap);
    ObDereferenceObject(thread);
    machine.Shutdown();
  }
}

TEST(ZeroDelayPctTest, TwoPollersLetTheDpcThatEndsTheirPollsRun) { PollUnderPct(true); }

// A system thread whose zero delay found nothing else to run takes a vCPU again before it runs
// on: it ran without one, and its end then counted one critical region too few (0x20).
TEST(ZeroDelayPctTest, AThreadWhoseYieldFoundNothingToRunRunsOnItsVcpu) { PollUnderPct(false); }

}  // namespace
