// A DPC or an ISR that runs while a system thread holds the vCPU runs to its end before anything
// else runs on that vCPU: "an ordinary DPC preempts the execution of all threads, and cannot be
// preempted by a thread or by another DPC" (Microsoft, "Introduction to Threaded DPCs"), and an
// ISR runs to its return on its processor. When the thread that moves virtual time (its delay
// was the only thing left to wait for) had given its vCPU back, the vCPU's own context, the test
// waiting for what the DPC signals, resumed inside the DPC at IRQL 2 (audit round 18, Z S1).
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

// The driver: a thread that polls with a 1 ms delay until told to stop, and a timer whose DPC
// signals the event the test waits for, then goes on under a spin lock.
struct Poller {
  KTIMER timer;
  KDPC dpc;
  KSPIN_LOCK lock;
  KEVENT stop;
  KEVENT done;
  int dpc_starts = 0;
  int dpc_ends = 0;
  bool isr_finished = false;
  PVOID thread = nullptr;

  Poller() {
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, &SignalThenLock, this);
    KeInitializeSpinLock(&lock);
    KeInitializeEvent(&stop, NotificationEvent, FALSE);
    KeInitializeEvent(&done, NotificationEvent, FALSE);
  }

  static VOID SignalThenLock(PKDPC, PVOID context, PVOID, PVOID) {
    auto* poller = static_cast<Poller*>(context);
    ++poller->dpc_starts;
    KeSetEvent(&poller->done, IO_NO_INCREMENT, FALSE);
    KeAcquireSpinLockAtDpcLevel(&poller->lock);  // a kernel call: a schedule point
    KeReleaseSpinLockFromDpcLevel(&poller->lock);
    ++poller->dpc_ends;
  }

  static VOID Poll(PVOID context) {
    auto* poller = static_cast<Poller*>(context);
    LARGE_INTEGER interval;
    interval.QuadPart = -10 * 1000;  // 1 ms
    while (KeReadStateEvent(&poller->stop) == 0) {
      KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
  }

  void StartThread() {
    HANDLE handle = nullptr;
    ASSERT_EQ(
        PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &Poll, this),
        STATUS_SUCCESS);
    ASSERT_EQ(
        ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr),
        STATUS_SUCCESS);
    ASSERT_EQ(ZwClose(handle), STATUS_SUCCESS);
  }

  NTSTATUS StopThread() {
    KeSetEvent(&stop, IO_NO_INCREMENT, FALSE);
    const NTSTATUS status = KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
    ObDereferenceObject(thread);
    return status;
  }
};

class ThreadPreemptionTest : public kemu::testing::MachineTest {};

INSTANTIATE_TEST_SUITE_P(
    Machines, ThreadPreemptionTest,
    ::testing::Combine(::testing::Values(kemu::Os::kWindowsXP, kemu::Os::kWindows10),
                       ::testing::Values(1u, 2u),
                       ::testing::Values(kemu::KernelMode::kVerifier, kemu::KernelMode::kRetail)),
    kemu::testing::MachineName());

TEST_P(ThreadPreemptionTest, TheWaiterResumesOnlyAfterTheTimerDpcOnTheThreadsVcpuEnds) {
  Poller poller;
  LARGE_INTEGER due;
  due.QuadPart = -25 * 1000;  // 2.5 ms: between two of the thread's polls
  KeSetTimer(&poller.timer, due, &poller.dpc);
  poller.StartThread();
  EXPECT_EQ(KeWaitForSingleObject(&poller.done, Executive, KernelMode, FALSE, nullptr),
            STATUS_WAIT_0);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL) << "the test resumed inside the DPC";
  EXPECT_EQ(poller.dpc_starts, 1);
  EXPECT_EQ(poller.dpc_ends, 1);
  EXPECT_EQ(poller.StopThread(), STATUS_WAIT_0);
  EXPECT_EQ(machine().InterruptTime(), 30000u);  // the thread's third poll ended at 3 ms
}

TEST_P(ThreadPreemptionTest, APeriodicTimerDpcTakingALockNeverRunsHalfwayIntoTheTestsDelay) {
  Poller poller;
  LARGE_INTEGER due;
  due.QuadPart = -50 * 1000;  // 5 ms, then every 5 ms
  KeSetTimerEx(&poller.timer, due, 5, &poller.dpc);
  poller.StartThread();
  LARGE_INTEGER interval;
  interval.QuadPart = -500 * 1000;  // 50 ms: the DPC due at 50 ms runs as the delay ends
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &interval), STATUS_SUCCESS);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL) << "the test resumed inside the DPC";
  // Due at 5, 10, ..., 50 ms: the tenth expires with the delay and runs before the test resumes.
  EXPECT_EQ(poller.dpc_starts, 10);
  EXPECT_EQ(poller.dpc_ends, 10);
  KeCancelTimer(&poller.timer);
  KeFlushQueuedDpcs();
  EXPECT_EQ(poller.StopThread(), STATUS_WAIT_0);
}

BOOLEAN SignalFromIsr(PKINTERRUPT, PVOID context) {
  auto* poller = static_cast<Poller*>(context);
  // A kernel call in the middle of the ISR: a schedule point, where the test once resumed at DIRQL.
  (void)KeQueryInterruptTime();
  poller->isr_finished = true;
  KeInsertQueueDpc(&poller->dpc, nullptr, nullptr);
  return TRUE;
}

TEST_P(ThreadPreemptionTest, AnInterruptDueWhileTheThreadMovesTimeRunsToItsEndFirst) {
  Poller poller;
  constexpr kemu::LineInterrupt kLine{.vector = 0x51, .irql = 5, .mode = kemu::Trigger::kEdge};
  kemu::Device& device = machine().AddDevice({.name = "dev0", .line = kLine});
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &SignalFromIsr, &poller, nullptr, kLine.vector,
                               kLine.irql, kLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  device.ScheduleAt(2500, kemu::DeviceAction::kPulseLine);  // 2.5 ms, between two polls
  poller.StartThread();
  EXPECT_EQ(KeWaitForSingleObject(&poller.done, Executive, KernelMode, FALSE, nullptr),
            STATUS_WAIT_0);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL) << "the test resumed inside the ISR or its DPC";
  EXPECT_TRUE(poller.isr_finished);
  EXPECT_EQ(poller.dpc_starts, 1);
  EXPECT_EQ(poller.dpc_ends, 1);
  EXPECT_EQ(poller.StopThread(), STATUS_WAIT_0);
  IoDisconnectInterrupt(interrupt);
}

}  // namespace
