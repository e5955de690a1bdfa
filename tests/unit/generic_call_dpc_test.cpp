// KeGenericCallDpc, KeSignalCallDpcSynchronize and KeSignalCallDpcDone (DPC-10): the routine runs
// once on every vCPU at DISPATCH_LEVEL, each barrier round returns TRUE on exactly one vCPU, and
// the call returns once every vCPU has signalled done.
#include <kemu_wdk_generic_dpc.h>
#include <wdm.h>

#include <array>
#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

namespace vc = ::kemu::verifier_code;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr unsigned kRounds = 3;

struct Observed {
  std::array<int, 8> runs{};
  std::array<int, kRounds> winners{};
  int wrong_irql = 0;
  int wrong_context = 0;
  int done = 0;
};

VOID PerProcessor(PKDPC, PVOID context, PVOID argument1, PVOID argument2) {
  auto* observed = static_cast<Observed*>(context);
  ++observed->runs.at(KeGetCurrentProcessorNumber());
  if (KeGetCurrentIrql() != DISPATCH_LEVEL) ++observed->wrong_irql;
  for (unsigned round = 0; round < kRounds; ++round) {
    if (KeSignalCallDpcSynchronize(argument2)) ++observed->winners.at(round);
  }
  ++observed->done;
  KeSignalCallDpcDone(argument1);
}

kemu::MachineOptions Options(unsigned processors, kemu::Strategy strategy, std::uint64_t seed) {
  return {.os = kemu::Os::kWindows10,
          .processors = processors,
          .schedule = {.strategy = strategy, .seed = seed}};
}

TEST(GenericCallDpcTest, RunsOncePerProcessorAndEachRoundHasOneWinner) {  // DPC-10
  for (unsigned processors : {1u, 2u, 4u}) {
    kemu::Machine machine(Options(processors, kemu::Strategy::kDefault, 0));
    Observed observed;
    KeGenericCallDpc(&PerProcessor, &observed);
    for (unsigned cpu = 0; cpu < processors; ++cpu) EXPECT_EQ(observed.runs[cpu], 1) << cpu;
    for (unsigned round = 0; round < kRounds; ++round) {
      EXPECT_EQ(observed.winners[round], 1) << "round " << round << ", " << processors << " CPUs";
    }
    EXPECT_EQ(observed.wrong_irql, 0);
    EXPECT_EQ(observed.done, static_cast<int>(processors));
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    machine.Shutdown();
  }
}

TEST(GenericCallDpcTest, HoldsUnderExploredSchedules) {  // DPC-10
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
      kemu::Machine machine(Options(3, strategy, seed));
      Observed observed;
      KeGenericCallDpc(&PerProcessor, &observed);
      EXPECT_EQ(observed.runs[0] + observed.runs[1] + observed.runs[2], 3) << seed;
      for (unsigned round = 0; round < kRounds; ++round) {
        EXPECT_EQ(observed.winners[round], 1) << "seed " << seed << " round " << round;
      }
      EXPECT_EQ(observed.done, 3);
      machine.Shutdown();
    }
  }
}

VOID NeverDone(PKDPC, PVOID, PVOID, PVOID) {}

TEST(GenericCallDpcTest, ARoutineThatNeverSignalsDoneIsAWaitThatNeverCompletes) {
  kemu::Machine machine(Options(2, kemu::Strategy::kDefault, 0));
  EXPECT_THAT(CrashOf([] { KeGenericCallDpc(&NeverDone, nullptr); }),
              BugCheckIs(kVerifier, vc::kWaitNeverCompletes));
}

TEST(GenericCallDpcTest, CallingAboveApcLevelBugChecks) {
  kemu::Machine machine(Options(2, kemu::Strategy::kDefault, 0));
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { KeGenericCallDpc(&PerProcessor, nullptr); }),
              BugCheckIs(kVerifier, vc::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

TEST(GenericCallDpcTest, ABarrierThatIsNotTheCallsStops) {
  kemu::Machine machine(Options(1, kemu::Strategy::kDefault, 0));
  int not_a_barrier = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { KeSignalCallDpcSynchronize(&not_a_barrier); }),
              BugCheckIs(kVerifier, vc::kInvalidKernelObject,
                         reinterpret_cast<std::uintptr_t>(&not_a_barrier), 0, 0));
}

TEST(GenericCallDpcTest, WindowsBeforeVistaLackIt) {
  kemu::Machine machine(kemu::Os::kWindowsServer2003);
  EXPECT_THROW(KeGenericCallDpc(&PerProcessor, nullptr), kemu::MissingExport);
}

}  // namespace
