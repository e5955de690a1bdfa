// KeIpiGenericCall: the routine runs once on every vCPU at IPI_LEVEL, nothing else runs meanwhile,
// and the call returns what the routine returned on the calling vCPU.
#include <wdm.h>

#include <array>
#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;

struct Seen {
  std::array<int, 8> runs{};
  std::array<KIRQL, 8> irql{};
  ULONG_PTR context = 0;
};

Seen* g_seen = nullptr;

ULONG_PTR Broadcast(ULONG_PTR context) {
  const ULONG cpu = KeGetCurrentProcessorNumber();
  ++g_seen->runs.at(cpu);
  g_seen->irql.at(cpu) = KeGetCurrentIrql();
  g_seen->context = context;
  return 100 + cpu;
}

kemu::MachineOptions Options(unsigned processors,
                             kemu::Strategy strategy = kemu::Strategy::kDefault,
                             std::uint64_t seed = 0) {
  return {.os = kemu::Os::kWindows10,
          .processors = processors,
          .schedule = {.strategy = strategy, .seed = seed}};
}

TEST(IpiGenericCallTest, RunsOnEveryProcessorAtIpiLevelAndReturnsTheCallersValue) {
  kemu::Machine machine(Options(4));
  machine.SwitchToProcessor(2);
  Seen seen;
  g_seen = &seen;
  EXPECT_EQ(KeIpiGenericCall(&Broadcast, 0x5A), 102u);
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    EXPECT_EQ(seen.runs[cpu], 1) << cpu;
    EXPECT_EQ(seen.irql[cpu], IPI_LEVEL) << cpu;
  }
  EXPECT_EQ(seen.context, 0x5Au);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 2u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  machine.SwitchToProcessor(0);
  machine.Shutdown();
}

TEST(IpiGenericCallTest, EveryProcessorRunsOnceUnderExploredSchedules) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    kemu::Machine machine(Options(3, kemu::Strategy::kRandom, seed));
    Seen seen;
    g_seen = &seen;
    EXPECT_EQ(KeIpiGenericCall(&Broadcast, 0), 100u);
    EXPECT_EQ(seen.runs[0] + seen.runs[1] + seen.runs[2], 3) << seed;
    EXPECT_EQ(seen.runs[0], 1) << seed;
    machine.Shutdown();
  }
}

TEST(IpiGenericCallTest, CallableAtDeviceIrql) {
  kemu::Machine machine(Options(2));
  Seen seen;
  g_seen = &seen;
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  EXPECT_EQ(KeIpiGenericCall(&Broadcast, 0), 100u);
  EXPECT_EQ(KeGetCurrentIrql(), CLOCK_LEVEL);
  KeLowerIrql(old);
  EXPECT_EQ(seen.runs[1], 1);
  machine.Shutdown();
}

TEST(IpiGenericCallTest, AtIpiLevelBugChecks) {
  kemu::Machine machine(Options(2));
  KIRQL old;
  KeRaiseIrql(IPI_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { KeIpiGenericCall(&Broadcast, 0); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, IPI_LEVEL, 0, 0));
}

// A KeIpiGenericCall from inside its own broadcast routine, at IPI_LEVEL.
ULONG_PTR NestedBroadcast(ULONG_PTR) { return KeIpiGenericCall(&Broadcast, 0); }

kemu::MachineOptions InMode(kemu::KernelMode mode) {
  return kemu::WithKernelMode(Options(2), mode);
}

TEST(IpiGenericCallTest, ANestedCallBreaksTheIrqlRuleUnderVerifier) {
  kemu::Machine machine(InMode(kemu::KernelMode::kVerifier));
  Seen seen;
  g_seen = &seen;
  EXPECT_THAT(CrashOf([] { KeIpiGenericCall(&NestedBroadcast, 0); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, IPI_LEVEL, 0, 0));
}

TEST(IpiGenericCallTest, ANestedCallIsIrqlNotLessOrEqualOnACheckedKernel) {
  kemu::Machine machine(InMode(kemu::KernelMode::kChecked));
  Seen seen;
  g_seen = &seen;
  EXPECT_THAT(CrashOf([] { KeIpiGenericCall(&NestedBroadcast, 0); }),
              BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, IPI_LEVEL, 0, 0));
}

TEST(IpiGenericCallTest, ANestedCallHangsARetailKernel) {
  for (const unsigned processors : {1u, 2u}) {
    kemu::Machine machine(kemu::WithKernelMode(Options(processors), kemu::KernelMode::kRetail));
    Seen seen;
    g_seen = &seen;
    const kemu::BugCheck crash = CrashOf([] { KeIpiGenericCall(&NestedBroadcast, 0); });
    // The hang report: the calling vCPU (the first one the broadcast ran on) waits forever.
    EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kWaitNeverCompletes, 0, 0, 0));
    EXPECT_THAT(crash.what(), ::testing::HasSubstr("nested KeIpiGenericCall"));
    EXPECT_EQ(seen.runs[0], 0);  // the nested call ran nothing
  }
}

TEST(IpiGenericCallTest, ANestedCallWhoseIrqlReportIsOnlyRecordedStillHangs) {
  kemu::MachineOptions options = InMode(kemu::KernelMode::kVerifier);
  options.on_bug_check = kemu::BugCheckAction::kRecord;
  kemu::Machine machine(options);
  Seen seen;
  g_seen = &seen;
  EXPECT_THAT(CrashOf([] { KeIpiGenericCall(&NestedBroadcast, 0); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kWaitNeverCompletes, 0, 0, 0));
  // The IRQL rule first, recorded; then the hang, which no machine survives.
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, IPI_LEVEL, 0, 0));
  EXPECT_THAT(machine.bug_checks()[1],
              BugCheckIs(kVerifier, kemu::verifier_code::kWaitNeverCompletes, 0, 0, 0));
}

TEST(IpiGenericCallTest, ACallAfterABroadcastEndedIsNoNestedCall) {
  kemu::Machine machine(kemu::WithKernelMode(Options(2), kemu::KernelMode::kRetail));
  Seen seen;
  g_seen = &seen;
  EXPECT_EQ(KeIpiGenericCall(&Broadcast, 0), 100u);
  EXPECT_EQ(KeIpiGenericCall(&Broadcast, 0), 100u);
  EXPECT_EQ(seen.runs[1], 2);
  machine.Shutdown();
}

TEST(IpiGenericCallTest, Windows2000LacksIt) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  EXPECT_THROW(KeIpiGenericCall(&Broadcast, 0), kemu::MissingExport);
}

}  // namespace
