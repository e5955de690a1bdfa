// The DPC watchdog's allotment for one ISR or DPC routine (0x133 with Arg1 0,
// MachineOptions::dpc_time_limit_us): a routine that polls hardware which never answers ends in
// the bug check Windows gives instead of a test that never ends. Run time is the virtual time
// passed inside the routine plus 1 us per kernel call (model/allotment.hpp).
#include <wdm.h>

#include <cstdint>
#include <optional>

#include "kemu/hardware.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

// What each DPC routine below does: stall `stall_us` per call of KeStallExecutionProcessor,
// `stalls` times.
struct Staller {
  KDPC dpc{};
  ULONG stall_us = 0;
  unsigned stalls = 0;
  unsigned runs = 0;
};

VOID StallingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& staller = *static_cast<Staller*>(context);
  ++staller.runs;
  for (unsigned i = 0; i < staller.stalls; ++i) KeStallExecutionProcessor(staller.stall_us);
}

// Queues `staller`'s DPC at PASSIVE_LEVEL, so it runs at once.
void RunDpc(Staller& staller) {
  KeInitializeDpc(&staller.dpc, &StallingDpc, &staller);
  KeInsertQueueDpc(&staller.dpc, nullptr, nullptr);
}

TEST(RoutineAllotmentTest, ADpcStallingPastTwentySecondsIsADpcWatchdogViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Staller staller{.stall_us = 1'000'000, .stalls = 30};
  const kemu::BugCheck crash = CrashOf([&] { RunDpc(staller); });
  // The 20th one-second stall ends at 20,000,000 us plus its 20 calls: 1281 (0x501) ticks of
  // 15.625 ms used (rounded up) where 1280 (0x500) are allotted, Microsoft's example exactly.
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 0, 0x501, 0x500, 0));
  EXPECT_THAT(crash.report(), HasSubstr("The DPC routine"));
  EXPECT_THAT(crash.report(), HasSubstr("ran for 20000020 us"));
}

// A register the ISR polls for a "ready" bit the device never sets.
struct Poller {
  PULONG status = nullptr;
  std::uint64_t reads = 0;
};

BOOLEAN PollingIsr(PKINTERRUPT, PVOID context) {
  auto& poller = *static_cast<Poller*>(context);
  do {
    ++poller.reads;
  } while ((READ_REGISTER_ULONG(poller.status) & 1) == 0);
  return TRUE;
}

TEST(RoutineAllotmentTest, AnIsrPollingARegisterWithoutAStallIsStoppedByItsCallCount) {
  kemu::Machine machine({.dpc_time_limit_us = 5000});
  kemu::RegisterFile registers(0x10);
  constexpr kemu::LineInterrupt kLine{.vector = 0x51, .irql = 5, .mode = kemu::Trigger::kEdge};
  kemu::Device& device = machine.AddDevice(
      {.name = "poll0", .line = kLine, .memory_bytes = 0x10, .hardware = &registers});
  PHYSICAL_ADDRESS base;
  base.QuadPart = static_cast<LONGLONG>(device.memory_base());
  Poller poller{.status = static_cast<PULONG>(MmMapIoSpace(base, 0x10, MmNonCached))};
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &PollingIsr, &poller, nullptr, kLine.vector, kLine.irql,
                               kLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  // No time passes: 5001 reads, each counted as 1 us, are one past the allotment.
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 0, 1, 0, 0));
  EXPECT_EQ(poller.reads, 5001u);
  EXPECT_THAT(crash.report(), HasSubstr("The interrupt service routine"));
}

TEST(RoutineAllotmentTest, EachDpcHasAnAllotmentOfItsOwn) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Staller first{.stall_us = 1'000'000, .stalls = 15};
  Staller second{.stall_us = 1'000'000, .stalls = 15};
  RunDpc(first);
  RunDpc(second);  // 30 s of stalls in all, 15 s in each
  EXPECT_EQ(first.runs + second.runs, 2u);
  EXPECT_FALSE(machine.crashed());
  EXPECT_NO_THROW(machine.Shutdown());
}

TEST(RoutineAllotmentTest, StallsAtPassiveLevelHaveNoAllotment) {
  kemu::Machine machine(kemu::Os::kWindows10);
  for (int i = 0; i < 60; ++i) KeStallExecutionProcessor(1'000'000);
  EXPECT_FALSE(machine.crashed());
  EXPECT_EQ(KeQueryInterruptTime(), 600'000'000u);
}

TEST(RoutineAllotmentTest, AZeroLimitTurnsTheCheckOff) {
  kemu::Machine machine({.dpc_time_limit_us = 0});
  Staller staller{.stall_us = 1'000'000, .stalls = 30};
  RunDpc(staller);
  EXPECT_EQ(staller.runs, 1u);
  EXPECT_FALSE(machine.crashed());
}

// An ISR that runs inside a DPC shares the DPC's allotment: the time it takes counts toward it.
struct Nested {
  KDPC dpc{};
  kemu::Device* device = nullptr;
  ULONG stall_after_us = 0;
};

BOOLEAN StallingIsr(PKINTERRUPT, PVOID) {
  KeStallExecutionProcessor(1'000'000);
  return TRUE;
}

VOID InterruptedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& nested = *static_cast<Nested*>(context);
  for (int i = 0; i < 15; ++i) KeStallExecutionProcessor(1'000'000);
  nested.device->PulseLine();  // the ISR runs now, above DISPATCH_LEVEL, for 1 s
  KeStallExecutionProcessor(nested.stall_after_us);
}

std::optional<kemu::BugCheck> RunInterruptedDpc(ULONG stall_after_us) {
  kemu::Machine machine(kemu::Os::kWindows10);
  constexpr kemu::LineInterrupt kLine{.vector = 0x61, .irql = 6, .mode = kemu::Trigger::kEdge};
  Nested nested{.device = &machine.AddDevice({.name = "nest0", .line = kLine}),
                .stall_after_us = stall_after_us};
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &StallingIsr, nullptr, nullptr, kLine.vector, kLine.irql,
                               kLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  KeInitializeDpc(&nested.dpc, &InterruptedDpc, &nested);
  try {
    KeInsertQueueDpc(&nested.dpc, nullptr, nullptr);
  } catch (const kemu::BugCheck& caught) {
    return caught;
  }
  IoDisconnectInterrupt(interrupt);
  return std::nullopt;
}

TEST(RoutineAllotmentTest, AnIsrInsideADpcCountsTowardTheDpcsAllotment) {
  // 15 s + the ISR's 1 s + 3 s: within 20 s.
  EXPECT_FALSE(RunInterruptedDpc(3'000'000).has_value());
  // 15 s + 1 s + 5 s: past it, and the report names the DPC, not the ISR that ran inside it.
  const std::optional<kemu::BugCheck> crash = RunInterruptedDpc(5'000'000);
  ASSERT_TRUE(crash.has_value());
  EXPECT_THAT(*crash, BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 0));
  EXPECT_THAT(crash->report(), HasSubstr("The DPC routine"));
}

}  // namespace
