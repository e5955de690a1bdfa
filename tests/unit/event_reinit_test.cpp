// A dispatcher object initialised again while a thread still waits on it (emu/model/dispatcher.cpp,
// NewObject): the new header's empty wait list orphans the waiter's wait block, which Bug Check
// 0x139 names ("double initializing a KEVENT while a thread was still waiting"). kemu stops at
// the initialisation, 0x139 / 3, in every mode (audit round 15, O3).
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

struct Poll {
  KEVENT wake;
  KSEMAPHORE slots;
  PVOID thread = nullptr;
  bool on_semaphore = false;
  int woken = 0;
};

VOID PollThread(PVOID context) {
  auto* poll = static_cast<Poll*>(context);
  KeWaitForSingleObject(poll->on_semaphore ? static_cast<PVOID>(&poll->slots) : &poll->wake,
                        Executive, KernelMode, FALSE, nullptr);
  ++poll->woken;
  PsTerminateSystemThread(STATUS_SUCCESS);
}

// Starts the thread and lets it run until it blocks on its object.
void Start(kemu::Machine& machine, Poll& poll) {
  KeInitializeEvent(&poll.wake, SynchronizationEvent, FALSE);
  KeInitializeSemaphore(&poll.slots, 0, 1);
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &PollThread,
                                 &poll),
            STATUS_SUCCESS);
  ASSERT_EQ(ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                      &poll.thread, nullptr),
            STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(handle), STATUS_SUCCESS);
  machine.Settle();
  ASSERT_EQ(poll.woken, 0);
}

kemu::MachineOptions Mode(int mode) {
  if (mode == 0) return {.verifier = true};
  return {.verifier = false, .checked_build = mode == 1};
}

TEST(EventReinitTest, AnEventInitialisedWhileAThreadWaitsOnItIs0x139InEveryMode) {
  for (int mode = 0; mode < 3; ++mode) {
    kemu::Machine machine(Mode(mode));
    Poll poll;
    Start(machine, poll);
    const kemu::BugCheck crash =
        CrashOf([&] { KeInitializeEvent(&poll.wake, SynchronizationEvent, FALSE); });
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3, 0, 0, 0));
    EXPECT_THAT(crash.report(), HasSubstr("KeInitializeEvent initialised the event at"));
    EXPECT_THAT(crash.report(), HasSubstr("(KeWaitForSingleObject)"));
    machine.Abandon();
  }
}

TEST(EventReinitTest, ASemaphoreInitialisedWhileAThreadWaitsOnItIsReportedToo) {
  kemu::Machine machine(kemu::MachineOptions{});
  Poll poll;
  poll.on_semaphore = true;
  Start(machine, poll);
  EXPECT_THAT(CrashOf([&] { KeInitializeSemaphore(&poll.slots, 0, 1); }),
              BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3, 0, 0, 0));
  machine.Abandon();
}

// Correct use stays silent: the waiter woken and ended first, then the event initialised again.
TEST(EventReinitTest, AnEventInitialisedAgainAfterItsWaiterWokeIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{});
  Poll poll;
  Start(machine, poll);
  KeSetEvent(&poll.wake, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(KeWaitForSingleObject(poll.thread, Executive, KernelMode, FALSE, nullptr),
            STATUS_WAIT_0);
  ObDereferenceObject(poll.thread);
  EXPECT_EQ(poll.woken, 1);
  KeInitializeEvent(&poll.wake, NotificationEvent, FALSE);
  EXPECT_FALSE(machine.crashed());
  machine.Shutdown();
}

}  // namespace
