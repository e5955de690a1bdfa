// Semaphores, kernel mutexes and fast mutexes: what a wait takes from each, who may release them,
// and the bug checks and deadlock reports their misuse ends in (docs/kernel.md, "Semaphores and
// mutexes").
#include <wdm.h>

#include <utility>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint64_t kStatusMutantNotOwned = 0xC0000046;
constexpr std::uint64_t kStatusSemaphoreLimitExceeded = 0xC0000047;

class SyncObjectsTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, SyncObjectsTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

NTSTATUS Poll(PVOID object) {
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  return KeWaitForSingleObject(object, Executive, KernelMode, FALSE, &zero);
}

// ---------------------------------------------------------------------------------------------
// Semaphores.

// The page: Count and Limit "must be positive", Limit the most the count "can attain"; no outcome
// is documented, so kemu stops the test (audit round 19, B-S6). Count 0 is the common start.
TEST_P(SyncObjectsTest, KeInitializeSemaphoreRefusesANegativeCountAZeroLimitAndACountAboveIt) {
  KSEMAPHORE semaphore;
  for (const auto& [count, limit] : {std::pair<LONG, LONG>{-1, 4}, {0, 0}, {0, -3}, {5, 2}}) {
    try {
      KeInitializeSemaphore(&semaphore, count, limit);
      ADD_FAILURE() << "KeInitializeSemaphore accepted Count " << count << " Limit " << limit;
    } catch (const kemu::Error& error) {
      EXPECT_THAT(error.what(), HasSubstr("must be 0 or more and at most the limit"));
    }
  }
  KeInitializeSemaphore(&semaphore, 0, 1);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
}

TEST_P(SyncObjectsTest, KeInitializeSemaphoreWritesTheHeaderAndLimit) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 2, 5);
  EXPECT_EQ(semaphore.Header.Type, SemaphoreObject);
  EXPECT_EQ(semaphore.Header.Size, sizeof(KSEMAPHORE) / sizeof(LONG));
  EXPECT_EQ(semaphore.Header.SignalState, 2);
  EXPECT_EQ(semaphore.Limit, 5);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 2);
}

TEST_P(SyncObjectsTest, EachSatisfiedWaitTakesOneFromTheCount) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 2, 5);
  EXPECT_EQ(Poll(&semaphore), STATUS_WAIT_0);
  EXPECT_EQ(Poll(&semaphore), STATUS_WAIT_0);
  EXPECT_EQ(Poll(&semaphore), STATUS_TIMEOUT);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
}

TEST_P(SyncObjectsTest, KeReleaseSemaphoreAddsAndReturnsThePreviousCount) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 1, 5);
  EXPECT_EQ(KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 3, FALSE), 1);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 4);
}

TEST_P(SyncObjectsTest, ReleasePastTheLimitRaisesAndLeavesTheCount) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 4, 5);
  const kemu::BugCheck crash =
      CrashOf([&] { KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 2, FALSE); });
  EXPECT_THAT(crash,
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusSemaphoreLimitExceeded));
  EXPECT_THAT(crash.what(), HasSubstr("STATUS_SEMAPHORE_LIMIT_EXCEEDED"));
  EXPECT_EQ(semaphore.Header.SignalState, 4);
}

TEST_P(SyncObjectsTest, ReleaseUpToTheLimitIsSilent) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 4, 5);
  EXPECT_EQ(KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 1, FALSE), 4);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(SyncObjectsTest, KeReleaseSemaphoreOnAnEventIsAnInvalidObject) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  const kemu::BugCheck crash = CrashOf([&] {
    KeReleaseSemaphore(reinterpret_cast<PRKSEMAPHORE>(&event), SEMAPHORE_INCREMENT, 1, FALSE);
  });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kInvalidKernelObject));
  EXPECT_THAT(crash.what(), HasSubstr("an initialized semaphore"));
}

