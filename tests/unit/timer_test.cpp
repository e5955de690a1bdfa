// Timers (conformance DPC-9) and the virtual-time queries: timers expire as virtual time moves
// (Machine::AdvanceTime, KeStallExecutionProcessor, timed waits), signal their header and queue
// their DPC.
#include <wdm.h>

#include <cstring>
#include <vector>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

using ::kemu_test::BugCheckWith;

class TimerTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, TimerTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

LARGE_INTEGER Relative100ns(LONGLONG ticks) {
  LARGE_INTEGER value;
  value.QuadPart = -ticks;
  return value;
}

struct Fired {
  std::vector<std::uint64_t> times;  ///< interrupt time of each run
  KIRQL irql = 0xFF;
  PVOID argument1 = nullptr;
  PVOID argument2 = nullptr;
  PKEVENT to_set = nullptr;
};

VOID TimerDpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  auto* fired = static_cast<Fired*>(context);
  fired->times.push_back(KeQueryInterruptTime());
  fired->irql = KeGetCurrentIrql();
  fired->argument1 = argument1;
  fired->argument2 = argument2;
  if (fired->to_set != nullptr) KeSetEvent(fired->to_set, IO_NO_INCREMENT, FALSE);
}

TEST_P(TimerTest, KeInitializeTimerExSetsTypeAndSignalState) {  // DPC-9
  KTIMER timer;
  std::memset(&timer, 0xCC, sizeof timer);
  KeInitializeTimerEx(&timer, SynchronizationTimer);
  EXPECT_EQ(timer.Header.Type, TimerSynchronizationObject);
  EXPECT_EQ(timer.Header.SignalState, 0);
  KeInitializeTimer(&timer);
  EXPECT_EQ(timer.Header.Type, TimerNotificationObject);
  EXPECT_FALSE(KeReadStateTimer(&timer));
}

TEST_P(TimerTest, TimerDpcRunsWhenVirtualTimeReachesTheDueTime) {  // DPC-9
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  EXPECT_FALSE(KeSetTimerEx(&timer, Relative100ns(1000), 0, &dpc));
  machine().AdvanceTime(99);  // 990 ticks
  EXPECT_TRUE(fired.times.empty());
  EXPECT_FALSE(KeReadStateTimer(&timer));
  machine().AdvanceTime(5);
  ASSERT_EQ(fired.times.size(), 1u);
  EXPECT_EQ(fired.times[0], 1000u);  // at its due time, not at the end of the advance
  EXPECT_EQ(fired.irql, DISPATCH_LEVEL);
  EXPECT_TRUE(KeReadStateTimer(&timer));
  // The DPC's arguments are the expiry's system time, low and high halves.
  LARGE_INTEGER now;
  KeQuerySystemTime(&now);
  const std::uint64_t expiry = static_cast<std::uint64_t>(now.QuadPart) - 40;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(fired.argument1), expiry & 0xFFFFFFFF);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(fired.argument2), expiry >> 32);
}

TEST_P(TimerTest, KeCancelTimerBeforeExpiryPreventsTheDpc) {  // DPC-9
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimer(&timer, Relative100ns(1000), &dpc);
  EXPECT_TRUE(KeCancelTimer(&timer));
  EXPECT_FALSE(KeCancelTimer(&timer));
  machine().AdvanceTime(1000);
  EXPECT_TRUE(fired.times.empty());
}

TEST_P(TimerTest, PeriodicTimerFiresEveryPeriodUntilReSetOneShot) {  // DPC-9
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimerEx(&timer, Relative100ns(10000), 2, &dpc);  // 1 ms, then every 2 ms
  machine().AdvanceTime(5000);
  EXPECT_EQ(fired.times, (std::vector<std::uint64_t>{10000, 30000, 50000}));
  // Re-setting with period 0 makes it one-shot.
  EXPECT_TRUE(KeSetTimerEx(&timer, Relative100ns(10000), 0, &dpc));
  machine().AdvanceTime(10000);
  EXPECT_EQ(fired.times.size(), 4u);
  EXPECT_FALSE(KeCancelTimer(&timer));
}

