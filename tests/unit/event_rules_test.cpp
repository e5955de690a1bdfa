// Verifier rules of events, waits and critical regions: each with the misuse that triggers it and
// the correct use that stays silent. SL-12 for KeAreApcsDisabled.
#include <wdm.h>

#include <cstring>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

using ::kemu_test::BugCheckWith;

kemu::MachineOptions Retail() { return {.verifier = false, .checked_build = false}; }
kemu::MachineOptions Checked() { return {.verifier = false, .checked_build = true}; }

LARGE_INTEGER Relative100ns(LONGLONG ticks) {
  LARGE_INTEGER value;
  value.QuadPart = -ticks;
  return value;
}

// ---------------------------------------------------------------------------------------------
// KeSetEvent above DISPATCH_LEVEL.

TEST(EventRulesTest, SetEventAboveDispatchIsVerifierCode0x80) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { KeSetEvent(&event, IO_NO_INCREMENT, FALSE); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kSetEventAboveDispatch, HIGH_LEVEL,
                           reinterpret_cast<std::uintptr_t>(&event)));
}

TEST(EventRulesTest, SetEventAboveDispatchOnACheckedKernelIsIrqlNotLessOrEqual) {
  kemu::Machine machine(Checked());
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { KePulseEvent(&event, IO_NO_INCREMENT, FALSE); }),
              BugCheckWith(kemu::bugcheck::kIrqlNotLessOrEqual, 0, HIGH_LEVEL));
}

TEST(EventRulesTest, SetEventAboveDispatchOnARetailKernelGoesUnnoticed) {
  kemu::Machine machine(Retail());
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  KeLowerIrql(old);
}

// ---------------------------------------------------------------------------------------------
// Waits at raised IRQL.

TEST(EventRulesTest, BlockingWaitAtDispatchIsKernelApiAtWrongIrqlUnderVistasVerifier) {
  // Windows 7 on: 0x122 (verifier_irql_codes_test.cpp).
  kemu::Machine machine(kemu::Os::kWindowsVista);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, TRUE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  LARGE_INTEGER timeout = Relative100ns(100);
  EXPECT_THAT(
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout); }),
      BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                   kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL));
}

TEST(EventRulesTest, NullTimeoutWaitAtDispatchOnACheckedKernelIsIrqlNotLessOrEqual) {
  kemu::Machine machine(Checked());
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, TRUE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); }),
      BugCheckWith(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL));
}

TEST(EventRulesTest, RetailWaitAtDispatchSurvivesOnlyIfItNeedNotBlock) {
  kemu::Machine machine(Retail());
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, TRUE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_THAT(
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); }),
      BugCheckWith(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL));
}

TEST(EventRulesTest, ZeroTimeoutWaitAtDispatchIsAllowed) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
  KeLowerIrql(old);
  machine.Shutdown();
}

TEST(EventRulesTest, WaitAboveDispatchIsRefusedEvenWithAZeroTimeout) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, TRUE);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  EXPECT_THAT(CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kWaitAboveDispatch, HIGH_LEVEL,
                           reinterpret_cast<std::uintptr_t>(&event),
                           reinterpret_cast<std::uintptr_t>(&zero)));
}

TEST(EventRulesTest, DelayAtDispatchIsRefused) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  LARGE_INTEGER interval = Relative100ns(10);
  EXPECT_THAT(CrashOf([&] { KeDelayExecutionThread(KernelMode, FALSE, &interval); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL));
}

TEST(EventRulesTest, WaitAtApcLevelMayBlock) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  LARGE_INTEGER timeout = Relative100ns(100);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout), STATUS_TIMEOUT);
  KeLowerIrql(old);
  machine.Shutdown();
}

// ---------------------------------------------------------------------------------------------
// Objects and counts.

TEST(EventRulesTest, WaitOnAnUninitializedEventStopsTheMachine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  std::memset(&event, 0, sizeof event);
  EXPECT_THAT(
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); }),
      BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                   kemu::verifier_code::kInvalidKernelObject,
                   reinterpret_cast<std::uintptr_t>(&event)));
}

TEST(EventRulesTest, MoreThanThreeObjectsNeedAWaitBlockArray) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT events[4];
  PVOID objects[4];
  for (int i = 0; i < 4; ++i) {
    KeInitializeEvent(&events[i], NotificationEvent, TRUE);
    objects[i] = &events[i];
  }
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  KWAIT_BLOCK blocks[4];
  EXPECT_EQ(
      KeWaitForMultipleObjects(4, objects, WaitAll, Executive, KernelMode, FALSE, &zero, blocks),
      STATUS_WAIT_0);
  EXPECT_THAT(CrashOf([&] {
                KeWaitForMultipleObjects(4, objects, WaitAll, Executive, KernelMode, FALSE, &zero,
                                         nullptr);
              }),
              BugCheckIs(kemu::bugcheck::kMaximumWaitObjectsExceeded));
}

TEST(EventRulesTest, EventTypeOutsideTheEnumIsReportedUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  EXPECT_THAT(CrashOf([&] { KeInitializeEvent(&event, static_cast<EVENT_TYPE>(7), FALSE); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kEnumArgumentOutOfRange, 7,
                           reinterpret_cast<std::uintptr_t>(&event)));
}

TEST(EventRulesTest, EventTypeOutsideTheEnumIsANotificationEventWithoutVerifier) {
  kemu::Machine machine(Retail());
  KEVENT event;
  KeInitializeEvent(&event, static_cast<EVENT_TYPE>(7), FALSE);
  EXPECT_EQ(event.Header.Type, EventNotificationObject);
  machine.Shutdown();
}

// ---------------------------------------------------------------------------------------------
// Critical regions (SL-12).

TEST(EventRulesTest, KeAreApcsDisabledFollowsCriticalRegionsNotIrql) {  // SL-12
  kemu::Machine machine(kemu::Os::kWindows10);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  EXPECT_FALSE(KeAreApcsDisabled());
  KeReleaseSpinLock(&lock, old);
  KeEnterCriticalRegion();
  KeEnterCriticalRegion();
  EXPECT_TRUE(KeAreApcsDisabled());
  KeLeaveCriticalRegion();
  EXPECT_TRUE(KeAreApcsDisabled());
  KeLeaveCriticalRegion();
  EXPECT_FALSE(KeAreApcsDisabled());
  machine.Shutdown();
}

TEST(EventRulesTest, LeavingACriticalRegionNeverEnteredIsApcIndexMismatch) {
  // Under Verifier: 0xC4 / 0x3E (verifier_irql_codes_test.cpp).
  kemu::Machine machine(Retail());
  EXPECT_THAT(CrashOf([] { KeLeaveCriticalRegion(); }),
              BugCheckWith(kemu::bugcheck::kApcIndexMismatch, 0, 0, 0xFFFF));
}

TEST(EventRulesTest, ACriticalRegionLeftOpenIsALeakAtShutdown) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KeEnterCriticalRegion();
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("inside 1 critical region"));
}

}  // namespace
