// A timer's DPC (race_timer_driver.c) is ordered after what its setter did before KeSetTimer,
// and nothing else: the context that later moves virtual time to the due time (here the test's
// own KeDelayExecutionThread) expires the timer on the setter's behalf, and its history since the
// set must not reach the DPC (audit round 13: a write after KeSetTimer went unreported).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "kemu/kemu.hpp"
#include "race_timer_driver.h"

namespace {

using ::testing::HasSubstr;

constexpr LONGLONG kOneMillisecond = -10000;

// Runs `set` on a machine of `processors` vCPUs, then waits 2 ms so the timer expires; the race
// raised, if any.
std::optional<kemu::DataRace> SetAndWait(RACE_TIMER& timer, unsigned processors,
                                         void (*set)(PRACE_TIMER, LONGLONG)) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = processors});
  try {
    set(&timer, kOneMillisecond);
    LARGE_INTEGER interval;
    interval.QuadPart = 2 * kOneMillisecond;
    EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &interval), STATUS_SUCCESS);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

class RaceTimerTest : public ::testing::TestWithParam<unsigned> {};

INSTANTIATE_TEST_SUITE_P(Vcpus, RaceTimerTest, ::testing::Values(1u, 2u));

TEST_P(RaceTimerTest, AWriteAfterKeSetTimerRacesWithTheTimersDpc) {
  RACE_TIMER timer{};
  const std::optional<kemu::DataRace> race = SetAndWait(timer, GetParam(), RaceTimerSetThenWrite);
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->code(), kemu::bugcheck::kDataRace);
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&timer.State));
  EXPECT_THAT(race->report(), HasSubstr("TimerDpc"));
}

TEST_P(RaceTimerTest, AWriteBeforeKeSetTimerIsOrderedBeforeTheTimersDpc) {
  RACE_TIMER timer{};
  const std::optional<kemu::DataRace> race = SetAndWait(timer, GetParam(), RaceTimerWriteThenSet);
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(timer.State, 11u);
}

}  // namespace
