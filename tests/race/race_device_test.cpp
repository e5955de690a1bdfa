// A write to a device orders what the driver did before it before the device's next interrupt:
// the standard start path (store the state the DPC reads, then enable the device's interrupts)
// is no race, and the same store made after the enable is one (audit round 19, C1;
// docs/concurrency.md, "Race detection").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "kemu/kemu.hpp"
#include "race_device_driver.h"

namespace {

std::optional<kemu::DataRace> StartAndInterrupt(BOOLEAN configure_first, PRACE_DEVICE device) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(0x10);
  regs.InterruptStatus(RACE_DEVICE_CAUSE).WriteOneToClear(RACE_DEVICE_CAUSE);
  kemu::Device& hardware = machine.AddDevice(
      {.name = "race0",
       .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5, .mode = kemu::Trigger::kLevel},
       .memory_bytes = 0x100,
       .hardware = &regs});
  try {
    EXPECT_EQ(RaceDeviceStart(device, hardware.translated_resources(), configure_first),
              STATUS_SUCCESS);
    regs.Raise(RACE_DEVICE_CAUSE, 1);  // the device finishes some work: ISR, then DPC
    RaceDeviceStop(device);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

TEST(RaceDeviceTest, StateStoredBeforeTheWriteThatEnablesInterruptsIsNoRace) {
  RACE_DEVICE device{};
  const std::optional<kemu::DataRace> race = StartAndInterrupt(TRUE, &device);
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(device.Seen, 42);
}

TEST(RaceDeviceTest, StateStoredAfterTheWriteThatEnablesInterruptsIsARace) {
  RACE_DEVICE device{};
  const std::optional<kemu::DataRace> race = StartAndInterrupt(FALSE, &device);
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&device.Configuration));
}

}  // namespace
