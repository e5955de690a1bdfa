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

// Queues an ordinary DPC while it holds a lock at DISPATCH_LEVEL, and tags each step: 1 on entry,
// 2 still holding the lock, 3 after the release (RecordOrder tags the ordinary DPC 0).
VOID PreemptedThreadedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* seen = static_cast<Seen*>(context);
  seen->order.push_back(1);
  const KIRQL old = KeAcquireSpinLockForDpc(&seen->lock);
  (void)KeInsertQueueDpc(&seen->ordinary, nullptr, nullptr);
  seen->order.push_back(2);
  KeReleaseSpinLockForDpc(&seen->lock, old);
  seen->order.push_back(3);
}

// An interrupt lands while a threaded DPC runs (the hardware pulses the line from inside it); its
// ISR queues an ordinary DPC.
struct InterruptedThreaded {
  Seen seen;
  kemu::Device* device = nullptr;
};
BOOLEAN QueueingIsr(PKINTERRUPT, PVOID context) {
  auto* seen = static_cast<Seen*>(context);
  seen->order.push_back(4);
  (void)KeInsertQueueDpc(&seen->ordinary, nullptr, nullptr);
  return TRUE;
}
VOID InterruptedThreadedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* run = static_cast<InterruptedThreaded*>(context);
  run->seen.order.push_back(1);
  run->device->PulseLine();
  run->seen.order.push_back(3);
}

// Stalls 600 us, queues an ordinary DPC (which stalls 600 us more), stalls 300 us: 900 us of its
// own, 1,500 us with the DPC that preempts it.
VOID Stall600(PKDPC, PVOID, PVOID, PVOID) { KeStallExecutionProcessor(600); }
VOID StallingThreadedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* seen = static_cast<Seen*>(context);
  KeStallExecutionProcessor(600);
  (void)KeInsertQueueDpc(&seen->ordinary, nullptr, nullptr);
  KeStallExecutionProcessor(300);
}

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

// The threaded DPC's thread runs at PASSIVE_LEVEL, so the DISPATCH_LEVEL interrupt preempts it:
// an ordinary DPC queued while it runs runs as soon as it is back below DISPATCH_LEVEL, before it
// returns (Microsoft, "Introduction to Threaded DPCs": ordinary DPCs preempt threaded ones).
TEST_P(ThreadedDpcTest, AnOrdinaryDpcPreemptsARunningThreadedDpcOnceItIsBelowDispatch) {
  Seen seen;
  KeInitializeSpinLock(&seen.lock);
  KeInitializeDpc(&seen.ordinary, &RecordOrder, &seen);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &PreemptedThreadedDpc, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(seen.order, (std::vector<int>{1, 2, 0, 3}));
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ThreadedDpcTest, AnOrdinaryDpcAnIsrQueuesPreemptsTheThreadedDpcItInterrupted) {
  constexpr kemu::LineInterrupt kLine{.vector = 0x53, .irql = 5, .mode = kemu::Trigger::kEdge};
  InterruptedThreaded run;
  run.device = &machine().AddDevice({.name = "nic", .line = kLine});
  KeInitializeDpc(&run.seen.ordinary, &RecordOrder, &run.seen);
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &QueueingIsr, &run.seen, nullptr, kLine.vector,
                               kLine.irql, kLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &InterruptedThreadedDpc, &run);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  // The ISR (4), then its DPC (0), both before the threaded routine goes on (3).
  EXPECT_EQ(run.seen.order, (std::vector<int>{1, 4, 0, 3}));
  IoDisconnectInterrupt(interrupt);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

// The DPC watchdog times each routine: the ordinary DPC that preempts a threaded one has an
// allotment of its own, and its time is not the threaded DPC's.
TEST_P(ThreadedDpcTest, APreemptingDpcsTimeIsNotChargedToTheThreadedDpc) {
  kemu::Machine machine({.os = GetParam(), .dpc_time_limit_us = 1000});
  Seen seen;
  KeInitializeDpc(&seen.ordinary, &Stall600, nullptr);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &StallingThreadedDpc, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// A threaded DPC has a watchdog allotment although it runs at PASSIVE_LEVEL: it must be correct as
// an ordinary DPC, which it is with threaded DPCs turned off. The report says so.
VOID Stall2000(PKDPC, PVOID, PVOID, PVOID) { KeStallExecutionProcessor(2000); }
TEST_P(ThreadedDpcTest, ALongThreadedDpcIsTheWatchdogsAndTheReportSaysWhy) {
  kemu::Machine machine({.os = GetParam(), .dpc_time_limit_us = 1000});
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &Stall2000, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kDpcWatchdogViolation);
  EXPECT_EQ(crash.parameters()[0], 0u);
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("The threaded DPC routine"));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("(ThreadDpcEnable = 0), and there this is the "
                                                 "bug check"));
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
  // Audit round 11 F2: the report says why a DPC routine is below DISPATCH_LEVEL, and what to use.
  EXPECT_THAT(crash.report(), ::testing::HasSubstr(
                                  "It was called from a threaded DPC routine on vCPU 0 at IRQL 0"));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr("AtDpcLevelInThreadedDpc"));
  EXPECT_THAT(crash.report(),
              ::testing::HasSubstr("is a threaded DPC (KeInitializeThreadedDpc), which runs "
                                   "at PASSIVE_LEVEL"));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr("KeAcquireSpinLock or KeAcquireSpinLockForDpc"));
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

TEST(ThreadedDpcDisabledTest, WithThreadedDpcsDisabledAnOrdinaryDpcWaitsForTheThreadedOne) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .threaded_dpcs = false});
  Seen seen;
  KeInitializeSpinLock(&seen.lock);
  KeInitializeDpc(&seen.ordinary, &RecordOrder, &seen);
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, &PreemptedThreadedDpc, &seen);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(seen.order, (std::vector<int>{1, 2, 3, 0}));
}

}  // namespace
