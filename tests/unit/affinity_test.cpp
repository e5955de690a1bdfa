// The calling thread's system affinity (KeSetSystemAffinityThread(Ex), the group routines and
// their reverts): the thread runs on a processor of the set when the call returns, the revert to
// the user affinity brings it back, and a set naming no processor changes nothing.
#include <wdm.h>

#include <cstdint>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;

kemu::MachineOptions Options(unsigned processors, kemu::Os os = kemu::Os::kWindows10) {
  return {.os = os, .processors = processors};
}

TEST(AffinityTest, SetSystemAffinityExMovesTheThreadAndTheRevertBringsItBack) {
  kemu::Machine machine(Options(4));
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(KAFFINITY{1} << 2);
  EXPECT_EQ(previous, 0u);  // the thread ran with its user affinity
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 2u);
  EXPECT_EQ(machine.CurrentProcessor(), 2u);
  KeRevertToUserAffinityThreadEx(previous);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, ADriverVisitsEveryProcessorInTurn) {
  kemu::Machine machine(Options(4));
  std::vector<ULONG> visited;
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    const KAFFINITY previous = KeSetSystemAffinityThreadEx(KAFFINITY{1} << cpu);
    visited.push_back(KeGetCurrentProcessorNumber());
    KeRevertToUserAffinityThreadEx(previous);
  }
  EXPECT_EQ(visited, (std::vector<ULONG>{0, 1, 2, 3}));
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, NestedSetsReturnThePreviousSystemAffinity) {
  kemu::Machine machine(Options(4));
  const KAFFINITY outer = KeSetSystemAffinityThreadEx(0x2);
  const KAFFINITY inner = KeSetSystemAffinityThreadEx(0x8);
  EXPECT_EQ(outer, 0u);
  EXPECT_EQ(inner, 0x2u);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 3u);
  KeRevertToUserAffinityThreadEx(inner);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KeRevertToUserAffinityThreadEx(outer);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, TheThreadStaysWhenItAlreadyRunsOnAProcessorOfTheSet) {
  kemu::Machine machine(Options(3));
  machine.SwitchToProcessor(1);
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(0x3);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KeRevertToUserAffinityThreadEx(previous);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  machine.SwitchToProcessor(0);
  machine.Shutdown();
}

TEST(AffinityTest, AnAffinityNamingNoProcessorHasNoEffect) {
  kemu::Machine machine(Options(2));
  EXPECT_EQ(KeSetSystemAffinityThreadEx(0), 0u);
  EXPECT_EQ(KeSetSystemAffinityThreadEx(KAFFINITY{1} << 5), 0u);  // no vCPU 5
  EXPECT_EQ(KeSetSystemAffinityThreadEx(0x6), 0u);                // vCPU 2 does not exist
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();  // nothing was set: no leak
}

TEST(AffinityTest, ARevertWithoutASetHasNoEffect) {
  kemu::Machine machine(Options(2));
  machine.SwitchToProcessor(1);
  KeRevertToUserAffinityThreadEx(0x1);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KeRevertToUserAffinityThread();
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  machine.SwitchToProcessor(0);
  machine.Shutdown();
}

TEST(AffinityTest, TheOlderPairSetsAndRevertsOnWindows2000) {
  kemu::Machine machine(Options(2, kemu::Os::kWindows2000));
  KeSetSystemAffinityThread(0x2);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KeRevertToUserAffinityThread();
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, TheExPairIsMissingBeforeVista) {
  kemu::Machine machine(Options(2, kemu::Os::kWindowsServer2003));
  EXPECT_THROW(KeSetSystemAffinityThreadEx(0x2), kemu::MissingExport);
}

