// A passive-level ISR (Windows 8+) and an EX_TIMER callback that both count presses
// (race_passive_driver.c): the race report names what each holds and runs as the driver wrote
// it — the kernel's event that serialises the passive ISR (not "the spin lock at" an odd
// address) and the EX_TIMER callback (not kemu's own DPC routine).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "kemu/kemu.hpp"
#include "race_passive_driver.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A press, the debounce expiry (1 ms later), a second press.
std::optional<kemu::DataRace> PressTwice(bool plain) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& button =
      machine.AddDevice({.name = "button",
                         .line = kemu::LineInterrupt{
                             .vector = 0x61, .irql = PASSIVE_LEVEL, .mode = kemu::Trigger::kEdge}});
  RACE_PASSIVE driver{};
  driver.Plain = plain ? TRUE : FALSE;
  try {
    EXPECT_EQ(RacePassiveStart(&driver, button.pdo()), STATUS_SUCCESS);
    button.PulseLine();
    machine.AdvanceTime(2000);
    button.PulseLine();
    RacePassiveStop(&driver);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  EXPECT_EQ(driver.Presses, 3);
  return std::nullopt;
}

TEST(RacePassiveTest, TheReportNamesThePassiveIsrsEventAndTheExTimerCallback) {
  const std::optional<kemu::DataRace> race = PressTwice(/*plain=*/true);
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->code(), kemu::bugcheck::kDataRace);
  EXPECT_THAT(race->report(), HasSubstr("by the EX_TIMER callback Debounced (EX_TIMER 0x"));
  EXPECT_THAT(race->report(), HasSubstr("holding the event that serialises the passive-level "
                                        "ISR at 0x"));
  EXPECT_THAT(race->report(), Not(HasSubstr("ExTimers::Expired")));
  EXPECT_THAT(race->report(), Not(HasSubstr("the spin lock at")));
}

TEST(RacePassiveTest, InterlockedCountsAreNoRace) {
  EXPECT_FALSE(PressTwice(/*plain=*/false).has_value());
}

}  // namespace