TEST_P(TimerTest, ReInitializingASetTimerDoesNotStopItsDpc) {  // DPC-9
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimerEx(&timer, Relative100ns(100), 0, &dpc);
  KeInitializeTimerEx(&timer, NotificationTimer);
  machine().AdvanceTime(10);
  EXPECT_EQ(fired.times.size(), 1u);
}

TEST_P(TimerTest, KeStallExecutionProcessorExpiresTimers) {
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimer(&timer, Relative100ns(500), &dpc);
  KeStallExecutionProcessor(100);
  EXPECT_EQ(fired.times, (std::vector<std::uint64_t>{500}));
}

TEST_P(TimerTest, TimerDpcQueuedAtDispatchRunsWhenTheIrqlDrops) {
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimer(&timer, Relative100ns(10), &dpc);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeStallExecutionProcessor(5);
  EXPECT_TRUE(fired.times.empty());
  KeLowerIrql(old);
  EXPECT_EQ(fired.times.size(), 1u);
}

TEST_P(TimerTest, WaitingOnATimerAdvancesToItsDueTime) {
  KTIMER timer;
  KeInitializeTimerEx(&timer, SynchronizationTimer);
  KeSetTimer(&timer, Relative100ns(2500), nullptr);
  EXPECT_EQ(KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(machine().InterruptTime(), 2500u);
  EXPECT_FALSE(KeReadStateTimer(&timer));  // a synchronization timer is consumed by the wait
}

TEST_P(TimerTest, EventSetByATimerDpcEndsAWaitBeforeItsTimeout) {
  KTIMER timer;
  KDPC dpc;
  KEVENT event;
  Fired fired;
  fired.to_set = &event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimer(&timer, Relative100ns(3000), &dpc);
  LARGE_INTEGER timeout = Relative100ns(10000);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout), STATUS_WAIT_0);
  EXPECT_EQ(machine().InterruptTime(), 3000u);
}

// Found by kemu_fuzz_kernel_api: a wait nothing will satisfy, beside a periodic timer, used to
// advance virtual time from expiry to expiry forever. Windows would hang; kemu reports the wait.
TEST_P(TimerTest, AWaitOnlyAPeriodicTimerKeepsAliveIsReportedNotSpunForever) {
  KTIMER timer;
  KDPC dpc;
  KEVENT never_set;
  Fired fired;  // the DPC sets nothing
  KeInitializeEvent(&never_set, NotificationEvent, FALSE);
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimerEx(&timer, Relative100ns(10000), /*Period=*/1, &dpc);  // every millisecond
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&never_set, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kWaitNeverCompletes, 0));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("still waiting after 100000 timer expirations"));
  EXPECT_GE(fired.times.size(), 99999u);
}

// What a timer DPC sees of another timer: whether it was signalled when the DPC ran.
struct Sibling {
  PKTIMER other = nullptr;
  LONG other_state = -1;
};

VOID ReadSiblingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& sibling = *static_cast<Sibling*>(context);
  sibling.other_state = KeReadStateTimer(sibling.other);
}

// Timers due at the same moment expire together, before either DPC runs, as at one clock tick on
// Windows (audit round 17, Y2: the second was signalled only after the first one's DPC returned).
TEST_P(TimerTest, TimersDueTogetherAreAllSignalledBeforeTheirDpcsRun) {
  KTIMER first;
  KTIMER second;
  KDPC first_dpc;
  KDPC second_dpc;
  Sibling sees_second{.other = &second};
  Sibling sees_first{.other = &first};
  KeInitializeTimer(&first);
  KeInitializeTimer(&second);
  KeInitializeDpc(&first_dpc, ReadSiblingDpc, &sees_second);
  KeInitializeDpc(&second_dpc, ReadSiblingDpc, &sees_first);
  KeSetTimer(&first, Relative100ns(10000), &first_dpc);
  KeSetTimer(&second, Relative100ns(10000), &second_dpc);
  machine().AdvanceTime(1000);
  EXPECT_EQ(sees_second.other_state, TRUE);
  EXPECT_EQ(sees_first.other_state, TRUE);
}

