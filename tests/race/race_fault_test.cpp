// Driver code that faults on what it just raced on (a pointer an ISR cleared) dies before any
// kernel call can raise the race; the fatal-signal report of kemu::gtest_main prints the race
// the detector holds instead of blaming uninstrumented code (audit round 15, R3).
#include <gtest/gtest.h>

#include "kemu/kemu.hpp"
#include "race_fault_driver.h"

namespace {

constexpr kemu::LineInterrupt kLine{.vector = 0x60, .irql = 5, .mode = kemu::Trigger::kEdge};

void RaceThenFault() {
  kemu::Machine machine(kemu::MachineOptions{});
  kemu::Device& device = machine.AddDevice({.name = "fault0", .line = kLine});
  FAULT fault{};
  if (FaultConnect(&fault, kLine.vector, kLine.irql) != STATUS_SUCCESS) return;
  device.PulseLine();  // the ISR retires the request
  FaultCompleteUnlocked(&fault);
}

TEST(RaceFaultDeathTest, AFaultOnWhatTheDriverRacedOnPrintsTheRaceNotABlindReport) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(RaceThenFault(),
               "faulted right after the race detector found the data race below(.|\n)*kemu DATA "
               "RACE(.|\n)*FaultCompleteUnlocked");
}

}  // namespace
