// Threaded DPCs (KeInitializeThreadedDpc, Windows Vista and later): with threaded DPCs enabled,
// as Windows ships, they run at PASSIVE_LEVEL after the vCPU's ordinary DPCs, so the ...AtDpcLevel
// lock routines are Driver Verifier's 0xC4 / 0x40 there while the ...ForDpc routines raise to
// DISPATCH_LEVEL and lower back. MachineOptions::threaded_dpcs = false models the registry switch
// that disables them: they run as ordinary DPCs at DISPATCH_LEVEL.
#include <wdm.h>

#include <cstdint>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// What a threaded DPC saw: the IRQL it was called at, and around its lock routines.
struct Seen {
  std::vector<KIRQL> irqls;
  std::vector<int> order;      ///< DPCs' tags, in the order they ran
  KSPIN_LOCK lock = 0;         ///< taken with the ordinary routines
  KSPIN_LOCK queued_lock = 0;  ///< taken with the in-stack queued ones
  KDPC ordinary;
  int tag = 0;
};

VOID RecordIrql(PKDPC, PVOID context, PVOID, PVOID) {
  auto* seen = static_cast<Seen*>(context);
  seen->irqls.push_back(KeGetCurrentIrql());
}

VOID RecordOrder(PKDPC dpc, PVOID context, PVOID, PVOID) {
  auto* seen = static_cast<Seen*>(context);
  seen->order.push_back(dpc->Type == ThreadedDpcObject ? 1 : 0);
}

// A correct threaded DPC: each lock routine it may use, a DPC queued, the clock read.
VOID CorrectThreadedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* seen = static_cast<Seen*>(context);
  const KIRQL called_at = KeGetCurrentIrql();
  seen->irqls.push_back(called_at);

  KIRQL old = KeAcquireSpinLockForDpc(&seen->lock);
  seen->irqls.push_back(KeGetCurrentIrql());
  KeReleaseSpinLockForDpc(&seen->lock, old);
  seen->irqls.push_back(KeGetCurrentIrql());

  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLockForDpc(&seen->queued_lock, &handle);
  seen->irqls.push_back(KeGetCurrentIrql());
  KeReleaseInStackQueuedSpinLockForDpc(&handle);
  seen->irqls.push_back(KeGetCurrentIrql());

  KeAcquireSpinLock(&seen->lock, &old);
  KeReleaseSpinLock(&seen->lock, old);
  (void)KeQueryInterruptTime();
  (void)KeInsertQueueDpc(&seen->ordinary, nullptr, nullptr);
}

// What CorrectThreadedDpc sees in one run at PASSIVE_LEVEL: called at PASSIVE_LEVEL, then each
// ...ForDpc acquire at DISPATCH_LEVEL and each release back at PASSIVE_LEVEL.
std::vector<KIRQL> OneRun() {
  return {PASSIVE_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL};
}

VOID AtDpcLevelInThreadedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* seen = static_cast<Seen*>(context);
  KeAcquireSpinLockAtDpcLevel(&seen->lock);
  KeReleaseSpinLockFromDpcLevel(&seen->lock);
}

VOID ReturnsRaised(PKDPC, PVOID, PVOID, PVOID) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
}

VOID WaitsForAnEvent(PKDPC, PVOID context, PVOID, PVOID) {
  (void)KeWaitForSingleObject(context, Executive, KernelMode, FALSE, nullptr);
}

VOID NoOp(PKDPC, PVOID, PVOID, PVOID) {}

class ThreadedDpcTest : public kemu::testing::PersonalityTest {};

// Windows 2000, XP and Server 2003 have no KeInitializeThreadedDpc (DpcTest checks the missing
// export), so a threaded DPC exists only from Vista on.
INSTANTIATE_TEST_SUITE_P(VistaAndLater, ThreadedDpcTest,
                         ::testing::Values(kemu::Os::kWindowsVista, kemu::Os::kWindows7,
                                           kemu::Os::kWindows8, kemu::Os::kWindows81,
                                           kemu::Os::kWindows10, kemu::Os::kWindows11),
                         kemu::testing::OsName());

TEST_P(ThreadedDpcTest, AThreadedDpcRunsAtPassiveLevel) {
  Seen seen;
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &RecordIrql, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(seen.irqls, std::vector<KIRQL>{PASSIVE_LEVEL});
}

