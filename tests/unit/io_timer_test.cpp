// I/O timers: IoInitializeTimer, IoStartTimer and IoStopTimer (IOT-1..IOT-6). The IoTimer routine
// runs at DISPATCH_LEVEL, once a second of virtual time while its device's timer runs; misuse gets
// what Windows would do with the device object's Timer field.
#include <wdm.h>

#include <cstdint>

#include "bugcheck_with.hpp"
#include "io_timer_driver.h"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu_test::BugCheckWith;
using ::testing::IsEmpty;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kAccessViolation = 0xC0000005;
constexpr ULONG kTag = 0x756D656B;  // "kemu"

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

struct Seen {
  int runs = 0;
  KIRQL irql = 0xFF;
  PDEVICE_OBJECT device = nullptr;
  PVOID context = nullptr;
  bool stop_itself = false;
};

Seen* g_seen = nullptr;  // the context the second routine reports to

VOID CountTicks(PDEVICE_OBJECT device, PVOID context) {
  auto* seen = static_cast<Seen*>(context);
  ++seen->runs;
  seen->irql = KeGetCurrentIrql();
  seen->device = device;
  seen->context = context;
  if (seen->stop_itself) IoStopTimer(device);
}

VOID CountTicksElsewhere(PDEVICE_OBJECT, PVOID) { ++g_seen->runs; }

class IoTimerTest : public kemu::testing::PersonalityTest {
 protected:
  // Verifier's IRQL check from Vista on, or from Windows 8 the DDI compliance rule `ddi_rule` that
  // lists the routine; before Vista, the kernel's own 0xA.
  ::testing::Matcher<const kemu::BugCheck&> IrqlReport(KIRQL irql, std::uint64_t ddi_rule = 0) {
    if (ddi_rule != 0 && machine().personality().verifier_ddi_compliance) {
      return BugCheckIs(kVerifier, ddi_rule, 0, 0, 0);
    }
    if (machine().personality().verifier_irql_api_checks) {
      return BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, irql, 0, 0);
    }
    return BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, irql, 0, 0);
  }
};

TEST_P(IoTimerTest, InitializingSetsTheDeviceTimerAndCallsNothingUntilStarted) {  // IOT-1
  DEVICE_OBJECT device{};
  Seen seen;
  EXPECT_EQ(IoInitializeTimer(&device, CountTicks, &seen), STATUS_SUCCESS);
  EXPECT_NE(device.Timer, nullptr);
  machine().AdvanceTime(5'000'000);  // five seconds, in microseconds
  EXPECT_EQ(seen.runs, 0);
}

