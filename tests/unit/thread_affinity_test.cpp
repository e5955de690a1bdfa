// The system affinity of a system thread (PsCreateSystemThread): KeSetSystemAffinityThreadEx and
// friends move the thread itself to a vCPU of the set, its own affinity (not the test's), where
// it stays across waits until the revert; at DISPATCH_LEVEL the move waits for the IRQL to drop.
// Explored schedules (kRandom, kPct) keep the thread inside its set too.
#include <wdm.h>

#include <cstdint>
#include <vector>

#include "kemu/testing/gtest.hpp"
#include "system_thread_start.hpp"

namespace {

kemu::MachineOptions Options(unsigned processors,
                             kemu::Strategy strategy = kemu::Strategy::kDefault,
                             std::uint64_t seed = 0) {
  return {.os = kemu::Os::kWindows10,
          .processors = processors,
          .schedule = {.strategy = strategy, .seed = seed}};
}

// Runs `routine(context)` on a new system thread and waits for its end, as a driver's stop path
// does.
void RunThread(PKSTART_ROUTINE routine, PVOID context) {
  PVOID thread = kemu::testing::StartSystemThread(routine, context);
  ASSERT_NE(thread, nullptr);
  EXPECT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  ObDereferenceObject(thread);
}

// The driver: a worker thread that visits every processor to program per-CPU state.
struct Visit {
  std::vector<ULONG> seen;
  std::vector<KAFFINITY> previous;
};

VOID VisitEveryProcessor(PVOID context) {
  auto* visit = static_cast<Visit*>(context);
  const ULONG count = KeQueryActiveProcessorCount(nullptr);
  for (ULONG cpu = 0; cpu < count; ++cpu) {
    const KAFFINITY previous = KeSetSystemAffinityThreadEx(KAFFINITY{1} << cpu);
    visit->previous.push_back(previous);
    visit->seen.push_back(KeGetCurrentProcessorNumberEx(nullptr));
    KeRevertToUserAffinityThreadEx(previous);
  }
}

std::vector<ULONG> EveryProcessor(unsigned processors) {
  std::vector<ULONG> all;
  for (ULONG cpu = 0; cpu < processors; ++cpu) all.push_back(cpu);
  return all;
}

TEST(ThreadAffinityTest, ASystemThreadVisitsEveryProcessorExactlyOnce) {
  for (const unsigned processors : {1u, 2u, 4u}) {
    kemu::Machine machine(Options(processors));
    Visit visit;
    RunThread(&VisitEveryProcessor, &visit);
    EXPECT_EQ(visit.seen, EveryProcessor(processors)) << processors << " vCPUs";
    // Each set replaced the user affinity: the revert in between took the system one away.
    EXPECT_EQ(visit.previous, std::vector<KAFFINITY>(processors, 0)) << processors << " vCPUs";
    EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);  // the test's thread never moved
    machine.Shutdown();
  }
}

TEST(ThreadAffinityTest, ASystemThreadVisitsEveryProcessorUnderExploredSchedules) {
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (const unsigned processors : {2u, 4u}) {
      for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        kemu::Machine machine(Options(processors, strategy, seed));
        Visit visit;
        RunThread(&VisitEveryProcessor, &visit);
        EXPECT_EQ(visit.seen, EveryProcessor(processors)) << processors << " vCPUs, seed " << seed;
        machine.Shutdown();  // no leak, no false report
      }
    }
  }
}

// A thread narrowed to vCPUs 1 and 2 of 3 that waits for the test's event again and again.
struct Pinned {
  KEVENT go;
  KEVENT done;
  std::vector<ULONG> seen;
  ULONG after_revert = ~0u;
  Pinned() {
    KeInitializeEvent(&go, SynchronizationEvent, FALSE);
    KeInitializeEvent(&done, SynchronizationEvent, FALSE);
  }
};

constexpr int kRounds = 4;

