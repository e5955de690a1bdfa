// Device queues: KeInitializeDeviceQueue, KeInsert(ByKey)DeviceQueue, KeRemove(ByKey)DeviceQueue,
// KeRemoveEntryDeviceQueue (emu/model/device_queues.cpp) and their IRQL and initialisation rules.
// docs/conformance.md §2.7 (DQ-1..DQ-4).
#include <wdm.h>

#include <cstdint>
#include <cstring>

#include "kemu/testing/gtest.hpp"

extern "C" ULONG QueueCallsDeviceQueue(void);

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// A machine at DISPATCH_LEVEL (where the insert and remove routines run) with one queue.
struct Queue {
  explicit Queue(const kemu::MachineOptions& options = {}) : machine(options) {
    KeInitializeDeviceQueue(&queue);
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  }
  // Back to PASSIVE_LEVEL so shutdown finds nothing left behind (unless a test crashed it).
  ~Queue() {
    if (!machine.crashed() && machine.CurrentIrql() != PASSIVE_LEVEL) {
      KeLowerIrql(PASSIVE_LEVEL);
    }
  }
  kemu::Machine machine;
  KDEVICE_QUEUE queue;
  KIRQL old_irql;
  KDEVICE_QUEUE_ENTRY a{}, b{}, c{}, d{};
};

TEST(DeviceQueueTest, InitializeWritesTypeSizeAndAnIdleEmptyQueue) {  // DQ-1
  kemu::Machine machine(kemu::Os::kWindows10);
  struct {
    KDEVICE_QUEUE queue;
    unsigned char after[16];
  } storage;
  std::memset(&storage, 0xCC, sizeof storage);
  KeInitializeDeviceQueue(&storage.queue);
  EXPECT_EQ(storage.queue.Type, DeviceQueueObject);
  EXPECT_EQ(storage.queue.Size, static_cast<CSHORT>(sizeof(KDEVICE_QUEUE)));
  EXPECT_EQ(storage.queue.Busy, FALSE);
  EXPECT_TRUE(IsListEmpty(&storage.queue.DeviceListHead));
  for (unsigned char byte : storage.after) EXPECT_EQ(byte, 0xCC) << "nothing past the queue";
}

TEST(DeviceQueueTest, InsertOnAnIdleQueueReturnsFalseAndOnlyMarksItBusy) {  // DQ-2
  Queue t;
  t.a.Inserted = TRUE;
  EXPECT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  EXPECT_EQ(t.queue.Busy, TRUE);
  EXPECT_EQ(t.a.Inserted, FALSE);
  EXPECT_TRUE(IsListEmpty(&t.queue.DeviceListHead));
}

TEST(DeviceQueueTest, InsertOnABusyQueueQueuesInFifoOrder) {  // DQ-2, DQ-3
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  EXPECT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
  EXPECT_EQ(KeInsertDeviceQueue(&t.queue, &t.c), TRUE);
  EXPECT_EQ(t.b.Inserted, TRUE);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.b);
  EXPECT_EQ(t.b.Inserted, FALSE);
  EXPECT_EQ(t.queue.Busy, TRUE) << "removing an entry keeps the queue busy";
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.c);
  EXPECT_EQ(t.queue.Busy, TRUE);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), nullptr);
  EXPECT_EQ(t.queue.Busy, FALSE) << "an empty remove makes the queue idle";
  EXPECT_EQ(KeInsertDeviceQueue(&t.queue, &t.d), FALSE) << "so the next request starts at once";
}

TEST(DeviceQueueTest, InsertByKeyQueuesAfterEqualKeysAndBeforeGreaterOnes) {
  Queue t;
  ASSERT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.a, 0), FALSE);
  EXPECT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.b, 20), TRUE);
  EXPECT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.c, 10), TRUE);
  EXPECT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.d, 10), TRUE);
  EXPECT_EQ(t.d.SortKey, 10u);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.c);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.d);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.b);
}

TEST(DeviceQueueTest, RemoveByKeyTakesTheFirstKeyAtLeastTheGivenOneElseTheHead) {
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  KeInsertByKeyDeviceQueue(&t.queue, &t.b, 5);
  KeInsertByKeyDeviceQueue(&t.queue, &t.c, 15);
  KeInsertByKeyDeviceQueue(&t.queue, &t.d, 25);
  EXPECT_EQ(KeRemoveByKeyDeviceQueue(&t.queue, 10), &t.c);
  EXPECT_EQ(t.c.Inserted, FALSE);
  EXPECT_EQ(KeRemoveByKeyDeviceQueue(&t.queue, 30), &t.b) << "no key >= 30: the head";
  EXPECT_EQ(KeRemoveByKeyDeviceQueue(&t.queue, 0), &t.d);
  EXPECT_EQ(KeRemoveByKeyDeviceQueue(&t.queue, 0), nullptr);
  EXPECT_EQ(t.queue.Busy, FALSE);
}

