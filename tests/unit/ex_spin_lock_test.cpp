// Reader/writer spin locks (EX_SPIN_LOCK): each routine's IRQL and result, shared holders on
// several vCPUs at once, exclusive access excluding everyone, a vCPU waiting for exclusive access
// holding off new readers, and ExTryConvertSharedSpinLockExclusive (emu/model/ex_spin_locks.cpp).
// docs/kernel.md, "Reader/writer spin locks". The misuse rules are in ex_spin_lock_rules_test.cpp.
#include <wdm.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::OsFrom;
using ::testing::HasSubstr;

// A DPC whose routine is a std::function, targeted at one vCPU.
struct Deferred {
  KDPC dpc{};
  std::function<void()> body;
  int runs = 0;

  Deferred(std::function<void()> routine, int target) : body(std::move(routine)) {
    KeInitializeDpc(&dpc, &Routine, this);
    KeSetTargetProcessorDpc(&dpc, static_cast<CCHAR>(target));
  }
  static VOID Routine(PKDPC, PVOID context, PVOID, PVOID) {
    auto* self = static_cast<Deferred*>(context);
    ++self->runs;
    self->body();
  }
};

// Every personality with the routines (Vista SP1 on; kemu's vista is SP2), on three vCPUs.
class ExSpinLockTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::MachineOptions Options() const override { return {.os = GetParam(), .processors = 3}; }

  EX_SPIN_LOCK lock_ = 0;  // zero is the only initialisation
};

TEST_P(ExSpinLockTest, SharedAcquireRaisesToDispatchAndTheReleaseRestoresTheCaller) {
  for (KIRQL start : {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "from IRQL " << int{start});
    KIRQL original;
    KeRaiseIrql(start, &original);
    EXPECT_EQ(ExAcquireSpinLockShared(&lock_), start);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    ExReleaseSpinLockShared(&lock_, start);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    KeLowerIrql(original);
  }
}

TEST_P(ExSpinLockTest, ExclusiveAcquireRaisesToDispatchAndTheReleaseRestoresTheCaller) {
  for (KIRQL start : {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "from IRQL " << int{start});
    KIRQL original;
    KeRaiseIrql(start, &original);
    EXPECT_EQ(ExAcquireSpinLockExclusive(&lock_), start);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    ExReleaseSpinLockExclusive(&lock_, start);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    KeLowerIrql(original);
  }
}

TEST_P(ExSpinLockTest, AtDpcLevelRoutinesLeaveTheIrqlAlone) {
  for (KIRQL level : {KIRQL{DISPATCH_LEVEL}, KIRQL{CLOCK_LEVEL}, KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "at IRQL " << int{level});
    KIRQL old;
    KeRaiseIrql(level, &old);
    ExAcquireSpinLockSharedAtDpcLevel(&lock_);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExReleaseSpinLockSharedFromDpcLevel(&lock_);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExAcquireSpinLockExclusiveAtDpcLevel(&lock_);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExReleaseSpinLockExclusiveFromDpcLevel(&lock_);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    KeLowerIrql(old);
  }
}

TEST_P(ExSpinLockTest, TheWordIsNonZeroWhileHeldAndZeroAgainAfterTheRelease) {
  const KIRQL old = ExAcquireSpinLockExclusive(&lock_);
  EXPECT_NE(lock_, 0);
  ExReleaseSpinLockExclusive(&lock_, old);
  EXPECT_EQ(lock_, 0);
  ExAcquireSpinLockShared(&lock_);
  EXPECT_NE(lock_, 0);
  ExReleaseSpinLockShared(&lock_, old);
  EXPECT_EQ(lock_, 0);
}

TEST_P(ExSpinLockTest, ReleaseDeliversTheDpcQueuedWhileTheLockWasHeld) {
  int runs = 0;
  Deferred local([&] { ++runs; }, 0);
  const KIRQL old = ExAcquireSpinLockShared(&lock_);
  KeInsertQueueDpc(&local.dpc, nullptr, nullptr);
  EXPECT_EQ(runs, 0);  // held at DISPATCH_LEVEL
  ExReleaseSpinLockShared(&lock_, old);
  EXPECT_EQ(runs, 1);
}

