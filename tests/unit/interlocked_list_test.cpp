// ExInterlocked*List, ExInterlockedAdd*, and the sequenced lists (SLIST_HEADER):
// emu/model/interlocked_lists.cpp. docs/conformance.md §2.6 (IL-3, IL-4, IL-6, IL-7; IL-5 is
// x86-only).
#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kemu/testing/gtest.hpp"

extern "C" {
ULONG QueueCallsInterlockedOrder(void);
ULONG QueueCallsSList(void);
}

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// A machine (Driver Verifier on unless told otherwise) with an initialised lock and empty lists.
struct Lists {
  explicit Lists(const kemu::MachineOptions& options = {}) : machine(options) {
    KeInitializeSpinLock(&lock);
    InitializeListHead(&head);
    single.Next = nullptr;
  }
  kemu::Machine machine;
  KSPIN_LOCK lock;
  LIST_ENTRY head;
  SINGLE_LIST_ENTRY single;
  LIST_ENTRY a, b, c;
};

TEST(InterlockedListTest, InsertHeadReturnsThePreviousFirstEntryOrNull) {  // IL-6
  Lists t;
  EXPECT_EQ(ExInterlockedInsertHeadList(&t.head, &t.a, &t.lock), nullptr);
  EXPECT_EQ(ExInterlockedInsertHeadList(&t.head, &t.b, &t.lock), &t.a);
  // Linked as InsertHeadList links: head -> b -> a -> head.
  EXPECT_EQ(t.head.Flink, &t.b);
  EXPECT_EQ(t.b.Flink, &t.a);
  EXPECT_EQ(t.a.Flink, &t.head);
  EXPECT_EQ(t.head.Blink, &t.a);
  EXPECT_EQ(t.a.Blink, &t.b);
  EXPECT_EQ(t.b.Blink, &t.head);
  EXPECT_EQ(t.lock, 0u) << "the lock is free again";
}

TEST(InterlockedListTest, InsertTailReturnsThePreviousLastEntryOrNull) {  // IL-6
  Lists t;
  EXPECT_EQ(ExInterlockedInsertTailList(&t.head, &t.a, &t.lock), nullptr);
  EXPECT_EQ(ExInterlockedInsertTailList(&t.head, &t.b, &t.lock), &t.a);
  EXPECT_EQ(ExInterlockedInsertTailList(&t.head, &t.c, &t.lock), &t.b);
  EXPECT_EQ(t.head.Flink, &t.a);
  EXPECT_EQ(t.a.Flink, &t.b);
  EXPECT_EQ(t.b.Flink, &t.c);
  EXPECT_EQ(t.c.Flink, &t.head);
  EXPECT_EQ(t.head.Blink, &t.c);
}

TEST(InterlockedListTest, RemoveHeadIsFifoWithTailInsertsAndNullWhenEmpty) {  // IL-6
  Lists t;
  EXPECT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), nullptr);
  ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
  ExInterlockedInsertTailList(&t.head, &t.b, &t.lock);
  EXPECT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.a);
  EXPECT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.b);
  EXPECT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), nullptr);
  EXPECT_TRUE(IsListEmpty(&t.head));
}

TEST(InterlockedListTest, RemovedEntryKeepsItsLinksOnAFreeKernel) {  // IL-6
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.verifier = true},
        kemu::MachineOptions{.verifier = false, .checked_build = false}}) {
    Lists t(options);
    ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
    ExInterlockedInsertTailList(&t.head, &t.b, &t.lock);
    ASSERT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.a);
    EXPECT_EQ(t.a.Flink, &t.b);
    EXPECT_EQ(t.a.Blink, &t.head);
  }
}

TEST(InterlockedListTest, CheckedKernelPoisonsTheRemovedEntrysLinks) {  // IL-6
  Lists t({.verifier = false, .checked_build = true});
  ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
  ASSERT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.a);
  EXPECT_EQ(Address(t.a.Flink), 0xBADDD0FFBADDD0FFull);
  EXPECT_EQ(Address(t.a.Blink), 0xBADDD0FFBADDD0FFull);
  EXPECT_TRUE(IsListEmpty(&t.head));
}

