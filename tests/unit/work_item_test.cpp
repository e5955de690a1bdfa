// I/O work items: IoAllocateWorkItem, IoQueueWorkItem(Ex), IoFreeWorkItem and the Vista+
// initialize-in-place routines. Queued items run at PASSIVE_LEVEL when a wait would block or the
// test settles the machine; the verifier rules each have a triggering and a silent test.
#include <wdm.h>

#include <vector>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

using ::kemu_test::BugCheckWith;

class WorkItemTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, WorkItemTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

struct Work {
  int runs = 0;
  KIRQL irql = 0xFF;
  PDEVICE_OBJECT device = nullptr;
  PVOID io_object = nullptr;
  PIO_WORKITEM item = nullptr;
  PIO_WORKITEM free_item = nullptr;  ///< freed by the routine, as drivers do
  PKEVENT to_set = nullptr;
  bool raise = false;
  bool enter_region = false;
  PKMUTEX kept_mutex = nullptr;  ///< acquired by the routine and never released
};

VOID Routine(PDEVICE_OBJECT device, PVOID context) {
  auto* work = static_cast<Work*>(context);
  ++work->runs;
  work->irql = KeGetCurrentIrql();
  work->device = device;
  if (work->free_item != nullptr) IoFreeWorkItem(work->free_item);
  if (work->to_set != nullptr) KeSetEvent(work->to_set, IO_NO_INCREMENT, FALSE);
  if (work->raise) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  }
  if (work->enter_region) KeEnterCriticalRegion();
  if (work->kept_mutex != nullptr) {
    KeWaitForSingleObject(work->kept_mutex, Executive, KernelMode, FALSE, nullptr);
  }
}

VOID RoutineEx(PVOID io_object, PVOID context, PIO_WORKITEM item) {
  auto* work = static_cast<Work*>(context);
  ++work->runs;
  work->irql = KeGetCurrentIrql();
  work->io_object = io_object;
  work->item = item;
}

TEST_P(WorkItemTest, QueuedItemRunsAtPassiveWhenTheMachineSettles) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  ASSERT_NE(item, nullptr);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  EXPECT_EQ(work.runs, 0);  // not from inside the call that queued it
  machine().Settle();
  EXPECT_EQ(work.runs, 1);
  EXPECT_EQ(work.irql, PASSIVE_LEVEL);
  EXPECT_EQ(work.device, &device);
  IoFreeWorkItem(item);
}

TEST_P(WorkItemTest, ItemQueuedFromADpcRunsWhileTheStopPathWaits) {
  DEVICE_OBJECT device{};
  KEVENT done;
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  Work work;
  work.to_set = &done;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  work.free_item = item;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  IoQueueWorkItem(item, Routine, CriticalWorkQueue, &work);
  KeLowerIrql(old);
  EXPECT_EQ(KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(work.runs, 1);
  EXPECT_EQ(machine().InterruptTime(), 0u);  // the worker ran before time had to move
}

TEST_P(WorkItemTest, InitializeInPlaceAndQueueEx) {
  if (GetParam() < kemu::Os::kWindowsVista) GTEST_SKIP() << "Vista+ routines";
  DEVICE_OBJECT device{};
  std::vector<std::uint64_t> storage(IoSizeofWorkItem() / sizeof(std::uint64_t) + 1);
  auto* item = reinterpret_cast<PIO_WORKITEM>(storage.data());
  IoInitializeWorkItem(&device, item);
  Work work;
  IoQueueWorkItemEx(item, RoutineEx, DelayedWorkQueue, &work);
  machine().Settle();
  EXPECT_EQ(work.runs, 1);
  EXPECT_EQ(work.io_object, &device);
  EXPECT_EQ(work.item, item);
  IoUninitializeWorkItem(item);
}

TEST_P(WorkItemTest, ExRoutinesAreMissingBeforeVista) {
  if (GetParam() >= kemu::Os::kWindowsVista) GTEST_SKIP() << "pre-Vista only";
  EXPECT_THROW(IoSizeofWorkItem(), kemu::MissingExport);
}

TEST_P(WorkItemTest, AnItemStillQueuedAtShutdownIsALeak) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1,
                                  reinterpret_cast<std::uintptr_t>(item)));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("is still queued"));
}