// Its twin: a timer due later is not signalled yet when the earlier one's DPC runs.
TEST_P(TimerTest, ATimerDueLaterIsNotSignalledWhenAnEarlierTimersDpcRuns) {
  KTIMER first;
  KTIMER later;
  KDPC first_dpc;
  Sibling sees_later{.other = &later};
  KeInitializeTimer(&first);
  KeInitializeTimer(&later);
  KeInitializeDpc(&first_dpc, ReadSiblingDpc, &sees_later);
  KeSetTimer(&first, Relative100ns(10000), &first_dpc);
  KeSetTimer(&later, Relative100ns(10001), nullptr);
  machine().AdvanceTime(1000);
  EXPECT_EQ(sees_later.other_state, FALSE);
  EXPECT_TRUE(KeCancelTimer(&later));
}

// Its twin with a timeout: the wait ends at its deadline however many expirations come first
// (audit round 17, Y1: 110,000 expirations of a 1 ms timer before a 110 s timeout were reported
// as a wait that never completes).
TEST_P(TimerTest, AWaitWithATimeoutBesideAFastPeriodicTimerTimesOut) {
  KTIMER timer;
  KDPC dpc;
  KEVENT never_set;
  Fired fired;
  KeInitializeEvent(&never_set, NotificationEvent, FALSE);
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  const std::uint64_t start = machine().InterruptTime();
  KeSetTimerEx(&timer, Relative100ns(10000), /*Period=*/1, &dpc);  // every millisecond
  LARGE_INTEGER timeout = Relative100ns(110LL * 10000000);         // 110 s
  EXPECT_EQ(KeWaitForSingleObject(&never_set, Executive, KernelMode, FALSE, &timeout),
            STATUS_TIMEOUT);
  EXPECT_EQ(machine().InterruptTime(), start + 110ull * 10000000);
  EXPECT_EQ(fired.times.size(), 110000u);
  LARGE_INTEGER delay = Relative100ns(105LL * 10000000);  // and a delay the same way
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &delay), STATUS_SUCCESS);
  EXPECT_EQ(fired.times.size(), 215000u);
  KeCancelTimer(&timer);
}

TEST_P(TimerTest, APeriodicTimerDpcThatSignalsLateStillEndsTheWait) {
  KTIMER timer;
  KDPC dpc;
  KEVENT event;
  Fired fired;
  fired.to_set = &event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimerEx(&timer, Relative100ns(10000), /*Period=*/1, &dpc);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_TRUE(KeCancelTimer(&timer));
}

TEST_P(TimerTest, DueTimeAlreadyPassedExpiresAtOnce) {
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  LARGE_INTEGER past;
  past.QuadPart = 1;  // an absolute system time long gone
  KeSetTimer(&timer, past, &dpc);
  EXPECT_EQ(fired.times.size(), 1u);
  EXPECT_TRUE(KeReadStateTimer(&timer));
}

TEST_P(TimerTest, ATimerStillSetAtShutdownIsALeak) {
  KTIMER timer;
  KeInitializeTimer(&timer);
  KeSetTimer(&timer, Relative100ns(1000), nullptr);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1,
                                  reinterpret_cast<std::uintptr_t>(&timer)));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("is still set"));
}

// Driver Verifier's unload check: a timer that would queue the driver's DPC after unload is 0xC7
// with Arg1 2 (DPC routine); kemu has no driver image, so the range checked is 0, 0.
TEST_P(TimerTest, APeriodicTimerWithADpcStillSetAtShutdownIsTimerOrDpcInvalid) {
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimerEx(&timer, Relative100ns(10000), /*Period=*/10, &dpc);
  machine().AdvanceTime(1000);  // it fired once and stays set
  ASSERT_EQ(fired.times.size(), 1u);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kTimerOrDpcInvalid, 2,
                                  reinterpret_cast<std::uintptr_t>(&TimerDpc), 0, 0));
  // The report still lists everything left behind.
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("is still set"));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("every 10 ms"));
}

