// Executive pool: ExAllocatePoolWithTag(Priority), ExAllocatePoolWithQuotaTag, ExAllocatePool2, the
// header helpers ExAllocatePoolZero / ExAllocatePoolUninitialized, ExFreePool(WithTag); the IRQL,
// tag and double-free rules in each kernel mode, the leak report at shutdown and tag-narrowed fault
// injection (low resources simulation).
#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>
#include <cstring>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace bad_pool = ::kemu::bad_pool_caller;
namespace vc = ::kemu::verifier_code;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kBadPoolCaller = kemu::bugcheck::kBadPoolCaller;

// 'umek' as a driver would write it (a multi-character literal): the debugger shows "kemu".
constexpr ULONG kTag = 0x756D656B;
constexpr ULONG kOtherTag = 0x72687441;  // "Athr"

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions Verifier() { return {.verifier = true}; }
kemu::MachineOptions Checked() { return {.verifier = false, .checked_build = true}; }
kemu::MachineOptions Retail() { return {.verifier = false, .checked_build = false}; }

class PoolTest : public kemu::testing::PersonalityTest {};

TEST_P(PoolTest, AllocatedBlockIsWritableAlignedAndFreedWithItsTag) {
  auto* block = static_cast<unsigned char*>(ExAllocatePoolWithTag(NonPagedPool, 100, kTag));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(Address(block) % 16, 0u);
  std::memset(block, 0x5A, 100);
  EXPECT_EQ(machine().pool_allocations(), 1u);
  ExFreePoolWithTag(block, kTag);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(PoolTest, UninitialisedPoolHoldsTheSameFillOnEveryRun) {
  auto* block = static_cast<unsigned char*>(ExAllocatePoolWithTag(PagedPool, 8, kTag));
  ASSERT_NE(block, nullptr);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(block[i], 0xA5) << i;
  ExFreePool(block);
}

// Without POOL_ZERO_DOWN_LEVEL_SUPPORT the helper relies on the kernel, which zeroes on request
// from Windows 10 version 2004 on (pool_zero_helpers_test.cpp has the recipe for older releases).
TEST_P(PoolTest, ExAllocatePoolZeroReturnsZeroedMemoryFromWindows10On) {
  auto* block = static_cast<unsigned char*>(ExAllocatePoolZero(NonPagedPool, 32, kTag));
  ASSERT_NE(block, nullptr);
  const unsigned char expected = GetParam() >= kemu::Os::kWindows10 ? 0 : 0xA5;
  for (int i = 0; i < 32; ++i) EXPECT_EQ(block[i], expected) << i;
  ExFreePoolWithTag(block, kTag);
}

TEST_P(PoolTest, PageSizedBlocksArePageAlignedAndCacheAlignedTypesCacheLineAligned) {
  PVOID page = ExAllocatePoolWithTag(NonPagedPool, 4096, kTag);
  PVOID line = ExAllocatePoolWithTag(NonPagedPoolCacheAligned, 24, kTag);
  EXPECT_EQ(Address(page) % 4096, 0u);
  EXPECT_EQ(Address(line) % 64, 0u);
  ExFreePool(page);
  ExFreePool(line);
}

TEST_P(PoolTest, NonPagedPoolMayBeAllocatedAndFreedAtDispatchLevel) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 64, kTag);
  EXPECT_NE(block, nullptr);
  ExFreePoolWithTag(block, kTag);
  KeLowerIrql(old);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(PoolTest, ARequestLargerThanKemuHandsOutFailsWithNull) {
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPool, ~SIZE_T{0}, kTag), nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(PoolTest, ALeakedBlockIsReportedAtShutdownWithTagSizeAndAllocatingCall) {
  PVOID block = ExAllocatePoolWithTag(PagedPool, 48, kTag);
  ASSERT_NE(block, nullptr);
  // Verifier is on by default: pool alone left behind is its pool tracking's 0x62.
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kPoolLeakedAtUnload, 0, Address(block), 1));
  EXPECT_THAT(leak.what(), HasSubstr("48 bytes of paged pool, tag 'kemu' (0x756d656b)"));
  EXPECT_THAT(leak.what(), HasSubstr("ExAllocatePoolWithTag allocated it"));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, PoolTest, kemu::testing::AllOs(), kemu::testing::OsName());

// A machine for tests that pick the kernel mode.
struct PoolMachine {
  explicit PoolMachine(kemu::MachineOptions options) : machine(options) {}
  kemu::Machine machine;
};