VOID WaitInsideTheSet(PVOID context) {
  auto* pinned = static_cast<Pinned*>(context);
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(0x6);
  pinned->seen.push_back(KeGetCurrentProcessorNumber());
  for (int round = 0; round < kRounds; ++round) {
    KeWaitForSingleObject(&pinned->go, Executive, KernelMode, FALSE, nullptr);
    pinned->seen.push_back(KeGetCurrentProcessorNumber());
    KeSetEvent(&pinned->done, IO_NO_INCREMENT, FALSE);
  }
  KeRevertToUserAffinityThreadEx(previous);
  pinned->after_revert = KeGetCurrentProcessorNumber();
}

TEST(ThreadAffinityTest, ASystemThreadStaysInsideItsSetAcrossWaits) {
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
      kemu::Machine machine(Options(3, strategy, seed));
      Pinned pinned;
      PVOID thread = kemu::testing::StartSystemThread(&WaitInsideTheSet, &pinned);
      ASSERT_NE(thread, nullptr);
      for (int round = 0; round < kRounds; ++round) {
        KeSetEvent(&pinned.go, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(&pinned.done, Executive, KernelMode, FALSE, nullptr);
      }
      KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
      ObDereferenceObject(thread);
      ASSERT_EQ(pinned.seen.size(), kRounds + 1u) << seed;
      for (const ULONG cpu : pinned.seen) EXPECT_TRUE(cpu == 1 || cpu == 2) << cpu << " " << seed;
      EXPECT_NE(pinned.after_revert, ~0u);  // the revert keeps it where it is
      machine.Shutdown();
    }
  }
}

// The thread's affinity is its own: the test's system affinity is not its previous one.
struct Own {
  KAFFINITY previous = 0xFF;
  ULONG cpu = ~0u;
};

VOID SetOwnAffinity(PVOID context) {
  auto* own = static_cast<Own*>(context);
  own->previous = KeSetSystemAffinityThreadEx(0x1);
  own->cpu = KeGetCurrentProcessorNumber();
  KeRevertToUserAffinityThreadEx(own->previous);
}

TEST(ThreadAffinityTest, ASystemThreadsAffinityIsItsOwnNotTheTests) {
  kemu::Machine machine(Options(2));
  const KAFFINITY tests = KeSetSystemAffinityThreadEx(0x2);  // the test moves to vCPU 1
  ASSERT_EQ(KeGetCurrentProcessorNumber(), 1u);
  Own own;
  RunThread(&SetOwnAffinity, &own);
  EXPECT_EQ(own.previous, 0u);
  EXPECT_EQ(own.cpu, 0u);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  EXPECT_EQ(KeSetSystemAffinityThreadEx(0x2), 0x2u);  // the test's own is unchanged
  KeRevertToUserAffinityThreadEx(tests);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

// At DISPATCH_LEVEL the affinity changes at once and the thread moves when the IRQL drops.
struct Deferred {
  ULONG start = ~0u;
  ULONG at_dispatch = ~0u;
  ULONG after_lowering = ~0u;
  KAFFINITY previous = 0xFF;
  KAFFINITY inner = 0xFF;
};

VOID SetAtDispatchLevel(PVOID context) {
  auto* deferred = static_cast<Deferred*>(context);
  deferred->start = KeGetCurrentProcessorNumber();
  const KAFFINITY target = deferred->start == 0 ? 0x2 : 0x1;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  deferred->previous = KeSetSystemAffinityThreadEx(target);
  deferred->inner = KeSetSystemAffinityThreadEx(target);  // recorded already
  deferred->at_dispatch = KeGetCurrentProcessorNumber();
  KeLowerIrql(old);
  deferred->after_lowering = KeGetCurrentProcessorNumber();
  KeRevertToUserAffinityThreadEx(0);
}

TEST(ThreadAffinityTest, AtDispatchLevelTheThreadMovesWhenItLowersTheIrql) {
  for (const kemu::Strategy strategy : {kemu::Strategy::kDefault, kemu::Strategy::kRandom}) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      kemu::Machine machine(Options(2, strategy, seed));
      Deferred deferred;
      RunThread(&SetAtDispatchLevel, &deferred);
      EXPECT_EQ(deferred.previous, 0u);
      EXPECT_EQ(deferred.inner, deferred.start == 0 ? 0x2u : 0x1u);
      EXPECT_EQ(deferred.at_dispatch, deferred.start);
      EXPECT_EQ(deferred.after_lowering, 1 - deferred.start) << seed;
      machine.Shutdown();
    }
  }
}

