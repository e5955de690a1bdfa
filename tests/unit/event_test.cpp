// Events and waits: KeInitializeEvent, KeSetEvent, KeResetEvent, KeClearEvent, KeReadStateEvent,
// KePulseEvent, KeWaitForSingleObject, KeWaitForMultipleObjects and KeDelayExecutionThread
// against conformance EV-1..EV-3, in virtual time.
#include <wdm.h>

#include <cstring>

#include "kemu/testing/gtest.hpp"

extern "C" NTSTATUS WaitCallsStopPath(PDEVICE_OBJECT DeviceObject, LONG* ran);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

class EventTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, EventTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

LARGE_INTEGER Relative100ns(LONGLONG ticks) {
  LARGE_INTEGER value;
  value.QuadPart = -ticks;
  return value;
}

LARGE_INTEGER Zero() {
  LARGE_INTEGER value;
  value.QuadPart = 0;
  return value;
}

// ---------------------------------------------------------------------------------------------
// State routines.

TEST_P(EventTest, KeInitializeEventWritesTheHeader) {
  KEVENT event;
  std::memset(&event, 0xCC, sizeof event);
  KeInitializeEvent(&event, SynchronizationEvent, TRUE);
  EXPECT_EQ(event.Header.Type, EventSynchronizationObject);
  EXPECT_EQ(event.Header.Size, sizeof(KEVENT) / sizeof(LONG));
  EXPECT_EQ(event.Header.SignalState, 1);
  EXPECT_EQ(event.Header.WaitListHead.Flink, &event.Header.WaitListHead);
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  EXPECT_EQ(event.Header.Type, EventNotificationObject);
  EXPECT_EQ(event.Header.SignalState, 0);
}

TEST_P(EventTest, KeSetEventReturnsThePreviousStateRaw) {  // EV-1
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  event.Header.SignalState = 0x23456789;
  EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0x23456789);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
  EXPECT_EQ(KeSetEvent(&event, EVENT_INCREMENT, FALSE), 1);
}

TEST_P(EventTest, ResetPulseAndClearLeaveTheEventNotSignalled) {  // EV-1
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, TRUE);
  event.Header.SignalState = 0x1234;
  EXPECT_EQ(KeResetEvent(&event), 0x1234);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  EXPECT_EQ(KePulseEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  event.Header.SignalState = 5;
  KeClearEvent(&event);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
}

TEST_P(EventTest, StateRoutinesWorkAtDispatchLevel) {  // EV-1
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
  EXPECT_EQ(KeResetEvent(&event), 1);
  KeLowerIrql(old);
}

// ---------------------------------------------------------------------------------------------
// Waits that are satisfied or time out at once (EV-3).

TEST_P(EventTest, SynchronizationEventResetsAfterASatisfiedWait) {  // EV-3
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, TRUE);
  LARGE_INTEGER zero = Zero();
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
}

TEST_P(EventTest, NotificationEventStaysSignalledAfterASatisfiedWait) {  // EV-3
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, TRUE);
  LARGE_INTEGER zero = Zero();
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_WAIT_0);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
}

TEST_P(EventTest, WaitAnyReturnsTheLowestSignalledIndex) {  // EV-3
  KEVENT events[3];
  KeInitializeEvent(&events[0], SynchronizationEvent, FALSE);
  KeInitializeEvent(&events[1], SynchronizationEvent, TRUE);
  KeInitializeEvent(&events[2], SynchronizationEvent, TRUE);
  PVOID objects[] = {&events[0], &events[1], &events[2]};
  LARGE_INTEGER zero = Zero();
  EXPECT_EQ(
      KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE, &zero, nullptr),
      STATUS_WAIT_0 + 1);
  EXPECT_EQ(KeReadStateEvent(&events[1]), 0);  // only the one that satisfied the wait
  EXPECT_EQ(KeReadStateEvent(&events[2]), 1);
  EXPECT_EQ(
      KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE, &zero, nullptr),
      STATUS_WAIT_0 + 2);
}

TEST_P(EventTest, WaitAllNeedsEveryObjectAndConsumesThemAll) {  // EV-3
  KEVENT events[2];
  KeInitializeEvent(&events[0], SynchronizationEvent, TRUE);
  KeInitializeEvent(&events[1], SynchronizationEvent, FALSE);
  PVOID objects[] = {&events[0], &events[1]};
  LARGE_INTEGER zero = Zero();
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &zero, nullptr),
      STATUS_TIMEOUT);
  EXPECT_EQ(KeReadStateEvent(&events[0]), 1);  // a failed WaitAll consumes nothing
  KeSetEvent(&events[1], IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &zero, nullptr),
      STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&events[0]), 0);
  EXPECT_EQ(KeReadStateEvent(&events[1]), 0);
}

TEST_P(EventTest, ZeroTimeoutPollsWithoutMovingTime) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER zero = Zero();
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
  EXPECT_EQ(machine().InterruptTime(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Timed waits and delays in virtual time.

TEST_P(EventTest, RelativeTimeoutOnTheOnlyContextAdvancesTimeAndTimesOut) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER timeout = Relative100ns(500000);  // 50 ms
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout), STATUS_TIMEOUT);
  EXPECT_EQ(machine().InterruptTime(), 500000u);
  EXPECT_EQ(KeQueryInterruptTime(), 500000u);
}

TEST_P(EventTest, AbsoluteTimeoutIsASystemTime) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER now;
  KeQuerySystemTime(&now);
  LARGE_INTEGER deadline;
  deadline.QuadPart = now.QuadPart + 1000;
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &deadline), STATUS_TIMEOUT);
  EXPECT_EQ(machine().InterruptTime(), 1000u);
  // A system time already past times out at once.
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &now), STATUS_TIMEOUT);
  EXPECT_EQ(machine().InterruptTime(), 1000u);
}

TEST_P(EventTest, KeDelayExecutionThreadMovesVirtualTime) {
  LARGE_INTEGER interval = Relative100ns(10000);
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &interval), STATUS_SUCCESS);
  EXPECT_EQ(machine().InterruptTime(), 10000u);
  LARGE_INTEGER zero = Zero();
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &zero), STATUS_SUCCESS);
  EXPECT_EQ(machine().InterruptTime(), 10000u);
}

TEST_P(EventTest, WaitNobodyCanSatisfyIsTheDeadlockReport) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("the event at"));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("KeWaitForSingleObject"));
}

// ---------------------------------------------------------------------------------------------
// KeSetEvent(..., Wait=TRUE) (EV-2).

TEST_P(EventTest, SetEventWithWaitReturnsAtDispatchUntilTheNextWait) {  // EV-2
  KEVENT event;
  KEVENT other;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KeInitializeEvent(&other, NotificationEvent, TRUE);
  EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, TRUE), 0);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  // The wait that follows runs at the caller's IRQL, so it may block.
  EXPECT_EQ(KeWaitForSingleObject(&other, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

// ---------------------------------------------------------------------------------------------
// From C: timer -> DPC -> work item -> event -> the waiting stop path.

TEST_P(EventTest, CStopPathWaitsForTheWorkItemItsTimerQueued) {  // DPC-9
  DEVICE_OBJECT device{};
  LONG ran = 0;
  EXPECT_EQ(WaitCallsStopPath(&device, &ran), STATUS_WAIT_0);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(machine().InterruptTime(), 10000u);  // the timer's due time, not the timeout
}

}  // namespace
