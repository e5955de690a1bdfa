// Reports that name the owner of a mutex, an executive resource or a spin lock (ordinary or
// reader/writer), the waiter in a deadlock, or who took a lock in a lock-order report name a
// system thread as that thread (its identifier, start routine and object), not as the vCPU it ran
// on (docs/kernel.md, "System threads").
#include <fmt/format.h>
#include <wdm.h>

#include <functional>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A thread body written inline.
struct Body {
  std::function<void()> run;
  static VOID Thread(PVOID context) { static_cast<Body*>(context)->run(); }
};

// Starts `body`; the handle is closed, the thread keeps running.
void Start(Body& body) {
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(handle), STATUS_SUCCESS);
}

// Starts `body` and returns a reference to its thread object (dereference it unless the machine
// crashed).
PVOID StartReferenced(Body& body) {
  HANDLE handle = nullptr;
  EXPECT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  EXPECT_EQ(
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
      STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(handle), STATUS_SUCCESS);
  return object;
}

// "the system thread 0x1000 (start routine 0x..., thread object 0x...)", as reports name it.
std::string FirstThreadName(const void* object) {
  return fmt::format("the system thread 0x1000 (start routine {}, thread object {})",
                     reinterpret_cast<const void*>(&Body::Thread), object);
}

// "the system thread 0x1000 (start routine 0x..., thread object 0x...)": the first thread's.
constexpr const char* kFirstThread = "the system thread 0x1000 (start routine ";

TEST(SystemThreadOwnerTest, AKernelMutexAThreadStillOwnsAtShutdownNamesTheThread) {
  kemu::Machine machine{kemu::MachineOptions{}};
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KEVENT owned, never;
  KeInitializeEvent(&owned, NotificationEvent, FALSE);
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  Body body{[&] {
    KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    KeSetEvent(&owned, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr);
  }};
  Start(body);
  KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash.what(), HasSubstr(std::string("is still owned by ") + kFirstThread));
  EXPECT_THAT(crash.what(), Not(HasSubstr("owned by the thread on vCPU")));
}

TEST(SystemThreadOwnerTest, AWaitForAResourceAThreadHoldsNamesTheThread) {
  kemu::Machine machine{kemu::MachineOptions{}};
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  KEVENT owned, never;
  KeInitializeEvent(&owned, NotificationEvent, FALSE);
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  Body body{[&] {
    ExAcquireResourceExclusiveLite(&resource, TRUE);  // in the start's critical region
    KeSetEvent(&owned, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr);
  }};
  Start(body);
  KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, nullptr);
  // The test waits for the resource, the thread for an event nobody sets: a deadlock whose report
  // says who holds the resource.
  const kemu::BugCheck crash = CrashOf([&] {
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&resource, TRUE);
  });
  EXPECT_THAT(crash.what(), HasSubstr(std::string("held exclusively by ") + kFirstThread));
}

TEST(SystemThreadOwnerTest, AWaitForAFastMutexAThreadOwnsNamesTheThread) {
  kemu::Machine machine{kemu::MachineOptions{}};
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  KEVENT owned, never;
  KeInitializeEvent(&owned, NotificationEvent, FALSE);
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  Body body{[&] {
    ExAcquireFastMutex(&mutex);  // at APC_LEVEL from here
    KeSetEvent(&owned, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr);
  }};
  Start(body);
  KeWaitForSingleObject(&owned, Executive, KernelMode, FALSE, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireFastMutex(&mutex); });
  EXPECT_THAT(crash.what(), HasSubstr(std::string("(owned by ") + kFirstThread));
}

// The summary of a report: what stands between the parameters and the machine's description.
std::string SummaryOf(const kemu::BugCheck& crash) {
  const std::string report = crash.what();
  const std::size_t begin = report.find("\n\n  ");
  const std::size_t end = report.find("\n\n  Machine:");
  if (begin == std::string::npos || end == std::string::npos) return report;
  return report.substr(begin + 4, end - begin - 4);
}

