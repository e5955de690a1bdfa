// Per-processor data (race_per_cpu_driver.c): code that cannot move to another processor (a DPC,
// or anything at DISPATCH_LEVEL or above) and asks KeGetCurrentProcessorNumber which one it is on
// updates that processor's slot without a lock. That is legal, and kemu must stay silent (audit
// round 13); a counter shared by all processors is still a race once two processors update it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "kemu/kemu.hpp"
#include "race_per_cpu_driver.h"

namespace {

using ::testing::HasSubstr;

// Runs `steps` on a two-vCPU machine with `state`; the race it raised, if any.
template <typename Steps>
std::optional<kemu::DataRace> RunOnTwoVcpus(RACE_PER_CPU& state, Steps steps) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  RacePerCpuInitialize(&state);
  try {
    steps(machine);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

TEST(RacePerCpuTest, TwoDpcsCountingInTheirProcessorsSlotAreNoRace) {
  RACE_PER_CPU state{};
  const std::optional<kemu::DataRace> race = RunOnTwoVcpus(state, [&](kemu::Machine&) {
    RacePerCpuQueue(&state, 0);
    RacePerCpuQueue(&state, 1);
  });
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(state.Slot[0], 2u);
  EXPECT_EQ(state.Slot[1], 0u);
}

TEST(RacePerCpuTest, OneDpcRunOnEachVcpuCountsInTwoSlotsWithoutARace) {
  RACE_PER_CPU state{};
  const std::optional<kemu::DataRace> race = RunOnTwoVcpus(state, [&](kemu::Machine& machine) {
    RacePerCpuQueue(&state, 0);
    machine.SwitchToProcessor(1);
    RacePerCpuQueue(&state, 0);
    machine.SwitchToProcessor(0);
    RacePerCpuQueue(&state, 0);
  });
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(state.Slot[0], 2u);
  EXPECT_EQ(state.Slot[1], 1u);
}

TEST(RacePerCpuTest, CodeRaisedToDispatchAndADpcShareNoSlotAcrossVcpus) {
  RACE_PER_CPU state{};
  const std::optional<kemu::DataRace> race = RunOnTwoVcpus(state, [&](kemu::Machine& machine) {
    RacePerCpuQueue(&state, 0);
    RacePerCpuCountAtDispatch(&state);
    machine.SwitchToProcessor(1);
    RacePerCpuQueue(&state, 1);
    RacePerCpuCountAtDispatch(&state);
    machine.SwitchToProcessor(0);
  });
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(state.Slot[0], 2u);
  EXPECT_EQ(state.Slot[1], 2u);
}

// The bug twin: asking for the processor number does not make a counter every processor shares
// safe. Run on two vCPUs, the two DPCs' unlocked updates are reported.
TEST(RacePerCpuTest, ACounterSharedByEveryProcessorIsARaceOnceTwoVcpusUpdateIt) {
  RACE_PER_CPU state{};
  state.CountShared = TRUE;
  const std::optional<kemu::DataRace> race = RunOnTwoVcpus(state, [&](kemu::Machine& machine) {
    RacePerCpuQueue(&state, 0);
    machine.SwitchToProcessor(1);
    RacePerCpuQueue(&state, 1);
    machine.SwitchToProcessor(0);
  });
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->code(), kemu::bugcheck::kDataRace);
  EXPECT_THAT(race->report(), HasSubstr("PerCpuDpc"));
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&state.Shared));
}

}  // namespace
