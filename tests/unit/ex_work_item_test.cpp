// Executive work items: WORK_QUEUE_ITEM, the ExInitializeWorkItem macro and ExQueueWorkItem. They
// run like I/O work items (work_item_test.cpp), at PASSIVE_LEVEL when the machine settles or a
// wait would block; each 0xE4 WORKER_INVALID rule has a triggering and a silent test.
#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

using ::kemu_test::BugCheckWith;

constexpr ULONG kTag = 'kroW';

class ExWorkItemTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ExWorkItemTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

std::uintptr_t Address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

struct Work {
  int runs = 0;
  KIRQL irql = 0xFF;
  PVOID parameter = nullptr;
  PWORK_QUEUE_ITEM free_item = nullptr;  ///< freed by the routine, as the documentation asks
  bool raise = false;
  PKMUTEX mutex = nullptr;  ///< acquired by the routine; released unless `keep_mutex`
  bool keep_mutex = false;
};

/// A driver's block holding its work item, as drivers allocate them.
struct Block {
  ULONG header;
  WORK_QUEUE_ITEM item;
};

VOID Routine(PVOID parameter) {
  auto* work = static_cast<Work*>(parameter);
  ++work->runs;
  work->irql = KeGetCurrentIrql();
  work->parameter = parameter;
  if (work->free_item != nullptr) ExFreePoolWithTag(work->free_item, kTag);
  if (work->raise) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  }
  if (work->mutex != nullptr) {
    KeWaitForSingleObject(work->mutex, Executive, KernelMode, FALSE, nullptr);
    if (!work->keep_mutex) KeReleaseMutex(work->mutex, FALSE);
  }
}

PWORK_QUEUE_ITEM NewItem(Work* work) {
  auto* item = static_cast<PWORK_QUEUE_ITEM>(
      ExAllocatePoolWithTag(NonPagedPool, sizeof(WORK_QUEUE_ITEM), kTag));
  ExInitializeWorkItem(item, Routine, work);
  return item;
}

TEST(ExInitializeWorkItemTest, SetsTheRoutineAndParameterAndClearsTheLink) {
  WORK_QUEUE_ITEM item;
  item.List.Flink = &item.List;
  int context = 0;
  ExInitializeWorkItem(&item, Routine, &context);
  EXPECT_EQ(item.WorkerRoutine, &Routine);
  EXPECT_EQ(item.Parameter, &context);
  EXPECT_EQ(item.List.Flink, nullptr);
}

TEST_P(ExWorkItemTest, QueuedItemRunsAtPassiveWithItsParameterWhenTheMachineSettles) {
  Work work;
  work.free_item = NewItem(&work);
  ExQueueWorkItem(work.free_item, DelayedWorkQueue);
  EXPECT_EQ(work.runs, 0);  // never inside the call that queued it
  machine().Settle();
  EXPECT_EQ(work.runs, 1);
  EXPECT_EQ(work.irql, PASSIVE_LEVEL);
  EXPECT_EQ(work.parameter, &work);
}

TEST_P(ExWorkItemTest, QueueingFromDispatchLevelIsAllowedAndRunsInOrderWithIoItems) {
  DEVICE_OBJECT device{};
  Work first;
  Work second;
  first.free_item = NewItem(&first);
  PIO_WORKITEM io_item = IoAllocateWorkItem(&device);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExQueueWorkItem(first.free_item, CriticalWorkQueue);
  IoQueueWorkItem(
      io_item, [](PDEVICE_OBJECT, PVOID context) { static_cast<Work*>(context)->runs = 10; },
      DelayedWorkQueue, &second);
  KeLowerIrql(old);
  machine().Settle();
  EXPECT_EQ(first.runs, 1);
  EXPECT_EQ(second.runs, 10);
  IoFreeWorkItem(io_item);
}

TEST_P(ExWorkItemTest, ReQueueingAfterItRanIsAllowed) {
  Work work;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  machine().Settle();
  ExQueueWorkItem(item, HyperCriticalWorkQueue);
  machine().Settle();
  EXPECT_EQ(work.runs, 2);
  ExFreePoolWithTag(item, kTag);
}

TEST_P(ExWorkItemTest, QueueingAQueuedItemIsWorkerInvalid) {
  Work work;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  EXPECT_THAT(CrashOf([&] { ExQueueWorkItem(item, CriticalWorkQueue); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kActiveItemQueued,
                           Address(item), CriticalWorkQueue, 0));
}

TEST_P(ExWorkItemTest, FreeingTheItemWhileQueuedIsWorkerInvalid) {
  Work work;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(item, kTag); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kActiveItemFreed,
                           Address(item), Address(item), Address(item + 1)));
}

