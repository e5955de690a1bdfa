// IoCreateSystemThread (Windows 8 on): a system thread as PsCreateSystemThread makes one
// (system_thread_test.cpp), holding a reference to the driver's device or driver object until it
// exits (docs/kernel.md, "System threads").
#include <wdm.h>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"
#include "model/kernel.hpp"
#include "model/system_threads.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu_test::BugCheckWith;
using ::testing::HasSubstr;

class IoSystemThreadTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(Windows8On, IoSystemThreadTest,
                         ::testing::Values(kemu::Os::kWindows8, kemu::Os::kWindows81,
                                           kemu::Os::kWindows10, kemu::Os::kWindows11),
                         kemu::testing::OsName());

struct Worker {
  KEVENT go;
  KIRQL irql = 0xFF;
  PVOID context_seen = nullptr;
  Worker() { KeInitializeEvent(&go, NotificationEvent, FALSE); }
};

VOID WorkerThread(PVOID context) {
  auto* worker = static_cast<Worker*>(context);
  worker->irql = KeGetCurrentIrql();
  worker->context_seen = context;
  KeWaitForSingleObject(&worker->go, Executive, KernelMode, FALSE, nullptr);
}

LONG_PTR IoReferences(kemu::Machine& machine, const void* object) {
  return machine.kernel().system_threads().IoObjectReferences(object);
}

/// Creates the thread and returns its referenced object (the handle closed).
PVOID Create(PDEVICE_OBJECT device, Worker& worker) {
  HANDLE handle = nullptr;
  EXPECT_EQ(IoCreateSystemThread(device, &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &WorkerThread, &worker),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  EXPECT_EQ(
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
      STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
  return object;
}

TEST_P(IoSystemThreadTest, TheThreadRunsAtPassiveAndHoldsTheDeviceUntilItExits) {
  DEVICE_OBJECT device{};
  Worker worker;
  PVOID thread = Create(&device, worker);
  EXPECT_EQ(IoReferences(machine(), &device), 1);
  KeSetEvent(&worker.go, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(worker.irql, PASSIVE_LEVEL);
  EXPECT_EQ(worker.context_seen, &worker);
  EXPECT_EQ(IoReferences(machine(), &device), 0);  // released as the thread exited
  ObDereferenceObject(thread);
}

TEST_P(IoSystemThreadTest, EachThreadHoldsItsOwnReference) {
  DEVICE_OBJECT device{};
  Worker worker;
  PVOID first = Create(&device, worker);
  PVOID second = Create(&device, worker);
  EXPECT_EQ(IoReferences(machine(), &device), 2);
  KeSetEvent(&worker.go, IO_NO_INCREMENT, FALSE);
  PVOID both[] = {first, second};
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, both, WaitAll, Executive, KernelMode, FALSE, nullptr, nullptr),
      STATUS_WAIT_0);
  EXPECT_EQ(IoReferences(machine(), &device), 0);
  ObDereferenceObject(first);
  ObDereferenceObject(second);
}

TEST_P(IoSystemThreadTest, PsCreateSystemThreadHoldsNoIoObject) {
  DEVICE_OBJECT device{};
  Worker worker;
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &WorkerThread, &worker),
            STATUS_SUCCESS);
  EXPECT_EQ(IoReferences(machine(), &device), 0);
  EXPECT_EQ(IoReferences(machine(), nullptr), 0);
  KeSetEvent(&worker.go, IO_NO_INCREMENT, FALSE);
  PVOID object = nullptr;
  ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr);
  ZwClose(handle);
  KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(object);
}

TEST_P(IoSystemThreadTest, AThreadStillRunningAtShutdownNamesTheIoObjectItHolds) {
  DEVICE_OBJECT device{};
  Worker worker;
  PVOID thread = Create(&device, worker);
  ObDereferenceObject(thread);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kLeakAtShutdown));
  EXPECT_THAT(crash.what(), HasSubstr("it holds the reference IoCreateSystemThread took to the "
                                      "I/O object at"));
}

TEST_P(IoSystemThreadTest, ANullIoObjectIsAnAccessViolation) {
  Worker worker;
  HANDLE handle = nullptr;
  EXPECT_THAT(CrashOf([&] {
                IoCreateSystemThread(nullptr, &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                     &WorkerThread, &worker);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

TEST_P(IoSystemThreadTest, CreatingAtDispatchLevelBreaksTheIrqlRule) {
  DEVICE_OBJECT device{};
  Worker worker;
  HANDLE handle = nullptr;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] {
                IoCreateSystemThread(&device, &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                     &WorkerThread, &worker);
              }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL));
}

TEST_P(IoSystemThreadTest, AnInjectedFaultFailsTheCreationWithThatStatusAndHoldsNothing) {
  machine().InjectFault(
      {.routine = "IoCreateSystemThread", .status = STATUS_INSUFFICIENT_RESOURCES});
  DEVICE_OBJECT device{};
  Worker worker;
  HANDLE handle = nullptr;
  EXPECT_EQ(IoCreateSystemThread(&device, &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &WorkerThread, &worker),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(handle, nullptr);
  EXPECT_EQ(IoReferences(machine(), &device), 0);
}

TEST(IoSystemThreadAvailabilityTest, Windows7HasNoIoCreateSystemThread) {
  kemu::Machine machine(kemu::Os::kWindows7);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"IoCreateSystemThread");
  EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
  DEVICE_OBJECT device{};
  Worker worker;
  HANDLE handle = nullptr;
  EXPECT_THROW(IoCreateSystemThread(&device, &handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                    &WorkerThread, &worker),
               kemu::MissingExport);
}

}  // namespace