TEST(DeviceQueueTest, RemoveEntryIsTrueOnlyForAQueuedEntry) {  // DQ-4
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  KeInsertDeviceQueue(&t.queue, &t.b);
  KeInsertDeviceQueue(&t.queue, &t.c);
  EXPECT_EQ(KeRemoveEntryDeviceQueue(&t.queue, &t.b), TRUE);
  EXPECT_EQ(t.b.Inserted, FALSE);
  EXPECT_EQ(KeRemoveEntryDeviceQueue(&t.queue, &t.b), FALSE);
  EXPECT_EQ(KeRemoveEntryDeviceQueue(&t.queue, &t.a), FALSE) << "a started, never queued";
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.c);
}

TEST(DeviceQueueTest, RemoveEntryRunsAtPassiveLevel) {  // DQ-4: IRQL <= DISPATCH_LEVEL
  Queue t;
  KeInsertDeviceQueue(&t.queue, &t.a);
  KeInsertDeviceQueue(&t.queue, &t.b);
  KeLowerIrql(PASSIVE_LEVEL);
  EXPECT_EQ(KeRemoveEntryDeviceQueue(&t.queue, &t.b), TRUE);
  EXPECT_EQ(t.machine.CurrentIrql(), PASSIVE_LEVEL);
}

TEST(DeviceQueueTest, CDriverUsesTheQueueThroughTheC17Header) {  // DQ-2..DQ-4
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(QueueCallsDeviceQueue(), 0x01210u);
}

TEST(DeviceQueueTest, InitializeRunsAtAnyIrql) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDEVICE_QUEUE queue;
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  KeInitializeDeviceQueue(&queue);
  EXPECT_EQ(queue.Type, DeviceQueueObject);
  KeLowerIrql(old);
}

// ---------------------------------------------------------------------------------------------
// Rules.

TEST(DeviceQueueTest, InsertBelowDispatchUnderVerifierIsKernelApiAtWrongIrql) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDEVICE_QUEUE queue;
  KDEVICE_QUEUE_ENTRY entry;
  KeInitializeDeviceQueue(&queue);
  EXPECT_THAT(
      [&] { KeInsertDeviceQueue(&queue, &entry); },
      Throws<kemu::BugCheck>(BugCheckIs(
          kVerifierBugCheck, kemu::verifier_code::kKernelApiAtWrongIrql, PASSIVE_LEVEL, 0, 0)));
}

TEST(DeviceQueueTest, RemoveBelowDispatchOnACheckedKernelIsIrqlNotGreaterOrEqual) {
  kemu::Machine machine({.verifier = false, .checked_build = true});
  KDEVICE_QUEUE queue;
  KeInitializeDeviceQueue(&queue);
  EXPECT_THAT([&] { KeRemoveDeviceQueue(&queue); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual,
                                                PASSIVE_LEVEL, DISPATCH_LEVEL, 0, 0)));
}

TEST(DeviceQueueTest, BelowDispatchOnARetailKernelWorks) {
  kemu::Machine machine({.verifier = false, .checked_build = false});
  KDEVICE_QUEUE queue;
  KDEVICE_QUEUE_ENTRY entry;
  KeInitializeDeviceQueue(&queue);
  EXPECT_EQ(KeInsertDeviceQueue(&queue, &entry), FALSE);
  EXPECT_EQ(KeRemoveDeviceQueue(&queue), nullptr);
}

TEST(DeviceQueueTest, InsertAboveDispatchUnderVerifierIsKernelApiAtWrongIrql) {
  Queue t;
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(
      [&] { KeInsertByKeyDeviceQueue(&t.queue, &t.a, 1); },
      Throws<kemu::BugCheck>(BugCheckIs(
          kVerifierBugCheck, kemu::verifier_code::kKernelApiAtWrongIrql, HIGH_LEVEL, 0, 0)));
}

TEST(DeviceQueueTest, RemoveEntryAboveDispatchOnACheckedKernelIsIrqlNotLessOrEqual) {
  Queue t({.verifier = false, .checked_build = true});
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(
      [&] { KeRemoveEntryDeviceQueue(&t.queue, &t.a); },
      Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, HIGH_LEVEL, 0, 0)));
}

TEST(DeviceQueueTest, XpVerifierHasNoIrqlApiCheckSoTheCheckedCodeApplies) {
  kemu::Machine machine({.os = kemu::Os::kWindowsXP});
  KDEVICE_QUEUE queue;
  KeInitializeDeviceQueue(&queue);
  EXPECT_THAT([&] { KeRemoveByKeyDeviceQueue(&queue, 0); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual,
                                                PASSIVE_LEVEL, DISPATCH_LEVEL, 0, 0)));
}

