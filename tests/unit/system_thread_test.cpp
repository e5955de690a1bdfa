// System threads: PsCreateSystemThread, PsTerminateSystemThread, the thread's handle and object
// (ZwClose, ObReferenceObjectByHandle, ObReferenceObject, ObDereferenceObject) and waits on it.
// A thread runs at PASSIVE_LEVEL as a thread of its own on a vCPU its own context leaves free
// (docs/kernel.md, "System threads"); the verifier rules each have a triggering and a silent test.
#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu_test::BugCheckWith;
using ::testing::HasSubstr;

class SystemThreadTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, SystemThreadTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// The driver side: a worker thread that waits for its DPC's event, counts, and stops on request.
struct Extension {
  KEVENT work;       // set by the DPC (or the stop path)
  KEVENT processed;  // set by the thread after each piece of work
  KDPC dpc;
  bool stop = false;
  bool check_apcs = false;  // KeAreApcsDisabled exists from Server 2003 on
  int done = 0;
  KIRQL irql = 0xFF;
  BOOLEAN apcs_disabled = FALSE;
  PETHREAD self = nullptr;
  HANDLE id = nullptr;
  ULONG processor = ~0u;
  PVOID thread = nullptr;  // the referenced thread object

  Extension() {
    KeInitializeEvent(&work, SynchronizationEvent, FALSE);
    KeInitializeEvent(&processed, SynchronizationEvent, FALSE);
    KeInitializeDpc(&dpc, &SetWork, this);
  }
  static VOID SetWork(PKDPC, PVOID context, PVOID, PVOID) {
    KeSetEvent(&static_cast<Extension*>(context)->work, IO_NO_INCREMENT, FALSE);
  }
};

VOID WorkerThread(PVOID context) {
  auto* ext = static_cast<Extension*>(context);
  ext->irql = KeGetCurrentIrql();
  if (ext->check_apcs) ext->apcs_disabled = KeAreApcsDisabled();
  ext->self = PsGetCurrentThread();
  ext->id = PsGetCurrentThreadId();
  ext->processor = KeGetCurrentProcessorNumber();
  for (;;) {
    KeWaitForSingleObject(&ext->work, Executive, KernelMode, FALSE, nullptr);
    if (ext->stop) break;
    ++ext->done;
    KeSetEvent(&ext->processed, IO_NO_INCREMENT, FALSE);
  }
}

// Starts WorkerThread and keeps a reference to its object, as drivers do.
void Start(Extension& ext) {
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &WorkerThread, &ext),
            STATUS_SUCCESS);
  ASSERT_EQ(ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                      &ext.thread, nullptr),
            STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(handle), STATUS_SUCCESS);
}

// The stop path: ask the thread to stop, wait for its end, drop the reference.
NTSTATUS Stop(Extension& ext) {
  ext.stop = true;
  KeSetEvent(&ext.work, IO_NO_INCREMENT, FALSE);
  const NTSTATUS status = KeWaitForSingleObject(ext.thread, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(ext.thread);
  return status;
}

TEST_P(SystemThreadTest, AThreadWaitsForADpcsEventAndTheStopPathWaitsForItsEnd) {
  Extension ext;
  Start(ext);
  EXPECT_EQ(ext.irql, 0xFF);  // one vCPU, and the test has not waited yet
  KeInsertQueueDpc(&ext.dpc, nullptr, nullptr);
  EXPECT_EQ(KeWaitForSingleObject(&ext.processed, Executive, KernelMode, FALSE, nullptr),
            STATUS_WAIT_0);
  EXPECT_EQ(ext.done, 1);
  EXPECT_EQ(ext.irql, PASSIVE_LEVEL);
  EXPECT_EQ(Stop(ext), STATUS_WAIT_0);
  EXPECT_EQ(ext.done, 1);
  EXPECT_EQ(machine().InterruptTime(), 0u);  // nothing waited for time
}

struct ProcessSeen {
  HANDLE process = nullptr;
  KPROCESSOR_MODE mode = UserMode;
};

VOID RecordProcess(PVOID context) {
  auto* seen = static_cast<ProcessSeen*>(context);
  seen->process = PsGetCurrentProcessId();
  seen->mode = ExGetPreviousMode();
  PsTerminateSystemThread(STATUS_SUCCESS);
}

TEST_P(SystemThreadTest, DriverCodeRunsInTheSystemProcessInKernelMode) {
  ProcessSeen seen;
  CLIENT_ID client{};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, &client,
                                 &RecordProcess, &seen),
            STATUS_SUCCESS);
  PVOID thread = nullptr;
  ASSERT_EQ(
      ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, nullptr, KernelMode, &thread, nullptr),
      STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
  EXPECT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  ObDereferenceObject(thread);
  EXPECT_EQ(seen.process, client.UniqueProcess);
  EXPECT_EQ(seen.process, reinterpret_cast<HANDLE>(4));
  EXPECT_EQ(seen.mode, KernelMode);
  EXPECT_EQ(PsGetCurrentProcessId(), reinterpret_cast<HANDLE>(4));  // the test's own thread
  EXPECT_EQ(ExGetPreviousMode(), KernelMode);
}

