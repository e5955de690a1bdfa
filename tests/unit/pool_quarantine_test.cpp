// Freed special pool under Driver Verifier: a freed block stays poisoned in a quarantine, so a
// driver that uses it after the free is 0xD5 DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL — a kernel
// routine given a pointer into it, a pointer read out of it, a write into it found when it leaves
// the quarantine — and a driver that frees only what nothing uses any more is silent
// (docs/verifier-rules.md, docs/kernel.md).
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"
#include "model/kernel.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr ULONG kTag = 0x756D656B;  // "kemu"
constexpr std::uint32_t kFreedPool = kemu::bugcheck::kDriverPageFaultInFreedSpecialPool;
constexpr std::uint64_t kRead = 0;
constexpr std::uint64_t kWrite = 1;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

std::string PointerText(const void* pointer) {
  std::ostringstream text;
  text << pointer;
  return text.str();
}

// A driver's device context: what the audit's stop path freed under its DPC.
struct Context {
  ULONG flags;
  PKINTERRUPT interrupt;
  KSPIN_LOCK lock;
  KDPC dpc;
};

Context* AllocateContext() {
  auto* context = static_cast<Context*>(ExAllocatePoolWithTag(NonPagedPool, sizeof(Context), kTag));
  EXPECT_NE(context, nullptr);
  return context;
}

// Reads `field` the way a driver does after the free (quarantined memory is still host memory).
PKINTERRUPT ReadInterrupt(const volatile Context* context) { return context->interrupt; }

VOID CountDpc(PKDPC, PVOID context, PVOID, PVOID) { ++*static_cast<int*>(context); }

BOOLEAN Barrier(PVOID) { return TRUE; }

const kemu::model::PoolQuarantine& Quarantine(kemu::Machine& machine) {
  return machine.kernel().pool().quarantine();
}

TEST(PoolQuarantineTest, AKdpcInFreedPoolQueuedAgainIsAReadOfFreedPool) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  int runs = 0;
  KeInitializeDpc(&context->dpc, CountDpc, &runs);
  ExFreePoolWithTag(context, kTag);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&context->dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kFreedPool, Address(&context->dpc), kRead, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("KeInsertQueueDpc was given Dpc = "));
  EXPECT_THAT(crash.what(), HasSubstr("tagged 'kemu'"));
  EXPECT_THAT(crash.what(), HasSubstr("freed by ExFreePoolWithTag at trace event"));
  EXPECT_EQ(runs, 0);
}

TEST(PoolQuarantineTest, ASpinLockInFreedPoolAcquiredIsAReadOfFreedPool) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  KeInitializeSpinLock(&context->lock);
  ExFreePool(context);
  KIRQL old = PASSIVE_LEVEL;
  EXPECT_THAT(CrashOf([&] { KeAcquireSpinLock(&context->lock, &old); }),
              BugCheckIs(kFreedPool, Address(&context->lock), kRead, 0, 0));
}

TEST(PoolQuarantineTest, AnEventInFreedPoolSetIsAReadOfFreedPool) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* event = static_cast<PKEVENT>(ExAllocatePoolWithTag(NonPagedPool, sizeof(KEVENT), kTag));
  ASSERT_NE(event, nullptr);
  KeInitializeEvent(event, NotificationEvent, FALSE);
  ExFreePoolWithTag(event, kTag);
  EXPECT_THAT(CrashOf([&] { KeSetEvent(event, IO_NO_INCREMENT, FALSE); }),
              BugCheckIs(kFreedPool, Address(event), kRead, 0, 0));
}

// The audit's teardown on seed 13: the stop path freed the context while the DPC was inside
// KeSetEvent on its event, after KeSetEvent's argument check. Here an interrupt landing at the
// KeSetEvent call queues a DPC that frees the event's block first.
struct Teardown {
  kemu::Device* device = nullptr;
  PKEVENT event = nullptr;
  KDPC free_dpc;
};

BOOLEAN FreeingIsr(PKINTERRUPT, PVOID context) {
  auto* teardown = static_cast<Teardown*>(context);
  teardown->device->DeassertLine();
  KeInsertQueueDpc(&teardown->free_dpc, nullptr, nullptr);
  return TRUE;
}

VOID FreeingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  ExFreePoolWithTag(static_cast<Teardown*>(context)->event, kTag);
}

