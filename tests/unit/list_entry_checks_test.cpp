// The link checks of the inline list routines (kemu_wdk_base.h; docs/kernel.md, "Interlocked
// lists and device queues"): a driver built for Windows 8 or later fails fast, 0x139 / 3, when a
// neighbour does not link back (audit round 15, O2: a double RemoveEntryList went unseen).
#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

extern "C" BOOLEAN ListEntryRemoveOnXpBuild(PLIST_ENTRY Entry);
extern "C" BOOLEAN ListEntryRemoveWithoutChecks(PLIST_ENTRY Entry);
BOOLEAN ListEntryRemoveOnXpCxxBuild(PLIST_ENTRY Entry);
PLIST_ENTRY ListEntryRemoveHeadOnXpCxxBuild(PLIST_ENTRY ListHead);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kSecurityCheck = kemu::bugcheck::kKernelSecurityCheckFailure;

// A list head -> a -> b.
struct TwoEntries {
  TwoEntries() {
    InitializeListHead(&head);
    InsertTailList(&head, &a);
    InsertTailList(&head, &b);
  }
  LIST_ENTRY head, a, b;
};

class ListEntryChecksTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ListEntryChecksTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(ListEntryChecksTest, ADoubleRemoveEntryListFailsFastNamingTheEntry) {
  TwoEntries list;
  RemoveEntryList(&list.a);
  const kemu::BugCheck crash = CrashOf([&] { RemoveEntryList(&list.a); });
  EXPECT_THAT(crash, BugCheckIs(kSecurityCheck, FAST_FAIL_CORRUPT_LIST_ENTRY, 0, 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr(fmt::format("the entry at {}", fmt::ptr(&list.a))));
  EXPECT_THAT(crash.report(), HasSubstr("An entry removed twice"));
}

// Each routine checks the links it is about to change (one bug check per machine: a test each).
TEST_P(ListEntryChecksTest, RemoveHeadListChecksTheFirstEntrysBackLink) {
  TwoEntries list;
  list.a.Blink = &list.b;  // the first entry no longer links back to the head
  EXPECT_THAT(CrashOf([&] { RemoveHeadList(&list.head); }),
              BugCheckIs(kSecurityCheck, FAST_FAIL_CORRUPT_LIST_ENTRY, 0, 0, 0));
}

TEST_P(ListEntryChecksTest, RemoveTailListChecksTheLastEntrysForwardLink) {
  TwoEntries list;
  list.b.Flink = &list.a;  // the last entry no longer links forward to the head
  EXPECT_THAT(CrashOf([&] { RemoveTailList(&list.head); }),
              BugCheckIs(kSecurityCheck, FAST_FAIL_CORRUPT_LIST_ENTRY, 0, 0, 0));
}

TEST_P(ListEntryChecksTest, InsertTailListChecksTheTailsForwardLink) {
  TwoEntries list;
  LIST_ENTRY c;
  list.b.Flink = &list.a;
  EXPECT_THAT(CrashOf([&] { InsertTailList(&list.head, &c); }),
              BugCheckIs(kSecurityCheck, FAST_FAIL_CORRUPT_LIST_ENTRY, 0, 0, 0));
}

TEST_P(ListEntryChecksTest, InsertHeadListChecksTheFirstEntrysBackLink) {
  TwoEntries list;
  LIST_ENTRY c;
  list.a.Blink = &list.b;
  EXPECT_THAT(CrashOf([&] { InsertHeadList(&list.head, &c); }),
              BugCheckIs(kSecurityCheck, FAST_FAIL_CORRUPT_LIST_ENTRY, 0, 0, 0));
}

// Correct use stays silent: inserts and removes at both ends, removing to empty, and removing
// from an empty list (which returns the head).
TEST_P(ListEntryChecksTest, CorrectListUseStaysSilent) {
  LIST_ENTRY head, entries[4];
  InitializeListHead(&head);
  EXPECT_EQ(RemoveHeadList(&head), &head);
  EXPECT_EQ(RemoveTailList(&head), &head);
  InsertTailList(&head, &entries[0]);
  InsertHeadList(&head, &entries[1]);
  InsertTailList(&head, &entries[2]);
  InsertHeadList(&head, &entries[3]);
  EXPECT_EQ(RemoveEntryList(&entries[0]), FALSE);
  EXPECT_EQ(RemoveHeadList(&head), &entries[3]);
  EXPECT_EQ(RemoveTailList(&head), &entries[2]);
  InsertTailList(&head, &entries[0]);  // a removed entry inserted again
  EXPECT_EQ(RemoveEntryList(&entries[1]), FALSE);
  EXPECT_EQ(RemoveEntryList(&entries[0]), TRUE);
  EXPECT_TRUE(IsListEmpty(&head));
  EXPECT_FALSE(machine().crashed());
}

// Drivers built for releases before Windows 8, or that define NO_KERNEL_LIST_ENTRY_CHECKS,
// change the links unchecked, as the WDK compiles them.
TEST_P(ListEntryChecksTest, OlderTargetsAndTheOptOutRemoveUnchecked) {
  TwoEntries xp;
  ListEntryRemoveOnXpBuild(&xp.a);
  ListEntryRemoveOnXpBuild(&xp.a);
  TwoEntries opted_out;
  ListEntryRemoveWithoutChecks(&opted_out.a);
  ListEntryRemoveWithoutChecks(&opted_out.a);
  EXPECT_FALSE(machine().crashed());
}

// A plain C++ inline routine has one definition in the whole program: the checked copy of this
// file would serve the XP build as well (the routines are static inline in C++ for that reason).
TEST_P(ListEntryChecksTest, ACxxDriverBuiltForXpKeepsItsUncheckedRoutinesBesideACheckedBuild) {
  TwoEntries xp;
  ListEntryRemoveOnXpCxxBuild(&xp.a);
  ListEntryRemoveOnXpCxxBuild(&xp.a);
  xp.b.Blink = &xp.b;  // the head's first entry no longer links back to it
  EXPECT_EQ(ListEntryRemoveHeadOnXpCxxBuild(&xp.head), &xp.b);
  EXPECT_FALSE(machine().crashed());
  // This file's own routines still check, in the same program.
  TwoEntries checked;
  RemoveEntryList(&checked.a);
  EXPECT_THAT(CrashOf([&] { RemoveEntryList(&checked.a); }),
              BugCheckIs(kSecurityCheck, FAST_FAIL_CORRUPT_LIST_ENTRY, 0, 0, 0));
}

TEST_P(ListEntryChecksTest, RtlFailFastIsTheSecurityCheckFailureWithItsCode) {
  EXPECT_THAT(CrashOf([] { RtlFailFast(7); }), BugCheckIs(kSecurityCheck, 7, 0, 0, 0));
}

}  // namespace