TEST_P(SystemThreadTest, TheThreadIsAThreadOfItsOwnInsideTheDocumentedCriticalRegion) {
  Extension ext;
  ext.check_apcs = GetParam() >= kemu::Os::kWindowsServer2003;
  CLIENT_ID client{};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, &client,
                                 &WorkerThread, &ext),
            STATUS_SUCCESS);
  ASSERT_EQ(ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, nullptr, KernelMode, &ext.thread,
                                      nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
  KeSetEvent(&ext.work, IO_NO_INCREMENT, FALSE);
  KeWaitForSingleObject(&ext.processed, Executive, KernelMode, FALSE, nullptr);
  EXPECT_EQ(ext.self, static_cast<PETHREAD>(ext.thread));
  EXPECT_NE(ext.self, PsGetCurrentThread());
  EXPECT_EQ(reinterpret_cast<PKTHREAD>(PsGetCurrentThread()), KeGetCurrentThread());
  EXPECT_EQ(ext.id, client.UniqueThread);
  EXPECT_NE(ext.id, PsGetCurrentThreadId());
  EXPECT_EQ(client.UniqueProcess, reinterpret_cast<HANDLE>(4));
  if (ext.check_apcs) {
    EXPECT_EQ(ext.apcs_disabled, TRUE);     // PsCreateSystemThread's page: in a critical region
    EXPECT_EQ(KeAreApcsDisabled(), FALSE);  // the test's own thread is not
  }
  EXPECT_EQ(Stop(ext), STATUS_WAIT_0);
}

// A thread body written inline, for the identity and rule tests.
struct Body {
  std::function<void()> run;
  static VOID Thread(PVOID context) { static_cast<Body*>(context)->run(); }
};

// Starts `body` and waits for the thread to end; the handle is closed.
NTSTATUS RunToEnd(Body& body) {
  HANDLE handle = nullptr;
  EXPECT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  EXPECT_EQ(
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
      STATUS_SUCCESS);
  ZwClose(handle);
  const NTSTATUS status = KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(object);
  return status;
}

TEST_P(SystemThreadTest, AMutexTheTestOwnsIsNotTheThreadsAndViceVersa) {
  FAST_MUTEX fast;
  ExInitializeFastMutex(&fast);
  KMUTEX kernel_mutex;
  KeInitializeMutex(&kernel_mutex, 0);
  // The Unsafe acquire keeps the test at PASSIVE_LEVEL, where it may create the thread.
  KeEnterCriticalRegion();
  ExAcquireFastMutexUnsafe(&fast);
  LARGE_INTEGER now{};
  EXPECT_EQ(KeWaitForSingleObject(&kernel_mutex, Executive, KernelMode, FALSE, nullptr),
            STATUS_WAIT_0);
  BOOLEAN fast_taken = TRUE;
  NTSTATUS kernel_taken = STATUS_SUCCESS;
  Body body{[&] {
    fast_taken = ExTryToAcquireFastMutex(&fast);
    kernel_taken = KeWaitForSingleObject(&kernel_mutex, Executive, KernelMode, FALSE, &now);
  }};
  EXPECT_EQ(RunToEnd(body), STATUS_WAIT_0);
  EXPECT_EQ(fast_taken, FALSE);
  EXPECT_EQ(kernel_taken, STATUS_TIMEOUT);  // not a recursive acquisition by the owner
  KeReleaseMutex(&kernel_mutex, FALSE);
  ExReleaseFastMutexUnsafe(&fast);
  KeLeaveCriticalRegion();
}

