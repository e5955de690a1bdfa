// The untagged pool routines ExAllocatePool and ExAllocatePoolWithQuota (POOL-9): the exports tag
// the block "None"; a driver built with POOL_TAGGING gets the WDK's macros, which allocate through
// the tagged routines with "Wdm ". Either block is pool like any other: ExFreePool frees it, and
// the tag rules, IRQL rules and fault injection apply.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"
#include "pool_untagged_calls.h"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace bad_pool = ::kemu::bad_pool_caller;
constexpr std::uint32_t kBadPoolCaller = kemu::bugcheck::kBadPoolCaller;
constexpr ULONG kNone = 0x656E6F4E;                   // "None"
constexpr ULONG kWdm = 0x206D6457;                    // "Wdm "
constexpr ULONG kOtherTag = 0x72687441;               // "Athr"
constexpr std::uint32_t kQuotaExceeded = 0xC000009A;  // STATUS_INSUFFICIENT_RESOURCES

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class PoolUntaggedTest : public kemu::testing::PersonalityTest {};

TEST_P(PoolUntaggedTest, ExAllocatePoolTagsTheBlockNone) {
  PVOID block = ExAllocatePool(NonPagedPool, 40);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 1u);
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(block, kOtherTag); }),
              BugCheckIs(kBadPoolCaller, bad_pool::kWrongTag, Address(block), kNone, kOtherTag));
}

TEST_P(PoolUntaggedTest, ExFreePoolOrTheNoneTagFreesIt) {
  PVOID first = ExAllocatePool(PagedPool, 16);
  PVOID second = ExAllocatePoolWithQuota(NonPagedPoolNx, 16);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ExFreePool(first);
  ExFreePoolWithTag(second, kNone);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(PoolUntaggedTest, ALeakedUntaggedBlockNamesItsRoutineAndTag) {
  PVOID block = ExAllocatePool(PagedPool, 24);
  ASSERT_NE(block, nullptr);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak.what(), HasSubstr("tag 'None' (0x656e6f4e)"));
  EXPECT_THAT(leak.what(), HasSubstr("ExAllocatePool allocated it"));
}

TEST_P(PoolUntaggedTest, PoolTaggingMakesThemTheTaggedRoutinesWithTheWdmTag) {
  PVOID block = PoolTaggingAllocate(32);
  ASSERT_NE(block, nullptr);
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(block, kOtherTag); }),
              BugCheckIs(kBadPoolCaller, bad_pool::kWrongTag, Address(block), kWdm, kOtherTag));
}

TEST_P(PoolUntaggedTest, PoolTaggingQuotaBlocksAreFreedWithTheWdmTag) {
  PVOID block = PoolTaggingAllocateWithQuota(32);
  ASSERT_NE(block, nullptr);
  ExFreePoolWithTag(block, kWdm);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(PoolUntaggedTest, AFailedQuotaAllocationRaisesUnlessToldToReturnNull) {
  machine().InjectFault({.routine = "ExAllocatePoolWithQuota"});
  EXPECT_THAT(CrashOf([] { ExAllocatePoolWithQuota(PagedPool, 16); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kQuotaExceeded, 0, 0, 0));
}

TEST_P(PoolUntaggedTest, AFailedQuotaAllocationAskedNotToRaiseReturnsNull) {
  machine().InjectFault({.routine = "ExAllocatePoolWithQuota"});
  const auto type = static_cast<POOL_TYPE>(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE);
  EXPECT_EQ(ExAllocatePoolWithQuota(type, 16), nullptr);
  machine().InjectFault({.routine = "ExAllocatePool"});
  EXPECT_EQ(ExAllocatePool(NonPagedPool, 16), nullptr);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(PoolUntaggedTest, PagedPoolAtDispatchLevelIsTheWrongIrql) {
  // The rule of the tagged routines, under the untagged routine's name.
  const kemu::BugCheck crash = CrashOf([] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExAllocatePool(PagedPool, 16);
  });
  EXPECT_THAT(crash,
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kPagedPoolAboveApc, DISPATCH_LEVEL, PagedPool, 16));
  EXPECT_THAT(crash.what(), HasSubstr("ExAllocatePool asked for 16 bytes of paged pool"));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, PoolUntaggedTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