TEST_P(SyncObjectsTest, ReleaseWithWaitReturnsAtDispatchUntilTheNextWait) {  // EV-2
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 0, 1);
  EXPECT_EQ(KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 1, TRUE), 0);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  EXPECT_EQ(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, nullptr),
            STATUS_WAIT_0);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SyncObjectsTest, WaitOnAnEmptySemaphoreNobodyReleasesIsTheDeadlockReport) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 0, 1);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), HasSubstr("the semaphore at"));
}

// ---------------------------------------------------------------------------------------------
// Kernel mutexes.

TEST_P(SyncObjectsTest, KeInitializeMutexMakesAFreeMutex) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  EXPECT_EQ(mutex.Header.Type, MutantObject);
  EXPECT_EQ(mutex.Header.Size, sizeof(KMUTEX) / sizeof(LONG));
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  EXPECT_EQ(mutex.OwnerThread, nullptr);
}

TEST_P(SyncObjectsTest, TheOwnerAcquiresAMutexRecursivelyAndReleasesItAsOften) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  EXPECT_EQ(KeWaitForMutexObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_NE(mutex.OwnerThread, nullptr);
  EXPECT_EQ(Poll(&mutex), STATUS_WAIT_0);  // its own mutex satisfies its wait again
  EXPECT_EQ(KeReadStateMutex(&mutex), -1);
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), -1);
  EXPECT_NE(mutex.OwnerThread, nullptr);
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  EXPECT_EQ(mutex.OwnerThread, nullptr);
}

TEST_P(SyncObjectsTest, OwningAMutexDisablesNormalKernelApcs) {
  if (GetParam() < kemu::Os::kWindowsServer2003) GTEST_SKIP() << "KeAreApcsDisabled: Server 2003";
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  EXPECT_FALSE(KeAreApcsDisabled());
  EXPECT_EQ(Poll(&mutex), STATUS_WAIT_0);
  EXPECT_TRUE(KeAreApcsDisabled());
  KeReleaseMutex(&mutex, FALSE);
  EXPECT_FALSE(KeAreApcsDisabled());
}

TEST_P(SyncObjectsTest, ReleasingAMutexNobodyOwnsRaisesMutantNotOwned) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  const kemu::BugCheck crash = CrashOf([&] { KeReleaseMutex(&mutex, FALSE); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusMutantNotOwned));
  EXPECT_THAT(crash.what(), HasSubstr("no thread owns it"));
}

// The KeReleaseMutex page: a mutex "acquired at IRQL = DISPATCH_LEVEL and the thread is not
// running at DISPATCH_LEVEL (and vice versa)" raises an exception (audit round 19, B-S1).
TEST_P(SyncObjectsTest, ReleasingAMutexAtDispatchThatWasAcquiredAtPassiveRaises) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  ASSERT_EQ(KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old = 0;
  KeAcquireSpinLock(&lock, &old);
  const kemu::BugCheck crash = CrashOf([&] { KeReleaseMutex(&mutex, FALSE); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusMutantNotOwned));
  EXPECT_THAT(crash.what(), HasSubstr("at IRQL 2, but the wait that acquired it ran below"));
}

TEST_P(SyncObjectsTest, ReleasingAMutexAtPassiveThatWasPolledAtDispatchRaises) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_EQ(Poll(&mutex), STATUS_SUCCESS);
  KeLowerIrql(old);
  const kemu::BugCheck crash = CrashOf([&] { KeReleaseMutex(&mutex, FALSE); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusMutantNotOwned));
  EXPECT_THAT(crash.what(), HasSubstr("at IRQL 0, but the wait that acquired it ran at"));
}

TEST_P(SyncObjectsTest, ReleasingAMutexAtTheIrqlItWasAcquiredAtIsSilent) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_EQ(Poll(&mutex), STATUS_SUCCESS);
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
  KeLowerIrql(old);
  ASSERT_EQ(KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(SyncObjectsTest, AMutexStillOwnedAtShutdownIsALeak) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  EXPECT_EQ(Poll(&mutex), STATUS_WAIT_0);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash.what(), HasSubstr("the kernel mutex at"));
  EXPECT_THAT(crash.what(), HasSubstr("is still owned by the thread on vCPU 0"));
}