TEST(InterlockedListTest, PushReturnsThePreviousHeadAndPopIsLifo) {  // IL-7
  Lists t;
  SINGLE_LIST_ENTRY one, two;
  EXPECT_EQ(ExInterlockedPopEntryList(&t.single, &t.lock), nullptr);
  EXPECT_EQ(ExInterlockedPushEntryList(&t.single, &one, &t.lock), nullptr);
  EXPECT_EQ(ExInterlockedPushEntryList(&t.single, &two, &t.lock), &one);
  EXPECT_EQ(two.Next, &one);
  EXPECT_EQ(ExInterlockedPopEntryList(&t.single, &t.lock), &two);
  EXPECT_EQ(ExInterlockedPopEntryList(&t.single, &t.lock), &one);
  EXPECT_EQ(ExInterlockedPopEntryList(&t.single, &t.lock), nullptr);
}

TEST(InterlockedListTest, EveryRoutineLeavesTheIrqlAloneEvenAtHighLevel) {  // IL-4, IL-7
  for (KIRQL level : {KIRQL{PASSIVE_LEVEL}, KIRQL{DISPATCH_LEVEL}, KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "at IRQL " << int{level});
    Lists t;
    SINGLE_LIST_ENTRY one;
    ULONG counter = 5;
    KIRQL old;
    KeRaiseIrql(level, &old);
    EXPECT_EQ(ExInterlockedInsertHeadList(&t.head, &t.a, &t.lock), nullptr);
    EXPECT_EQ(ExInterlockedInsertTailList(&t.head, &t.b, &t.lock), &t.a);
    EXPECT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.a);
    EXPECT_EQ(ExInterlockedPushEntryList(&t.single, &one, &t.lock), nullptr);
    EXPECT_EQ(ExInterlockedPopEntryList(&t.single, &t.lock), &one);
    EXPECT_EQ(ExInterlockedAddUlong(&counter, 3, &t.lock), 5u);
    EXPECT_EQ(t.machine.CurrentIrql(), level);
    EXPECT_EQ(t.lock, 0u);
    KeLowerIrql(old);
  }
}

TEST(InterlockedListTest, AddUlongReturnsTheOldValueAndWraps) {  // IL-3
  Lists t;
  ULONG value = 0xFFFFFFFEu;
  EXPECT_EQ(ExInterlockedAddUlong(&value, 1, &t.lock), 0xFFFFFFFEu);
  EXPECT_EQ(value, 0xFFFFFFFFu);
  EXPECT_EQ(ExInterlockedAddUlong(&value, 2, &t.lock), 0xFFFFFFFFu);
  EXPECT_EQ(value, 1u);
}

TEST(InterlockedListTest, AddLargeIntegerReturnsTheOldValue) {  // IL-3
  Lists t;
  LARGE_INTEGER value;
  value.QuadPart = 0x1FFFFFFFFll;
  LARGE_INTEGER increment;
  increment.QuadPart = 1;
  EXPECT_EQ(ExInterlockedAddLargeInteger(&value, increment, &t.lock).QuadPart, 0x1FFFFFFFFll);
  EXPECT_EQ(value.QuadPart, 0x200000000ll);
  increment.QuadPart = -0x200000001ll;
  EXPECT_EQ(ExInterlockedAddLargeInteger(&value, increment, &t.lock).QuadPart, 0x200000000ll);
  EXPECT_EQ(value.QuadPart, -1);
}