TEST_P(SystemThreadTest, AnExecutiveResourceTheThreadOwnsIsNotTheTests) {
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  KEVENT owned, release;
  KeInitializeEvent(&owned, NotificationEvent, FALSE);
  KeInitializeEvent(&release, NotificationEvent, FALSE);
  BOOLEAN thread_sees = FALSE;
  Body body{[&] {
    ExAcquireResourceExclusiveLite(&resource, TRUE);  // APCs are off: the start's region
    thread_sees = ExIsResourceAcquiredExclusiveLite(&resource);
    KeSetEvent(&owned, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&release, Executive, KernelMode, FALSE, nullptr);
    ExReleaseResourceLite(&resource);
  }};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, nullptr);
  EXPECT_EQ(thread_sees, TRUE);
  EXPECT_EQ(ExIsResourceAcquiredExclusiveLite(&resource), FALSE);
  KeEnterCriticalRegion();
  EXPECT_EQ(ExAcquireResourceSharedLite(&resource, FALSE), FALSE);  // the thread holds it
  KeLeaveCriticalRegion();
  KeSetEvent(&release, IO_NO_INCREMENT, FALSE);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  ObDereferenceObject(object);
  ZwClose(handle);
  ExDeleteResourceLite(&resource);
}

TEST_P(SystemThreadTest, TheStopPathWaitsForTwoThreadsAtOnce) {
  Extension first, second;
  Start(first);
  Start(second);
  first.stop = second.stop = true;
  KeSetEvent(&first.work, IO_NO_INCREMENT, FALSE);
  KeSetEvent(&second.work, IO_NO_INCREMENT, FALSE);
  PVOID threads[] = {first.thread, second.thread};
  KWAIT_BLOCK blocks[2];
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, threads, WaitAll, Executive, KernelMode, FALSE, nullptr, blocks),
      STATUS_WAIT_0);
  EXPECT_EQ(first.irql, PASSIVE_LEVEL);
  EXPECT_EQ(second.irql, PASSIVE_LEVEL);
  EXPECT_NE(first.self, second.self);
  ObDereferenceObject(first.thread);
  ObDereferenceObject(second.thread);
}

TEST_P(SystemThreadTest, AThreadThatDelaysLetsVirtualTimeMoveUntilTheStopPathEndsIt) {
  bool stop = false;
  int polls = 0;
  Body body{[&] {
    LARGE_INTEGER interval;
    interval.QuadPart = -10 * 1000 * 10;  // 10 ms
    while (!stop) {
      ++polls;
      KeDelayExecutionThread(KernelMode, FALSE, &interval);
      if (polls == 3) stop = true;
    }
  }};
  EXPECT_EQ(RunToEnd(body), STATUS_WAIT_0);
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(machine().InterruptTime(), 3u * 100000u);
}

TEST_P(SystemThreadTest, PsTerminateSystemThreadEndsTheThreadWithoutReturning) {
  int after = 0;
  Body body{[&] {
    PsTerminateSystemThread(STATUS_SUCCESS);
    ++after;
  }};
  EXPECT_EQ(RunToEnd(body), STATUS_WAIT_0);
  EXPECT_EQ(after, 0);
}