// On two vCPUs the thread starts at once on the idle one and waits for an event nobody sets;
// the test then waits for the thread's end. The thread's wait is the last to find that nothing
// can run, so the thread is the reported waiter.
TEST(SystemThreadOwnerTest, ADeadlockWhoseWaiterIsASystemThreadNamesTheThreadNotAVcpu) {
  kemu::Machine machine{kemu::MachineOptions{.processors = 2}};
  KEVENT never;
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  Body body{[&] { KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr); }};
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &Body::Thread, &body),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
      STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(handle), STATUS_SUCCESS);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr); });
  const auto* routine = reinterpret_cast<const void*>(&Body::Thread);
  EXPECT_EQ(crash.code(), kemu::bugcheck::kDriverVerifierDetectedViolation);
  EXPECT_EQ(crash.parameter(0), kemu::verifier_code::kWaitNeverCompletes);
  EXPECT_EQ(crash.parameter(1), 0u);  // the vCPU it last ran on, given back to wait
  EXPECT_EQ(
      SummaryOf(crash),
      fmt::format(
          "the system thread 0x1000 (start routine {0}, thread object {1}) waits for the event "
          "at {2} to be signalled (KeWaitForSingleObject), and no vCPU can ever provide it.\n"
          "  What each vCPU runs, holds and waits for:\n"
          "    - vCPU 0 (the test) waits for the system thread at {1} to be signalled "
          "(KeWaitForSingleObject)\n"
          "    - system thread 0x1000 (start routine {0}) waits for the event at {2} to be "
          "signalled (KeWaitForSingleObject)",
          routine, object, static_cast<const void*>(&never)));
}

// Two vCPUs, no Verifier (its lock-order check would report the inversion first): the thread on
// vCPU 1 holds `taken` and spins on `held`, which the test on vCPU 0 holds while it spins on
// `taken`. The test's wait names the thread as the holder, and the thread's line says it waits.
TEST(SystemThreadOwnerTest, ASpinLockASystemThreadHoldsNamesTheThreadAsItsHolder) {
  kemu::Machine machine{kemu::MachineOptions{.processors = 2, .verifier = false}};
  KSPIN_LOCK taken, held;
  KeInitializeSpinLock(&taken);
  KeInitializeSpinLock(&held);
  KEVENT go;
  KeInitializeEvent(&go, NotificationEvent, FALSE);
  Body body{[&] {
    KeWaitForSingleObject(&go, Executive, KernelMode, FALSE, nullptr);
    KIRQL old, ignored;
    KeAcquireSpinLock(&taken, &old);
    KeAcquireSpinLock(&held, &ignored);
  }};
  Start(body);
  KIRQL old;
  KeAcquireSpinLock(&held, &old);
  KeSetEvent(&go, IO_NO_INCREMENT, FALSE);  // the default schedule runs the thread at once
  const kemu::BugCheck crash = CrashOf([&] {
    KIRQL ignored;
    KeAcquireSpinLock(&taken, &ignored);
  });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kSpinLockAlreadyOwned);
  const std::string thread = "the system thread 0x1000 (start routine ";
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("vCPU 0 spins on the spin lock at {}, and no vCPU that could "
                                    "release it can run: a deadlock.",
                                    static_cast<const void*>(&taken))));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("    - vCPU 0 (the test) waits for the spin lock at {} in "
                                    "KeAcquireSpinLockRaiseToDpc (held by {}",
                                    static_cast<const void*>(&taken), thread)));
  EXPECT_THAT(crash.what(), HasSubstr(") on vCPU 1); holds the spin lock at "));
  EXPECT_THAT(
      crash.what(),
      HasSubstr(fmt::format("    - system thread 0x1000 (start routine {}) waits for the "
                            "spin lock at {} in KeAcquireSpinLockRaiseToDpc (held by vCPU "
                            "0); holds "
                            "the spin lock at {}",
                            reinterpret_cast<const void*>(&Body::Thread),
                            static_cast<const void*>(&held), static_cast<const void*>(&taken))));
  EXPECT_THAT(crash.what(), Not(HasSubstr("is running")));
}

// Verifier's lock order (0xC4 / 0x1001): the order the thread recorded names the thread, and the
// test that inverts it later is "on vCPU 0" as before.
TEST(SystemThreadOwnerTest, ALockOrderASystemThreadRecordedNamesTheThreadThatTookTheLocks) {
  kemu::Machine machine{kemu::MachineOptions{}};
  KSPIN_LOCK first, second;
  KeInitializeSpinLock(&first);
  KeInitializeSpinLock(&second);
  Body body{[&] {
    KIRQL old;
    KeAcquireSpinLock(&first, &old);
    KeAcquireSpinLockAtDpcLevel(&second);
    KeReleaseSpinLockFromDpcLevel(&second);
    KeReleaseSpinLock(&first, old);
  }};
  PVOID thread = StartReferenced(body);
  ASSERT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  ObDereferenceObject(thread);
  KIRQL old;
  KeAcquireSpinLock(&second, &old);
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireSpinLockAtDpcLevel(&first); });
  EXPECT_THAT(crash, BugCheckIs(0xC4, 0x1001, reinterpret_cast<std::uintptr_t>(&first), 0, 0));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("(first seen: KeAcquireSpinLockAtDpcLevel by {} on vCPU 0 "
                                    "outside any driver callback, trace event #",
                                    FirstThreadName(thread))));
  EXPECT_THAT(crash.what(), HasSubstr("(now: KeAcquireSpinLockAtDpcLevel on vCPU 0 outside any "
                                      "driver callback, trace event #"));
}