// ---------------------------------------------------------------------------------------------
// Fast mutexes.

TEST_P(SyncObjectsTest, ExAcquireFastMutexRaisesToApcAndReleaseRestores) {
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  EXPECT_EQ(mutex.Count, 1);
  ExAcquireFastMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  EXPECT_EQ(mutex.Count, 0);
  EXPECT_NE(mutex.Owner, nullptr);
  EXPECT_EQ(mutex.OldIrql, static_cast<ULONG>(PASSIVE_LEVEL));
  ExReleaseFastMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(mutex.Count, 1);
  EXPECT_EQ(mutex.Owner, nullptr);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(SyncObjectsTest, TryToAcquireFailsWithoutWaitingWhileOwned) {
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  EXPECT_TRUE(ExTryToAcquireFastMutex(&mutex));
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  EXPECT_FALSE(ExTryToAcquireFastMutex(&mutex));
  ExReleaseFastMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SyncObjectsTest, UnsafeVariantsLeaveTheIrqlAlone) {
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  KeEnterCriticalRegion();
  ExAcquireFastMutexUnsafe(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  ExReleaseFastMutexUnsafe(&mutex);
  KeLeaveCriticalRegion();
  EXPECT_EQ(mutex.Count, 1);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(SyncObjectsTest, AFastMutexNeverInitializedIsAnInvalidObject) {
  FAST_MUTEX mutex{};
  mutex.Count = 7;
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireFastMutex(&mutex); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kInvalidKernelObject));
}

// ---------------------------------------------------------------------------------------------
// On Windows 10 only: the verifier's codes do not depend on the release here.

// A machine with one initialized fast mutex, and the crash of one more call on it.
struct FastMutexRig {
  explicit FastMutexRig(kemu::MachineOptions options) : machine(options) {
    ExInitializeFastMutex(&mutex);
  }
  kemu::BugCheck CrashOfCall(void (*call)(PFAST_MUTEX)) {
    return CrashOf([&] { call(&mutex); });
  }
  std::uint64_t address() const { return reinterpret_cast<std::uintptr_t>(&mutex); }

  kemu::Machine machine;
  FAST_MUTEX mutex{};
};

constexpr std::uint32_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;

TEST(SyncObjectsRulesTest, AcquiringAFastMutexItOwnsIsASelfDeadlock) {
  FastMutexRig rig({.os = kemu::Os::kWindows10});
  ExAcquireFastMutex(&rig.mutex);
  EXPECT_THAT(
      rig.CrashOfCall(ExAcquireFastMutex),
      BugCheckIs(kVerifierViolation, kemu::verifier_code::kSelfDeadlock, rig.address(), 0, 0));
}

TEST(SyncObjectsRulesTest, AcquiringAFastMutexItOwnsWithoutVerifierIsTheHangReport) {
  FastMutexRig rig({.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  ExAcquireFastMutex(&rig.mutex);
  const kemu::BugCheck crash = rig.CrashOfCall(ExAcquireFastMutex);
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), HasSubstr("already owns"));
}

TEST(SyncObjectsRulesTest, ReleasingAFastMutexNobodyOwnsIsAnUnacquiredRelease) {
  FastMutexRig rig({.os = kemu::Os::kWindows10});
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_THAT(
      rig.CrashOfCall(ExReleaseFastMutex),
      BugCheckIs(kVerifierViolation, kemu::verifier_code::kUnacquiredRelease, rig.address(), 0, 0));
}

TEST(SyncObjectsRulesTest, ExAcquireFastMutexAtDispatchLevelIsTheIrqlRule) {
  FastMutexRig rig({.os = kemu::Os::kWindows10});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = rig.CrashOfCall(ExAcquireFastMutex);
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kAcquireFastMutexAboveApc,
                                DISPATCH_LEVEL, rig.address(), 0));
  EXPECT_THAT(crash.what(), HasSubstr("ExAcquireFastMutex was called at IRQL 2"));
}