TEST(AffinityTest, TheGroupRoutinesSaveAndRestoreNestedAffinities) {
  kemu::Machine machine(Options(4, kemu::Os::kWindows7));
  GROUP_AFFINITY first{.Mask = 0x2, .Group = 0, .Reserved = {}};
  GROUP_AFFINITY original{.Mask = 0xFF, .Group = 7, .Reserved = {1, 2, 3}};
  KeSetSystemGroupAffinityThread(&first, &original);
  EXPECT_EQ(original.Mask, 0u);  // the user affinity is saved as zeros
  EXPECT_EQ(original.Group, 0u);
  EXPECT_EQ(original.Reserved[0] + original.Reserved[1] + original.Reserved[2], 0);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  GROUP_AFFINITY second{.Mask = 0x4, .Group = 0, .Reserved = {}};
  GROUP_AFFINITY saved{};
  KeSetSystemGroupAffinityThread(&second, &saved);
  EXPECT_EQ(saved.Mask, 0x2u);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 2u);
  KeRevertToUserGroupAffinityThread(&saved);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KeRevertToUserGroupAffinityThread(&original);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, AGroupTheMachineLacksChangesNothingAndSavesZeros) {
  kemu::Machine machine(Options(2, kemu::Os::kWindows7));
  GROUP_AFFINITY other_group{.Mask = 0x2, .Group = 1, .Reserved = {}};
  GROUP_AFFINITY previous{.Mask = 0xFF, .Group = 3, .Reserved = {}};
  KeSetSystemGroupAffinityThread(&other_group, &previous);
  EXPECT_EQ(previous.Mask, 0u);
  EXPECT_EQ(previous.Group, 0u);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();  // nothing was set: no leak
}

TEST(AffinityTest, AnAffinityLeftSetAtShutdownIsALeak) {
  kemu::Machine machine(Options(2));
  KeSetSystemAffinityThreadEx(0x2);
  EXPECT_THAT(CrashOf([&] { machine.Shutdown(); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kLeakAtShutdown, 1, 0, 0));
}

TEST(AffinityTest, AboveDispatchLevelBugChecks) {
  kemu::Machine machine(Options(2));
  KIRQL old;
  KeRaiseIrql(5, &old);
  EXPECT_THAT(CrashOf([] { KeSetSystemAffinityThreadEx(0x2); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, 5, 0, 0));
}

TEST(AffinityTest, AtDispatchLevelTheMoveWaitsUntilTheIrqlDrops) {
  kemu::Machine machine(Options(2));
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(0x2);
  EXPECT_EQ(previous, 0u);
  EXPECT_EQ(KeSetSystemAffinityThreadEx(0x2), 0x2u);  // recorded at once
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);       // the move is deferred
  KeLowerIrql(old);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeRevertToUserAffinityThreadEx(0);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KeLowerIrql(old);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);  // back where it ran before the first set
  machine.Shutdown();
}

TEST(AffinityTest, TheDeferredMoveHappensWhenASpinLockReleaseLowersTheIrql) {
  kemu::Machine machine(Options(3));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(0x6);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);  // the lowest of the set
  KeRevertToUserAffinityThreadEx(previous);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, AtDispatchLevelInsideACriticalRegionTheDeferredMoveIsNotModelled) {
  kemu::Machine machine(Options(2));
  KeEnterCriticalRegion();
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THROW(KeSetSystemAffinityThreadEx(0x2), kemu::NotModelled);
  KeLowerIrql(old);
  KeLeaveCriticalRegion();
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, InsideACriticalRegionTheMoveIsNotModelled) {
  kemu::Machine machine(Options(2));
  KeEnterCriticalRegion();
  EXPECT_THROW(KeSetSystemAffinityThreadEx(0x2), kemu::NotModelled);
  KeLeaveCriticalRegion();
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

TEST(AffinityTest, ADeferredMoveOfTheTestsThreadLoweredOnlyToApcLevelIsNotModelled) {
  kemu::Machine machine(Options(2));
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeSetSystemAffinityThreadEx(0x2);
  EXPECT_THROW(KeLowerIrql(APC_LEVEL), kemu::NotModelled);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  KeLowerIrql(PASSIVE_LEVEL);
  KeRevertToUserAffinityThreadEx(0);
  machine.Shutdown();
}

TEST(AffinityTest, AboveDispatchLevelOnARetailKernelIsNotModelled) {
  kemu::Machine machine(kemu::WithKernelMode(Options(2), kemu::KernelMode::kRetail));
  KIRQL old;
  KeRaiseIrql(5, &old);
  EXPECT_THROW(KeSetSystemAffinityThreadEx(0x2), kemu::NotModelled);
  KeLowerIrql(old);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

VOID SetAffinityFromWorkItem(PDEVICE_OBJECT, PVOID) { KeSetSystemAffinityThreadEx(0x2); }

TEST(AffinityTest, FromAWorkItemTheMoveIsNotModelled) {
  kemu::Machine machine(Options(2));
  DEVICE_OBJECT device{};
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, &SetAffinityFromWorkItem, DelayedWorkQueue, nullptr);
  EXPECT_THROW(machine.Settle(), kemu::NotModelled);
  EXPECT_EQ(machine.CurrentProcessor(), 0u);
  machine.Abandon();  // the work item never finished: what it holds is not the driver's leak
}

}  // namespace