// The thread closes the cycle of fast mutexes the test ordered: the acquire that closes it names
// the thread, and the bug check reaches the test's wait for the thread.
TEST(SystemThreadOwnerTest, ALockOrderASystemThreadInvertsNamesTheThreadAsTheAcquirer) {
  kemu::Machine machine{kemu::MachineOptions{}};
  FAST_MUTEX outer, inner;
  ExInitializeFastMutex(&outer);
  ExInitializeFastMutex(&inner);
  ExAcquireFastMutex(&outer);
  ExAcquireFastMutex(&inner);
  ExReleaseFastMutex(&inner);
  ExReleaseFastMutex(&outer);
  Body body{[&] {
    ExAcquireFastMutex(&inner);
    ExAcquireFastMutex(&outer);
  }};
  PVOID thread = StartReferenced(body);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(0xC4, 0x1001, reinterpret_cast<std::uintptr_t>(&outer), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("(first seen: ExAcquireFastMutex on vCPU 0 outside any "
                                      "driver callback, trace event #"));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("(now: ExAcquireFastMutex by {} on vCPU 0 outside any driver "
                                    "callback, trace event #",
                                    FirstThreadName(thread))));
}

// Two vCPUs, no Verifier (its lock-order check would report the inversion first): the thread on
// vCPU 1 holds the reader/writer lock and spins on `held`, which the test holds while it waits for
// the reader/writer lock in the other mode. The test's wait names the thread as the holder.
TEST(SystemThreadOwnerTest, AReaderWriterSpinLockASystemThreadHoldsNamesTheThreadAsItsHolder) {
  for (const bool thread_exclusive : {true, false}) {
    SCOPED_TRACE(thread_exclusive ? "the thread holds it exclusive" : "the thread holds it shared");
    kemu::Machine machine{kemu::MachineOptions{.processors = 2, .verifier = false}};
    EX_SPIN_LOCK shared_lock = 0;
    KSPIN_LOCK held;
    KeInitializeSpinLock(&held);
    KEVENT go;
    KeInitializeEvent(&go, NotificationEvent, FALSE);
    Body body{[&] {
      KeWaitForSingleObject(&go, Executive, KernelMode, FALSE, nullptr);
      if (thread_exclusive) {
        ExAcquireSpinLockExclusive(&shared_lock);
      } else {
        ExAcquireSpinLockShared(&shared_lock);
      }
      KIRQL ignored;
      KeAcquireSpinLock(&held, &ignored);
    }};
    PVOID thread = StartReferenced(body);
    KIRQL old;
    KeAcquireSpinLock(&held, &old);
    KeSetEvent(&go, IO_NO_INCREMENT, FALSE);  // the default schedule runs the thread at once
    const kemu::BugCheck crash = CrashOf([&] {
      if (thread_exclusive) {
        ExAcquireSpinLockSharedAtDpcLevel(&shared_lock);
      } else {
        ExAcquireSpinLockExclusiveAtDpcLevel(&shared_lock);
      }
    });
    EXPECT_EQ(crash.code(), kemu::bugcheck::kSpinLockAlreadyOwned);
    EXPECT_THAT(
        crash.what(),
        HasSubstr(fmt::format(
            "    - vCPU 0 (the test) waits for {} access to the reader/writer spin lock at {} in "
            "{} (held {} by {} on vCPU 1); holds the spin lock at {}",
            thread_exclusive ? "shared" : "exclusive",
            static_cast<const void*>(const_cast<const LONG*>(&shared_lock)),
            thread_exclusive ? "ExAcquireSpinLockSharedAtDpcLevel"
                             : "ExAcquireSpinLockExclusiveAtDpcLevel",
            thread_exclusive ? "exclusive" : "shared", FirstThreadName(thread),
            static_cast<const void*>(&held))));
  }
}

}  // namespace