TEST_P(SystemThreadTest, PsTerminateSystemThreadOutsideASystemThreadIsAnError) {
  EXPECT_EQ(PsTerminateSystemThread(STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
}

TEST_P(SystemThreadTest, CreatingAtDispatchLevelBreaksTheIrqlRule) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  HANDLE handle = nullptr;
  Body body{[] {}};
  const kemu::BugCheck crash = CrashOf([&] {
    PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &Body::Thread,
                         &body);
  });
  if (GetParam() >= kemu::Os::kWindows8) {
    EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                    kemu::verifier_code::kIrqlPsPassive));
  } else if (GetParam() >= kemu::Os::kWindowsVista) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST_P(SystemThreadTest, AThreadReturningInsideACriticalRegionItEnteredIsApcPendingDuringExit) {
  Body body{[] { KeEnterCriticalRegion(); }};
  EXPECT_THAT(CrashOf([&] { RunToEnd(body); }),
              BugCheckWith(kemu::bugcheck::kKernelApcPendingDuringExit, 0, ~std::uint64_t{0},
                           PASSIVE_LEVEL));
}

TEST_P(SystemThreadTest, AThreadReturningAtDispatchLevelIsApcPendingDuringExit) {
  Body body{[] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  }};
  EXPECT_THAT(CrashOf([&] { RunToEnd(body); }),
              BugCheckWith(kemu::bugcheck::kKernelApcPendingDuringExit, 0, 0, DISPATCH_LEVEL));
}

TEST_P(SystemThreadTest, AThreadThatPairsItsRegionsAndIrqlEndsSilently) {
  Body body{[] {
    KeEnterCriticalRegion();
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(old);
    KeLeaveCriticalRegion();
  }};
  EXPECT_EQ(RunToEnd(body), STATUS_WAIT_0);
}

TEST_P(SystemThreadTest, AThreadStillRunningAtShutdownIsALeakNamingIt) {
  Extension ext;
  Start(ext);
  KeSetEvent(&ext.work, IO_NO_INCREMENT, FALSE);
  KeWaitForSingleObject(&ext.processed, Executive, KernelMode, FALSE, nullptr);
  const auto object = reinterpret_cast<std::uintptr_t>(ext.thread);
  ObDereferenceObject(ext.thread);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1, object));
  EXPECT_THAT(crash.what(), HasSubstr("is still running (waits for the event at"));
}

// Without special pool, freeing the block a thread waits in keeps its host memory: the wait reads
// the event at every step, and kemu must not read memory the host allocator reused. The stop
// path's bug shows as the thread still waiting at shutdown (audit round 4, R69 without Verifier).
TEST(SystemThreadRulesTest, FreeingTheEventAThreadWaitsOnDoesNotPullItsMemoryAway) {
  kemu::Machine machine({.verifier = false, .checked_build = false});
  auto* work = static_cast<PKEVENT>(ExAllocatePoolWithTag(NonPagedPool, sizeof(KEVENT), 'vEuK'));
  ASSERT_NE(work, nullptr);
  KeInitializeEvent(work, SynchronizationEvent, FALSE);
  Body body{[work] { KeWaitForSingleObject(work, Executive, KernelMode, FALSE, nullptr); }};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(handle), STATUS_SUCCESS);
  machine.Settle();  // the thread runs up to its wait
  ExFreePoolWithTag(work, 'vEuK');
  machine.Settle();
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                               kemu::verifier_code::kLeakAtShutdown));
  EXPECT_EQ(leak.parameter(1), 1u);
  EXPECT_THAT(leak.what(), HasSubstr("is still running (waits for the event at"));
}

TEST_P(SystemThreadTest, AHandleNeverClosedAndAReferenceNeverDroppedAreLeaks) {
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 2,
                                  reinterpret_cast<std::uintptr_t>(object)));
  EXPECT_THAT(crash.what(), HasSubstr("was never closed (ZwClose)"));
  EXPECT_THAT(crash.what(), HasSubstr("1 reference(s) to the object"));
}

