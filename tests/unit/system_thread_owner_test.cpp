// Reports that name the owner of a mutex or an executive resource name a system thread that owns
// one as that thread (its identifier, start routine and object), not as the vCPU it ran on
// (docs/kernel.md, "System threads").
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

}  // namespace