TEST(PoolQuarantineTest, AnEventFreedWhileKeSetEventRunsIsAReadOfFreedPoolNamingTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  kemu::Device& device =
      machine.AddDevice({.name = "nic", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
  Teardown teardown{.device = &device, .event = nullptr, .free_dpc = {}};
  teardown.event = static_cast<PKEVENT>(ExAllocatePoolWithTag(NonPagedPool, sizeof(KEVENT), kTag));
  ASSERT_NE(teardown.event, nullptr);
  KeInitializeEvent(teardown.event, NotificationEvent, FALSE);
  KeInitializeDpc(&teardown.free_dpc, FreeingDpc, &teardown);
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, FreeingIsr, &teardown, nullptr, 0x51, 5, 5,
                               LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  device.ScheduleAfterCalls(1, kemu::DeviceAction::kAssertLine);
  const kemu::BugCheck crash = CrashOf([&] { KeSetEvent(teardown.event, IO_NO_INCREMENT, FALSE); });
  EXPECT_THAT(crash, BugCheckIs(kFreedPool, Address(teardown.event), kRead, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("KeSetEvent was given " + PointerText(teardown.event) +
                                      ", which is not an initialized event or timer: it lies at "
                                      "offset 0x0 of the " +
                                      std::to_string(sizeof(KEVENT)) + "-byte pool block"));
  EXPECT_THAT(crash.what(), HasSubstr("freed by ExFreePoolWithTag at trace event"));
  EXPECT_THAT(crash.what(), HasSubstr("the driver used the object after freeing the pool"));
}

// Without special pool the block went back to the host; the report is kemu's invalid-object code
// but names the free. (Called directly: reading the host's freed memory is not a test's to do.)
TEST(PoolQuarantineTest, WithoutSpecialPoolAnObjectInFreedPoolIsNamedWithItsFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  KEVENT stale = {};
  const kemu::BugCheck crash = CrashOf([&] {
    machine.kernel().verifier().KernelObjectInFreedPool(
        "KeSetEvent", "an initialized event", &stale,
        "offset 0x8 of the 64-byte pool block tagged 'kemu' (0x756d656b) that "
        "ExFreePoolWithTag freed at trace event 7",
        /*quarantined=*/false);
  });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kInvalidKernelObject, Address(&stale), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("which is not an initialized event: it lies at offset 0x8 "
                                      "of the 64-byte pool block tagged 'kemu' (0x756d656b) that "
                                      "ExFreePoolWithTag freed at trace event 7, so the driver "
                                      "used the object after freeing the pool that holds it"));
}

TEST(PoolQuarantineTest, APointerReadOutOfFreedPoolIsNonCanonicalPoison) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  ExFreePool(context);
  const auto value = reinterpret_cast<std::uintptr_t>(ReadInterrupt(context));
  EXPECT_EQ(value >> 48, 0xD5D5u);
  EXPECT_EQ(value & 0xFFFFFF, offsetof(Context, interrupt));
}

// The audit's case C11u: a DPC still running when the stop path freed its context reads the
// interrupt pointer out of the freed block.
TEST(PoolQuarantineTest, AnInterruptPointerReadOutOfFreedPoolIsAFaultWhereItWasRead) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  context->interrupt = nullptr;
  ExFreePoolWithTag(context, kTag);
  PKINTERRUPT stale = ReadInterrupt(context);
  const kemu::BugCheck crash = CrashOf([&] { KeSynchronizeExecution(stale, Barrier, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kFreedPool, Address(&context->interrupt), kRead, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("KeSynchronizeExecution was given Interrupt = 0xd5d5"));
  EXPECT_THAT(crash.what(), HasSubstr("kemu's poison for freed pool"));
  EXPECT_THAT(crash.what(), HasSubstr("tagged 'kemu'"));
}

TEST(PoolQuarantineTest, KeAcquireInterruptSpinLockWithAPoisonPointerIsAFaultToo) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  ExFreePool(context);
  PKINTERRUPT stale = ReadInterrupt(context);
  EXPECT_THAT(CrashOf([&] { KeAcquireInterruptSpinLock(stale); }),
              BugCheckIs(kFreedPool, Address(&context->interrupt), kRead, 0, 0));
}

TEST(PoolQuarantineTest, AWriteAfterTheFreeIsFoundAtShutdown) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 32, kTag));
  ASSERT_NE(block, nullptr);
  ExFreePool(block);
  block[19] = 0;
  const kemu::BugCheck crash = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(crash, BugCheckIs(kFreedPool, Address(block + 19), kWrite, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("Machine::Shutdown released the 32-byte pool block"));
}

TEST(PoolQuarantineTest, AWriteAfterTheFreeIsFoundWhenLaterFreesPushTheBlockOut) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 64, kTag));
  ASSERT_NE(block, nullptr);
  ExFreePool(block);
  block[0] = 0x11;
  const SIZE_T big = SIZE_T{1} << 20;
  const kemu::BugCheck crash = CrashOf([&] {
    for (int i = 0; i < 5; ++i) ExFreePool(ExAllocatePoolWithTag(NonPagedPool, big, kTag));
  });
  EXPECT_THAT(crash, BugCheckIs(kFreedPool, Address(block), kWrite, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("ExFreePool released the 64-byte pool block"));
}

TEST(PoolQuarantineTest, FreeingAfterFlushingTheDpcIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  int runs = 0;
  KeInitializeDpc(&context->dpc, CountDpc, &runs);
  KeInsertQueueDpc(&context->dpc, nullptr, nullptr);
  KeFlushQueuedDpcs();  // DPC-11: every DPC queued before it has run when it returns
  ExFreePoolWithTag(context, kTag);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
  EXPECT_EQ(runs, 1);
}