TEST(InterlockedListTest, AddLargeStatisticAndCompareExchange64AreTheX64Macros) {  // IL-3
  Lists t;
  LARGE_INTEGER statistic;
  statistic.QuadPart = 0xFFFFFFFFll;
  ExInterlockedAddLargeStatistic(&statistic, 1);
  EXPECT_EQ(statistic.QuadPart, 0x100000000ll);
  LONGLONG target = 5;
  LONGLONG exchange = 9;
  LONGLONG comperand = 6;
  EXPECT_EQ(ExInterlockedCompareExchange64(&target, &exchange, &comperand, &t.lock), 5);
  EXPECT_EQ(target, 5);
  comperand = 5;
  EXPECT_EQ(ExInterlockedCompareExchange64(&target, &exchange, &comperand, &t.lock), 5);
  EXPECT_EQ(target, 9);
  EXPECT_EQ(exchange, 9) << "the inputs are not modified";
  EXPECT_EQ(comperand, 5);
}

TEST(InterlockedListTest, CDriverUsesTheListsThroughTheC17Header) {  // IL-6
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(QueueCallsInterlockedOrder(), 0x213u);
}

// ---------------------------------------------------------------------------------------------
// The lock follows every spin-lock rule.

TEST(InterlockedListTest, LockAlreadyHeldByTheCallerIsARecursiveAcquire) {
  Lists verified;
  KIRQL old;
  KeAcquireSpinLock(&verified.lock, &old);
  EXPECT_THAT(
      [&] { ExInterlockedInsertTailList(&verified.head, &verified.a, &verified.lock); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kSelfDeadlock)));
}

TEST(InterlockedListTest, LockAlreadyHeldOnACheckedKernelIsSpinLockAlreadyOwned) {
  Lists checked({.verifier = false, .checked_build = true});
  KIRQL old;
  KeAcquireSpinLock(&checked.lock, &old);
  EXPECT_THAT([&] { ExInterlockedPopEntryList(&checked.single, &checked.lock); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kSpinLockAlreadyOwned)));
}

TEST(InterlockedListTest, UninitialisedLockUnderVerifierIsReported) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KSPIN_LOCK lock = 0;  // never passed to KeInitializeSpinLock
  LIST_ENTRY head;
  InitializeListHead(&head);
  EXPECT_THAT([&] { ExInterlockedRemoveHeadList(&head, &lock); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kUninitializedResource)));
}

TEST(InterlockedListTest, ZeroedLockWithoutVerifierIsAFreeLock) {
  kemu::Machine machine({.verifier = false, .checked_build = false});
  KSPIN_LOCK lock = 0;  // a zeroed device extension
  LIST_ENTRY head, entry;
  InitializeListHead(&head);
  EXPECT_EQ(ExInterlockedInsertHeadList(&head, &entry, &lock), nullptr);
  EXPECT_EQ(ExInterlockedRemoveHeadList(&head, &lock), &entry);
}

TEST(InterlockedListTest, NullEntryIsAnAccessViolationBeforeTheLockIsTaken) {
  Lists t;
  EXPECT_THAT(
      [&] { ExInterlockedPushEntryList(&t.single, nullptr, &t.lock); },
      Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005)));
  EXPECT_EQ(t.lock, 0u);
}

TEST(InterlockedListTest, NullListHeadIsAnAccessViolation) {
  Lists t;
  EXPECT_THAT(
      [&] { ExInterlockedInsertHeadList(nullptr, &t.a, &t.lock); },
      Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005)));
}

// An entry inserted twice: its neighbours no longer link back to it. Windows 8 and later check
// the links before a change (0x139 / 3, "a LIST_ENTRY has been corrupted"); earlier kernels
// carry on.
TEST(InterlockedListTest, AnEntryInsertedTwiceIsACorruptListFromWindows8) {
  for (const kemu::Os os : {kemu::Os::kWindows8, kemu::Os::kWindows11}) {
    Lists t({.os = os, .verifier = false});
    ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
    ExInterlockedInsertTailList(&t.head, &t.b, &t.lock);
    ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);  // a again: a.Blink is now &b
    EXPECT_THAT([&] { ExInterlockedRemoveHeadList(&t.head, &t.lock); },
                Throws<kemu::BugCheck>(
                    BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3, 0, 0, 0)));
  }
  Lists t({.os = kemu::Os::kWindows7, .verifier = false});
  ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
  ExInterlockedInsertTailList(&t.head, &t.b, &t.lock);
  ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
  EXPECT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.a);
}