TEST_P(ThreadedDpcTest, OrdinaryDpcsQueuedAfterAThreadedOneRunFirst) {
  Seen seen;
  KDPC threaded;
  KDPC ordinary;
  KeInitializeThreadedDpc(&threaded, &RecordOrder, &seen);
  KeInitializeDpc(&ordinary, &RecordOrder, &seen);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeInsertQueueDpc(&threaded, nullptr, nullptr);
  KeInsertQueueDpc(&ordinary, nullptr, nullptr);
  KeLowerIrql(old);
  EXPECT_EQ(seen.order, (std::vector<int>{0, 1}));
}

TEST_P(ThreadedDpcTest, TheForDpcLockRoutinesRaiseToDispatchAndLowerBackInAThreadedDpc) {  // SL-10
  Seen seen;
  KeInitializeSpinLock(&seen.lock);
  KeInitializeSpinLock(&seen.queued_lock);
  KeInitializeDpc(&seen.ordinary, &NoOp, nullptr);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &CorrectThreadedDpc, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(seen.irqls, OneRun());
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ThreadedDpcTest, KeAcquireSpinLockAtDpcLevelInAThreadedDpcIsBelowDispatch) {
  Seen seen;
  KeInitializeSpinLock(&seen.lock);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &AtDpcLevelInThreadedDpc, &seen);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kAcquireAtDpcLevelBelowDispatch, PASSIVE_LEVEL,
                                Address(&seen.lock), 0));
}

TEST_P(ThreadedDpcTest, AThreadedDpcReturningAtDispatchLevelIsIrqlUnexpectedValue) {
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &ReturnsRaised, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  // (current IRQL << 16) | (expected IRQL << 8): returned at DISPATCH_LEVEL, called at PASSIVE.
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlUnexpectedValue,
                                std::uint64_t{DISPATCH_LEVEL} << 16, 0, 0, 0));
}

TEST_P(ThreadedDpcTest, AThreadedDpcThatBlocksIsAttemptedSwitchFromDpc) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &WaitsForAnEvent, &event);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kAttemptedSwitchFromDpc);
}

// A correct threaded DPC stays silent in every kernel mode and on two vCPUs, queued from an ISR's
// level (raised IRQL lowered later) and from PASSIVE_LEVEL.
TEST_P(ThreadedDpcTest, ACorrectThreadedDpcIsSilentOnEveryKernelAndTwoVcpus) {
  for (const kemu::KernelMode mode : kemu::kAllKernelModes) {
    for (const unsigned processors : {1u, 2u}) {
      kemu::Machine machine(
          kemu::WithKernelMode({.os = GetParam(), .processors = processors}, mode));
      Seen seen;
      KeInitializeSpinLock(&seen.lock);
      KeInitializeSpinLock(&seen.queued_lock);
      KeInitializeDpc(&seen.ordinary, &NoOp, nullptr);
      KDPC dpc;
      KeInitializeThreadedDpc(&dpc, &CorrectThreadedDpc, &seen);
      KIRQL old;
      KeRaiseIrql(DISPATCH_LEVEL, &old);
      KeInsertQueueDpc(&dpc, nullptr, nullptr);
      KeLowerIrql(old);
      KeInsertQueueDpc(&dpc, nullptr, nullptr);
      // On the last vCPU too: with two, vCPU 1 runs it on its own context.
      KeSetTargetProcessorDpc(&dpc, static_cast<CCHAR>(processors - 1));
      KeInsertQueueDpc(&dpc, nullptr, nullptr);
      KeFlushQueuedDpcs();
      std::vector<KIRQL> three_runs;
      for (int run = 0; run < 3; ++run) {
        const std::vector<KIRQL> one = OneRun();
        three_runs.insert(three_runs.end(), one.begin(), one.end());
      }
      EXPECT_EQ(seen.irqls, three_runs) << kemu::KernelModeName(mode) << ", " << processors;
      machine.Shutdown();
      EXPECT_FALSE(machine.crashed());
    }
  }
}

TEST(ThreadedDpcDisabledTest, WithThreadedDpcsDisabledAThreadedDpcRunsAtDispatchLevel) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .threaded_dpcs = false});
  Seen seen;
  KeInitializeSpinLock(&seen.lock);
  KeInitializeSpinLock(&seen.queued_lock);
  KeInitializeDpc(&seen.ordinary, &NoOp, nullptr);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &CorrectThreadedDpc, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  // The ...ForDpc routines leave the IRQL at DISPATCH_LEVEL, as in an ordinary DPC.
  EXPECT_EQ(seen.irqls, std::vector<KIRQL>(5, DISPATCH_LEVEL));
  // ... and the ...AtDpcLevel routines are legal there.
  KDPC at_dpc_level;
  KeInitializeThreadedDpc(&at_dpc_level, &AtDpcLevelInThreadedDpc, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&at_dpc_level, nullptr, nullptr));
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