// The default schedule runs a DPC queued for another vCPU only once the queueing vCPU drops below
// DISPATCH_LEVEL, so these tests hold the lock on vCPU 0 and leave it parked there
// (SwitchToProcessor) while the test's thread goes on from vCPU 1.

TEST_P(ExSpinLockTest, TwoVcpusHoldTheLockSharedAtOnce) {
  const KIRQL old = ExAcquireSpinLockShared(&lock_);
  machine().SwitchToProcessor(1);  // vCPU 0 keeps holding it shared
  // Granted at once: were vCPU 0's hold exclusive, this would be the deadlock report.
  const KIRQL other = ExAcquireSpinLockShared(&lock_);
  EXPECT_EQ(other, PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  ExReleaseSpinLockShared(&lock_, other);
  machine().SwitchToProcessor(0);
  ExReleaseSpinLockShared(&lock_, old);
}

// Holds the lock on vCPU 0 as `acquire` does, starts `body` in a DPC on vCPU 2 while vCPU 0 is
// parked, and returns whether the DPC finished before vCPU 0 gave the lock back (with
// `release`); the DPC has run when it returns.
bool DpcFinishedWhileHeld(kemu::Machine& machine, const std::function<void()>& body,
                          const std::function<void()>& release) {
  bool done = false;
  Deferred dpc(
      [&] {
        body();
        done = true;
      },
      2);
  machine.SwitchToProcessor(1);
  KeInsertQueueDpc(&dpc.dpc, nullptr, nullptr);  // vCPU 2 starts it at once
  EXPECT_EQ(dpc.runs, 1);
  machine.SwitchToProcessor(0);
  const bool finished = done;
  release();
  KeFlushQueuedDpcs();
  EXPECT_TRUE(done);
  return finished;
}

TEST_P(ExSpinLockTest, AnExclusiveHolderMakesReadersAndWritersOnOtherVcpusWait) {
  for (bool exclusive_waiter : {false, true}) {
    SCOPED_TRACE(exclusive_waiter ? "writer" : "reader");
    const KIRQL old = ExAcquireSpinLockExclusive(&lock_);
    const bool finished = DpcFinishedWhileHeld(
        machine(),
        [&] {
          if (exclusive_waiter) {
            ExAcquireSpinLockExclusiveAtDpcLevel(&lock_);
            ExReleaseSpinLockExclusiveFromDpcLevel(&lock_);
          } else {
            ExAcquireSpinLockSharedAtDpcLevel(&lock_);
            ExReleaseSpinLockSharedFromDpcLevel(&lock_);
          }
        },
        [&] { ExReleaseSpinLockExclusive(&lock_, old); });
    EXPECT_FALSE(finished);
  }
}

TEST_P(ExSpinLockTest, ASharedHolderMakesOnlyWritersWait) {
  for (bool exclusive_waiter : {false, true}) {
    SCOPED_TRACE(exclusive_waiter ? "writer" : "reader");
    const KIRQL old = ExAcquireSpinLockShared(&lock_);
    const bool finished = DpcFinishedWhileHeld(
        machine(),
        [&] {
          if (exclusive_waiter) {
            ExAcquireSpinLockExclusiveAtDpcLevel(&lock_);
            ExReleaseSpinLockExclusiveFromDpcLevel(&lock_);
          } else {
            ExAcquireSpinLockSharedAtDpcLevel(&lock_);
            ExReleaseSpinLockSharedFromDpcLevel(&lock_);
          }
        },
        [&] { ExReleaseSpinLockShared(&lock_, old); });
    EXPECT_EQ(finished, !exclusive_waiter);
  }
}

// Microsoft's "Reader/Writer Spin Locks": a conversion fails while a writer waits.
TEST_P(ExSpinLockTest, ConversionFailsWhileAnotherVcpuWaitsForExclusiveAccess) {
  const KIRQL old = ExAcquireSpinLockShared(&lock_);
  LOGICAL converted = TRUE;
  const bool finished = DpcFinishedWhileHeld(
      machine(),
      [&] {
        ExAcquireSpinLockExclusiveAtDpcLevel(&lock_);
        ExReleaseSpinLockExclusiveFromDpcLevel(&lock_);
      },
      [&] {
        converted = ExTryConvertSharedSpinLockExclusive(&lock_);
        ExReleaseSpinLockShared(&lock_, old);  // still shared
      });
  EXPECT_FALSE(finished);
  EXPECT_EQ(converted, FALSE);
}

TEST_P(ExSpinLockTest, TheOnlySharedHolderConvertsToExclusiveAndReleasesItSo) {
  const KIRQL old = ExAcquireSpinLockShared(&lock_);
  EXPECT_EQ(ExTryConvertSharedSpinLockExclusive(&lock_), TRUE);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  const bool reader_finished = DpcFinishedWhileHeld(
      machine(),
      [&] {
        ExAcquireSpinLockSharedAtDpcLevel(&lock_);
        ExReleaseSpinLockSharedFromDpcLevel(&lock_);
      },
      [&] { ExReleaseSpinLockExclusive(&lock_, old); });
  EXPECT_FALSE(reader_finished);  // the converted lock excluded the reader
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(ExSpinLockTest, ConversionFailsWhileAnotherVcpuHoldsTheLockSharedAndKeepsItShared) {
  const KIRQL old = ExAcquireSpinLockShared(&lock_);
  machine().SwitchToProcessor(1);  // vCPU 0 stays parked holding it shared
  const KIRQL other = ExAcquireSpinLockShared(&lock_);
  EXPECT_EQ(ExTryConvertSharedSpinLockExclusive(&lock_), FALSE);
  ExReleaseSpinLockShared(&lock_, other);  // still shared: the shared release is the right one
  machine().SwitchToProcessor(0);
  EXPECT_EQ(ExTryConvertSharedSpinLockExclusive(&lock_), TRUE);
  ExReleaseSpinLockExclusive(&lock_, old);
}

TEST_P(ExSpinLockTest, AConvertedAtDpcLevelAcquireIsReleasedFromDpcLevel) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExAcquireSpinLockSharedAtDpcLevel(&lock_);
  EXPECT_EQ(ExTryConvertSharedSpinLockExclusive(&lock_), TRUE);
  ExReleaseSpinLockExclusiveFromDpcLevel(&lock_);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
}

INSTANTIATE_TEST_SUITE_P(VistaOn, ExSpinLockTest, OsFrom(kemu::Os::kWindowsVista),
                         kemu::testing::OsName());

// Microsoft's "Reader/Writer Spin Locks": while a writer waits, no new reader acquires the lock.
// vCPU 0 holds it shared and stays parked, a writer spins on vCPU 2, and a new reader on vCPU 1
// waits behind that writer: nothing can ever run, the deadlock report.
TEST(ExSpinLockWriterFirstTest, ANewReaderWaitsBehindAVcpuWaitingForExclusiveAccess) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 3});
  EX_SPIN_LOCK lock = 0;
  (void)ExAcquireSpinLockShared(&lock);
  machine.SwitchToProcessor(1);
  Deferred writer(
      [&] {
        ExAcquireSpinLockExclusiveAtDpcLevel(&lock);
        ExReleaseSpinLockExclusiveFromDpcLevel(&lock);
      },
      2);
  KeInsertQueueDpc(&writer.dpc, nullptr, nullptr);
  const kemu::BugCheck crash = kemu::testing::CrashOf([&] { ExAcquireSpinLockShared(&lock); });
  EXPECT_THAT(crash, kemu::testing::BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                               kemu::verifier_code::kDeadlock,
                                               reinterpret_cast<std::uintptr_t>(&lock), 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("waits for exclusive access to the reader/writer spin "));
}

