// Executive resources and the race detector: a release happens before the acquisitions after it
// (exclusive or shared), and two shared owners are not ordered with each other. The work item
// runs on the test thread's vCPU while that thread waits for it, as a thread of its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "kemu/kemu.hpp"
#include "race_driver.h"

namespace {

using ::testing::HasSubstr;

// Queues the work item (`work_exclusive`), then the test's thread adds to the counter: in an
// exclusive section, or (`test_holds_shared`) holding the resource shared until the work item is
// done. The first race, if any.
std::optional<kemu::DataRace> CounterFromTestAndWorkItem(BOOLEAN work_exclusive,
                                                         bool test_holds_shared) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice({.name = "work"});
  RACE_DEVICE driver{};
  ExInitializeResourceLite(&driver.Resource);
  std::optional<kemu::DataRace> race;
  try {
    RaceQueueResourceWork(&driver, device.pdo(), work_exclusive);
    if (test_holds_shared) {
      RaceCounterHoldingShared(&driver);
    } else {
      RaceCounterUnderResource(&driver, TRUE);
    }
    (void)RaceWaitForWork(&driver);
    if (test_holds_shared) RaceReleaseResource(&driver);
    RaceFreeWork(&driver);
    ExDeleteResourceLite(&driver.Resource);
    machine.Shutdown();
  } catch (const kemu::DataRace& found) {
    race = found;
  }
  EXPECT_EQ(driver.Counter, 2u);
  return race;
}

TEST(RaceResourceTest, ExclusiveSectionsOfTwoThreadsAreOrderedByTheResource) {
  EXPECT_FALSE(CounterFromTestAndWorkItem(TRUE, false).has_value());
}

TEST(RaceResourceTest, ASharedSectionAfterAnExclusiveOneIsOrderedByTheResource) {
  EXPECT_FALSE(CounterFromTestAndWorkItem(FALSE, false).has_value());
}

TEST(RaceResourceTest, TwoSharedOwnersWritingTheSameCounterRace) {
  const std::optional<kemu::DataRace> race = CounterFromTestAndWorkItem(FALSE, true);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("RaceResourceWork"));
}

}  // namespace