TEST_P(IoTimerTest, AStartedTimerCallsTheRoutineEverySecondAtDispatchLevel) {  // IOT-2
  DEVICE_OBJECT device{};
  Seen seen;
  ASSERT_EQ(IoInitializeTimer(&device, CountTicks, &seen), STATUS_SUCCESS);
  IoStartTimer(&device);
  machine().AdvanceTime(999'999);
  EXPECT_EQ(seen.runs, 0);
  machine().AdvanceTime(1);
  EXPECT_EQ(seen.runs, 1);
  EXPECT_EQ(seen.irql, DISPATCH_LEVEL);
  EXPECT_EQ(seen.device, &device);
  EXPECT_EQ(seen.context, &seen);
  machine().AdvanceTime(2'000'000);
  EXPECT_EQ(seen.runs, 3);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(IoTimerTest, StoppingEndsTheCallsAndStartingAgainResumesASecondLater) {  // IOT-3
  DEVICE_OBJECT device{};
  Seen seen;
  IoInitializeTimer(&device, CountTicks, &seen);
  IoStartTimer(&device);
  machine().AdvanceTime(1'500'000);
  EXPECT_EQ(seen.runs, 1);
  IoStopTimer(&device);
  machine().AdvanceTime(10'000'000);
  EXPECT_EQ(seen.runs, 1);
  IoStartTimer(&device);
  machine().AdvanceTime(999'999);
  EXPECT_EQ(seen.runs, 1);
  machine().AdvanceTime(1);
  EXPECT_EQ(seen.runs, 2);
}

TEST_P(IoTimerTest, StartingARunningTimerKeepsItsPhase) {  // IOT-3
  DEVICE_OBJECT device{};
  Seen seen;
  IoInitializeTimer(&device, CountTicks, &seen);
  IoStartTimer(&device);
  machine().AdvanceTime(600'000);
  IoStartTimer(&device);
  machine().AdvanceTime(400'000);
  EXPECT_EQ(seen.runs, 1);
}

TEST_P(IoTimerTest, AStopAfterTheTickWasQueuedStillCallsNothing) {  // IOT-3
  DEVICE_OBJECT device{};
  Seen seen;
  IoInitializeTimer(&device, CountTicks, &seen);
  IoStartTimer(&device);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  machine().AdvanceTime(1'000'000);  // the tick's DPC waits for this vCPU to leave DISPATCH_LEVEL
  IoStopTimer(&device);              // allowed at DISPATCH_LEVEL
  KeLowerIrql(old);
  EXPECT_EQ(seen.runs, 0);
}

TEST_P(IoTimerTest, TheRoutineMayStopItsOwnTimer) {  // IOT-3
  DEVICE_OBJECT device{};
  Seen seen;
  seen.stop_itself = true;
  IoInitializeTimer(&device, CountTicks, &seen);
  IoStartTimer(&device);
  machine().AdvanceTime(5'000'000);
  EXPECT_EQ(seen.runs, 1);
}

TEST_P(IoTimerTest, ASecondInitializeReplacesTheRoutineAndKeepsTheTimerRunning) {  // IOT-4
  DEVICE_OBJECT device{};
  Seen first;
  Seen second;
  g_seen = &second;
  IoInitializeTimer(&device, CountTicks, &first);
  const PIO_TIMER timer = device.Timer;
  IoStartTimer(&device);
  machine().AdvanceTime(1'000'000);
  EXPECT_EQ(IoInitializeTimer(&device, CountTicksElsewhere, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(device.Timer, timer);
  machine().AdvanceTime(1'000'000);
  EXPECT_EQ(first.runs, 1);
  EXPECT_EQ(second.runs, 1);
}

TEST_P(IoTimerTest, EachDeviceObjectHasItsOwnTimer) {  // IOT-1
  DEVICE_OBJECT one{};
  DEVICE_OBJECT two{};
  Seen seen_one;
  Seen seen_two;
  IoInitializeTimer(&one, CountTicks, &seen_one);
  IoInitializeTimer(&two, CountTicks, &seen_two);
  EXPECT_NE(one.Timer, two.Timer);
  IoStartTimer(&two);
  machine().AdvanceTime(3'000'000);
  EXPECT_EQ(seen_one.runs, 0);
  EXPECT_EQ(seen_two.runs, 3);
  EXPECT_EQ(seen_two.device, &two);
}

TEST_P(IoTimerTest, ATimerStillRunningAtShutdownIsNoLeak) {  // IOT-5
  // Windows' IoDeleteDevice ends the timer with the device object; kemu sees no device deletion,
  // so a driver that never calls IoStopTimer is not reported.
  DEVICE_OBJECT device{};
  Seen seen;
  IoInitializeTimer(&device, CountTicks, &seen);
  IoStartTimer(&device);
  machine().Shutdown();
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(IoTimerTest, FreeingTheDeviceObjectsPoolEndsItsTimer) {  // IOT-5
  auto* device = static_cast<PDEVICE_OBJECT>(
      ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(DEVICE_OBJECT), kTag));
  ASSERT_NE(device, nullptr);
  RtlZeroMemory(device, sizeof(*device));
  Seen seen;
  IoInitializeTimer(device, CountTicks, &seen);
  IoStartTimer(device);
  machine().AdvanceTime(1'000'000);
  EXPECT_EQ(seen.runs, 1);
  ExFreePoolWithTag(device, kTag);
  machine().AdvanceTime(5'000'000);
  EXPECT_EQ(seen.runs, 1);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(IoTimerTest, AnInjectedFaultFailsInitializeWithInsufficientResources) {  // IOT-1
  DEVICE_OBJECT device{};
  Seen seen;
  machine().InjectFault({.routine = "IoInitializeTimer", .status = STATUS_INSUFFICIENT_RESOURCES});
  EXPECT_EQ(IoInitializeTimer(&device, CountTicks, &seen), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(device.Timer, nullptr);
  EXPECT_EQ(IoInitializeTimer(&device, CountTicks, &seen), STATUS_SUCCESS);  // one call failed
}

TEST_P(IoTimerTest, InitializingAbovePassiveLevelIsTheWrongIrql) {  // IOT-6
  DEVICE_OBJECT device{};
  Seen seen;
  EXPECT_THAT(CrashOf([&] {
                KIRQL old;
                KeRaiseIrql(APC_LEVEL, &old);
                IoInitializeTimer(&device, CountTicks, &seen);
              }),
              // IrqlIoPassive5 lists IoInitializeTimer (audit round 14).
              IrqlReport(APC_LEVEL, kemu::verifier_code::kIrqlIoPassive5));
}

TEST_P(IoTimerTest, StartingAboveDispatchLevelIsTheWrongIrql) {  // IOT-6
  DEVICE_OBJECT device{};
  Seen seen;
  IoInitializeTimer(&device, CountTicks, &seen);
  EXPECT_THAT(CrashOf([&] {
                KIRQL old;
                KeRaiseIrql(HIGH_LEVEL, &old);
                IoStartTimer(&device);
              }),
              IrqlReport(HIGH_LEVEL));
}

TEST_P(IoTimerTest, StoppingAboveDispatchLevelIsTheWrongIrql) {  // IOT-6
  DEVICE_OBJECT device{};
  Seen seen;
  IoInitializeTimer(&device, CountTicks, &seen);
  EXPECT_THAT(CrashOf([&] {
                KIRQL old;
                KeRaiseIrql(HIGH_LEVEL, &old);
                IoStopTimer(&device);
              }),
              IrqlReport(HIGH_LEVEL));
}

TEST_P(IoTimerTest, ANullDeviceObjectIsAnAccessViolation) {  // IOT-6
  Seen seen;
  EXPECT_THAT(CrashOf([&] { IoInitializeTimer(nullptr, CountTicks, &seen); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kAccessViolation));
}

TEST_P(IoTimerTest, ANullRoutineIsAnAccessViolation) {  // IOT-6
  DEVICE_OBJECT device{};
  EXPECT_THAT(CrashOf([&] { IoInitializeTimer(&device, nullptr, nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kAccessViolation));
}

TEST_P(IoTimerTest, StartingOrStoppingNoDeviceObjectIsAnAccessViolation) {  // IOT-6
  EXPECT_THAT(CrashOf([] { IoStartTimer(nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kAccessViolation));
}

TEST_P(IoTimerTest, StartingATimerNeverInitializedFollowsItsNullTimerField) {  // IOT-6
  DEVICE_OBJECT device{};  // as IoCreateDevice leaves it: Timer NULL
  const kemu::BugCheck crash = CrashOf([&] { IoStartTimer(&device); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kAccessViolation));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("DeviceObject->Timer"));
}

TEST_P(IoTimerTest, StoppingATimerNeverInitializedFollowsItsNullTimerField) {  // IOT-6
  DEVICE_OBJECT device{};
  EXPECT_THAT(CrashOf([&] { IoStopTimer(&device); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kAccessViolation));
}

TEST_P(IoTimerTest, ATimerFieldKemuDidNotSetIsNotAKernelObject) {  // IOT-6
  DEVICE_OBJECT device{};
  int not_a_timer = 0;
  device.Timer = reinterpret_cast<PIO_TIMER>(&not_a_timer);
  EXPECT_THAT(CrashOf([&] { IoStartTimer(&device); }),
              BugCheckWith(kVerifier, kemu::verifier_code::kInvalidKernelObject, Address(&device)));
}

// A C driver's lost-interrupt watchdog: a request the device answers in time is not timed out; one
// it never answers is, after its seconds. What a driver team tests this for.
TEST_P(IoTimerTest, ACDriversWatchdogTimesOutOnlyTheRequestTheDeviceNeverAnswered) {  // IOT-2
  DEVICE_OBJECT fdo{};
  WATCHDOG watchdog;
  ASSERT_EQ(WatchdogStart(&watchdog, &fdo), STATUS_SUCCESS);
  WatchdogArm(&watchdog, 2);
  machine().AdvanceTime(1'000'000);  // one tick: a second left
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);  // the DpcForIsr
  WatchdogAnswered(&watchdog);
  KeLowerIrql(old);
  machine().AdvanceTime(5'000'000);
  EXPECT_EQ(watchdog.TimedOut, 0);
  WatchdogArm(&watchdog, 2);  // on a tick: two more make it time out
  machine().AdvanceTime(1'999'999);
  EXPECT_EQ(watchdog.TimedOut, 0);
  machine().AdvanceTime(1);
  EXPECT_EQ(watchdog.TimedOut, 1);
  WatchdogStop(&watchdog);
  const LONG ticks = watchdog.Ticks;
  machine().AdvanceTime(3'000'000);
  EXPECT_EQ(watchdog.Ticks, ticks);
  EXPECT_EQ(ticks, 8);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, IoTimerTest, kemu::testing::AllOs(), kemu::testing::OsName());

}  // namespace