TEST_P(ExWorkItemTest, FreeingTheBlockAroundAQueuedItemIsWorkerInvalid) {
  Work work;
  auto* block = static_cast<Block*>(ExAllocatePoolWithTag(NonPagedPool, sizeof(Block), kTag));
  ExInitializeWorkItem(&block->item, Routine, &work);
  ExQueueWorkItem(&block->item, DelayedWorkQueue);
  EXPECT_THAT(CrashOf([&] { ExFreePool(block); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kActiveItemFreed,
                           Address(&block->item), Address(block), Address(block + 1)));
}

TEST_P(ExWorkItemTest, FreeingTheBlockOfAQueuedIoInitializedItemIsWorkerInvalid) {
  if (GetParam() < kemu::Os::kWindowsVista) GTEST_SKIP() << "IoInitializeWorkItem is Vista+";
  DEVICE_OBJECT device{};
  const ULONG bytes = IoSizeofWorkItem();
  auto* item = static_cast<PIO_WORKITEM>(ExAllocatePoolWithTag(NonPagedPool, bytes, kTag));
  IoInitializeWorkItem(&device, item);
  IoQueueWorkItem(
      item, [](PDEVICE_OBJECT, PVOID) {}, DelayedWorkQueue, nullptr);
  EXPECT_THAT(
      CrashOf([&] { ExFreePoolWithTag(item, kTag); }),
      BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kActiveItemFreed,
                   Address(item), Address(item), Address(reinterpret_cast<char*>(item) + bytes)));
}

TEST_P(ExWorkItemTest, AnInvalidQueueTypeIsWorkerInvalid) {
  Work work;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  EXPECT_THAT(CrashOf([&] { ExQueueWorkItem(item, MaximumWorkQueue); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kInvalidQueueType,
                           Address(item), MaximumWorkQueue, 0));
}

TEST_P(ExWorkItemTest, AnItemWithoutARoutineIsWorkerInvalid) {
  WORK_QUEUE_ITEM item{};
  EXPECT_THAT(
      CrashOf([&] { ExQueueWorkItem(&item, DelayedWorkQueue); }),
      BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kInvalidWorkerRoutine,
                   Address(&item), DelayedWorkQueue, 0));
}

TEST_P(ExWorkItemTest, QueueingAboveDispatchIsRefused) {
  Work work;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExQueueWorkItem(item, DelayedWorkQueue); }),
              BugCheckIs(GetParam() >= kemu::Os::kWindowsVista
                             ? kemu::bugcheck::kDriverVerifierDetectedViolation
                             : kemu::bugcheck::kIrqlNotLessOrEqual));
}

TEST_P(ExWorkItemTest, RoutineReturningAtDispatchIsWorkerThreadReturnedAtBadIrql) {
  Work work;
  work.raise = true;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  EXPECT_THAT(CrashOf([&] { machine().Settle(); }),
              BugCheckWith(kemu::bugcheck::kWorkerThreadReturnedAtBadIrql,
                           reinterpret_cast<std::uintptr_t>(&Routine), DISPATCH_LEVEL,
                           Address(&work), Address(item)));
}

// Bug Check 0x39 SYSTEM_EXIT_OWNED_MUTEX: the worker routine, its parameter, the work item; the
// worker thread checks it on every kernel (audit round 18, Z S2: kemu accepted it).
TEST_P(ExWorkItemTest, RoutineReturningOwningAKernelMutexIsSystemExitOwnedMutex) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  Work work;
  work.mutex = &mutex;
  work.keep_mutex = true;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  const kemu::BugCheck crash = CrashOf([&] { machine().Settle(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kSystemExitOwnedMutex,
                                  reinterpret_cast<std::uintptr_t>(&Routine), Address(&work),
                                  Address(item), 0));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr(fmt::format("{:#x}", Address(&mutex))));
}

TEST_P(ExWorkItemTest, RoutineReleasingTheMutexItAcquiredReturnsSilently) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  Work work;
  work.mutex = &mutex;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  machine().Settle();
  EXPECT_EQ(work.runs, 1);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  ExFreePoolWithTag(item, kTag);
}

TEST_P(ExWorkItemTest, AnItemStillQueuedAtShutdownIsALeak) {
  Work work;
  PWORK_QUEUE_ITEM item = NewItem(&work);
  ExQueueWorkItem(item, DelayedWorkQueue);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  // Two leaks: the queued item, and the pool block holding it.
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 2, Address(item)));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("is still queued"));
}

TEST(ExWorkItemRecordTest, UnderRecordAFreedItemNeverRunsAndATwiceQueuedOneRunsOnce) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  Work once;
  Work freed;
  PWORK_QUEUE_ITEM twice = NewItem(&once);
  PWORK_QUEUE_ITEM gone = NewItem(&freed);
  ExQueueWorkItem(twice, DelayedWorkQueue);
  ExQueueWorkItem(twice, DelayedWorkQueue);
  ExQueueWorkItem(gone, DelayedWorkQueue);
  ExFreePoolWithTag(gone, kTag);
  machine.Settle();
  EXPECT_EQ(once.runs, 1);
  EXPECT_EQ(freed.runs, 0);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  EXPECT_EQ(machine.bug_checks()[0].parameter(0), kemu::worker_invalid::kActiveItemQueued);
  EXPECT_EQ(machine.bug_checks()[1].parameter(0), kemu::worker_invalid::kActiveItemFreed);
  ExFreePoolWithTag(twice, kTag);
  machine.Shutdown();
}

}  // namespace