TEST_P(SystemThreadTest, ReferencesAndHandlesAreCountedAndAClosedHandleIsInvalid) {
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(ObfReferenceObject(object), 2);
  EXPECT_EQ(ObfDereferenceObject(object), 1);
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);  // closing it again is 0x93 (zw_close_test.cpp)
  PVOID again = nullptr;
  EXPECT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &again, nullptr),
            STATUS_INVALID_HANDLE);
  EXPECT_EQ(again, nullptr);
  EXPECT_EQ(KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(ObfDereferenceObject(object), 0);
}

TEST_P(SystemThreadTest, ReferencingAThreadHandleAsAnotherTypeIsATypeMismatch) {
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  int other_type = 0;
  PVOID object = nullptr;
  EXPECT_EQ(
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, reinterpret_cast<POBJECT_TYPE>(&other_type),
                                KernelMode, &object, nullptr),
      STATUS_OBJECT_TYPE_MISMATCH);
  machine().Settle();  // the thread runs and ends
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
}

// Microsoft's 0x18 REFERENCE_BY_POINTER: a driver that dereferences an object too many times;
// Arg1 the object type, Arg2 the object (audit round 4, R72).
TEST_P(SystemThreadTest, DroppingAReferenceNotHeldIsReferenceByPointer) {
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  ObDereferenceObject(object);
  EXPECT_THAT(CrashOf([&] { ObDereferenceObject(object); }),
              BugCheckIs(kemu::bugcheck::kReferenceByPointer,
                         reinterpret_cast<std::uintptr_t>(*PsThreadType),
                         reinterpret_cast<std::uintptr_t>(object), 0, 0));
}

TEST_P(SystemThreadTest, WaitingOnAThreadObjectNobodyHoldsIsAnInvalidObject) {
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  machine().Settle();
  ZwClose(handle);
  ObDereferenceObject(object);  // the thread has ended: the object is gone
  EXPECT_THAT(
      CrashOf([&] { KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr); }),
      BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                   kemu::verifier_code::kInvalidKernelObject,
                   reinterpret_cast<std::uintptr_t>(object)));
}

TEST_P(SystemThreadTest, AnInjectedFaultFailsTheCreationWithThatStatus) {
  machine().InjectFault(
      {.routine = "PsCreateSystemThread", .status = STATUS_INSUFFICIENT_RESOURCES});
  Body body{[] {}};
  HANDLE handle = nullptr;
  EXPECT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(handle, nullptr);
}

TEST_P(SystemThreadTest, ReferencingAnObjectOtherThanAThreadIsNotModelled) {
  DEVICE_OBJECT device{};
  EXPECT_THROW(ObfReferenceObject(&device), kemu::NotModelled);
}

TEST_P(SystemThreadTest, AStopPathWaitingForAThreadThatWaitsForNothingSetIsADeadlock) {
  KEVENT never;
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  Body body{[&] { KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr); }};
  const kemu::BugCheck crash = CrashOf([&] { RunToEnd(body); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), HasSubstr("system thread 0x1000"));
}

// A stop path that forgets to signal its polling thread waits for ever (Windows hangs there):
// the thread's timed waits keep moving time while the test's untimed wait never runs, so after
// 100,000 such steps the test's wait is the wait that never completes (audit round 18, Z S4: kemu
// moved time for ever, at 100% of a host CPU). A thread that polls a while and is then told to
// stop ends silently (AThreadThatDelaysLetsVirtualTimeMoveUntilTheStopPathEndsIt).

// The thread's polling loop: a 100 ms timed wait on `stop` until it is set.
struct PollingThread {
  KEVENT stop;
  long polls = 0;
  Body body{[this] {
    LARGE_INTEGER period;
    period.QuadPart = -100 * 1000 * 10;  // 100 ms
    while (KeWaitForSingleObject(&stop, Executive, KernelMode, FALSE, &period) == STATUS_TIMEOUT) {
      ++polls;
    }
  }};
  PollingThread() { KeInitializeEvent(&stop, NotificationEvent, FALSE); }
};

