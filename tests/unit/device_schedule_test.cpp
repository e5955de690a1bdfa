// Device::ScheduleAfterCalls and Device::ScheduleAt at the edges of their ranges: a count or a time
// past what the model's 64-bit counters hold saturates (the event never comes) instead of wrapping
// round to "almost now", and time 0, like any time already reached, is due at once. A clock
// advance (a stall, Machine::AdvanceTime, a wait) stops at each scheduled moment. A hardware
// model's own callback runs at the same moment and decides then what the device does.
#include <wdm.h>

#include <cstdint>
#include <limits>

#include "kemu/testing/gtest.hpp"

namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// A level ISR that counts its calls and silences its device.
struct Counter {
  kemu::Device* device = nullptr;
  unsigned calls = 0;
  std::uint64_t time = 0;  ///< interrupt time of the last call
  PKDPC dpc = nullptr;     ///< queued by each call when set
};

BOOLEAN CountingIsr(PKINTERRUPT, PVOID context) {
  auto& counter = *static_cast<Counter*>(context);
  ++counter.calls;
  counter.time = KeQueryInterruptTime();
  counter.device->DeassertLine();
  if (counter.dpc != nullptr) KeInsertQueueDpc(counter.dpc, nullptr, nullptr);
  return TRUE;
}

// A timeout's DPC: how many interrupts had come when it ran.
struct Timeout {
  const Counter* counter = nullptr;
  unsigned saw = ~0u;
};

VOID TimeoutDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& timeout = *static_cast<Timeout*>(context);
  timeout.saw = timeout.counter->calls;
}

VOID SetEventDpc(PKDPC, PVOID context, PVOID, PVOID) {
  KeSetEvent(static_cast<PKEVENT>(context), IO_NO_INCREMENT, FALSE);
}

class DeviceScheduleTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    device_ = &machine().AddDevice(
        {.name = "nic", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
    counter_.device = device_;
    ASSERT_EQ(IoConnectInterrupt(&interrupt_, &CountingIsr, &counter_, nullptr, 0x51, 5, 5,
                                 LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
              STATUS_SUCCESS);
  }
  void TearDown() override {
    if (interrupt_ != nullptr) IoDisconnectInterrupt(interrupt_);
    PersonalityTest::TearDown();
  }

  kemu::Device* device_ = nullptr;
  Counter counter_;
  PKINTERRUPT interrupt_ = nullptr;
};
INSTANTIATE_TEST_SUITE_P(, DeviceScheduleTest, ::testing::Values(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

TEST_P(DeviceScheduleTest, ScheduleAtTimeZeroFiresAtOnce) {
  ASSERT_EQ(KeQueryInterruptTime(), 0u);
  device_->ScheduleAt(0, kemu::DeviceAction::kAssertLine);
  EXPECT_EQ(counter_.calls, 1u);
}

TEST_P(DeviceScheduleTest, ScheduleAtATimeAlreadyPassedFiresAtOnce) {
  KeStallExecutionProcessor(10);
  device_->ScheduleAt(5, kemu::DeviceAction::kAssertLine);
  EXPECT_EQ(counter_.calls, 1u);
}

// A clock advance stops at a scheduled action: the interrupt due at 100 us is serviced then, before
// the 1 ms timeout's DPC runs (audit round 17, Y3: it came at the end of the stall, after the
// timeout had already decided the device never answered).
TEST_P(DeviceScheduleTest, AnActionDueInsideAStallComesAtItsTimeBeforeALaterTimer) {
  KTIMER timer;
  KDPC dpc;
  Timeout timeout{.counter = &counter_};
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, TimeoutDpc, &timeout);
  LARGE_INTEGER due;
  due.QuadPart = -10000;  // 1 ms
  KeSetTimer(&timer, due, &dpc);
  device_->ScheduleAt(100, kemu::DeviceAction::kAssertLine);
  KeStallExecutionProcessor(2000);
  EXPECT_EQ(counter_.calls, 1u);
  EXPECT_EQ(counter_.time, 1000u) << "at 100 us, in 100 ns units";
  EXPECT_EQ(timeout.saw, 1u) << "the timeout's DPC ran after the interrupt";
  EXPECT_EQ(KeQueryInterruptTime(), 20000u);
}

TEST_P(DeviceScheduleTest, MachineAdvanceTimeStopsAtEachScheduledAction) {
  device_->ScheduleAt(300, kemu::DeviceAction::kAssertLine);
  device_->ScheduleAt(100, kemu::DeviceAction::kAssertLine);
  machine().AdvanceTime(200);
  EXPECT_EQ(counter_.calls, 1u);
  EXPECT_EQ(counter_.time, 1000u);
  machine().AdvanceTime(1000);
  EXPECT_EQ(counter_.calls, 2u);
  EXPECT_EQ(counter_.time, 3000u);
}

// A wait whose event the interrupt's DPC sets jumps to the interrupt, with a timeout or without
// one (without, it was reported as a wait nothing can end).
TEST_P(DeviceScheduleTest, AWaitForWhatAScheduledInterruptSignalsEndsWhenItComes) {
  KEVENT event;
  KDPC dpc;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  KeInitializeDpc(&dpc, SetEventDpc, &event);
  counter_.dpc = &dpc;
  device_->ScheduleAt(100, kemu::DeviceAction::kAssertLine);
  LARGE_INTEGER ten_seconds;
  ten_seconds.QuadPart = -100000000;
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &ten_seconds),
            STATUS_WAIT_0);
  EXPECT_EQ(KeQueryInterruptTime(), 1000u);
  device_->ScheduleAt(250, kemu::DeviceAction::kAssertLine);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(KeQueryInterruptTime(), 2500u);
  EXPECT_EQ(counter_.calls, 2u);
}