// Guarded mutexes (Server 2003 on): the IRQL stays, a guarded region holds every APC off.

TEST(SyncObjectsRulesTest, AGuardedMutexEntersAGuardedRegionAndLeavesTheIrql) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KGUARDED_MUTEX mutex;
  KeInitializeGuardedMutex(&mutex);
  EXPECT_EQ(mutex.Count, 1);
  KeAcquireGuardedMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_TRUE(KeAreApcsDisabled());
  EXPECT_NE(mutex.Owner, nullptr);
  EXPECT_FALSE(KeTryToAcquireGuardedMutex(&mutex));
  KeReleaseGuardedMutex(&mutex);
  EXPECT_FALSE(KeAreApcsDisabled());
  EXPECT_TRUE(KeTryToAcquireGuardedMutex(&mutex));
  KeReleaseGuardedMutex(&mutex);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(SyncObjectsRulesTest, UnsafeGuardedMutexRoutinesUseTheCallersGuardedRegion) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KGUARDED_MUTEX mutex;
  KeInitializeGuardedMutex(&mutex);
  KeEnterGuardedRegion();
  KeAcquireGuardedMutexUnsafe(&mutex);
  KeReleaseGuardedMutexUnsafe(&mutex);
  EXPECT_TRUE(KeAreApcsDisabled());  // still the caller's region
  KeLeaveGuardedRegion();
  EXPECT_FALSE(KeAreApcsDisabled());
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(SyncObjectsRulesTest, AcquiringAGuardedMutexItOwnsIsASelfDeadlock) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KGUARDED_MUTEX mutex;
  KeInitializeGuardedMutex(&mutex);
  KeAcquireGuardedMutex(&mutex);
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireGuardedMutex(&mutex); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kSelfDeadlock,
                                reinterpret_cast<std::uintptr_t>(&mutex), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("acquired the guarded mutex at"));
}

TEST(SyncObjectsRulesTest, AGuardedRegionLeftOpenIsInTheShutdownReport) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KeEnterGuardedRegion();
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash.what(), HasSubstr("still inside 1 guarded region(s)"));
}

TEST(SyncObjectsRulesTest, LeavingAGuardedRegionNeverEnteredIsAnApcIndexMismatch) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT(CrashOf([] { KeLeaveGuardedRegion(); }),
              BugCheckIs(kemu::bugcheck::kApcIndexMismatch));
}

TEST(SyncObjectsRulesTest, GuardedMutexesAreMissingBeforeServer2003) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  KGUARDED_MUTEX mutex{};
  EXPECT_THROW(KeInitializeGuardedMutex(&mutex), kemu::MissingExport);
}

// A work item runs on the waiting context in kemu, but as a worker thread: a mutex the waiting
// thread owns is not the worker's, so the worker blocks and nothing can go on, as on Windows.
struct WorkerCall {
  PFAST_MUTEX fast = nullptr;
  PKMUTEX mutex = nullptr;
  KEVENT done{};
};

VOID AcquireInWorkItem(PDEVICE_OBJECT device, PVOID context) {
  (void)device;
  auto* call = static_cast<WorkerCall*>(context);
  if (call->fast != nullptr) {
    ExAcquireFastMutex(call->fast);
    ExReleaseFastMutex(call->fast);
  } else {
    KeWaitForMutexObject(call->mutex, Executive, KernelMode, FALSE, nullptr);
    KeReleaseMutex(call->mutex, FALSE);
  }
  KeSetEvent(&call->done, IO_NO_INCREMENT, FALSE);
}

