// IoDisconnectInterrupt(Ex) returns only once the ISR runs nowhere, and every run of the ISR
// happens before it returns (docs/concurrency.md), including a run in progress on another vCPU
// when the disconnect came: the stop path may then reuse what the ISR wrote without a lock.
// Before, the disconnect's wait ended as the ISR stopped counting as running, before the ISR had
// published its history, and the legal reuse was reported (audit round 8, F1).
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "kemu/kemu.hpp"
#include "race_disconnect_driver.h"

namespace {

constexpr ULONG kVector = 0x62;
constexpr KIRQL kIrql = 6;

// An interrupt on vCPU 1 (the line's only vCPU), then `stop` on vCPU 0 at once: under an
// exploring schedule the ISR may still be running when the stop path starts.
std::optional<kemu::DataRace> StopWhileTheIsrMayRun(kemu::Strategy strategy, std::uint64_t seed,
                                                    VOID (*stop)(PDISCONNECT_DEVICE)) {
  kemu::Machine machine({.processors = 2, .schedule = {.strategy = strategy, .seed = seed}});
  kemu::Device& device = machine.AddDevice(
      {.name = "disconnect",
       .line = kemu::LineInterrupt{
           .vector = kVector, .irql = kIrql, .mode = kemu::Trigger::kEdge, .affinity = 0x2}});
  DISCONNECT_DEVICE driver{};
  try {
    EXPECT_EQ(DisconnectConnect(&driver, kVector, kIrql, 0x2), STATUS_SUCCESS);
    device.PulseLine();
    stop(&driver);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

class RaceDisconnectTest : public ::testing::TestWithParam<kemu::Strategy> {};
INSTANTIATE_TEST_SUITE_P(, RaceDisconnectTest,
                         ::testing::Values(kemu::Strategy::kRandom, kemu::Strategy::kPct),
                         [](const auto& info) { return std::string(StrategyName(info.param)); });

TEST_P(RaceDisconnectTest, WhatTheIsrWroteIsTheStopPathsOnceTheDisconnectReturns) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    const std::optional<kemu::DataRace> race =
        StopWhileTheIsrMayRun(GetParam(), seed, DisconnectThenClear);
    ASSERT_FALSE(race.has_value()) << "seed " << seed << "\n" << race->report();
  }
}

// Reported whenever the ISR ran (a schedule may disconnect before the interrupt is delivered).
TEST_P(RaceDisconnectTest, WhatTheIsrWroteClearedBeforeTheDisconnectIsReported) {
  int reported = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    reported += StopWhileTheIsrMayRun(GetParam(), seed, ClearThenDisconnect).has_value();
  }
  EXPECT_GE(reported, 10);
}

}  // namespace