// A device without a line has nothing to assert or pulse: asked to, it says so rather than
// letting the test believe it raised an interrupt (audit round 17, Y5), now or when scheduled.
// Dropping the line stays a harmless no-op, for clean-up code written for either kind of device.
TEST_P(DeviceScheduleTest, ALineActionOnADeviceWithoutALineIsRefusedByName) {
  kemu::Device& msi = machine().AddDevice({.name = "msi0", .messages = 2});
  EXPECT_THAT([&] { msi.AssertLine(); },
              ::testing::ThrowsMessage<kemu::Error>(::testing::HasSubstr(
                  "AssertLine on device 'msi0', which has no line interrupt")));
  EXPECT_THAT([&] { msi.PulseLine(); },
              ::testing::ThrowsMessage<kemu::Error>(::testing::HasSubstr("PulseLine")));
  EXPECT_THAT([&] { msi.ScheduleAt(5, kemu::DeviceAction::kPulseLine); },
              ::testing::ThrowsMessage<kemu::Error>(
                  ::testing::HasSubstr("scheduling PulseLine on device 'msi0'")));
  EXPECT_THAT([&] { msi.ScheduleAfterCalls(1, kemu::DeviceAction::kAssertLine); },
              ::testing::ThrowsMessage<kemu::Error>(
                  ::testing::HasSubstr("scheduling AssertLine on device 'msi0'")));
  EXPECT_NO_THROW(msi.DeassertLine());
  KeStallExecutionProcessor(10);  // nothing was scheduled
  EXPECT_EQ(counter_.calls, 0u);
}

TEST_P(DeviceScheduleTest, ScheduleAtPastTheClockRangeNeverFires) {
  // 1844674407370955162 us is 2^64 + 4 in 100 ns units: wrapped, it was due after 1 us.
  device_->ScheduleAt(1844674407370955162u, kemu::DeviceAction::kAssertLine);
  device_->ScheduleAt(kMaxU64, kemu::DeviceAction::kAssertLine);
  KeStallExecutionProcessor(1);
  KeStallExecutionProcessor(MAXULONG);
  EXPECT_EQ(counter_.calls, 0u);
}

TEST_P(DeviceScheduleTest, ScheduleAtTheLastRepresentableTimeStaysScheduled) {
  device_->ScheduleAt(kMaxU64 / 10, kemu::DeviceAction::kAssertLine);
  KeStallExecutionProcessor(MAXULONG);
  EXPECT_EQ(counter_.calls, 0u);
}

TEST_P(DeviceScheduleTest, ScheduleAfterTheMostCallsNeverFires) {
  KeQueryInterruptTime();  // the call counter is past 0, so a wrapping sum would be in the past
  device_->ScheduleAfterCalls(kMaxU64, kemu::DeviceAction::kAssertLine);
  device_->ScheduleAfterCalls(kMaxU64 - 1, kemu::DeviceAction::kAssertLine);
  for (int i = 0; i < 5; ++i) KeQueryInterruptTime();
  EXPECT_EQ(counter_.calls, 0u);
}

TEST_P(DeviceScheduleTest, ScheduleAfterZeroCallsMeansTheNextCall) {
  device_->ScheduleAfterCalls(0, kemu::DeviceAction::kAssertLine);
  EXPECT_EQ(counter_.calls, 0u);
  KeQueryInterruptTime();
  EXPECT_EQ(counter_.calls, 1u);
}

// A card that interrupts only if a cause is still latched when the moment comes: the callback
// decides at the driver's second call, not when it was scheduled.
TEST_P(DeviceScheduleTest, ScheduledHardwareCallbackDecidesWhenItsCallComes) {
  bool cause_latched = true;
  unsigned runs = 0;
  device_->ScheduleAfterCalls(2, [&] {
    ++runs;
    if (cause_latched) device_->AssertLine();
  });
  KeQueryInterruptTime();
  EXPECT_EQ(runs, 0u);
  cause_latched = false;  // acknowledged before the moment came
  KeQueryInterruptTime();
  EXPECT_EQ(runs, 1u);
  EXPECT_EQ(counter_.calls, 0u);
}

TEST_P(DeviceScheduleTest, ScheduledHardwareCallbackCanInterrupt) {
  device_->ScheduleAfterCalls(1, [this] { device_->AssertLine(); });
  EXPECT_EQ(counter_.calls, 0u);
  KeQueryInterruptTime();
  EXPECT_EQ(counter_.calls, 1u);
}

}  // namespace
