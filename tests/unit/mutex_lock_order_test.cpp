// Lock order for mutexes (emu/verifier/lock_order.cpp, emu/verifier/rules_lock_order.cpp, the
// dispatcher's mutexes): Driver Verifier's deadlock detection covers kernel, fast and guarded
// mutexes as it does spin locks. A thread that waits for a mutex while holding another records
// the order; waiting for them the other way round is 0xC4 / 0x1001 under Verifier, before the
// wait, whichever thread recorded the first order.
#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// Takes `outer` then `inner` and releases both, newest first.
void Nest(PFAST_MUTEX outer, PFAST_MUTEX inner) {
  ExAcquireFastMutex(outer);
  ExAcquireFastMutex(inner);
  ExReleaseFastMutex(inner);
  ExReleaseFastMutex(outer);
}

NTSTATUS WaitFor(PRKMUTEX mutex) {
  return KeWaitForSingleObject(mutex, Executive, KernelMode, FALSE, nullptr);
}

void Nest(PRKMUTEX outer, PRKMUTEX inner) {
  WaitFor(outer);
  WaitFor(inner);
  KeReleaseMutex(inner, FALSE);
  KeReleaseMutex(outer, FALSE);
}

struct TwoFastMutexes {
  TwoFastMutexes() {
    ExInitializeFastMutex(&a);
    ExInitializeFastMutex(&b);
  }
  FAST_MUTEX a;
  FAST_MUTEX b;
};

struct TwoKernelMutexes {
  TwoKernelMutexes() {
    KeInitializeMutex(&a, 0);
    KeInitializeMutex(&b, 0);
  }
  KMUTEX a;
  KMUTEX b;
};

TEST(MutexLockOrderTest, FastMutexesTakenInBothOrdersAreADeadlock) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoFastMutexes mutexes;
  Nest(&mutexes.a, &mutexes.b);
  const kemu::BugCheck crash = CrashOf([&] { Nest(&mutexes.b, &mutexes.a); });
  // Arg2: the mutex being acquired; Arg3 and Arg4 are reserved by Windows (kemu: 0).
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(&mutexes.a), 0, 0));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format("ExAcquireFastMutex acquired the fast mutex at {:#x} while "
                                    "holding the mutex at {:#x}",
                                    Address(&mutexes.a), Address(&mutexes.b))));
  EXPECT_THAT(crash.report(), HasSubstr("Threads taking these locks in these orders"));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format("lock {:#x} then lock {:#x} (first seen: ExAcquireFastMutex",
                                    Address(&mutexes.a), Address(&mutexes.b))));
}

TEST(MutexLockOrderTest, KernelMutexesWaitedForInBothOrdersAreADeadlock) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoKernelMutexes mutexes;
  Nest(&mutexes.a, &mutexes.b);
  const kemu::BugCheck crash = CrashOf([&] { Nest(&mutexes.b, &mutexes.a); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(&mutexes.a), 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("KeWaitForSingleObject acquired the kernel mutex at"));
}

TEST(MutexLockOrderTest, AGuardedMutexAndAFastMutexInBothOrdersAreADeadlock) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FAST_MUTEX fast;
  KGUARDED_MUTEX guarded;
  ExInitializeFastMutex(&fast);
  KeInitializeGuardedMutex(&guarded);
  KeAcquireGuardedMutex(&guarded);
  ExAcquireFastMutex(&fast);
  ExReleaseFastMutex(&fast);
  KeReleaseGuardedMutex(&guarded);
  ExAcquireFastMutex(&fast);
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireGuardedMutex(&guarded); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(&guarded), 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("KeAcquireGuardedMutex acquired the guarded mutex at"));
}