TEST(PoolRulesTest, PagedAllocationAtDispatchLevelBugChecksUnderVerifier) {
  PoolMachine m(Verifier());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { ExAllocatePoolWithTag(PagedPool, 16, kTag); }),
              BugCheckIs(kVerifier, vc::kPagedPoolAboveApc, DISPATCH_LEVEL, PagedPool, 16));
}

TEST(PoolRulesTest, NonPagedAllocationAboveDispatchBugChecksUnderVerifier) {
  PoolMachine m(Verifier());
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  EXPECT_THAT(
      CrashOf([] { ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag); }),
      BugCheckIs(kVerifier, vc::kNonPagedPoolAboveDispatch, CLOCK_LEVEL, NonPagedPoolNx, 16));
}

TEST(PoolRulesTest, AllocationAtABadIrqlIsBadPoolCallerWithoutVerifier) {
  for (const kemu::MachineOptions& options : {Checked(), Retail()}) {
    PoolMachine m(options);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT(
        CrashOf([] { ExAllocatePoolWithTag(PagedPool, 16, kTag); }),
        BugCheckIs(kBadPoolCaller, bad_pool::kAllocateAtBadIrql, DISPATCH_LEVEL, PagedPool, 16));
  }
}

TEST(PoolRulesTest, ZeroByteAllocationBugChecksUnderVerifierAndOnACheckedKernel) {
  {
    PoolMachine m(Verifier());
    EXPECT_THAT(CrashOf([] { ExAllocatePoolWithTag(NonPagedPool, 0, kTag); }),
                BugCheckIs(kVerifier, vc::kPoolZeroBytes, PASSIVE_LEVEL, NonPagedPool, 0));
  }
  {
    PoolMachine m(Checked());
    EXPECT_THAT(CrashOf([] { ExAllocatePoolWithTag(PagedPool, 0, kTag); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kZeroBytes, 0, PagedPool, kTag));
  }
}

// Must-succeed pool is refused by the pool itself from Windows XP on, whatever the checks
// (Bug Check 0xC2, 0x9A "no longer supported"; audit round 15, O4).
TEST(PoolRulesTest, MustSucceedPoolIsBadPoolCaller0x9AInEveryModeFromXp) {
  for (kemu::MachineOptions options : {Verifier(), Checked(), Retail()}) {
    for (const kemu::Os os : {kemu::Os::kWindowsXP, kemu::Os::kWindows7, kemu::Os::kWindows10}) {
      options.os = os;
      PoolMachine m(options);
      EXPECT_THAT(
          CrashOf([] { ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 64, kTag); }),
          BugCheckIs(kBadPoolCaller, bad_pool::kMustSucceed, NonPagedPoolMustSucceed, 64, kTag));
    }
  }
  PoolMachine m(Verifier());
  EXPECT_THAT(
      CrashOf([] { ExAllocatePoolWithTag(NonPagedPoolCacheAlignedMustS, 8, kTag); }),
      BugCheckIs(kBadPoolCaller, bad_pool::kMustSucceed, NonPagedPoolCacheAlignedMustS, 8, kTag));
}

TEST(PoolRulesTest, MustSucceedPoolIsOrdinaryPoolOnWindows2000) {
  PoolMachine m({.os = kemu::Os::kWindows2000});
  PVOID block = ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 64, kTag);
  ASSERT_NE(block, nullptr);
  ExFreePoolWithTag(block, kTag);
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
}

// Windows documents no outcome for a POOL_TYPE outside the enum and its modifier bits, so kemu
// hands out no pool for one: it stops by name (audit round 16, V5). Every defined combination
// still allocates.
TEST(PoolRulesTest, APoolTypeWindowsDoesNotDefineStopsByName) {
  for (const std::uint32_t type : {0x3u, 0x7u, 0x40u, 0x80u, 0x800u, 0x12345u}) {
    PoolMachine m(Verifier());
    EXPECT_THAT([type] { ExAllocatePoolWithTag(static_cast<POOL_TYPE>(type), 16, kTag); },
                ::testing::ThrowsMessage<kemu::NotModelled>(HasSubstr(
                    fmt::format("ExAllocatePoolWithTag with PoolType {:#x} (no POOL_TYPE", type))))
        << type;
    EXPECT_EQ(m.machine.pool_allocations(), 0u);
  }
  PoolMachine m(Verifier());
  const std::uint32_t defined[] = {NonPagedPool,
                                   PagedPool,
                                   NonPagedPoolCacheAligned,
                                   PagedPoolCacheAligned,
                                   NonPagedPoolNx,
                                   NonPagedPoolNxCacheAligned,
                                   32 /* NonPagedPoolSession */,
                                   33 /* PagedPoolSession */,
                                   NonPagedPoolNx | POOL_COLD_ALLOCATION | POOL_ZERO_ALLOCATION,
                                   PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE,
                                   PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE};
  for (const std::uint32_t type : defined) {
    PVOID block = ExAllocatePoolWithTag(static_cast<POOL_TYPE>(type), 16, kTag);
    EXPECT_NE(block, nullptr) << type;
    ExFreePoolWithTag(block, kTag);
  }
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
}