// A list still reaching an entry a checked kernel removed (and poisoned): before Windows 8 the
// kernel follows the poisoned link and faults (0x1E at the poison); Windows 8 and later see the
// poisoned back link first (0x139 / 3). kemu reads neither (it once crashed there; found by
// kemu_fuzz_kernel_api).
TEST(InterlockedListTest, AListReachingARemovedEntryStopsBeforeFollowingItsPoison) {
  for (const kemu::Os os : {kemu::Os::kWindowsVista, kemu::Os::kWindows10}) {
    Lists t({.os = os, .verifier = false, .checked_build = true});
    ExInterlockedInsertTailList(&t.head, &t.a, &t.lock);
    ASSERT_EQ(ExInterlockedRemoveHeadList(&t.head, &t.lock), &t.a);
    t.head.Flink = &t.a;  // a stale link to the removed entry
    t.head.Blink = &t.a;
    const kemu::BugCheck crash =
        kemu::testing::CrashOf([&] { ExInterlockedRemoveHeadList(&t.head, &t.lock); });
    if (os == kemu::Os::kWindowsVista) {
      EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0,
                                    0xBADDD0FFBADDD0FFull));
    } else {
      EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3, 0, 0, 0));
    }
  }
}

// A LIST_ENTRY head never initialised (zeroed): its first link is null, which every kernel
// follows into an access violation.
TEST(InterlockedListTest, AHeadNeverInitialisedIsAnAccessViolation) {
  for (const kemu::Os os : {kemu::Os::kWindowsXP, kemu::Os::kWindows10}) {
    Lists t({.os = os, .verifier = false});
    LIST_ENTRY zeroed{};
    EXPECT_THAT([&] { ExInterlockedRemoveHeadList(&zeroed, &t.lock); },
                Throws<kemu::BugCheck>(
                    BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0)));
    EXPECT_THAT([&] { ExInterlockedInsertTailList(&zeroed, &t.a, &t.lock); },
                Throws<kemu::BugCheck>(
                    BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0)));
  }
}

// ---------------------------------------------------------------------------------------------
// Sequenced lists.

struct alignas(16) Buffer {
  SLIST_ENTRY entry;
  int value;
};

TEST(SListTest, HeaderHasTheX64SizeAndAlignment) {
  static_assert(sizeof(SLIST_HEADER) == 16 && alignof(SLIST_HEADER) == 16);
  static_assert(sizeof(SLIST_ENTRY) == 16 && alignof(SLIST_ENTRY) == 16);
  SLIST_HEADER header;
  std::memset(&header, 0x5A, sizeof header);
  InitializeSListHead(&header);
  EXPECT_EQ(header.Alignment, 0u);
  EXPECT_EQ(header.Region, 0u);
}

TEST(SListTest, PushReturnsThePreviousFirstAndPopIsLifo) {
  kemu::Machine machine(kemu::Os::kWindows10);
  SLIST_HEADER header;
  InitializeSListHead(&header);
  Buffer one{}, two{};
  EXPECT_EQ(InterlockedPopEntrySList(&header), nullptr);
  EXPECT_EQ(InterlockedPushEntrySList(&header, &one.entry), nullptr);
  EXPECT_EQ(InterlockedPushEntrySList(&header, &two.entry), &one.entry);
  EXPECT_EQ(ExQueryDepthSList(&header), 2);
  EXPECT_EQ(header.Region, Address(&two.entry)) << "Region holds the first entry";
  EXPECT_EQ(header.Alignment & 0xFFFF, 2u) << "Depth is the low 16 bits";
  EXPECT_EQ(InterlockedPopEntrySList(&header), &two.entry);
  EXPECT_EQ(InterlockedPopEntrySList(&header), &one.entry);
  EXPECT_EQ(InterlockedPopEntrySList(&header), nullptr);
  EXPECT_EQ(ExQueryDepthSList(&header), 0);
}