TEST(ExSpinLockAvailabilityTest, TheRoutinesAreMissingBeforeVista) {
  kemu::Machine machine(kemu::Os::kWindowsServer2003);
  EX_SPIN_LOCK lock = 0;
  try {
    ExAcquireSpinLockShared(&lock);
    ADD_FAILURE() << "ExAcquireSpinLockShared returned on Server 2003";
  } catch (const kemu::MissingExport& missing) {
    EXPECT_EQ(missing.routine(), "ExAcquireSpinLockShared");
  }
}

// ---------------------------------------------------------------------------------------------
// Explored schedules: readers on two vCPUs are never reported, and overlap under some schedule;
// a writer never overlaps anyone.

kemu::MachineOptions Explored(kemu::Strategy strategy, std::uint64_t seed, unsigned processors) {
  return {.os = kemu::Os::kWindows10,
          .processors = processors,
          .verifier = true,
          .schedule = {.strategy = strategy, .seed = seed}};
}

TEST(ExSpinLockScheduleTest, ReadersOnTwoVcpusShareTheLockUnderEveryExploredSchedule) {
  for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    int overlapped = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      SCOPED_TRACE(testing::Message() << kemu::StrategyName(strategy) << " seed " << seed);
      kemu::Machine machine(Explored(strategy, seed, 2));
      EX_SPIN_LOCK lock = 0;
      int inside = 0;
      int max_inside = 0;
      auto read = [&] {
        ExAcquireSpinLockSharedAtDpcLevel(&lock);
        max_inside = std::max(max_inside, ++inside);
        KeStallExecutionProcessor(1);
        --inside;
        ExReleaseSpinLockSharedFromDpcLevel(&lock);
      };
      Deferred on0(read, 0);
      Deferred on1(read, 1);
      KeInsertQueueDpc(&on1.dpc, nullptr, nullptr);
      KeInsertQueueDpc(&on0.dpc, nullptr, nullptr);
      KeFlushQueuedDpcs();
      EXPECT_EQ(on0.runs, 1);
      EXPECT_EQ(on1.runs, 1);
      overlapped += max_inside == 2;
      machine.Shutdown();  // nothing held, nothing reported
    }
    EXPECT_GT(overlapped, 0) << "no schedule had both readers inside at once";
  }
}