TEST_P(WorkItemTest, AnItemNeverFreedIsALeak) {
  DEVICE_OBJECT device{};
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1,
                                  reinterpret_cast<std::uintptr_t>(item)));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("was never freed"));
}

TEST_P(WorkItemTest, QueueingAQueuedItemIsWorkerInvalid) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  EXPECT_THAT(CrashOf([&] { IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kActiveItemQueued,
                           reinterpret_cast<std::uintptr_t>(item), DelayedWorkQueue));
}

TEST_P(WorkItemTest, FreeingAQueuedItemIsWorkerInvalid) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  EXPECT_THAT(CrashOf([&] { IoFreeWorkItem(item); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kQueuedItemFreed,
                           reinterpret_cast<std::uintptr_t>(item),
                           reinterpret_cast<std::uintptr_t>(&Routine)));
}

TEST_P(WorkItemTest, ReQueueingFromItsOwnRoutineIsAllowed) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  machine().Settle();
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  machine().Settle();
  EXPECT_EQ(work.runs, 2);
  IoFreeWorkItem(item);
}

TEST_P(WorkItemTest, RoutineReturningAtDispatchIsWorkerThreadReturnedAtBadIrql) {
  DEVICE_OBJECT device{};
  Work work;
  work.raise = true;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  EXPECT_THAT(CrashOf([&] { machine().Settle(); }),
              BugCheckWith(kemu::bugcheck::kWorkerThreadReturnedAtBadIrql,
                           reinterpret_cast<std::uintptr_t>(&Routine), DISPATCH_LEVEL,
                           reinterpret_cast<std::uintptr_t>(&work),
                           reinterpret_cast<std::uintptr_t>(item)));
}

TEST_P(WorkItemTest, RoutineReturningInACriticalRegionIsApcIndexMismatch) {
  DEVICE_OBJECT device{};
  Work work;
  work.enter_region = true;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  EXPECT_THAT(CrashOf([&] { machine().Settle(); }),
              BugCheckWith(kemu::bugcheck::kApcIndexMismatch,
                           reinterpret_cast<std::uintptr_t>(&Routine), 0, 0xFFFF, 1));
}

// Bug Check 0x39 SYSTEM_EXIT_OWNED_MUTEX (audit round 18, Z S2); the executive twin and the
// silent case are in ex_work_item_test.cpp.
TEST_P(WorkItemTest, RoutineReturningOwningAKernelMutexIsSystemExitOwnedMutex) {
  DEVICE_OBJECT device{};
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  Work work;
  work.kept_mutex = &mutex;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work);
  EXPECT_THAT(CrashOf([&] { machine().Settle(); }),
              BugCheckWith(kemu::bugcheck::kSystemExitOwnedMutex,
                           reinterpret_cast<std::uintptr_t>(&Routine),
                           reinterpret_cast<std::uintptr_t>(&work),
                           reinterpret_cast<std::uintptr_t>(item), 0));
}

TEST_P(WorkItemTest, QueueingAboveDispatchIsRefused) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { IoQueueWorkItem(item, Routine, DelayedWorkQueue, &work); }),
              BugCheckIs(GetParam() >= kemu::Os::kWindowsVista
                             ? kemu::bugcheck::kDriverVerifierDetectedViolation
                             : kemu::bugcheck::kIrqlNotLessOrEqual));
}

// IoQueueWorkItem(Ex) put the item on the executive worker queues, so a queue type none of them
// has gets ExQueueWorkItem's 0xE4 / 0x6, naming the IO_WORKITEM (docs/kernel.md).
TEST_P(WorkItemTest, IoQueueWorkItemWithAnInvalidQueueTypeIsWorkerInvalid) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  EXPECT_THAT(CrashOf([&] { IoQueueWorkItem(item, Routine, MaximumWorkQueue, &work); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kInvalidQueueType,
                           reinterpret_cast<std::uintptr_t>(item), MaximumWorkQueue, 0));
}