TEST(MutexLockOrderTest, OneConsistentOrderIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoFastMutexes fast;
  TwoKernelMutexes kernel;
  for (int i = 0; i < 3; ++i) {
    Nest(&fast.a, &fast.b);
    Nest(&kernel.a, &kernel.b);
  }
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(MutexLockOrderTest, ATryInTheOtherOrderIsNoDeadlock) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoFastMutexes fast;
  TwoKernelMutexes kernel;
  Nest(&fast.a, &fast.b);
  Nest(&kernel.a, &kernel.b);
  // A try never waits, so it cannot be one side of a deadlock.
  ExAcquireFastMutex(&fast.b);
  ASSERT_TRUE(ExTryToAcquireFastMutex(&fast.a));
  ExReleaseFastMutex(&fast.a);
  ExReleaseFastMutex(&fast.b);
  WaitFor(&kernel.b);
  LARGE_INTEGER now{};
  ASSERT_EQ(KeWaitForSingleObject(&kernel.a, Executive, KernelMode, FALSE, &now), STATUS_WAIT_0);
  KeReleaseMutex(&kernel.a, FALSE);
  KeReleaseMutex(&kernel.b, FALSE);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(MutexLockOrderTest, ARecursiveAcquisitionByTheOwnerAddsNoOrder) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoKernelMutexes mutexes;
  WaitFor(&mutexes.a);
  WaitFor(&mutexes.b);
  WaitFor(&mutexes.a);  // a again, while b is held: recursive, it waits for nothing
  KeReleaseMutex(&mutexes.a, FALSE);
  KeReleaseMutex(&mutexes.b, FALSE);
  KeReleaseMutex(&mutexes.a, FALSE);
  Nest(&mutexes.a, &mutexes.b);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(MutexLockOrderTest, AReleasedMutexNoLongerOrdersTheNextOne) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoFastMutexes mutexes;
  ExAcquireFastMutex(&mutexes.a);
  ExReleaseFastMutex(&mutexes.a);
  Nest(&mutexes.b, &mutexes.a);  // a was released before b was taken: no a -> b order
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(MutexLockOrderTest, AReinitializedMutexForgetsItsOrder) {
  kemu::Machine machine(kemu::Os::kWindows10);
  TwoFastMutexes mutexes;
  Nest(&mutexes.a, &mutexes.b);
  ExInitializeFastMutex(&mutexes.a);  // a new mutex at the same address
  Nest(&mutexes.b, &mutexes.a);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(MutexLockOrderTest, WithoutVerifierNoOrderIsChecked) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  TwoFastMutexes mutexes;
  Nest(&mutexes.a, &mutexes.b);
  Nest(&mutexes.b, &mutexes.a);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// Mutexes belong to threads: a work item (its own worker thread) takes b while the waiting
// thread holds a, which orders nothing.
struct WorkerCall {
  PFAST_MUTEX mutex = nullptr;
  KEVENT done;
};

VOID TakeInWorkItem(PDEVICE_OBJECT device, PVOID context) {
  (void)device;
  auto* call = static_cast<WorkerCall*>(context);
  ExAcquireFastMutex(call->mutex);
  ExReleaseFastMutex(call->mutex);
  KeSetEvent(&call->done, IO_NO_INCREMENT, FALSE);
}

TEST(MutexLockOrderTest, AMutexAnotherThreadTakesIsNotOrderedAfterTheWaitersMutex) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DEVICE_OBJECT device{};
  TwoFastMutexes mutexes;
  WorkerCall call{.mutex = &mutexes.b, .done = {}};
  KeInitializeEvent(&call.done, NotificationEvent, FALSE);
  KeEnterCriticalRegion();  // APCs off for the Unsafe acquire; PASSIVE_LEVEL still, so the
  ExAcquireFastMutexUnsafe(&mutexes.a);  // wait below may block
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, TakeInWorkItem, DelayedWorkQueue, &call);
  KeWaitForSingleObject(&call.done, Executive, KernelMode, FALSE, nullptr);
  IoFreeWorkItem(item);
  ExReleaseFastMutexUnsafe(&mutexes.a);
  KeLeaveCriticalRegion();
  Nest(&mutexes.b, &mutexes.a);  // this thread's first order between them
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
