// A kernel object kemu keeps side state for, used after the driver freed the pool that held it:
// the report names the free, as for a dispatcher object (pool_quarantine_test.cpp). Without special
// pool the block went back to the host: 0xC4 / 0x4B450011 naming the free (the side-table objects
// are looked up by address, so no test here reads the host's freed memory). Under special pool a
// pointer into a freed block is refused when the call begins; an object freed while the routine
// runs (a DPC, another vCPU) is 0xD5 naming the free. Correct teardown stays silent
// (docs/verifier-rules.md, "Freed special pool").
#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr ULONG kTag = 0x756D656B;  // "kemu"

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// A nonpaged block for a T.
template <typename T>
T* Allocate() {
  auto* block = static_cast<T*>(ExAllocatePoolWithTag(NonPagedPool, sizeof(T), kTag));
  EXPECT_NE(block, nullptr);
  return block;
}

// IO_WORKITEM is opaque: its block is IoSizeofWorkItem() bytes.
PIO_WORKITEM AllocateWorkItem() {
  auto* item =
      static_cast<PIO_WORKITEM>(ExAllocatePoolWithTag(NonPagedPool, IoSizeofWorkItem(), kTag));
  EXPECT_NE(item, nullptr);
  return item;
}

// The 0xC4 / 0x4B450011 report for `object` at the start of a freed `bytes`-byte block.
void ExpectNamedFree(const kemu::BugCheck& crash, const char* routine, const char* expected,
                     const void* object, std::size_t bytes) {
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kInvalidKernelObject, Address(object), 0, 0));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("{} was given {}, which is not {}: it lies at offset 0x0 of "
                                    "the {}-byte pool block tagged 'kemu' (0x756d656b) that "
                                    "ExFreePoolWithTag freed at trace event ",
                                    routine, object, expected, bytes)));
  EXPECT_THAT(crash.what(), HasSubstr("so the driver used the object after freeing the pool"));
}

VOID WorkRoutine(PDEVICE_OBJECT, PVOID) {}

TEST(FreedObjectsTest, AWorkItemQueuedAfterItsPoolWasFreedNamesTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  DEVICE_OBJECT device{};
  const ULONG bytes = IoSizeofWorkItem();
  PIO_WORKITEM item = AllocateWorkItem();
  IoInitializeWorkItem(&device, item);
  IoUninitializeWorkItem(item);
  ExFreePoolWithTag(item, kTag);
  const kemu::BugCheck crash =
      CrashOf([&] { IoQueueWorkItem(item, WorkRoutine, DelayedWorkQueue, nullptr); });
  ExpectNamedFree(crash, "IoQueueWorkItem",
                  "a work item from IoAllocateWorkItem or IoInitializeWorkItem", item, bytes);
}

TEST(FreedObjectsTest, AWorkItemUninitializedBeforeItsPoolIsFreedIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  DEVICE_OBJECT device{};
  PIO_WORKITEM item = AllocateWorkItem();
  IoInitializeWorkItem(&device, item);
  IoQueueWorkItem(item, WorkRoutine, DelayedWorkQueue, nullptr);
  machine.Settle();
  IoUninitializeWorkItem(item);
  ExFreePoolWithTag(item, kTag);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FreedObjectsTest, AResourceAcquiredAfterItsPoolWasFreedNamesTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  auto* resource = Allocate<ERESOURCE>();
  ExInitializeResourceLite(resource);
  ExDeleteResourceLite(resource);
  ExFreePoolWithTag(resource, kTag);
  KeEnterCriticalRegion();
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireResourceExclusiveLite(resource, TRUE); });
  ExpectNamedFree(crash, "ExAcquireResourceExclusiveLite",
                  "an executive resource initialized by ExInitializeResourceLite", resource,
                  sizeof(ERESOURCE));
}