TEST(SListTest, ExInterlockedSpellingsIgnoreTheLockOnX64) {
  kemu::Machine machine(kemu::Os::kWindows10);
  SLIST_HEADER header;
  ExInitializeSListHead(&header);
  KSPIN_LOCK lock = 0x77;  // never taken, so never checked
  Buffer one{};
  EXPECT_EQ(ExInterlockedPushEntrySList(&header, &one.entry, &lock), nullptr);
  EXPECT_EQ(ExInterlockedPopEntrySList(&header, &lock), &one.entry);
  EXPECT_EQ(lock, 0x77u);
}

TEST(SListTest, FlushReturnsTheChainAndEmptiesTheList) {
  kemu::Machine machine(kemu::Os::kWindows10);
  SLIST_HEADER header;
  InitializeSListHead(&header);
  Buffer one{}, two{};
  InterlockedPushEntrySList(&header, &one.entry);
  InterlockedPushEntrySList(&header, &two.entry);
  PSLIST_ENTRY chain = InterlockedFlushSList(&header);
  EXPECT_EQ(chain, &two.entry);
  EXPECT_EQ(chain->Next, &one.entry);
  EXPECT_EQ(one.entry.Next, nullptr);
  EXPECT_EQ(ExQueryDepthSList(&header), 0);
  EXPECT_EQ(ExInterlockedFlushSList(&header), nullptr);
}

TEST(SListTest, CDriverUsesTheSListMacros) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(QueueCallsSList(), 0x202u);
}

TEST(SListTest, CallableAtHighLevel) {
  kemu::Machine machine(kemu::Os::kWindows10);
  SLIST_HEADER header;
  InitializeSListHead(&header);
  Buffer one{};
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_EQ(InterlockedPushEntrySList(&header, &one.entry), nullptr);
  EXPECT_EQ(InterlockedPopEntrySList(&header), &one.entry);
  EXPECT_EQ(machine.CurrentIrql(), HIGH_LEVEL);
  KeLowerIrql(old);
}

}  // namespace

// Misaligned SLIST_HEADER and SLIST_ENTRY (x64 needs 16 bytes for both).
namespace {

TEST(SListAlignmentTest, AMisalignedEntryStopsThePushInEveryMode) {
  for (const bool verifier : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = verifier});
    SLIST_HEADER header;
    InitializeSListHead(&header);
    alignas(16) unsigned char storage[48] = {};
    auto* misaligned = reinterpret_cast<PSLIST_ENTRY>(storage + 8);
    EXPECT_THAT(kemu::testing::CrashOf([&] { InterlockedPushEntrySList(&header, misaligned); }),
                BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kMisalignedSListEntry,
                           Address(misaligned), Address(&header), 0));
    EXPECT_EQ(header.Region, 0u) << "nothing pushed";
  }
}

TEST(SListAlignmentTest, AMisalignedHeaderIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  alignas(16) unsigned char storage[48] = {};
  auto* header = reinterpret_cast<PSLIST_HEADER>(storage + 8);
  EXPECT_THAT(
      kemu::testing::CrashOf([&] { InterlockedPopEntrySList(header); }),
      BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, Address(header)));
}

TEST(SListAlignmentTest, AlignedEntriesInsideALargerStructureAreSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  SLIST_HEADER header;
  InitializeSListHead(&header);
  struct Request {
    ULONG id;
    SLIST_ENTRY link;  // the type's 16-byte alignment places it at offset 16
  } request{};
  static_assert(offsetof(Request, link) == 16);
  EXPECT_EQ(InterlockedPushEntrySList(&header, &request.link), nullptr);
  EXPECT_EQ(InterlockedPopEntrySList(&header), &request.link);
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
