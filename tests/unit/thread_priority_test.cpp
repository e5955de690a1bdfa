// A driver thread's priority (KeSetPriorityThread, KeQueryPriorityThread) and
// ObReferenceObjectByPointer on its object (docs/kernel.md, "System threads").
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

class ThreadPriorityTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ThreadPriorityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

struct Worker {
  KEVENT go;
  KPRIORITY seen = -1;
  Worker() { KeInitializeEvent(&go, NotificationEvent, FALSE); }
};

// Raises itself to real-time, as a driver's device thread does, then waits to be stopped.
VOID WorkerThread(PVOID context) {
  auto* worker = static_cast<Worker*>(context);
  KeSetPriorityThread(KeGetCurrentThread(), LOW_REALTIME_PRIORITY);
  worker->seen = KeQueryPriorityThread(KeGetCurrentThread());
  KeWaitForSingleObject(&worker->go, Executive, KernelMode, FALSE, nullptr);
}

PVOID StartWorker(Worker& worker) {
  HANDLE handle = nullptr;
  EXPECT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &WorkerThread, &worker),
            STATUS_SUCCESS);
  PVOID thread = nullptr;
  EXPECT_EQ(ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &thread,
                                      nullptr),
            STATUS_SUCCESS);
  ZwClose(handle);
  return thread;
}

void StopWorker(Worker& worker, PVOID thread) {
  KeSetEvent(&worker.go, IO_NO_INCREMENT, FALSE);
  KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(thread);
}

TEST_P(ThreadPriorityTest, ADriverThreadReadsBackThePriorityItSet) {
  Worker worker;
  PVOID thread = StartWorker(worker);
  EXPECT_EQ(KeQueryPriorityThread(static_cast<PKTHREAD>(thread)), 8);  // before it ran
  machine().Settle();
  EXPECT_EQ(worker.seen, LOW_REALTIME_PRIORITY);
  EXPECT_EQ(KeSetPriorityThread(static_cast<PKTHREAD>(thread), HIGH_PRIORITY),
            LOW_REALTIME_PRIORITY);
  EXPECT_EQ(KeQueryPriorityThread(static_cast<PKTHREAD>(thread)), HIGH_PRIORITY);
  StopWorker(worker, thread);
}

TEST_P(ThreadPriorityTest, PriorityOutsideOneToThirtyOneIsKemusSubcode) {
  Worker worker;
  PVOID thread = StartWorker(worker);
  const kemu::BugCheck crash =
      CrashOf([&] { KeSetPriorityThread(static_cast<PKTHREAD>(thread), MAXIMUM_PRIORITY); });
  EXPECT_THAT(crash, BugCheckIs(0xC4, kemu::verifier_code::kThreadPriorityOutOfRange));
  EXPECT_EQ(crash.parameter(1), reinterpret_cast<std::uintptr_t>(thread));
  EXPECT_EQ(crash.parameter(2), 32u);
  machine().Abandon();
}

TEST_P(ThreadPriorityTest, SetPriorityAtDispatchLevelIsWrongIrql) {
  Worker worker;
  PVOID thread = StartWorker(worker);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash =
      CrashOf([&] { KeSetPriorityThread(static_cast<PKTHREAD>(thread), 9); });
  EXPECT_NE(crash.code(), 0u);  // the IRQL rule: 0xC4 / 0xE5 from Vista, 0xA before
  EXPECT_EQ(crash.code(), machine().personality().supports_msi ? 0xC4u : 0xAu);
  machine().Abandon();
}

TEST_P(ThreadPriorityTest, ReferenceByPointerCountsLikeObReferenceObject) {
  Worker worker;
  PVOID thread = StartWorker(worker);
  EXPECT_EQ(ObReferenceObjectByPointer(thread, THREAD_ALL_ACCESS, *PsThreadType, KernelMode),
            STATUS_SUCCESS);
  EXPECT_EQ(ObReferenceObjectByPointer(thread, 0, nullptr, KernelMode), STATUS_SUCCESS);
  ObDereferenceObject(thread);
  ObDereferenceObject(thread);
  StopWorker(worker, thread);  // drops the handle's reference: none left over at shutdown
}

TEST_P(ThreadPriorityTest, ReferenceByPointerWithAnotherTypeIsATypeMismatch) {
  Worker worker;
  PVOID thread = StartWorker(worker);
  const POBJECT_TYPE other = reinterpret_cast<POBJECT_TYPE>(&worker);
  EXPECT_EQ(ObReferenceObjectByPointer(thread, 0, other, KernelMode), STATUS_OBJECT_TYPE_MISMATCH);
  StopWorker(worker, thread);
}

}  // namespace