TEST(ExSpinLockScheduleTest, AWriterNeverOverlapsAReaderUnderAnyExploredSchedule) {
  for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      SCOPED_TRACE(testing::Message() << kemu::StrategyName(strategy) << " seed " << seed);
      kemu::Machine machine(Explored(strategy, seed, 3));
      EX_SPIN_LOCK lock = 0;
      int readers = 0;
      bool writer_inside = false;
      bool overlap = false;
      auto read = [&] {
        ExAcquireSpinLockSharedAtDpcLevel(&lock);
        ++readers;
        overlap |= writer_inside;
        KeStallExecutionProcessor(1);
        --readers;
        ExReleaseSpinLockSharedFromDpcLevel(&lock);
      };
      Deferred reader0(read, 0);
      Deferred reader1(read, 1);
      Deferred writer(
          [&] {
            ExAcquireSpinLockExclusiveAtDpcLevel(&lock);
            writer_inside = true;
            overlap |= readers > 0;
            KeStallExecutionProcessor(1);
            writer_inside = false;
            ExReleaseSpinLockExclusiveFromDpcLevel(&lock);
          },
          2);
      KeInsertQueueDpc(&writer.dpc, nullptr, nullptr);
      KeInsertQueueDpc(&reader1.dpc, nullptr, nullptr);
      KeInsertQueueDpc(&reader0.dpc, nullptr, nullptr);
      KeFlushQueuedDpcs();
      EXPECT_FALSE(overlap);
      EXPECT_EQ(reader0.runs + reader1.runs + writer.runs, 3);
      machine.Shutdown();
    }
  }
}

}  // namespace