TEST(PoolRulesTest, ZeroByteAllocationSucceedsOnARetailKernel) {
  PoolMachine m(Retail());
  PVOID block = ExAllocatePoolWithTag(NonPagedPool, 0, kTag);
  EXPECT_NE(block, nullptr);
  ExFreePoolWithTag(block, kTag);
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
}

TEST(PoolRulesTest, FreeingPagedPoolAtDispatchLevelBugChecksInEveryMode) {
  struct Case {
    kemu::MachineOptions options;
    std::uint32_t code;
    std::uint64_t sub_code;
  };
  for (const Case& c : {Case{Verifier(), kVerifier, vc::kFreePagedPoolAboveApc},
                        Case{Checked(), kBadPoolCaller, bad_pool::kFreeAtBadIrql},
                        Case{Retail(), kBadPoolCaller, bad_pool::kFreeAtBadIrql}}) {
    PoolMachine m(c.options);
    PVOID block = ExAllocatePoolWithTag(PagedPool, 16, kTag);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(block, kTag); }),
                BugCheckIs(c.code, c.sub_code, DISPATCH_LEVEL, PagedPool, Address(block)));
  }
}

TEST(PoolRulesTest, FreeingNonPagedPoolAboveDispatchBugChecksUnderVerifier) {
  PoolMachine m(Verifier());
  PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExFreePool(block); }),
              BugCheckIs(kVerifier, vc::kFreeNonPagedPoolAboveDispatch, HIGH_LEVEL, NonPagedPoolNx,
                         Address(block)));
}

TEST(PoolRulesTest, DoubleFreeBugChecksInEveryMode) {
  {
    PoolMachine m(Verifier());
    PVOID block = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
    ExFreePoolWithTag(block, kTag);
    EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(block, kTag); }),
                BugCheckIs(kVerifier, vc::kFreePoolAlreadyFreed, 0, Address(block), 0));
  }
  for (const kemu::MachineOptions& options : {Checked(), Retail()}) {
    PoolMachine m(options);
    PVOID block = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
    ExFreePool(block);
    EXPECT_THAT(CrashOf([&] { ExFreePool(block); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kAlreadyFreed, 0, 0, Address(block)));
  }
}

TEST(PoolRulesTest, FreeingAnAddressNoAllocationReturnedBugChecks) {
  int on_the_stack = 0;
  {
    PoolMachine m(Verifier());
    EXPECT_THAT(CrashOf([&] { ExFreePool(&on_the_stack); }),
                BugCheckIs(kVerifier, vc::kFreeBadPoolAddress, Address(&on_the_stack), 0, 0));
  }
  {
    PoolMachine m(Retail());
    auto* block = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 16, kTag));
    // A pointer into a block is not a block.
    EXPECT_THAT(CrashOf([&] { ExFreePool(block + 8); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kNeverInAnyPool, Address(block + 8), 0, 0));
  }
}