TEST(DeviceQueueTest, UninitialisedQueueUnderVerifierIsReported) {
  Queue t;
  KDEVICE_QUEUE garbage;
  std::memset(&garbage, 0, sizeof garbage);
  EXPECT_THAT([&] { KeInsertDeviceQueue(&garbage, &t.a); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck,
                                                kemu::verifier_code::kUninitializedDeviceQueue,
                                                Address(&garbage), 0, 0)));
}

TEST(DeviceQueueTest, UninitialisedQueueOnACheckedKernelIsAnAssertion) {
  Queue t({.verifier = false, .checked_build = true});
  KDEVICE_QUEUE garbage;
  std::memset(&garbage, 0, sizeof garbage);
  EXPECT_THAT([&] { KeRemoveDeviceQueue(&garbage); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000420, 0, 0, 0)));
}

// The routine follows the NULL links at DISPATCH_LEVEL, where the kernel cannot take the page
// fault: 0xA (0, IRQL 2, 0, 0), not an access violation (audit round 13).
TEST(DeviceQueueTest, UninitialisedZeroedQueueOnARetailKernelFaultsOnItsNullLinks) {
  Queue t({.verifier = false, .checked_build = false});
  KDEVICE_QUEUE zeroed;
  std::memset(&zeroed, 0, sizeof zeroed);
  EXPECT_THAT([&] { KeInsertDeviceQueue(&zeroed, &t.a); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0)));
}

// An entry queued twice: Windows links it into the queue a second time, which for the tail entry
// makes it its own successor, and the sorted routines then walk that loop for ever. kemu stops
// at the second insert, 0x139 / 3, on every release.
TEST(DeviceQueueTest, AnEntryInsertedTwiceIsACorruptListEntryOnEveryRelease) {
  for (const kemu::Os os : {kemu::Os::kWindowsXP, kemu::Os::kWindows10}) {
    Queue t(kemu::MachineOptions{.os = os});
    ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
    ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
    EXPECT_THAT([&] { KeInsertByKeyDeviceQueue(&t.queue, &t.b, 7); },
                Throws<kemu::BugCheck>(
                    BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3, 0, 0, 0)));
  }
  Queue t;  // the plain insert too
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
  EXPECT_THAT([&] { KeInsertDeviceQueue(&t.queue, &t.b); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3)));
}

// The search for an entry queued already does not trust the entry's Inserted field: a new entry's
// field holds whatever its memory held (valgrind saw kemu read it uninitialised), and one the
// driver cleared is still in the queue.
TEST(DeviceQueueTest, AnEntryQueuedTwiceIsFoundWhateverItsInsertedFieldSays) {
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
  t.b.Inserted = FALSE;
  EXPECT_THAT([&] { KeInsertDeviceQueue(&t.queue, &t.b); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3)));
}

// Links the driver wrote into a queued entry that loop without passing the head: the routines
// that walk the queue report them instead of following them for ever.
TEST(DeviceQueueTest, AQueueWhoseLinksLoopPastTheHeadIsReportedNotWalkedForEver) {
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.c), TRUE);
  t.c.DeviceListEntry.Flink = &t.b.DeviceListEntry;  // c leads back to b, never to the head
  EXPECT_THAT([&] { KeRemoveByKeyDeviceQueue(&t.queue, 100); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKernelSecurityCheckFailure, 3)));
}

TEST(DeviceQueueTest, ANullLinkInTheQueueIsTheFaultOfFollowingIt) {
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
  t.b.DeviceListEntry.Flink = nullptr;
  EXPECT_THAT([&] { KeInsertByKeyDeviceQueue(&t.queue, &t.c, 1); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled)));
}

// Correct use stays silent: entries inserted, removed and inserted again, by key and in order.
TEST(DeviceQueueTest, AnEntryRemovedAndInsertedAgainIsNoDoubleInsert) {
  Queue t;
  ASSERT_EQ(KeInsertDeviceQueue(&t.queue, &t.a), FALSE);
  ASSERT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.b, 5), TRUE);
  ASSERT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.c, 3), TRUE);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.c);
  EXPECT_EQ(KeInsertByKeyDeviceQueue(&t.queue, &t.c, 9), TRUE);
  EXPECT_EQ(KeRemoveEntryDeviceQueue(&t.queue, &t.b), TRUE);
  EXPECT_EQ(KeInsertDeviceQueue(&t.queue, &t.b), TRUE);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.c);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), &t.b);
  EXPECT_EQ(KeRemoveDeviceQueue(&t.queue), nullptr);
}

}  // namespace