TEST_P(TimerTest, APeriodicTimerCancelledBeforeShutdownLeavesNothingBehind) {
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimerEx(&timer, Relative100ns(10000), /*Period=*/10, &dpc);
  machine().AdvanceTime(1000);
  EXPECT_TRUE(KeCancelTimer(&timer));  // its DPC ran at the expiry, nothing is queued
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST(TimerUnloadTest, WithoutVerifierATimerWithADpcAtShutdownIsInTheLeakReport) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  KTIMER timer;
  KDPC dpc;
  Fired fired;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimerDpc, &fired);
  KeSetTimer(&timer, Relative100ns(10000), &dpc);
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1,
                                  reinterpret_cast<std::uintptr_t>(&timer)));
}

// ---------------------------------------------------------------------------------------------
// Virtual-time queries.

TEST_P(TimerTest, TimeQueriesAllReadVirtualTime) {
  machine().AdvanceTime(2 * 15625);  // two clock ticks
  EXPECT_EQ(KeQueryInterruptTime(), 312500u);
  LARGE_INTEGER system;
  KeQuerySystemTime(&system);
  EXPECT_EQ(system.QuadPart, 133485408000000000LL + 312500);
  LARGE_INTEGER frequency;
  EXPECT_EQ(KeQueryPerformanceCounter(&frequency).QuadPart, 312500);
  EXPECT_EQ(frequency.QuadPart, 10000000);
  EXPECT_EQ(KeQueryTimeIncrement(), 156250u);
  LARGE_INTEGER ticks;
  KeQueryTickCount(&ticks);
  EXPECT_EQ(ticks.QuadPart, 2);
}

TEST(TimeQueryTest, KeQuerySystemTimePreciseIsWindows8AndLater) {
  {
    kemu::Machine machine(kemu::Os::kWindows8);
    LARGE_INTEGER precise;
    KeQuerySystemTimePrecise(&precise);
    EXPECT_EQ(precise.QuadPart, 133485408000000000LL);
  }
  kemu::Machine machine(kemu::Os::kWindows7);
  LARGE_INTEGER precise;
  EXPECT_THROW(KeQuerySystemTimePrecise(&precise), kemu::MissingExport);
}

TEST(TimeQueryTest, KeQueryInterruptTimePreciseIsTheInterruptTimeAndItsCounterFromWindows81) {
  {
    kemu::Machine machine(kemu::Os::kWindows81);
    machine.AdvanceTime(250);  // microseconds
    ULONG64 stamp = 0;
    EXPECT_EQ(KeQueryInterruptTimePrecise(&stamp), 2500u);
    EXPECT_EQ(stamp, static_cast<ULONG64>(KeQueryPerformanceCounter(nullptr).QuadPart));
    EXPECT_EQ(KeQueryInterruptTimePrecise(&stamp), KeQueryInterruptTime());
  }
  kemu::Machine machine(kemu::Os::kWindows8);
  ULONG64 stamp = 0;
  EXPECT_THROW(KeQueryInterruptTimePrecise(&stamp), kemu::MissingExport);
}

TEST(TimeQueryTest, KeQueryInterruptTimePreciseWithoutAStampIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT(kemu::testing::CrashOf([] { KeQueryInterruptTimePrecise(nullptr); }),
              kemu::testing::BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

TEST(TimeQueryTest, KeSetCoalescableTimerIsWindows7AndLater) {
  LARGE_INTEGER due;
  due.QuadPart = -10;
  {
    kemu::Machine machine(kemu::Os::kWindows7);
    KTIMER timer;
    KeInitializeTimer(&timer);
    EXPECT_FALSE(KeSetCoalescableTimer(&timer, due, 0, 100, nullptr));
    EXPECT_TRUE(KeCancelTimer(&timer));
  }
  kemu::Machine machine(kemu::Os::kWindowsVista);
  KTIMER timer;
  KeInitializeTimer(&timer);
  EXPECT_THROW(KeSetCoalescableTimer(&timer, due, 0, 100, nullptr), kemu::MissingExport);
}

}  // namespace
