// Lookaside lists: ExInitialize/Delete(N)PagedLookasideList, ExAllocateFrom/ExFreeTo...
// and the Vista LOOKASIDE_LIST_EX family. Entries come from kemu pool through the list's Allocate
// and Free routines (the defaults are ExAllocatePoolWithTag and ExFreePool), so pool tracking
// and tag-narrowed fault injection see them; the IRQL rules follow the entries' pool type.
#include <wdm.h>

#include <cstdint>
#include <vector>

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

class LookasideTest : public kemu::testing::PersonalityTest {};

TEST_P(LookasideTest, InitializeWritesTheKernelDefaults) {
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, POOL_NX_ALLOCATION, kEntryBytes, kTag,
                                  0);
  EXPECT_EQ(list.L.Depth, 4);
  EXPECT_EQ(list.L.MaximumDepth, 256);
  EXPECT_EQ(static_cast<int>(list.L.Type), NonPagedPoolNx);
  EXPECT_EQ(list.L.Tag, kTag);
  EXPECT_EQ(list.L.Size, kEntryBytes);
  EXPECT_EQ(list.L.Allocate, &ExAllocatePoolWithTag);
  EXPECT_EQ(list.L.Free, &ExFreePool);
  EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), 0);
  ExDeleteNPagedLookasideList(&list);
}

TEST_P(LookasideTest, AFreedEntryIsCachedAndHandedOutAgain) {
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  PVOID first = ExAllocateFromNPagedLookasideList(&list);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 1u);
  ExFreeToNPagedLookasideList(&list, first);
  EXPECT_EQ(machine().pool_allocations(), 1u);  // cached, not freed
  EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), 1);
  EXPECT_EQ(ExAllocateFromNPagedLookasideList(&list), first);
  EXPECT_EQ(list.L.TotalAllocates, 2u);
  EXPECT_EQ(list.L.AllocateMisses, 1u);
  EXPECT_EQ(list.L.TotalFrees, 1u);
  EXPECT_EQ(list.L.FreeMisses, 0u);
  ExFreeToNPagedLookasideList(&list, first);
  ExDeleteNPagedLookasideList(&list);
  EXPECT_EQ(machine().pool_allocations(), 0u);  // Delete freed what the list held
}

TEST_P(LookasideTest, AFreeBeyondTheDepthGoesBackToPool) {
  PAGED_LOOKASIDE_LIST list;
  ExInitializePagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  std::vector<PVOID> entries;
  for (int i = 0; i < 6; ++i) entries.push_back(ExAllocateFromPagedLookasideList(&list));
  for (PVOID entry : entries) ExFreeToPagedLookasideList(&list, entry);
  EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), 4);
  EXPECT_EQ(list.L.FreeMisses, 2u);
  EXPECT_EQ(machine().pool_allocations(), 4u);
  ExDeletePagedLookasideList(&list);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

// The driver's own routines, with what they were called with.
struct Calls {
  std::uint32_t type = 0;
  SIZE_T bytes = 0;
  ULONG tag = 0;
  int allocates = 0;
  int frees = 0;
  PLOOKASIDE_LIST_EX list = nullptr;
};
Calls calls;

PVOID NTAPI CountingAllocate(POOL_TYPE type, SIZE_T bytes, ULONG tag) {
  calls.type = static_cast<std::uint32_t>(type);
  calls.bytes = bytes;
  calls.tag = tag;
  ++calls.allocates;
  return ExAllocatePoolWithTag(type, bytes, tag);
}
VOID NTAPI CountingFree(PVOID buffer) {
  ++calls.frees;
  ExFreePoolWithTag(buffer, kTag);
}
PVOID NTAPI CountingAllocateEx(POOL_TYPE type, SIZE_T bytes, ULONG tag, PLOOKASIDE_LIST_EX list) {
  calls.list = list;
  return CountingAllocate(type, bytes, tag);
}
VOID NTAPI CountingFreeEx(PVOID buffer, PLOOKASIDE_LIST_EX list) {
  calls.list = list;
  CountingFree(buffer);
}

TEST_P(LookasideTest, TheDriversAllocateAndFreeRoutinesAreCalledOnAMissAndWhenFull) {
  calls = {};
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, &CountingAllocate, &CountingFree, 0, kEntryBytes, kTag, 0);
  PVOID entry = ExAllocateFromNPagedLookasideList(&list);
  EXPECT_EQ(calls.allocates, 1);
  EXPECT_EQ(calls.type, static_cast<std::uint32_t>(NonPagedPool));
  EXPECT_EQ(calls.bytes, kEntryBytes);
  EXPECT_EQ(calls.tag, kTag);
  ExFreeToNPagedLookasideList(&list, entry);
  EXPECT_EQ(calls.frees, 0);  // cached
  ExDeleteNPagedLookasideList(&list);
  EXPECT_EQ(calls.frees, 1);  // Delete hands the cached entry to the Free routine
}

TEST_P(LookasideTest, LowResourcesSimulationByTagMakesAMissReturnNull) {
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  PVOID cached = ExAllocateFromNPagedLookasideList(&list);
  ExFreeToNPagedLookasideList(&list, cached);
  machine().InjectFault({.routine = "ExAllocatePoolWithTag", .count = 0, .tag = kTag});
  EXPECT_EQ(ExAllocateFromNPagedLookasideList(&list), cached);  // a hit needs no pool
  EXPECT_EQ(ExAllocateFromNPagedLookasideList(&list), nullptr);
  ExFreeToNPagedLookasideList(&list, cached);
  ExDeleteNPagedLookasideList(&list);
}

