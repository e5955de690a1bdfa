// A data race that ends the machine while a DPC on another vCPU is stopped inside instrumented
// driver code: the machine's teardown must not run that DPC on past the report. It did, and the
// DPC followed the pointer the test had already cleared: the test program died with SIGSEGV
// (audit round 15, R2). Now the DPC's context is abandoned where it stopped.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "kemu/kemu.hpp"
#include "race_teardown_driver.h"

namespace {

// One run; the race report, if the schedule let the two accesses overlap.
std::optional<kemu::DataRace> RunOnce(kemu::Strategy strategy, std::uint64_t seed) {
  TEARDOWN teardown{};
  kemu::Machine machine({.processors = 2, .schedule = {.strategy = strategy, .seed = seed}});
  try {
    if (TeardownStart(&teardown) != STATUS_SUCCESS) return std::nullopt;
    TeardownStopClearingFirst(&teardown);
    machine.Settle();
  } catch (const kemu::DataRace& race) {
    return race;  // the machine is torn down as this returns, with the DPC stopped mid-routine
  } catch (const kemu::BugCheck&) {
    // The freed block's use, on a schedule where the DPC reached it first.
  }
  return std::nullopt;
}

TEST(RaceTeardownTest, AReportThatEndsTheMachineLeavesTheStoppedDpcStopped) {
  int races = 0;
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      if (const std::optional<kemu::DataRace> race = RunOnce(strategy, seed)) {
        ++races;
        EXPECT_NE(race->report().find("TouchDpc"), std::string::npos) << race->report();
      }
    }
  }
  // The bug is found on some schedules; on none did the teardown resume the DPC into the
  // cleared pointer (the program would not have got here).
  EXPECT_GT(races, 0);
}

}  // namespace