// The DPCs the drop lets run go first, on the vCPU the thread leaves; then it moves.
struct DpcFirst {
  KDPC dpc;
  ULONG start = ~0u;
  ULONG dpc_cpu = ~0u;
  ULONG after = ~0u;
};

VOID RecordDpc(PKDPC, PVOID context, PVOID, PVOID) {
  static_cast<DpcFirst*>(context)->dpc_cpu = KeGetCurrentProcessorNumber();
}

VOID QueueThenMove(PVOID context) {
  auto* first = static_cast<DpcFirst*>(context);
  KeInitializeDpc(&first->dpc, &RecordDpc, first);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeInsertQueueDpc(&first->dpc, nullptr, nullptr);  // for this vCPU
  first->start = KeGetCurrentProcessorNumber();
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(first->start == 0 ? 0x2 : 0x1);
  KeReleaseSpinLock(&lock, old);  // the drop below DISPATCH_LEVEL
  first->after = KeGetCurrentProcessorNumber();
  KeRevertToUserAffinityThreadEx(previous);
}

TEST(ThreadAffinityTest, TheDeferredMoveFollowsTheDpcsTheDropRuns) {
  kemu::Machine machine(Options(2));
  DpcFirst first;
  RunThread(&QueueThenMove, &first);
  EXPECT_EQ(first.dpc_cpu, first.start);  // before the move, on the vCPU the thread left
  EXPECT_EQ(first.after, 1 - first.start);
  machine.Shutdown();
}

// A system thread carries its own APC state along (here the critical region it starts in, and
// one more it enters), so it moves with normal kernel APCs disabled.
struct Region {
  ULONG cpu = ~0u;
  BOOLEAN apcs_disabled = FALSE;
};

VOID MoveInsideACriticalRegion(PVOID context) {
  auto* region = static_cast<Region*>(context);
  KeEnterCriticalRegion();
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(0x2);
  region->cpu = KeGetCurrentProcessorNumber();
  region->apcs_disabled = KeAreApcsDisabled();
  KeRevertToUserAffinityThreadEx(previous);
  KeLeaveCriticalRegion();
}

TEST(ThreadAffinityTest, ASystemThreadMovesWithItsCriticalRegion) {
  kemu::Machine machine(Options(2));
  Region region;
  RunThread(&MoveInsideACriticalRegion, &region);
  EXPECT_EQ(region.cpu, 1u);
  EXPECT_TRUE(region.apcs_disabled);
  machine.Shutdown();  // the thread's regions were balanced: no exit report
}

// UNCONFIRMED what Windows does with a system affinity a thread still has when it ends; it
// belongs to the thread, so kemu lets it go with it (docs/kernel.md).
VOID EndWithTheAffinitySet(PVOID) { KeSetSystemAffinityThreadEx(0x2); }

TEST(ThreadAffinityTest, AThreadEndingWithItsSystemAffinitySetIsSilent) {
  kemu::Machine machine(Options(2));
  RunThread(&EndWithTheAffinitySet, nullptr);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine.Shutdown();
}

// A DPC has no thread of its own in kemu: the call from it is still not modelled.
VOID SetFromDpc(PKDPC, PVOID, PVOID, PVOID) { KeSetSystemAffinityThreadEx(0x2); }

TEST(ThreadAffinityTest, FromADpcRoutineTheMoveIsNotModelled) {
  kemu::Machine machine(Options(2));
  KDPC dpc;
  KeInitializeDpc(&dpc, &SetFromDpc, nullptr);
  // Below DISPATCH_LEVEL the DPC runs inside the insert.
  EXPECT_THROW(KeInsertQueueDpc(&dpc, nullptr, nullptr), kemu::NotModelled);
  machine.Abandon();
}

}  // namespace
