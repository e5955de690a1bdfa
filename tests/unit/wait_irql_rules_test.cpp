// The IRQL rules of waiting: KeSetEvent(..., Wait=TRUE) only at IRQL <= APC_LEVEL (DDI rule
// IrqlKeSetEvent) and followed by a wait, and a DPC routine that would block (0xB8
// ATTEMPTED_SWITCH_FROM_DPC), each with the correct use beside it.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

// A Windows 10 machine running at DISPATCH_LEVEL under a spin lock, with an event to set.
struct UnderASpinLock {
  UnderASpinLock() {
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KeInitializeSpinLock(&lock);
    KeAcquireSpinLock(&lock, &old);
  }
  kemu::Machine machine{kemu::Os::kWindows10};
  KEVENT event{};
  KSPIN_LOCK lock = 0;
  KIRQL old = PASSIVE_LEVEL;
};

TEST(WaitIrqlRulesTest, SetEventWithWaitUnderASpinLockIsTheIrqlKeSetEventRule) {
  UnderASpinLock rig;
  const kemu::BugCheck crash = CrashOf([&] { KeSetEvent(&rig.event, IO_NO_INCREMENT, TRUE); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kIrqlKeSetEvent));
  EXPECT_THAT(crash.what(), HasSubstr("KeSetEvent was called at IRQL 2"));
}

TEST(WaitIrqlRulesTest, SetEventWithoutWaitUnderASpinLockIsSilent) {
  UnderASpinLock rig;
  EXPECT_EQ(KeSetEvent(&rig.event, IO_NO_INCREMENT, FALSE), 0);
  KeReleaseSpinLock(&rig.lock, rig.old);
  rig.machine.Shutdown();
  EXPECT_FALSE(rig.machine.crashed());
}

TEST(WaitIrqlRulesTest, SetEventWithWaitAndNoWaitAfterItIsNamedAtShutdown) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KeSetEvent(&event, IO_NO_INCREMENT, TRUE);
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash.what(), HasSubstr("vCPU 0 is still at IRQL 2"));
  EXPECT_THAT(crash.what(), HasSubstr("with Wait=TRUE left it at DISPATCH_LEVEL"));
}

struct DpcWait {
  KEVENT event{};
  LONGLONG timeout = 0;
  NTSTATUS status = STATUS_PENDING;
};

VOID WaitingDpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  auto* wait = static_cast<DpcWait*>(context);
  LARGE_INTEGER timeout;
  timeout.QuadPart = wait->timeout;
  wait->status = KeWaitForSingleObject(&wait->event, Executive, KernelMode, FALSE, &timeout);
}

NTSTATUS RunWaitingDpc(DpcWait& wait) {
  KDPC dpc;
  KeInitializeEvent(&wait.event, NotificationEvent, FALSE);
  KeInitializeDpc(&dpc, WaitingDpc, &wait);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);  // at PASSIVE_LEVEL: it runs at once
  return wait.status;
}

TEST(WaitIrqlRulesTest, ADpcThatWouldBlockIsAttemptedSwitchFromDpcWithoutVerifier) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  DpcWait wait{.timeout = -100000};  // 10 ms
  const kemu::BugCheck crash = CrashOf([&] { RunWaitingDpc(wait); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kAttemptedSwitchFromDpc));
  EXPECT_THAT(crash.what(), HasSubstr("ATTEMPTED_SWITCH_FROM_DPC"));
  EXPECT_THAT(crash.what(), HasSubstr("inside a DPC routine"));
}

TEST(WaitIrqlRulesTest, ADpcThatPollsWithAZeroTimeoutIsSilent) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  DpcWait wait{.timeout = 0};
  EXPECT_EQ(RunWaitingDpc(wait), STATUS_TIMEOUT);
  EXPECT_FALSE(machine.crashed());
}

TEST(WaitIrqlRulesTest, BlockingAtDispatchOutsideADpcIsStillTheIrqlFault) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  LARGE_INTEGER timeout;
  timeout.QuadPart = -100000;
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
}

// KeDelayExecutionThread on a retail kernel, which does not check its IRQL: a nonzero delay
// always blocks, so it is the same fault as a wait that must block (audit round 13: it returned).
kemu::MachineOptions Retail() {
  return {.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false};
}

TEST(WaitIrqlRulesTest, ADelayAtDispatchLevelIsTheIrqlFaultOnARetailKernel) {
  kemu::Machine machine(Retail());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  LARGE_INTEGER interval;
  interval.QuadPart = -10000;  // 1 ms
  const kemu::BugCheck crash =
      CrashOf([&] { KeDelayExecutionThread(KernelMode, FALSE, &interval); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("KeDelayExecutionThread had to block at IRQL 2"));
}

VOID DelayingDpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  LARGE_INTEGER interval;
  interval.QuadPart = *static_cast<LONGLONG*>(context);
  (void)KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

TEST(WaitIrqlRulesTest, ADelayInADpcIsAttemptedSwitchFromDpcOnARetailKernel) {
  kemu::Machine machine(Retail());
  LONGLONG interval = -10000;
  KDPC dpc;
  KeInitializeDpc(&dpc, DelayingDpc, &interval);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kAttemptedSwitchFromDpc));
  EXPECT_THAT(crash.what(), HasSubstr("KeDelayExecutionThread had to block inside a DPC routine"));
}

// The silent twin: a zero delay in a DPC gives up nothing it may not (it only yields).
TEST(WaitIrqlRulesTest, AZeroDelayInADpcIsSilentOnARetailKernel) {
  kemu::Machine machine(Retail());
  LONGLONG interval = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, DelayingDpc, &interval);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
