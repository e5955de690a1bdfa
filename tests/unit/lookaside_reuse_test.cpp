// Entries after they are freed to a lookaside list: the list owns them until it hands them out
// again. Freeing one a second time (to the list or to pool) is a double free, reported where the
// driver makes it; writing into one changes the link the list follows, reported (kemu's 0xC4 /
// 0x4B45001A) before kemu would follow it. kemu once read such links out of freed memory (found
// by kemu_fuzz_kernel_api under AddressSanitizer).
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

namespace vc = ::kemu::verifier_code;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr ULONG kTag = 0x73756552;  // "Reus"
constexpr SIZE_T kEntryBytes = 48;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions Options(bool verifier) {
  return {.os = kemu::Os::kWindows10, .verifier = verifier, .checked_build = false};
}

// The double free's bug check: 0xC4 / 0x13 under Verifier, 0xC2 / 7 without.
::testing::Matcher<const kemu::BugCheck&> DoubleFreeOf(const void* entry, bool verifier) {
  return verifier ? BugCheckIs(kVerifier, vc::kFreePoolAlreadyFreed, 0, Address(entry), 0)
                  : BugCheckIs(kemu::bugcheck::kBadPoolCaller, 7, 0, 0, Address(entry));
}

TEST(LookasideReuseTest, AnEntryFreedToTheListTwiceIsADoubleFreeAtTheSecondFree) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(Options(verifier));
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    PVOID entry = ExAllocateFromNPagedLookasideList(&list);
    ASSERT_NE(entry, nullptr);
    ExFreeToNPagedLookasideList(&list, entry);
    EXPECT_THAT(CrashOf([&] { ExFreeToNPagedLookasideList(&list, entry); }),
                DoubleFreeOf(entry, verifier));
  }
}

// With the list full the second free would go to pool while the list still links the entry.
TEST(LookasideReuseTest, ASecondFreeWhileTheListIsFullIsADoubleFreeToo) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(Options(verifier));
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    std::vector<PVOID> entries;
    for (int i = 0; i < 5; ++i) entries.push_back(ExAllocateFromNPagedLookasideList(&list));
    for (int i = 0; i < 4; ++i) ExFreeToNPagedLookasideList(&list, entries[i]);
    ASSERT_EQ(ExQueryDepthSList(&list.L.ListHead), list.L.Depth);
    EXPECT_THAT(CrashOf([&] { ExFreeToNPagedLookasideList(&list, entries[0]); }),
                DoubleFreeOf(entries[0], verifier));
  }
}

TEST(LookasideReuseTest, AnEntryFreedToTheListThenToPoolIsADoubleFree) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(Options(verifier));
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    PVOID entry = ExAllocateFromNPagedLookasideList(&list);
    ExFreeToNPagedLookasideList(&list, entry);
    EXPECT_THAT(CrashOf([&] { ExFreePool(entry); }), DoubleFreeOf(entry, verifier));
  }
}

// The block went back to pool (here by the delete of the list that cached it); freeing it to a
// list would link freed memory into it. Under Verifier special pool's argument check faults
// first (0xD5); without it kemu reports the double free.
TEST(LookasideReuseTest, AnEntryFreedToPoolThenToAListIsADoubleFree) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(Options(verifier));
    NPAGED_LOOKASIDE_LIST first;
    NPAGED_LOOKASIDE_LIST second;
    ExInitializeNPagedLookasideList(&first, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    ExInitializeNPagedLookasideList(&second, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    PVOID entry = ExAllocateFromNPagedLookasideList(&first);
    ExFreeToNPagedLookasideList(&first, entry);
    ExDeleteNPagedLookasideList(&first);  // frees the cached entry to pool
    const kemu::BugCheck crash = CrashOf([&] { ExFreeToNPagedLookasideList(&second, entry); });
    if (verifier) {
      EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverPageFaultInFreedSpecialPool,
                                    Address(entry), 0, 0, 0));
    } else {
      EXPECT_THAT(crash, DoubleFreeOf(entry, false));
    }
    EXPECT_EQ(second.L.ListHead.Region, 0u);  // nothing linked (read directly: the machine ended)
  }
}

TEST(LookasideReuseTest, AWriteIntoAFreedEntryIsReportedAtTheNextAllocation) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(Options(verifier));
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    PVOID older = ExAllocateFromNPagedLookasideList(&list);
    PVOID newer = ExAllocateFromNPagedLookasideList(&list);
    ExFreeToNPagedLookasideList(&list, older);
    ExFreeToNPagedLookasideList(&list, newer);
    const std::uint64_t stale = 0x4141414141414141;
    std::memcpy(newer, &stale, sizeof stale);  // the driver's bug: a use after the free
    EXPECT_THAT(
        CrashOf([&] { ExAllocateFromNPagedLookasideList(&list); }),
        BugCheckIs(kVerifier, vc::kLookasideEntryChanged, Address(&list), Address(newer), stale));
  }
}

TEST(LookasideReuseTest, AnOverwrittenHeaderIsReportedAtDelete) {
  kemu::Machine machine(Options(true));
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  PVOID entry = ExAllocateFromNPagedLookasideList(&list);
  ExFreeToNPagedLookasideList(&list, entry);
  std::memset(&list.L.ListHead, 0x41, sizeof list.L.ListHead);
  const kemu::BugCheck crash = CrashOf([&] { ExDeleteNPagedLookasideList(&list); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kLookasideEntryChanged, Address(&list),
                                Address(&list), 0x4141414141414141));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr("header was overwritten"));
}

// The silent twin: entries reused after they are handed out again, the list filled past its
// depth and deleted with entries cached.
TEST(LookasideReuseTest, EntriesWrittenOnlyWhileHeldAreSilent) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(Options(verifier));
    NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
    for (int round = 0; round < 3; ++round) {
      std::vector<PVOID> entries;
      for (int i = 0; i < 6; ++i) {
        PVOID entry = ExAllocateFromNPagedLookasideList(&list);
        ASSERT_NE(entry, nullptr);
        std::memset(entry, 0x5A, kEntryBytes);  // the entry is the driver's now
        entries.push_back(entry);
      }
      for (PVOID entry : entries) ExFreeToNPagedLookasideList(&list, entry);
      EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), list.L.Depth);
    }
    ExDeleteNPagedLookasideList(&list);
    EXPECT_FALSE(machine.crashed());
    EXPECT_EQ(machine.pool_allocations(), 0u);
  }
}

}  // namespace