TEST(SystemThreadRulesTest, AStopPathThatNeverSignalsItsPollingThreadIsAWaitThatNeverCompletes) {
  for (const unsigned processors : {1u, 2u}) {
    SCOPED_TRACE(processors);
    kemu::Machine machine(kemu::MachineOptions{.processors = processors});
    PollingThread thread;
    const kemu::BugCheck crash = CrashOf([&] { RunToEnd(thread.body); });  // no KeSetEvent(&stop)
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kWaitNeverCompletes, 0, 0, 0));
    EXPECT_THAT(crash.what(), HasSubstr("the thread on vCPU 0 waits for the system thread at"));
    EXPECT_THAT(crash.what(), HasSubstr("after 100000 steps of progress elsewhere"));
    // The thread made every step (the test only waits); the 100,001st stopped inside its wait.
    EXPECT_EQ(thread.polls, 100000);
    EXPECT_EQ(machine.InterruptTime(), std::uint64_t{100001} * 1000000);  // 100 ms each
  }
}

// ---------------------------------------------------------------------------------------------
// Windows 10 only: the other PASSIVE_LEVEL rules and more than one vCPU.

TEST(SystemThreadRulesTest, ZwCloseAndObReferenceObjectByHandleAbovePassiveBreakTheirDdiRules) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  PVOID object = nullptr;
  EXPECT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kIrqlObPassive));
  EXPECT_THAT(machine.bug_checks()[1],
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kIrqlZwPassive));
  machine.Settle();
  ObDereferenceObject(object);
}

TEST(SystemThreadRulesTest, ReferencesAboveDispatchLevelBreakTheIrqlRule) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  Body body{[] {}};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr),
            STATUS_SUCCESS);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(ObfReferenceObject(object), 2);  // DISPATCH_LEVEL is allowed
  EXPECT_TRUE(machine.bug_checks().empty());
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_EQ(ObfDereferenceObject(object), 1);
  KeLowerIrql(PASSIVE_LEVEL);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0], BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                                  kemu::verifier_code::kKernelApiAtWrongIrql));
  ObDereferenceObject(object);
  ZwClose(handle);
  machine.Settle();
}

TEST(SystemThreadRulesTest, AtPassiveLevelTheObjectRoutinesStaySilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  Body body{[] {}};
  EXPECT_EQ(RunToEnd(body), STATUS_WAIT_0);
  EXPECT_TRUE(machine.bug_checks().empty());
}

kemu::MachineOptions TwoVcpus(kemu::Strategy strategy = kemu::Strategy::kDefault,
                              std::uint64_t seed = 0) {
  return {.processors = 2, .schedule = {.strategy = strategy, .seed = seed}};
}

TEST(SystemThreadScheduleTest, OnTwoVcpusTheThreadStartsAtOnceOnTheIdleOne) {
  kemu::Machine machine(TwoVcpus());
  Extension ext;
  Start(ext);
  EXPECT_EQ(ext.irql, PASSIVE_LEVEL);  // it ran up to its first wait before ZwClose returned
  EXPECT_EQ(ext.processor, 1u);
  KeInsertQueueDpc(&ext.dpc, nullptr, nullptr);
  KeWaitForSingleObject(&ext.processed, Executive, KernelMode, FALSE, nullptr);
  EXPECT_EQ(ext.done, 1);
  EXPECT_EQ(Stop(ext), STATUS_WAIT_0);
}

