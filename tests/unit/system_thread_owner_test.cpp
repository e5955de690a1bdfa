// Reports that name the owner of a mutex, an executive resource or a spin lock, or the waiter in
// a deadlock, name a system thread as that thread (its identifier, start routine and object), not
// as the vCPU it ran on (docs/kernel.md, "System threads").
#include <fmt/format.h>
#include <wdm.h>

#include <functional>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

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

}  // namespace
