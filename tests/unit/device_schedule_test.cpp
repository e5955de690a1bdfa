// Device::ScheduleAfterCalls and Device::ScheduleAt at the edges of their ranges: a count or a time
// past what the model's 64-bit counters hold saturates (the event never comes) instead of wrapping
// round to "almost now", and time 0, like any time already reached, is due at once. A hardware
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
};

BOOLEAN CountingIsr(PKINTERRUPT, PVOID context) {
  auto& counter = *static_cast<Counter*>(context);
  ++counter.calls;
  counter.device->DeassertLine();
  return TRUE;
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