TEST(FreedObjectsTest, AResourceDeletedAfterItsPoolWasFreedNamesTheFree) {
  // Without Verifier and with it (where an uninitialized resource's delete is 0xC4 / 0xD1): the
  // memory holds no resource because the driver freed it, which is what the report says.
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = verifier});
    auto* resource = Allocate<ERESOURCE>();
    ExInitializeResourceLite(resource);
    ExDeleteResourceLite(resource);
    ExFreePoolWithTag(resource, kTag);
    const kemu::BugCheck crash = CrashOf([&] { ExDeleteResourceLite(resource); });
    if (verifier) {
      // Special pool keeps the block: the pointer is refused as freed pool when the call begins.
      EXPECT_EQ(crash.code(), kemu::bugcheck::kDriverPageFaultInFreedSpecialPool);
      continue;
    }
    ExpectNamedFree(crash, "ExDeleteResourceLite",
                    "an executive resource initialized by ExInitializeResourceLite", resource,
                    sizeof(ERESOURCE));
  }
}

TEST(FreedObjectsTest, AResourceDeletedBeforeItsPoolIsFreedIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  auto* resource = Allocate<ERESOURCE>();
  ExInitializeResourceLite(resource);
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(resource, TRUE);
  ExReleaseResourceLite(resource);
  KeLeaveCriticalRegion();
  ExDeleteResourceLite(resource);
  ExFreePoolWithTag(resource, kTag);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FreedObjectsTest, ALookasideListUsedAfterItsPoolWasFreedNamesTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  auto* list = Allocate<NPAGED_LOOKASIDE_LIST>();
  ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 64, kTag, 0);
  ExDeleteNPagedLookasideList(list);
  ExFreePoolWithTag(list, kTag);
  const kemu::BugCheck crash = CrashOf([&] { ExAllocateFromNPagedLookasideList(list); });
  ExpectNamedFree(crash, "ExAllocateFromNPagedLookasideList",
                  "an initialized NPAGED_LOOKASIDE_LIST", list, sizeof(NPAGED_LOOKASIDE_LIST));
}

TEST(FreedObjectsTest, ALookasideListDeletedBeforeItsPoolIsFreedIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  auto* list = Allocate<NPAGED_LOOKASIDE_LIST>();
  ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 64, kTag, 0);
  ExFreeToNPagedLookasideList(list, ExAllocateFromNPagedLookasideList(list));
  ExDeleteNPagedLookasideList(list);
  ExFreePoolWithTag(list, kTag);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

VOID CountDpc(PKDPC, PVOID context, PVOID, PVOID) { ++*static_cast<int*>(context); }

// The KDPC's side state dies with the block (Pool::Free), so the insert finds none.
TEST(FreedObjectsTest, AKdpcQueuedAfterItsPoolWasFreedNamesTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  int runs = 0;
  auto* dpc = Allocate<KDPC>();
  KeInitializeDpc(dpc, CountDpc, &runs);
  ExFreePoolWithTag(dpc, kTag);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(dpc, nullptr, nullptr); });
  ExpectNamedFree(crash, "KeInsertQueueDpc", "a KDPC initialized by KeInitializeDpc", dpc,
                  sizeof(KDPC));
  EXPECT_EQ(runs, 0);
}

TEST(FreedObjectsTest, AKdpcThatRanBeforeItsPoolIsFreedIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  int runs = 0;
  auto* dpc = Allocate<KDPC>();
  KeInitializeDpc(dpc, CountDpc, &runs);
  EXPECT_TRUE(KeInsertQueueDpc(dpc, nullptr, nullptr));
  KeFlushQueuedDpcs();
  ExFreePoolWithTag(dpc, kTag);
  EXPECT_EQ(runs, 1);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// A fast mutex is read in place (no side table), so it is tested under special pool, the block
// freed by a DPC that an interrupt at the call's first schedule point queues: the routine then
// finds poison where the mutex was.
struct Teardown {
  kemu::Device* device = nullptr;
  void* block = nullptr;
  bool free_it = true;
  KDPC free_dpc;
};

BOOLEAN FreeingIsr(PKINTERRUPT, PVOID context) {
  auto* teardown = static_cast<Teardown*>(context);
  teardown->device->DeassertLine();
  KeInsertQueueDpc(&teardown->free_dpc, nullptr, nullptr);
  return TRUE;
}

VOID FreeingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* teardown = static_cast<Teardown*>(context);
  if (teardown->free_it) ExFreePoolWithTag(teardown->block, kTag);
}