TEST(PoolRulesTest, AnUntrackableTagIsBadPoolCallerUnderVerifier) {
  {
    PoolMachine m(Verifier());
    EXPECT_THAT(CrashOf([] { ExAllocatePoolWithTag(NonPagedPoolNx, 48, 0); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kZeroTag, NonPagedPoolNx, 48, 0));
    EXPECT_EQ(m.machine.pool_allocations(), 0u);
  }
  {
    PoolMachine m(Verifier());
    constexpr ULONG kBig = 0x20474942;  // "BIG "
    EXPECT_THAT(CrashOf([] { ExAllocatePoolWithTagPriority(PagedPool, 8, kBig, LowPoolPriority); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kBigTag, PagedPool, 8, 0));
  }
  {
    PoolMachine m(Verifier());
    constexpr ULONG kPunctuation = 0x2A2D2B21;  // "!+-*"
    EXPECT_THAT(CrashOf([] { ExAllocatePoolWithQuotaTag(NonPagedPool, 8, kPunctuation); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kTagWithoutLettersOrDigits, kPunctuation,
                           NonPagedPool, 0));
  }
}

TEST(PoolRulesTest, TagsWithALetterOrDigitPassAndRetailKernelsDoNotCheckTags) {
  {
    PoolMachine m(Verifier());
    for (const ULONG tag : {kTag, ULONG{0x20202031} /* "1   " */, kTag | PROTECTED_POOL}) {
      PVOID block = ExAllocatePoolWithTag(NonPagedPool, 8, tag);
      ASSERT_NE(block, nullptr);
      ExFreePoolWithTag(block, tag);
    }
    EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
  }
  for (const kemu::MachineOptions& options : {Checked(), Retail()}) {
    PoolMachine m(options);
    PVOID block = ExAllocatePoolWithTag(NonPagedPool, 8, 0);
    ASSERT_NE(block, nullptr);
    ExFreePool(block);
    EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
  }
}

TEST(PoolRulesTest, FreeingWithTheWrongTagIsBadPoolCallerUnderVerifierAndChecked) {
  for (const kemu::MachineOptions& options : {Verifier(), Checked()}) {
    PoolMachine m(options);
    PVOID block = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
    EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(block, kOtherTag); }),
                BugCheckIs(kBadPoolCaller, bad_pool::kWrongTag, Address(block), kTag, kOtherTag));
  }
}

TEST(PoolRulesTest, RetailKernelIgnoresTheTagUnlessTheBlockIsProtected) {
  PoolMachine m(Retail());
  PVOID plain = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
  ExFreePoolWithTag(plain, kOtherTag);
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
  EXPECT_EQ(m.machine.pool_allocations(), 0u);
  const ULONG protected_tag = kTag | PROTECTED_POOL;
  PVOID guarded = ExAllocatePoolWithTag(NonPagedPool, 16, protected_tag);
  EXPECT_THAT(CrashOf([&] { ExFreePool(guarded); }),
              BugCheckIs(kBadPoolCaller, bad_pool::kWrongTag, Address(guarded), protected_tag, 0));
}

TEST(PoolRulesTest, CorrectUseStaysSilentInEveryMode) {
  for (const kemu::MachineOptions& options : {Verifier(), Checked(), Retail()}) {
    PoolMachine m(options);
    KIRQL old;
    PVOID paged = ExAllocatePoolWithTag(PagedPool, 16, kTag);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PVOID nonpaged = ExAllocatePoolWithTag(NonPagedPoolNx, 16, kOtherTag);
    ExFreePoolWithTag(nonpaged, kOtherTag);
    KeLowerIrql(old);
    ExFreePoolWithTag(paged, kTag);
    EXPECT_NO_THROW(m.machine.Shutdown());
    EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
  }
}

TEST(PoolRulesTest, LeakedPoolJoinsKemusLeakReportWithoutVerifier) {
  PoolMachine m(Checked());
  PVOID block = ExAllocatePoolWithTag(NonPagedPool, 24, kTag);
  const kemu::BugCheck leak = CrashOf([&] { m.machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kLeakAtShutdown, 1, Address(block), 0));
  EXPECT_THAT(leak.what(), HasSubstr("24 bytes of nonpaged pool, tag 'kemu'"));
}

TEST(PoolRulesTest, LeakedPoolBesideOtherLeaksIsOneKemuLeakReportUnderVerifier) {
  PoolMachine m(Verifier());
  ExAllocatePoolWithTag(NonPagedPool, 24, kTag);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck leak = CrashOf([&] { m.machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kLeakAtShutdown));
  EXPECT_EQ(leak.parameter(1), 2u);
  EXPECT_THAT(leak.what(), HasSubstr("still at IRQL 2"));
  EXPECT_THAT(leak.what(), HasSubstr("tag 'kemu'"));
}

TEST(PoolQuotaTest, QuotaAllocationRaisesOnFailureUnlessToldToReturnNull) {
  {
    PoolMachine m(Verifier());
    m.machine.InjectFault({.routine = "ExAllocatePoolWithQuotaTag"});
    EXPECT_THAT(CrashOf([] { ExAllocatePoolWithQuotaTag(PagedPool, 16, kTag); }),
                BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC000009A, 0, 0, 0));
  }
  {
    PoolMachine m(Verifier());
    m.machine.InjectFault({.routine = "ExAllocatePoolWithQuotaTag"});
    const auto type = static_cast<POOL_TYPE>(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE);
    EXPECT_EQ(ExAllocatePoolWithQuotaTag(type, 16, kTag), nullptr);
    PVOID block = ExAllocatePoolWithQuotaTag(type, 16, kTag);
    EXPECT_NE(block, nullptr);
    ExFreePoolWithTag(block, kTag);
  }
}

