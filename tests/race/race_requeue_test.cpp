// A DPC that re-queues itself on the other processor and then writes what every run reads
// (race_requeue_driver.c): once dequeued, a KDPC may run on two processors at once, so the write
// races with the second run's read on every schedule that lets them meet; written before the
// re-queue, the insert orders it and kemu stays silent (audit round 14, M2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "kemu/kemu.hpp"
#include "race_requeue_driver.h"

namespace {

using ::testing::HasSubstr;

std::optional<kemu::DataRace> RunRequeue(BOOLEAN write_first, kemu::ScheduleOptions schedule) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2, .schedule = schedule});
  static RACE_REQUEUE state;
  try {
    RaceRequeueStart(&state, write_first);
    machine.Settle();
    KeFlushQueuedDpcs();
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

// The seeds that missed it before the fix (the second run's read came between the first run's
// write being checked and kept), and two that always found it. A report takes a while to write
// (it names each access's source line), so not all 40 of the silent twin's seeds.
TEST(RaceRequeueTest, AWriteAfterTheRequeueRacesTheSecondRunOnEverySeed) {
  const std::pair<kemu::Strategy, std::uint64_t> runs[] = {
      {kemu::Strategy::kRandom, 0},  {kemu::Strategy::kRandom, 8},  {kemu::Strategy::kRandom, 16},
      {kemu::Strategy::kRandom, 20}, {kemu::Strategy::kRandom, 37}, {kemu::Strategy::kPct, 0},
      {kemu::Strategy::kPct, 7},     {kemu::Strategy::kPct, 33}};
  for (const auto& [strategy, seed] : runs) {
    SCOPED_TRACE(::testing::Message()
                 << "strategy " << static_cast<int>(strategy) << " seed " << seed);
    const std::optional<kemu::DataRace> race =
        RunRequeue(FALSE, {.strategy = strategy, .seed = seed});
    ASSERT_TRUE(race.has_value());
    // The first run's write after the re-queue, and the second run's read.
    EXPECT_THAT(race->report(), HasSubstr("race_requeue_driver.c:14 in RequeueDpc"));
    EXPECT_THAT(race->report(), HasSubstr("race_requeue_driver.c:9 in RequeueDpc"));
  }
}

TEST(RaceRequeueTest, AWriteBeforeTheRequeueIsOrderedByTheInsertOnEverySeed) {
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      SCOPED_TRACE(::testing::Message()
                   << "strategy " << static_cast<int>(strategy) << " seed " << seed);
      EXPECT_FALSE(RunRequeue(TRUE, {.strategy = strategy, .seed = seed}).has_value());
    }
  }
}

}  // namespace