// One run of a driver whose thread, DPCs and test thread append to one log.
std::vector<std::string> RunLogged(kemu::Strategy strategy, std::uint64_t seed,
                                   std::string* trace) {
  kemu::Machine machine(TwoVcpus(strategy, seed));
  std::vector<std::string> log;
  KEVENT go;
  KeInitializeEvent(&go, SynchronizationEvent, FALSE);
  bool stop = false;
  Body body{[&] {
    while (!stop) {
      KeWaitForSingleObject(&go, Executive, KernelMode, FALSE, nullptr);
      log.push_back("thread on vCPU " + std::to_string(KeGetCurrentProcessorNumber()));
    }
  }};
  struct Dpc {
    KDPC dpc;
    std::vector<std::string>* log;
    PKEVENT go;
    static VOID Run(PKDPC, PVOID context, PVOID, PVOID) {
      auto* self = static_cast<Dpc*>(context);
      self->log->push_back("DPC on vCPU " + std::to_string(KeGetCurrentProcessorNumber()));
      KeSetEvent(self->go, IO_NO_INCREMENT, FALSE);
    }
  } dpc{{}, &log, &go};
  KeInitializeDpc(&dpc.dpc, &Dpc::Run, &dpc);
  KeSetTargetProcessorDpc(&dpc.dpc, 1);
  HANDLE handle = nullptr;
  PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &Body::Thread, &body);
  PVOID object = nullptr;
  ObReferenceObjectByHandle(handle, SYNCHRONIZE, nullptr, KernelMode, &object, nullptr);
  ZwClose(handle);
  for (int i = 0; i < 3; ++i) {
    log.push_back("test " + std::to_string(i));
    KeInsertQueueDpc(&dpc.dpc, nullptr, nullptr);
  }
  stop = true;
  KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
  KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(object);
  *trace = machine.TraceJson();
  return log;
}

TEST(SystemThreadScheduleTest, TheSameSeedGivesTheSameOrderOnTwoVcpus) {
  std::string first_trace, second_trace;
  const std::vector<std::string> first = RunLogged(kemu::Strategy::kRandom, 7, &first_trace);
  const std::vector<std::string> second = RunLogged(kemu::Strategy::kRandom, 7, &second_trace);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first_trace, second_trace);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front(), "test 0");
}

TEST(SystemThreadScheduleTest, TheDefaultScheduleRunsTheThreadAsSoonAsItsEventIsSet) {
  std::string trace;
  EXPECT_EQ(RunLogged(kemu::Strategy::kDefault, 0, &trace),
            (std::vector<std::string>{"test 0", "DPC on vCPU 1", "thread on vCPU 1", "test 1",
                                      "DPC on vCPU 1", "thread on vCPU 1", "test 2",
                                      "DPC on vCPU 1", "thread on vCPU 1", "thread on vCPU 1"}));
}

TEST(SystemThreadScheduleTest, ExploredSchedulesInterleaveTheThreadDifferently) {
  std::string trace;
  const std::vector<std::string> base = RunLogged(kemu::Strategy::kDefault, 0, &trace);
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 20 && !differs; ++seed) {
    differs = RunLogged(kemu::Strategy::kRandom, seed, &trace) != base;
  }
  EXPECT_TRUE(differs);
}

// A thread that sleeps gives its vCPU back and may resume on the other one: it runs there as
// itself, still inside the critical region it started in, so a correct thread that returns after
// sleeping is silent on every schedule (it once resumed with the other vCPU's thread state and
// ended in 0x20 with -1 critical regions on some seeds).
TEST(SystemThreadScheduleTest, AThreadResumingOnTheOtherVcpuKeepsItsThreadState) {
  int moved = 0;
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
      kemu::MachineOptions options = TwoVcpus(strategy, seed);
      options.on_bug_check = kemu::BugCheckAction::kRecord;
      kemu::Machine machine(options);
      ULONG before = ~0u;
      ULONG after = ~0u;
      BOOLEAN apcs_disabled_after = FALSE;
      Body body{[&] {
        before = KeGetCurrentProcessorNumber();
        LARGE_INTEGER interval;
        interval.QuadPart = -10 * 1000;  // 1 ms
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
        after = KeGetCurrentProcessorNumber();
        apcs_disabled_after = KeAreApcsDisabled();
      }};
      EXPECT_EQ(RunToEnd(body), STATUS_WAIT_0) << "seed " << seed;
      machine.Shutdown();
      EXPECT_TRUE(machine.bug_checks().empty())
          << "seed " << seed << ": " << machine.bug_checks().front().what();
      EXPECT_TRUE(apcs_disabled_after) << "seed " << seed;
      if (after != before) ++moved;
    }
  }
  EXPECT_GT(moved, 0);  // some schedules do resume it on the other vCPU
}

}  // namespace
