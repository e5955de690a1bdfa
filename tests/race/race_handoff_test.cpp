// Packets handed from one context to another through a queue (race_handoff_driver.c): a lock
// orders what its last holder did before releasing it with what the next holder does, and an
// S-list or device-queue operation orders what its caller did around it, so the fill of a packet
// before it is queued never races with the read of it after it is taken off; the same fill made
// after queueing is reported. Correct code stays silent on every explored schedule
// (docs/concurrency.md, "When two accesses race").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>

#include "kemu/kemu.hpp"
#include "race_handoff_driver.h"

namespace {

using ::testing::HasSubstr;

struct Outcome {
  std::optional<kemu::DataRace> race;
  ULONG sum = 0;
};

Outcome RunHandoff(HANDOFF_QUEUE queue, bool fill_late, unsigned processors,
                   kemu::ScheduleOptions schedule = {}) {
  kemu::Machine machine({.processors = processors, .schedule = schedule});
  HANDOFF handoff{};
  Outcome outcome;
  try {
    if (HandoffStart(&handoff, queue, fill_late ? TRUE : FALSE) != STATUS_SUCCESS) {
      ADD_FAILURE() << "HandoffStart failed";
      return outcome;
    }
    outcome.sum = HandoffRun(&handoff);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    outcome.race = race;
  }
  return outcome;
}

std::string QueueName(HANDOFF_QUEUE queue) {
  switch (queue) {
    case HandoffOwnList:
      return "OwnListUnderSpinLock";
    case HandoffInterlockedList:
      return "ExInterlockedList";
    case HandoffSList:
      return "SList";
    case HandoffDeviceQueue:
      return "DeviceQueue";
  }
  return "?";
}

class RaceHandoffTest : public ::testing::TestWithParam<std::tuple<HANDOFF_QUEUE, unsigned>> {
 protected:
  HANDOFF_QUEUE queue() const { return std::get<0>(GetParam()); }
  unsigned processors() const { return std::get<1>(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(, RaceHandoffTest,
                         ::testing::Combine(::testing::Values(HandoffOwnList,
                                                              HandoffInterlockedList, HandoffSList,
                                                              HandoffDeviceQueue),
                                            ::testing::Values(1u, 2u)),
                         [](const auto& info) {
                           return QueueName(std::get<0>(info.param)) + "_" +
                                  std::to_string(std::get<1>(info.param)) + "cpu";
                         });

TEST_P(RaceHandoffTest, APacketFilledBeforeItIsQueuedIsNoRace) {
  const Outcome outcome = RunHandoff(queue(), /*fill_late=*/false, processors());
  EXPECT_FALSE(outcome.race.has_value()) << outcome.race->report();
  EXPECT_EQ(outcome.sum, 1u + 2u + 3u + 4u);
}

TEST_P(RaceHandoffTest, APacketFilledBeforeItIsQueuedIsNoRaceOnAnyExploredSchedule) {
  for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      const Outcome outcome = RunHandoff(queue(), /*fill_late=*/false, processors(),
                                         {.strategy = strategy, .seed = seed});
      EXPECT_FALSE(outcome.race.has_value()) << "seed " << seed << ": " << outcome.race->report();
      EXPECT_EQ(outcome.sum, 1u + 2u + 3u + 4u) << "seed " << seed;
    }
  }
}

TEST_P(RaceHandoffTest, APacketFilledAfterItIsQueuedIsARace) {
  const Outcome outcome = RunHandoff(queue(), /*fill_late=*/true, processors());
  ASSERT_TRUE(outcome.race.has_value());
  EXPECT_EQ(outcome.race->code(), kemu::bugcheck::kDataRace);
  // The producer's late fill against the consumer's read of it.
  EXPECT_THAT(outcome.race->report(), HasSubstr("in HandoffRun"));
  EXPECT_THAT(outcome.race->report(), HasSubstr("by the system thread Consumer"));
}

TEST_P(RaceHandoffTest, APacketFilledAfterItIsQueuedIsARaceOnEveryExploredSchedule) {
  for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      const Outcome outcome = RunHandoff(queue(), /*fill_late=*/true, processors(),
                                         {.strategy = strategy, .seed = seed});
      EXPECT_TRUE(outcome.race.has_value()) << "seed " << seed;
    }
  }
}

}  // namespace