TEST_P(WorkItemTest, IoQueueWorkItemExWithANegativeQueueTypeIsWorkerInvalid) {
  if (GetParam() < kemu::Os::kWindowsVista) GTEST_SKIP() << "IoQueueWorkItemEx is Vista+";
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  const auto bad = static_cast<WORK_QUEUE_TYPE>(-1);
  EXPECT_THAT(CrashOf([&] { IoQueueWorkItemEx(item, RoutineEx, bad, &work); }),
              BugCheckWith(kemu::bugcheck::kWorkerInvalid, kemu::worker_invalid::kInvalidQueueType,
                           reinterpret_cast<std::uintptr_t>(item), 0xFFFFFFFF, 0));
}

TEST_P(WorkItemTest, EveryWorkerQueueTypeIsAcceptedByIoQueueWorkItem) {
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  const int types[] = {CriticalWorkQueue,    DelayedWorkQueue,        HyperCriticalWorkQueue,
                       MaximumWorkQueue - 1, CustomPriorityWorkQueue, CustomPriorityWorkQueue + 31};
  for (const int type : types) {
    IoQueueWorkItem(item, Routine, static_cast<WORK_QUEUE_TYPE>(type), &work);
    machine().Settle();
  }
  EXPECT_EQ(work.runs, 6);
  IoFreeWorkItem(item);
}

TEST(WorkItemRecordTest, UnderRecordAnItemWithAnInvalidQueueTypeIsNotQueued) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  DEVICE_OBJECT device{};
  Work work;
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, Routine, MaximumWorkQueue, &work);
  machine.Settle();
  EXPECT_EQ(work.runs, 0);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_EQ(machine.bug_checks()[0].parameter(0), kemu::worker_invalid::kInvalidQueueType);
  IoFreeWorkItem(item);  // not queued: freeing it is no 0xE4 / 0x2
  machine.Shutdown();
}

TEST(WorkItemRecordTest, UnderRecordAQueuedItemFreedNeverRunsAndATwiceQueuedOneRunsOnce) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  DEVICE_OBJECT device{};
  Work once;
  Work freed;
  PIO_WORKITEM twice = IoAllocateWorkItem(&device);
  PIO_WORKITEM gone = IoAllocateWorkItem(&device);
  IoQueueWorkItem(twice, Routine, DelayedWorkQueue, &once);
  IoQueueWorkItem(twice, Routine, DelayedWorkQueue, &once);
  IoQueueWorkItem(gone, Routine, DelayedWorkQueue, &freed);
  IoFreeWorkItem(gone);
  machine.Settle();
  EXPECT_EQ(once.runs, 1);
  EXPECT_EQ(freed.runs, 0);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  EXPECT_EQ(machine.bug_checks()[0].parameter(0), kemu::worker_invalid::kActiveItemQueued);
  EXPECT_EQ(machine.bug_checks()[1].parameter(0), kemu::worker_invalid::kQueuedItemFreed);
  IoFreeWorkItem(twice);
  machine.Shutdown();
}

// A system thread that waits for an event its work item sets: the item does not run nested in the
// thread's wait, but on the test's (here the stop path's wait on the thread object), to which the
// stuck thread hands over (docs/kernel.md, "System threads").
struct ThreadWork {
  Work work;
  KEVENT done;
  PIO_WORKITEM item = nullptr;
  NTSTATUS waited = STATUS_PENDING;
};

VOID QueueAndWait(PVOID context) {
  auto* thread = static_cast<ThreadWork*>(context);
  IoQueueWorkItem(thread->item, Routine, DelayedWorkQueue, &thread->work);
  thread->waited = KeWaitForSingleObject(&thread->done, Executive, KernelMode, FALSE, nullptr);
}

TEST(WorkItemThreadTest, AThreadWaitingForItsWorkItemGetsItOnTheTestsWait) {
  kemu::Machine machine{kemu::MachineOptions{}};
  DEVICE_OBJECT device{};
  ThreadWork thread;
  KeInitializeEvent(&thread.done, NotificationEvent, FALSE);
  thread.work.to_set = &thread.done;
  thread.item = IoAllocateWorkItem(&device);
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &QueueAndWait, &thread),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  ZwClose(handle);
  EXPECT_EQ(KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  ObDereferenceObject(object);
  EXPECT_EQ(thread.waited, STATUS_WAIT_0);
  EXPECT_EQ(thread.work.runs, 1);
  EXPECT_EQ(thread.work.irql, PASSIVE_LEVEL);
  IoFreeWorkItem(thread.item);
}

}  // namespace
