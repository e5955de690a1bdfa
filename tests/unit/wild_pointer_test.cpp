// A pointer to nothing (an uninitialised or corrupted field) or an array shorter than its count,
// handed to a routine that reads through it: Windows takes the page fault inside the routine and
// stops; kemu reports the same fault, never its own process faulting (audit round 19, B-S5, B-S7,
// B-S8; docs/kernel.md, "Waits"). Also a buffer in freed pool given to the memory manager under
// Driver Verifier (B-S2).
#include <ntddk.h>  // MmGetPhysicalAddress, MmIsAddressValid

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint64_t kStatusAccessViolation = 0xC0000005;
constexpr std::uint32_t kKmodeException = kemu::bugcheck::kKmodeExceptionNotHandled;
constexpr std::uint32_t kBeyondAllocation = kemu::bugcheck::kPageFaultBeyondEndOfAllocation;

// Canonical, and mapped by nothing in a test program.
void* const kWild = reinterpret_cast<void*>(std::uintptr_t{0x0000123456780000});
const std::uint64_t kWildAddress = 0x0000123456780000;

class WildPointerTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, WildPointerTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(WildPointerTest, KeSetEventOnAWildPointerIsAnAccessViolation) {
  EXPECT_THAT(CrashOf([] { KeSetEvent(static_cast<PRKEVENT>(kWild), IO_NO_INCREMENT, FALSE); }),
              BugCheckIs(kKmodeException, kStatusAccessViolation, 0, 0, kWildAddress));
}

TEST_P(WildPointerTest, KeWaitForSingleObjectOnAWildPointerIsAnAccessViolation) {
  EXPECT_THAT(
      CrashOf([] { (void)KeWaitForSingleObject(kWild, Executive, KernelMode, FALSE, nullptr); }),
      BugCheckIs(kKmodeException, kStatusAccessViolation, 0, 0, kWildAddress));
}

TEST_P(WildPointerTest, AWildTimeoutPointerIsAnAccessViolation) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  EXPECT_THAT(CrashOf([&] {
                (void)KeWaitForSingleObject(&event, Executive, KernelMode, FALSE,
                                            static_cast<PLARGE_INTEGER>(kWild));
              }),
              BugCheckIs(kKmodeException, kStatusAccessViolation, 0, 0, kWildAddress));
}

TEST_P(WildPointerTest, AWildObjectArrayIsAnAccessViolation) {
  EXPECT_THAT(CrashOf([] {
                (void)KeWaitForMultipleObjects(2, static_cast<PVOID*>(kWild), WaitAny, Executive,
                                               KernelMode, FALSE, nullptr, nullptr);
              }),
              BugCheckIs(kKmodeException, kStatusAccessViolation, 0, 0, kWildAddress));
}

TEST_P(WildPointerTest, KeReleaseSemaphoreOnAWildPointerIsAnAccessViolation) {
  EXPECT_THAT(CrashOf([] {
                (void)KeReleaseSemaphore(static_cast<PRKSEMAPHORE>(kWild), IO_NO_INCREMENT, 1,
                                         FALSE);
              }),
              BugCheckIs(kKmodeException, kStatusAccessViolation, 0, 0, kWildAddress));
}

TEST_P(WildPointerTest, MmBuildMdlForNonPagedPoolOfAWildMdlIsAnAccessViolation) {
  EXPECT_THAT(CrashOf([] { MmBuildMdlForNonPagedPool(static_cast<PMDL>(kWild)); }),
              BugCheckIs(kKmodeException, kStatusAccessViolation, 0, 0, kWildAddress));
}

// Without deadlock detection the lock word itself is read.
TEST(WildPointerRulesTest, AcquiringAWildSpinLockOnARetailKernelIsAFault) {
  kemu::Machine machine({.verifier = false, .checked_build = false});
  KIRQL old = 0;
  const kemu::BugCheck crash =
      CrashOf([&] { KeAcquireSpinLock(static_cast<PKSPIN_LOCK>(kWild), &old); });
  // KeAcquireSpinLock raises to DISPATCH_LEVEL before it touches the lock: 0xA there.
  EXPECT_THAT(crash,
              BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, kWildAddress, DISPATCH_LEVEL, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("SpinLock"));
}

// The array is Count entries long: one entry in a pool block, three waited on.
TEST_P(WildPointerTest, AnObjectArrayShorterThanCountIsAReadBeyondItsPoolBlock) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, TRUE);
  auto* objects = static_cast<PVOID*>(ExAllocatePoolWithTag(NonPagedPool, sizeof(PVOID), 'tsiL'));
  objects[0] = &event;
  const kemu::BugCheck crash = CrashOf([&] {
    (void)KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE, nullptr,
                                   nullptr);
  });
  EXPECT_THAT(crash,
              BugCheckIs(kBeyondAllocation,
                         reinterpret_cast<std::uintptr_t>(objects) + sizeof(PVOID), 0, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("read 24 bytes of Object"));
}

