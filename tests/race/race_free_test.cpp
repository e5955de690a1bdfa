// A pool free is a write to the whole block (race::Detector::OnFree): a stop path that frees what
// a DPC on another vCPU wrote, with no KeFlushQueuedDpcs between, races with that DPC even when
// the DPC has finished, on every schedule, not only those where the DPC still runs (audit round
// 19, C2; docs/concurrency.md, "Race detection").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "kemu/kemu.hpp"
#include "race_free_driver.h"

namespace {

using ::testing::HasSubstr;

// Start, let the DPC run, stop; the race reported, if any.
std::optional<kemu::DataRace> StartRunStop(BOOLEAN flush_first,
                                           kemu::ScheduleOptions schedule = {}) {
  RACE_FREE free{};
  kemu::Machine machine({.processors = 2, .schedule = schedule});
  try {
    EXPECT_EQ(RaceFreeStart(&free), STATUS_SUCCESS);
    machine.Settle();  // the DPC has run on vCPU 1 and returned
    RaceFreeStop(&free, flush_first);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

TEST(RaceFreeTest, FreeingWhatAFinishedDpcWroteWithoutAFlushIsARace) {
  const std::optional<kemu::DataRace> race = StartRunStop(FALSE);
  ASSERT_TRUE(race.has_value());
  // Counters[2]: the first byte the DPC wrote and the free wrote (all of the block).
  EXPECT_EQ(race->parameter(1), 8u) << "the block's bytes in that granule";
  EXPECT_EQ(race->parameter(2), 1u) << "the earlier access wrote";
  EXPECT_EQ(race->parameter(3), 1u) << "a free writes";
  EXPECT_THAT(race->report(), HasSubstr("The earlier write of 4 bytes"));
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine CountDpc"));
  EXPECT_THAT(race->report(), HasSubstr("Then the free of the pool block holding"));
  EXPECT_THAT(race->report(), HasSubstr("in RaceFreeStop"));
  EXPECT_THAT(race->report(), HasSubstr("KeFlushQueuedDpcs so that no queued or running DPC"));
}

TEST(RaceFreeTest, FreeingAfterKeFlushQueuedDpcsIsNoRace) {
  const std::optional<kemu::DataRace> race = StartRunStop(TRUE);
  EXPECT_FALSE(race.has_value()) << race->report();
}

TEST(RaceFreeTest, TheTestsOwnFreeIsNotChecked) {
  // The harness freeing driver memory itself (no driver frame between it and the call) is not
  // the driver under test.
  RACE_FREE free{};
  kemu::Machine machine({.processors = 2});
  ASSERT_EQ(RaceFreeStart(&free), STATUS_SUCCESS);
  machine.Settle();
  EXPECT_NO_THROW({
    ExFreePoolWithTag(free.Counters, RACE_FREE_TAG);
    machine.Shutdown();
  });
}

TEST(RaceFreeTest, EverySchedulesRunOfTheBugIsReported) {
  // Before, only schedules that stopped the DPC between its test and its write found it.
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      SCOPED_TRACE(testing::Message() << "seed " << seed);
      const std::optional<kemu::DataRace> race =
          StartRunStop(FALSE, {.strategy = strategy, .seed = seed});
      EXPECT_TRUE(race.has_value());
    }
  }
}

}  // namespace
