// A system thread's view of itself: the current-thread pseudo-handle (NtCurrentThread()) that
// ObReferenceObjectByHandle turns into the thread's own object, and an exception the thread
// leaves unhandled, which is Bug Check 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED as in a work
// item's worker thread (audit round 19, B-S4 and B-S10; docs/kernel.md, "System threads").
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint64_t kStatusMutantNotOwned = 0xC0000046;
constexpr std::uint64_t kStatusSemaphoreLimitExceeded = 0xC0000047;

class SystemThreadSelfTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, SystemThreadSelfTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

struct Self {
  PETHREAD current = nullptr;
  PVOID referenced = nullptr;
  NTSTATUS status = STATUS_UNSUCCESSFUL;
};

VOID ReferenceItself(PVOID context) {
  auto* self = static_cast<Self*>(context);
  self->current = PsGetCurrentThread();
  self->status = ObReferenceObjectByHandle(NtCurrentThread(), THREAD_ALL_ACCESS, *PsThreadType,
                                           KernelMode, &self->referenced, nullptr);
}

// Runs `routine` as a system thread and waits for its end.
NTSTATUS RunThread(PKSTART_ROUTINE routine, PVOID context) {
  HANDLE handle = nullptr;
  NTSTATUS status =
      PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, routine, context);
  if (!NT_SUCCESS(status)) return status;
  PVOID thread = nullptr;
  status = ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &thread,
                                     nullptr);
  ZwClose(handle);
  if (!NT_SUCCESS(status)) return status;
  status = KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(thread);
  return status;
}

TEST_P(SystemThreadSelfTest, NtCurrentThreadReferencesTheRunningThreadsOwnObject) {
  Self self;
  ASSERT_EQ(RunThread(&ReferenceItself, &self), STATUS_WAIT_0);
  EXPECT_EQ(self.status, STATUS_SUCCESS);
  EXPECT_EQ(self.referenced, static_cast<PVOID>(self.current));
  ObDereferenceObject(self.referenced);  // the reference the thread took is the driver's to drop
  EXPECT_FALSE(machine().crashed());
}

TEST_P(SystemThreadSelfTest, NtCurrentThreadOutsideASystemThreadStopsByName) {
  PVOID object = nullptr;
  try {
    (void)ObReferenceObjectByHandle(NtCurrentThread(), THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                    &object, nullptr);
    FAIL() << "ObReferenceObjectByHandle returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("NtCurrentThread()) outside a system thread"));
  }
}

struct Started {
  volatile LONG ready = 0;
};

VOID SignalReady(PVOID context) { InterlockedExchange(&static_cast<Started*>(context)->ready, 1); }

// A start path that polls for its new thread with zero-interval delays: each one gives the rest
// of the time slice to the ready thread, so the loop ends even on one vCPU, without moving
// virtual time (audit round 19, B-S11; the Sleep page: zero "relinquish[es] the remainder of
// its time slice to any other thread that is ready to run").
TEST_P(SystemThreadSelfTest, PollingWithZeroDelaysLetsTheReadyThreadRun) {
  Started started;
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &SignalReady, &started),
            STATUS_SUCCESS);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  int polls = 0;
  while (InterlockedCompareExchange(&started.ready, 0, 0) == 0 && polls < 1000) {
    KeDelayExecutionThread(KernelMode, FALSE, &zero);
    ++polls;
  }
  EXPECT_EQ(started.ready, 1);
  EXPECT_LE(polls, 1);  // none when the schedule ran the thread first
  EXPECT_EQ(machine().InterruptTime(), 0u);
  PVOID thread = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &thread,
                                      nullptr),
            STATUS_SUCCESS);
  ZwClose(handle);
  EXPECT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  ObDereferenceObject(thread);
}

struct Misuse {
  KSEMAPHORE semaphore;
  KMUTEX mutex;
  int which = 0;
};

VOID MisuseInThread(PVOID context) {
  auto* misuse = static_cast<Misuse*>(context);
  if (misuse->which == 0) {
    KeReleaseSemaphore(&misuse->semaphore, IO_NO_INCREMENT, 2, FALSE);  // past its limit of 1
  } else {
    KeReleaseMutex(&misuse->mutex, FALSE);  // nobody owns it
  }
}

// The 0x7E page: "a system thread generated an exception that the error handler didn't catch".
TEST_P(SystemThreadSelfTest, AnExceptionTheThreadLeavesUnhandledIsSystemThreadExceptionNotHandled) {
  Misuse misuse;
  KeInitializeSemaphore(&misuse.semaphore, 0, 1);
  EXPECT_THAT(CrashOf([&] { (void)RunThread(&MisuseInThread, &misuse); }),
              BugCheckIs(kemu::bugcheck::kSystemThreadExceptionNotHandled,
                         kStatusSemaphoreLimitExceeded, 0, 0, 0));
}

TEST_P(SystemThreadSelfTest, AMutexReleasedByTheThreadThatDoesNotOwnItIs0x7E) {
  Misuse misuse;
  misuse.which = 1;
  KeInitializeMutex(&misuse.mutex, 0);
  EXPECT_THAT(
      CrashOf([&] { (void)RunThread(&MisuseInThread, &misuse); }),
      BugCheckIs(kemu::bugcheck::kSystemThreadExceptionNotHandled, kStatusMutantNotOwned, 0, 0, 0));
}

// The test's own context is no system thread: the same release there stays 0x1E.
TEST_P(SystemThreadSelfTest, TheSameExceptionOutsideASystemThreadIsKmodeExceptionNotHandled) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 0, 1);
  EXPECT_THAT(CrashOf([&] { KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 2, FALSE); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusSemaphoreLimitExceeded));
}

}  // namespace
