// Driver Verifier's lookaside-list checks (Vista on, docs/verifier-rules.md; audit round 14): a
// live list initialized again (0xCA), a list deleted that is not initialized (0xCB), and entries
// smaller than the link a free keeps in them (0xCD); each with the correct use that stays silent
// and what a kernel without those checks does.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace vc = ::kemu::verifier_code;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr ULONG kTag = 0x6B6F6F4C;  // "Look"
constexpr SIZE_T kEntryBytes = 48;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

TEST(LookasideRulesTest, InitializingALiveListAgainIs0xCAUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  const kemu::BugCheck crash = CrashOf(
      [&] { ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kLookasideReinitialized, Address(&list), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("which is initialized already"));
}

TEST(LookasideRulesTest, InitializingALiveExListAgainIs0xCAToo) {
  kemu::Machine machine(kemu::Os::kWindowsVista);
  LOOKASIDE_LIST_EX list;
  ASSERT_EQ(
      ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPool, 0, kEntryBytes, kTag, 0),
      STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] {
                ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPool, 0, kEntryBytes,
                                            kTag, 0);
              }),
              BugCheckIs(kVerifier, vc::kLookasideReinitialized, Address(&list), 0, 0));
}

TEST(LookasideRulesTest, InitializingAgainAfterDeleteIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  ExDeleteNPagedLookasideList(&list);
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  ExFreeToNPagedLookasideList(&list, ExAllocateFromNPagedLookasideList(&list));
  ExDeleteNPagedLookasideList(&list);
  EXPECT_FALSE(machine.crashed());
  machine.Shutdown();
}

TEST(LookasideRulesTest, WithoutTheCheckAReinitializedListStartsEmptyAndItsEntriesLeak) {
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.os = kemu::Os::kWindowsXP},
        kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false}}) {
    SCOPED_TRACE(::testing::Message() << options.os << " verifier " << options.verifier);
    kemu::Machine machine(options);
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    PVOID entry = ExAllocateFromNPagedLookasideList(&list);
    ASSERT_NE(entry, nullptr);
    ExFreeToNPagedLookasideList(&list, entry);  // cached by the list
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    EXPECT_FALSE(machine.crashed());
    EXPECT_EQ(list.L.TotalFrees, 0u) << "the list starts again";
    ExDeleteNPagedLookasideList(&list);
    EXPECT_EQ(machine.pool_allocations(), 1u) << "the entry the first list cached is lost";
    ExFreePool(entry);
  }
}

TEST(LookasideRulesTest, DeletingAListNeverInitializedIs0xCBUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  NPAGED_LOOKASIDE_LIST list{};
  const kemu::BugCheck crash = CrashOf([&] { ExDeleteNPagedLookasideList(&list); });
  EXPECT_THAT(crash,
              BugCheckIs(kVerifier, vc::kDeleteUninitializedLookaside, Address(&list), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("which is not initialized"));
}

TEST(LookasideRulesTest, DeletingAnExListTwiceIs0xCBUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows7);
  LOOKASIDE_LIST_EX list;
  ASSERT_EQ(
      ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPool, 0, kEntryBytes, kTag, 0),
      STATUS_SUCCESS);
  ExDeleteLookasideListEx(&list);
  EXPECT_THAT(CrashOf([&] { ExDeleteLookasideListEx(&list); }),
              BugCheckIs(kVerifier, vc::kDeleteUninitializedLookaside, Address(&list), 0, 0));
}

TEST(LookasideRulesTest, WithoutTheCheckDeletingAnUninitializedListIsKemusInvalidObject) {
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.os = kemu::Os::kWindowsXP},
        kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false}}) {
    SCOPED_TRACE(::testing::Message() << options.os << " verifier " << options.verifier);
    kemu::Machine machine(options);
    PAGED_LOOKASIDE_LIST list{};
    EXPECT_THAT(CrashOf([&] { ExDeletePagedLookasideList(&list); }),
                BugCheckIs(kVerifier, vc::kInvalidKernelObject, Address(&list), 0, 0));
  }
}

TEST(LookasideRulesTest, EntriesSmallerThanTheMinimumBlockSizeAre0xCDUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  NPAGED_LOOKASIDE_LIST list;
  const kemu::BugCheck crash =
      CrashOf([&] { ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, 4, kTag, 0); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kLookasideBlockTooSmall, Address(&list), 4,
                                LOOKASIDE_MINIMUM_BLOCK_SIZE));
  EXPECT_THAT(crash.what(), HasSubstr("LOOKASIDE_MINIMUM_BLOCK_SIZE"));
}

TEST(LookasideRulesTest, EntriesOfExactlyTheMinimumBlockSizeAreSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  LOOKASIDE_LIST_EX list;
  ASSERT_EQ(ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPool, 0,
                                        LOOKASIDE_MINIMUM_BLOCK_SIZE, kTag, 0),
            STATUS_SUCCESS);
  PVOID entry = ExAllocateFromLookasideListEx(&list);
  ASSERT_NE(entry, nullptr);
  ExFreeToLookasideListEx(&list, entry);
  ExDeleteLookasideListEx(&list);
  EXPECT_FALSE(machine.crashed());
  machine.Shutdown();
}

}  // namespace