TEST(PoolPriorityTest, PriorityAllocationIsAnAllocationWithTagWhateverThePriority) {
  PoolMachine m(Verifier());
  for (EX_POOL_PRIORITY priority :
       {LowPoolPriority, NormalPoolPriority, HighPoolPrioritySpecialPoolOverrun}) {
    auto* block = static_cast<unsigned char*>(
        ExAllocatePoolWithTagPriority(NonPagedPoolNx, 24, kTag, priority));
    ASSERT_NE(block, nullptr);
    block[23] = 1;
    ExFreePoolWithTag(block, kTag);
  }
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);  // the pool rules are ExAllocatePoolWithTag's
  EXPECT_THAT(CrashOf([] { ExAllocatePoolWithTagPriority(PagedPool, 8, kTag, LowPoolPriority); }),
              BugCheckIs(kVerifier, vc::kPagedPoolAboveApc, DISPATCH_LEVEL, PagedPool, 8));
}

TEST(PoolPriorityTest, AFaultFailsAPriorityAllocationWhateverThePriority) {
  {
    PoolMachine m(Verifier());
    m.machine.InjectFault({.routine = "ExAllocatePoolWithTagPriority"});
    EXPECT_EQ(ExAllocatePoolWithTagPriority(NonPagedPoolNx, 16, kTag, HighPoolPriority), nullptr);
    PVOID block = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 16, kTag, HighPoolPriority);
    EXPECT_NE(block, nullptr);
    ExFreePoolWithTag(block, kTag);
  }
  PoolMachine m(Verifier());
  m.machine.InjectFault({.routine = "ExAllocatePoolWithTagPriority"});
  const auto raising = static_cast<POOL_TYPE>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE);
  EXPECT_THAT(
      CrashOf([&] { ExAllocatePoolWithTagPriority(raising, 16, kTag, NormalPoolPriority); }),
      BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC000009A, 0, 0, 0));
}

TEST(PoolFaultTest, AFaultNarrowedToATagFailsOnlyThatTagsAllocations) {
  PoolMachine m(Verifier());
  m.machine.InjectFault({.routine = "ExAllocatePoolWithTag", .count = 0, .tag = kOtherTag});
  PVOID mine = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
  EXPECT_NE(mine, nullptr);
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPool, 16, kOtherTag), nullptr);
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPool, 16, kOtherTag), nullptr);
  ExFreePool(mine);
}

TEST(PoolFaultTest, TheNthAllocationOfATagFails) {
  PoolMachine m(Verifier());
  m.machine.InjectFault({.routine = "ExAllocatePoolWithTag", .nth = 2, .tag = kTag});
  PVOID first = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
  PVOID other = ExAllocatePoolWithTag(NonPagedPool, 16, kOtherTag);  // not counted
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPool, 16, kTag), nullptr);
  PVOID third = ExAllocatePoolWithTag(NonPagedPool, 16, kTag);
  EXPECT_NE(first, nullptr);
  EXPECT_NE(third, nullptr);
  ExFreePool(first);
  ExFreePool(other);
  ExFreePool(third);
}

TEST(PoolFaultTest, ProbabilisticFaultsFollowTheSeed) {
  auto failures = [](std::uint64_t seed) {
    PoolMachine m({.seed = seed});
    m.machine.InjectFault({.routine = "ExAllocatePoolWithTag", .count = 0, .probability = 0.5});
    std::uint64_t pattern = 0;
    for (int i = 0; i < 64; ++i) {
      PVOID block = ExAllocatePoolWithTag(NonPagedPool, 8, kTag);
      if (block == nullptr) {
        pattern |= std::uint64_t{1} << i;
      } else {
        ExFreePool(block);
      }
    }
    return pattern;
  };
  EXPECT_EQ(failures(7), failures(7));
  EXPECT_NE(failures(7), failures(8));
  EXPECT_NE(failures(7), 0u);
}

TEST(PoolFaultTest, ATagOnAFaultOfAnotherRoutineIsRefused) {
  PoolMachine m(Verifier());
  EXPECT_THROW(m.machine.InjectFault({.routine = "MmMapIoSpace", .tag = kTag}), kemu::Error);
}

}  // namespace