TEST_P(WildPointerTest, AnObjectArrayAsLongAsCountIsSilent) {
  KEVENT events[2];
  KeInitializeEvent(&events[0], NotificationEvent, FALSE);
  KeInitializeEvent(&events[1], NotificationEvent, TRUE);
  auto* objects =
      static_cast<PVOID*>(ExAllocatePoolWithTag(NonPagedPool, 2 * sizeof(PVOID), 'tsiL'));
  objects[0] = &events[0];
  objects[1] = &events[1];
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, nullptr, nullptr),
      STATUS_WAIT_1);
  ExFreePoolWithTag(objects, 'tsiL');
  EXPECT_FALSE(machine().crashed());
}

// The page: WaitBlockArray "must point to a memory buffer of sizeof(KWAIT_BLOCK) * Count bytes".
// Special pool's guard page sees a shorter one (Driver Verifier only: kemu does not write it).
// Four signalled events and the object array a WaitAll over them passes.
struct FourEvents {
  KEVENT events[4];
  PVOID objects[4];
  FourEvents() {
    for (int i = 0; i < 4; ++i) {
      KeInitializeEvent(&events[i], NotificationEvent, TRUE);
      objects[i] = &events[i];
    }
  }
};

TEST(WildPointerRulesTest, AWaitBlockArrayShorterThanCountIsAWriteBeyondItsPoolBlock) {
  kemu::Machine machine({.os = kemu::Os::kWindows10});
  FourEvents four;
  auto* blocks = static_cast<PKWAIT_BLOCK>(
      ExAllocatePoolWithTag(NonPagedPool, 2 * sizeof(KWAIT_BLOCK), 'kBW'));
  EXPECT_THAT(
      CrashOf([&] {
        (void)KeWaitForMultipleObjects(4, four.objects, WaitAll, Executive, KernelMode, FALSE,
                                       nullptr, blocks);
      }),
      BugCheckIs(kBeyondAllocation,
                 reinterpret_cast<std::uintptr_t>(blocks) + 2 * sizeof(KWAIT_BLOCK), 1, 0, 0));
}

TEST(WildPointerRulesTest, AWaitBlockArrayOfCountBlocksIsSilent) {
  kemu::Machine machine({.os = kemu::Os::kWindows10});
  FourEvents four;
  auto* blocks = static_cast<PKWAIT_BLOCK>(
      ExAllocatePoolWithTag(NonPagedPool, 4 * sizeof(KWAIT_BLOCK), 'kBW'));
  EXPECT_EQ(KeWaitForMultipleObjects(4, four.objects, WaitAll, Executive, KernelMode, FALSE,
                                     nullptr, blocks),
            STATUS_WAIT_0);
  ExFreePoolWithTag(blocks, 'kBW');
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// Under Driver Verifier a freed block's page is gone (special pool): it has no physical address,
// and building an MDL over it is the fault in freed special pool.
TEST(WildPointerRulesTest, MmGetPhysicalAddressOfFreedPoolIsZeroUnderVerifier) {
  kemu::Machine machine({.os = kemu::Os::kWindows10});
  void* buffer = ExAllocatePoolWithTag(NonPagedPool, 256, 'fuB');
  EXPECT_NE(MmGetPhysicalAddress(buffer).QuadPart, 0);
  ExFreePoolWithTag(buffer, 'fuB');
  EXPECT_EQ(MmGetPhysicalAddress(buffer).QuadPart, 0);
  EXPECT_FALSE(MmIsAddressValid(buffer));  // the two agree
}

TEST(WildPointerRulesTest, AnMdlOverFreedPoolIsAPageFaultInFreedSpecialPool) {
  kemu::Machine machine({.os = kemu::Os::kWindows10});
  void* buffer = ExAllocatePoolWithTag(NonPagedPool, 256, 'fuB');
  PMDL mdl = IoAllocateMdl(buffer, 256, FALSE, FALSE, nullptr);
  ExFreePoolWithTag(buffer, 'fuB');
  const kemu::BugCheck crash = CrashOf([&] { MmBuildMdlForNonPagedPool(mdl); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverPageFaultInFreedSpecialPool,
                                reinterpret_cast<std::uintptr_t>(buffer)));
  EXPECT_THAT(crash.what(), HasSubstr("the MDL's buffer"));
}

}  // namespace