// Connects the ISR that frees `teardown.block` and arms the interrupt for the next kernel call.
PKINTERRUPT ArmTeardown(kemu::Machine& machine, Teardown& teardown) {
  teardown.device =
      &machine.AddDevice({.name = "nic", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
  KeInitializeDpc(&teardown.free_dpc, FreeingDpc, &teardown);
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, FreeingIsr, &teardown, nullptr, 0x51, 5, 5,
                               LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  teardown.device->ScheduleAfterCalls(1, kemu::DeviceAction::kAssertLine);
  return interrupt;
}

TEST(FreedObjectsTest, AFastMutexFreedWhileExAcquireFastMutexRunsIsAReadOfFreedPool) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* mutex = Allocate<FAST_MUTEX>();
  ExInitializeFastMutex(mutex);
  Teardown teardown{.device = nullptr, .block = mutex, .free_it = true, .free_dpc = {}};
  ArmTeardown(machine, teardown);
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireFastMutex(mutex); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverPageFaultInFreedSpecialPool, Address(mutex),
                                0, 0, 0));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("ExAcquireFastMutex was given {}, which is not an initialized "
                                    "fast mutex: it lies at offset 0x0 of the {}-byte pool block",
                                    static_cast<const void*>(mutex), sizeof(FAST_MUTEX))));
  EXPECT_THAT(crash.what(), HasSubstr("freed by ExFreePoolWithTag at trace event"));
}

TEST(FreedObjectsTest, AFastMutexFreedOnlyAfterItsLastReleaseIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* mutex = Allocate<FAST_MUTEX>();
  ExInitializeFastMutex(mutex);
  Teardown teardown{.device = nullptr, .block = mutex, .free_it = false, .free_dpc = {}};
  PKINTERRUPT interrupt = ArmTeardown(machine, teardown);
  ExAcquireFastMutex(mutex);
  ExReleaseFastMutex(mutex);
  ExFreePoolWithTag(mutex, kTag);
  IoDisconnectInterrupt(interrupt);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// A KEVENT in a block large enough that the host may unmap it when the driver frees it (audit
// round 14): kemu must not read the header it was given, or its own process faults. It remembers
// the free and reports it without reading.
TEST(FreedObjectsTest, AnEventInALargeFreedBlockIsReportedWithoutKemuReadingIt) {
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.verifier = false},
        kemu::MachineOptions{.verifier = false, .checked_build = false}}) {
    kemu::Machine machine(options);
    constexpr std::size_t kBytes = 512 * 1024;
    auto* event = static_cast<PKEVENT>(ExAllocatePoolWithTag(NonPagedPool, kBytes, kTag));
    ASSERT_NE(event, nullptr);
    KeInitializeEvent(event, NotificationEvent, FALSE);
    ExFreePoolWithTag(event, kTag);
    ExpectNamedFree(CrashOf([&] { (void)KeSetEvent(event, 0, FALSE); }), "KeSetEvent",
                    "an initialized event or timer", event, kBytes);
  }
}

TEST(FreedObjectsTest, ASpinLockInALargeFreedBlockIsReportedWithoutKemuReadingIt) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false, .checked_build = false});
  constexpr std::size_t kBytes = 512 * 1024;
  auto* lock = static_cast<PKSPIN_LOCK>(ExAllocatePoolWithTag(NonPagedPool, kBytes, kTag));
  ASSERT_NE(lock, nullptr);
  KeInitializeSpinLock(lock);
  ExFreePoolWithTag(lock, kTag);
  ExpectNamedFree(CrashOf([&] {
                    KIRQL old;
                    KeAcquireSpinLock(lock, &old);
                  }),
                  "KeAcquireSpinLockRaiseToDpc", "an initialized spin lock", lock, kBytes);
}

}  // namespace