void RunWorkerAndWait(WorkerCall& call, DEVICE_OBJECT& device) {
  KeInitializeEvent(&call.done, NotificationEvent, FALSE);
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, AcquireInWorkItem, DelayedWorkQueue, &call);
  KeWaitForSingleObject(&call.done, Executive, KernelMode, FALSE, nullptr);
  IoFreeWorkItem(item);
}

TEST(SyncObjectsRulesTest, AWorkItemWaitingForAFastMutexItsWaiterOwnsDeadlocks) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DEVICE_OBJECT device{};
  FAST_MUTEX fast;
  ExInitializeFastMutex(&fast);
  WorkerCall call{.fast = &fast};
  KeEnterCriticalRegion();          // APCs off for the Unsafe acquire; still PASSIVE_LEVEL, so the
  ExAcquireFastMutexUnsafe(&fast);  // wait below may block
  const kemu::BugCheck crash = CrashOf([&] { RunWorkerAndWait(call, device); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), HasSubstr("the fast mutex at"));
}

TEST(SyncObjectsRulesTest, AWorkItemTakesAFastMutexItsWaiterReleased) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DEVICE_OBJECT device{};
  FAST_MUTEX fast;
  ExInitializeFastMutex(&fast);
  WorkerCall call{.fast = &fast};
  ExAcquireFastMutex(&fast);
  ExReleaseFastMutex(&fast);
  RunWorkerAndWait(call, device);
  EXPECT_EQ(fast.Count, 1);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(SyncObjectsRulesTest, AWorkItemWaitingForAKernelMutexItsWaiterOwnsDeadlocks) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DEVICE_OBJECT device{};
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  WorkerCall call{.mutex = &mutex};
  ASSERT_EQ(Poll(&mutex), STATUS_WAIT_0);
  const kemu::BugCheck crash = CrashOf([&] { RunWorkerAndWait(call, device); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), HasSubstr("the mutex at"));
}

// An exception nothing handles in a worker thread is 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
// with the same exception code as the 0x1E a driver's own thread would get.
VOID ReleaseNotOwnedInWorkItem(PDEVICE_OBJECT device, PVOID context) {
  (void)device;
  KeReleaseMutex(static_cast<WorkerCall*>(context)->mutex, FALSE);
}

TEST(SyncObjectsRulesTest, ReleasingAMutexNotOwnedInAWorkItemIsSystemThreadExceptionNotHandled) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DEVICE_OBJECT device{};
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  WorkerCall call{.mutex = &mutex};
  KeInitializeEvent(&call.done, NotificationEvent, FALSE);
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, ReleaseNotOwnedInWorkItem, DelayedWorkQueue, &call);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&call.done, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash,
              BugCheckIs(kemu::bugcheck::kSystemThreadExceptionNotHandled, 0xC0000046, 0, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"));
}

// On two vCPUs: a DPC on vCPU 1 releases the semaphore the test thread waits on.
VOID ReleaseOnTarget(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  KeReleaseSemaphore(static_cast<PRKSEMAPHORE>(context), SEMAPHORE_INCREMENT, 1, FALSE);
}

TEST(SyncObjectsRulesTest, SemaphoreReleasedOnAnotherVcpuEndsTheWait) {
  for (const kemu::Strategy strategy : {kemu::Strategy::kDefault, kemu::Strategy::kRandom}) {
    kemu::Machine machine(
        kemu::MachineOptions{.processors = 2, .schedule = {.strategy = strategy, .seed = 3}});
    KSEMAPHORE semaphore;
    KTIMER timer;
    KDPC dpc;
    KeInitializeSemaphore(&semaphore, 0, 1);
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, ReleaseOnTarget, &semaphore);
    KeSetTargetProcessorDpc(&dpc, 1);
    LARGE_INTEGER due;
    due.QuadPart = -1000;
    KeSetTimer(&timer, due, &dpc);
    EXPECT_EQ(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, nullptr),
              STATUS_WAIT_0);
    EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
    machine.Shutdown();
  }
}

}  // namespace