TEST_P(LookasideTest, NonPagedListsWorkAtDispatchLevel) {
  NPAGED_LOOKASIDE_LIST list;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  PVOID entry = ExAllocateFromNPagedLookasideList(&list);
  ExFreeToNPagedLookasideList(&list, entry);
  ExDeleteNPagedLookasideList(&list);
  KeLowerIrql(old);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(LookasideTest, AnEntryTheDriverStillHoldsAtDeleteStaysItsPool) {
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  PVOID held = ExAllocateFromNPagedLookasideList(&list);
  ExDeleteNPagedLookasideList(&list);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kPoolLeakedAtUnload, 0, Address(held), 1));
  EXPECT_THAT(leak.what(), HasSubstr("tag 'Look'"));
}

TEST_P(LookasideTest, AListNeverDeletedIsReportedAtShutdown) {
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kLeakAtShutdown, 1, Address(&list), 0));
  EXPECT_THAT(leak.what(), HasSubstr("lookaside list at"));
  EXPECT_THAT(leak.what(), HasSubstr("ExInitializeNPagedLookasideList set it up"));
}

TEST_P(LookasideTest, UsingADeletedListStops) {
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  ExDeleteNPagedLookasideList(&list);
  EXPECT_THAT(CrashOf([&] { ExAllocateFromNPagedLookasideList(&list); }),
              BugCheckIs(kVerifier, vc::kInvalidKernelObject, Address(&list), 0, 0));
}

TEST_P(LookasideTest, ExListsArriveWithVista) {
  LOOKASIDE_LIST_EX list;
  if (GetParam() >= kemu::Os::kWindowsVista) GTEST_SKIP() << "pre-Vista only";
  EXPECT_THROW(
      ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPoolNx, 0, kEntryBytes, kTag, 0),
      kemu::MissingExport);
}

TEST_P(LookasideTest, ExListCallsItsRoutinesWithTheListAndFlushEmptiesIt) {
  if (GetParam() < kemu::Os::kWindowsVista) GTEST_SKIP() << "Vista+ routines";
  calls = {};
  LOOKASIDE_LIST_EX list;
  ASSERT_EQ(ExInitializeLookasideListEx(&list, &CountingAllocateEx, &CountingFreeEx, PagedPool, 0,
                                        kEntryBytes, kTag, 0),
            STATUS_SUCCESS);
  PVOID a = ExAllocateFromLookasideListEx(&list);
  PVOID b = ExAllocateFromLookasideListEx(&list);
  EXPECT_EQ(calls.allocates, 2);
  EXPECT_EQ(calls.list, &list);
  EXPECT_EQ(calls.type, static_cast<std::uint32_t>(PagedPool));
  ExFreeToLookasideListEx(&list, a);
  ExFreeToLookasideListEx(&list, b);
  EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), 2);
  ExFlushLookasideListEx(&list);
  EXPECT_EQ(calls.frees, 2);
  EXPECT_EQ(ExQueryDepthSList(&list.L.ListHead), 0);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  PVOID held = ExAllocateFromLookasideListEx(&list);  // still usable after a flush
  EXPECT_NE(held, nullptr);
  ExDeleteLookasideListEx(&list);
  EXPECT_EQ(machine().pool_allocations(), 1u);  // the driver's entry is its own to free
  ExFreePoolWithTag(held, kTag);
}

TEST_P(LookasideTest, ExListRefusesUnknownOrConflictingFlags) {
  if (GetParam() < kemu::Os::kWindowsVista) GTEST_SKIP() << "Vista+ routines";
  LOOKASIDE_LIST_EX list;
  EXPECT_EQ(ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPoolNx, 0x4, kEntryBytes,
                                        kTag, 0),
            STATUS_INVALID_PARAMETER_5);
  EXPECT_EQ(ExInitializeLookasideListEx(
                &list, nullptr, nullptr, NonPagedPoolNx,
                EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
                kEntryBytes, kTag, 0),
            STATUS_INVALID_PARAMETER_5);
  ASSERT_EQ(
      ExInitializeLookasideListEx(&list, nullptr, nullptr, NonPagedPoolNx,
                                  EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, kEntryBytes, kTag, 0),
      STATUS_SUCCESS);
  EXPECT_EQ(static_cast<std::uint32_t>(list.L.Type),
            static_cast<std::uint32_t>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE));
  ExDeleteLookasideListEx(&list);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, LookasideTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// IRQL rules on a Windows 10 machine under Driver Verifier (0xC4 / 0xE5 for the list routines,
// the pool codes for the entries).
TEST(LookasideRulesTest, APagedListUsedAtDispatchLevelBugChecks) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10});
  PAGED_LOOKASIDE_LIST list;
  ExInitializePagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExAllocateFromPagedLookasideList(&list); }),
              BugCheckIs(kVerifier, vc::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

TEST(LookasideRulesTest, ANonPagedListUsedAboveDispatchLevelBugChecks) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10});
  NPAGED_LOOKASIDE_LIST list;
  ExInitializeNPagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
  EXPECT_THAT(CrashOf([&] { ExAllocateFromNPagedLookasideList(&list); }),
              BugCheckIs(kVerifier, vc::kKernelApiAtWrongIrql, DISPATCH_LEVEL + 1, 0, 0));
}

TEST(LookasideRulesTest, InitializingAPagedListAtDispatchLevelBugChecks) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10});
  PAGED_LOOKASIDE_LIST list;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] {
                ExInitializePagedLookasideList(&list, nullptr, nullptr, 0, kEntryBytes, kTag, 0);
              }),
              BugCheckIs(kVerifier, vc::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

}  // namespace