TEST(PoolQuarantineTest, AContextPointerIntoFreedPoolThatIsOnlyPassedOnIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* freed = AllocateContext();
  ExFreePool(freed);
  KDPC dpc;
  KeInitializeDpc(
      &dpc, [](PKDPC, PVOID, PVOID, PVOID) {}, freed);
  KeInsertQueueDpc(&dpc, freed, &freed->lock);
  KeFlushQueuedDpcs();
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(PoolQuarantineTest, BlocksPastTheBudgetGoBackToTheHostAndAReallocationIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* first = AllocateContext();
  ExFreePool(first);
  EXPECT_EQ(Quarantine(machine).size(), 1u);
  const SIZE_T big = SIZE_T{1} << 20;
  for (int i = 0; i < 5; ++i) ExFreePool(ExAllocatePoolWithTag(NonPagedPool, big, kTag));
  EXPECT_LE(Quarantine(machine).bytes(), kemu::model::PoolQuarantine::kBudgetBytes);
  EXPECT_EQ(Quarantine(machine).Holding(Address(first)), nullptr);
  // The host may hand the released address out again: a block there is live, not freed.
  std::vector<Context*> blocks;
  for (int i = 0; i < 16; ++i) {
    Context* context = AllocateContext();
    KeInitializeSpinLock(&context->lock);
    KIRQL old = PASSIVE_LEVEL;
    KeAcquireSpinLock(&context->lock, &old);
    KeReleaseSpinLock(&context->lock, old);
    blocks.push_back(context);
  }
  for (Context* context : blocks) ExFreePool(context);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(PoolQuarantineTest, ADoubleFreeIsStillReportedAsADoubleFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  PVOID block = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
  ExFreePool(block);
  EXPECT_THAT(
      CrashOf([&] { ExFreePool(block); }),
      BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation, 0x13, 0, Address(block), 0));
}

TEST(PoolQuarantineTest, ARaceReportNamesAnAddressInAFreedBlock) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  Context* context = AllocateContext();
  ExFreePoolWithTag(context, kTag);
  EXPECT_THAT(
      machine.kernel().DescribePoolAddress(Address(&context->lock)),
      HasSubstr("offset 0x10 of the " + std::to_string(sizeof(Context)) + "-byte pool block"));
}

// Without Verifier the block goes back to the host, but kemu remembers where the last ones were:
// a spin lock taken in one is reported as a lock in freed pool, not as a lock never initialised.
TEST(PoolQuarantineTest, WithoutVerifierAnAddressInARecentlyFreedBlockIsDescribed) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  Context* context = AllocateContext();
  ExFreePoolWithTag(context, kTag);
  const std::uint64_t free_event = machine.kernel().trace().sequence();
  EXPECT_EQ(machine.kernel().pool().DescribeFreed(Address(&context->lock)),
            "offset 0x10 of the " + std::to_string(sizeof(Context)) +
                "-byte pool block tagged 'kemu' (0x756d656b) that ExFreePoolWithTag freed at trace "
                "event " +
                std::to_string(free_event));
  EXPECT_EQ(machine.kernel().pool().DescribeFreed(Address(context) + sizeof(Context)), "");
  // Handed out again: the new block is live, and the freed one is no longer named.
  Context* again = AllocateContext();
  if (again == context) {
    EXPECT_EQ(machine.kernel().pool().DescribeFreed(Address(&context->lock)), "");
  }
  ExFreePoolWithTag(again, kTag);
}

TEST(PoolQuarantineTest, ASpinLockInFreedPoolIsReportedWithTheFreeThatEndedIt) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(kemu::MachineOptions{.verifier = verifier});
    KSPIN_LOCK stale = 0x1234560;  // what the host allocator may leave in the word
    const kemu::BugCheck crash = CrashOf([&] {
      machine.kernel().verifier().AcquireUninitialized(
          "KeAcquireSpinLockAtDpcLevel", &stale,
          "offset 0x10 of the 64-byte pool block tagged 'kemu' (0x756d656b) that "
          "ExFreePoolWithTag freed at trace event 7");
    });
    EXPECT_EQ(crash.code(), verifier ? kemu::bugcheck::kDriverVerifierDetectedViolation
                                     : kemu::bugcheck::kSpinLockAlreadyOwned);
    EXPECT_THAT(crash.what(), HasSubstr("not a live lock: it lies at offset 0x10 of the 64-byte "
                                        "pool block tagged 'kemu' (0x756d656b) that "
                                        "ExFreePoolWithTag freed at trace event 7, so the driver "
                                        "uses it after freeing the memory it lives in"));
  }
}

TEST(PoolQuarantineTest, WithoutVerifierAFreedBlockGoesBackToTheHostAtOnce) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  ExFreePool(AllocateContext());
  EXPECT_TRUE(Quarantine(machine).empty());
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
