// KeRegisterBugCheckCallback / KeDeregisterBugCheckCallback: a registered routine runs when the
// machine stops on a bug check, at HIGH_LEVEL, before the bug check reaches the test.
#include <fmt/format.h>
#include <wdm.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kDriverCode = 0xE2;  // MANUALLY_INITIATED_CRASH

struct Seen {
  std::vector<int> order;
  KIRQL irql = 0;
  ULONG length = 0;
};

VOID First(PVOID buffer, ULONG length) {
  auto* seen = static_cast<Seen*>(buffer);
  seen->order.push_back(1);
  seen->irql = KeGetCurrentIrql();
  seen->length = length;
}

VOID Second(PVOID buffer, ULONG) { static_cast<Seen*>(buffer)->order.push_back(2); }

UCHAR g_component[] = "kemu-test";

TEST(BugCheckCallbackTest, RegisteredRoutinesRunNewestFirstAtHighLevelWhenTheMachineStops) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD first;
  KBUGCHECK_CALLBACK_RECORD second;
  KeInitializeCallbackRecord(&first);
  KeInitializeCallbackRecord(&second);
  ASSERT_TRUE(KeRegisterBugCheckCallback(&first, &First, &seen, sizeof seen, g_component));
  ASSERT_TRUE(KeRegisterBugCheckCallback(&second, &Second, &seen, sizeof seen, g_component));
  EXPECT_EQ(first.State, BufferInserted);
  EXPECT_TRUE(seen.order.empty());
  EXPECT_THAT(CrashOf([] { KeBugCheckEx(kDriverCode, 1, 2, 3, 4); }),
              BugCheckIs(kDriverCode, 1, 2, 3, 4));
  EXPECT_EQ(seen.order, (std::vector<int>{2, 1}));
  EXPECT_EQ(seen.irql, HIGH_LEVEL);
  EXPECT_EQ(seen.length, sizeof seen);
  EXPECT_EQ(first.State, BufferFinished);
}

TEST(BugCheckCallbackTest, ADeregisteredRoutineDoesNotRun) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  ASSERT_TRUE(KeRegisterBugCheckCallback(&record, &First, &seen, sizeof seen, g_component));
  EXPECT_TRUE(KeDeregisterBugCheckCallback(&record));
  EXPECT_EQ(record.State, BufferEmpty);
  EXPECT_FALSE(KeDeregisterBugCheckCallback(&record));  // not registered any more
  EXPECT_THAT(CrashOf([] { KeBugCheckEx(kDriverCode, 0, 0, 0, 0); }),
              BugCheckIs(kDriverCode, 0, 0, 0, 0));
  EXPECT_TRUE(seen.order.empty());
}

TEST(BugCheckCallbackTest, ARecordRegisteredTwiceIsRefused) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  EXPECT_TRUE(KeRegisterBugCheckCallback(&record, &First, &seen, sizeof seen, g_component));
  EXPECT_FALSE(KeRegisterBugCheckCallback(&record, &Second, &seen, sizeof seen, g_component));
  EXPECT_TRUE(KeDeregisterBugCheckCallback(&record));
  machine.Shutdown();
}

TEST(BugCheckCallbackTest, AVerifierStopRunsTheCallbacksToo) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  KeRegisterBugCheckCallback(&record, &First, &seen, sizeof seen, g_component);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { KeFlushQueuedDpcs(); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql));
  EXPECT_EQ(seen.order, (std::vector<int>{1}));
}

TEST(BugCheckCallbackTest, ACallbackStillRegisteredAtShutdownIsALeak) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  KeRegisterBugCheckCallback(&record, &First, &seen, sizeof seen, g_component);
  EXPECT_THAT(CrashOf([&] { machine.Shutdown(); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kLeakAtShutdown, 1,
                         reinterpret_cast<std::uintptr_t>(&record), 0));
  // The leak report is a bug check too: the callback ran for it.
  EXPECT_EQ(seen.order, (std::vector<int>{1}));
}

// A driver that frees the pool block holding a registered record (an unload that forgot to
// deregister) leaves kemu nothing to read: the leak report names the record and the free from
// kemu's own copy, and no callback runs from the freed memory (audit round 4, R87).
TEST(BugCheckCallbackTest, ARecordInFreedPoolIsReportedFromKemusCopyAndNotCalled) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  auto* record = static_cast<PKBUGCHECK_CALLBACK_RECORD>(
      ExAllocatePoolWithTag(NonPagedPool, sizeof(KBUGCHECK_CALLBACK_RECORD), 'bCuK'));
  ASSERT_NE(record, nullptr);
  KeInitializeCallbackRecord(record);
  ASSERT_TRUE(KeRegisterBugCheckCallback(record, &First, &seen, sizeof seen, g_component));
  ExFreePoolWithTag(record, 'bCuK');
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, kemu::verifier_code::kLeakAtShutdown, 1,
                               reinterpret_cast<std::uintptr_t>(record), 0));
  EXPECT_THAT(leak.what(), ::testing::HasSubstr("(component \"kemu-test\") is still registered"));
  EXPECT_THAT(leak.what(),
              ::testing::HasSubstr("and ExFreePoolWithTag freed the pool block holding it"));
  EXPECT_TRUE(seen.order.empty());
}

// A record registered in a stack frame the driver has left no longer holds its registration
// once the frame is reused: it is passed over at the bug check, never written or called.
TEST(BugCheckCallbackTest, ARecordNoLongerHoldingItsRegistrationIsPassedOver) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD kept;
  KBUGCHECK_CALLBACK_RECORD overwritten;
  KeInitializeCallbackRecord(&kept);
  KeInitializeCallbackRecord(&overwritten);
  ASSERT_TRUE(KeRegisterBugCheckCallback(&kept, &Second, &seen, sizeof seen, g_component));
  ASSERT_TRUE(KeRegisterBugCheckCallback(&overwritten, &First, &seen, sizeof seen, g_component));
  std::memset(&overwritten, 0xA5, sizeof overwritten);  // what reuse of the frame would leave
  EXPECT_THAT(CrashOf([] { KeBugCheckEx(kDriverCode, 1, 2, 3, 4); }),
              BugCheckIs(kDriverCode, 1, 2, 3, 4));
  EXPECT_EQ(seen.order, (std::vector<int>{2}));
  EXPECT_EQ(kept.State, BufferFinished);
  const auto* bytes = reinterpret_cast<const unsigned char*>(&overwritten);
  EXPECT_TRUE(
      std::all_of(bytes, bytes + sizeof overwritten, [](unsigned char b) { return b == 0xA5; }));
}

// A callback that breaks a rule of its own: pool at HIGH_LEVEL.
VOID Allocating(PVOID buffer, ULONG) {
  *static_cast<PVOID*>(buffer) = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'tseT');
}

std::string InsideCallback(PKBUGCHECK_CALLBACK_RECORD record) {
  return fmt::format(
      "This happened inside the bug-check callback routine {} (KeRegisterBugCheckCallback, "
      "record {}, component \"kemu-test\"), which kemu ran at HIGH_LEVEL for the bug check "
      "0x000000E2 that stopped the machine.",
      reinterpret_cast<const void*>(&Allocating), static_cast<const void*>(record));
}

// The machine stops on 0xE2; the callback's own violation is in that report, naming the callback.
TEST(BugCheckCallbackTest, ARuleACallbackBreaksIsReportedAsInsideThatCallback) {
  kemu::Machine machine(kemu::Os::kWindows10);
  PVOID allocated = nullptr;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  ASSERT_TRUE(
      KeRegisterBugCheckCallback(&record, &Allocating, &allocated, sizeof allocated, g_component));
  const kemu::BugCheck crash = CrashOf([] { KeBugCheckEx(kDriverCode, 1, 2, 3, 4); });
  EXPECT_THAT(crash, BugCheckIs(kDriverCode, 1, 2, 3, 4));  // the bug check that stopped it
  EXPECT_EQ(record.State, BufferIncomplete);
  const std::string report = crash.what();
  EXPECT_THAT(report, HasSubstr("\n\n  A bug-check callback broke a rule while it ran, and kemu "
                                "called no further callbacks:\n  | *** kemu bug check "
                                "0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION\n"));
  EXPECT_THAT(report, HasSubstr("  |   " + InsideCallback(&record) + "\n\n  Machine:"));
}

// Recorded instead of thrown, the callback's violation is a report of its own, naming it too.
TEST(BugCheckCallbackTest, ARecordedViolationInsideACallbackNamesTheCallback) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  PVOID allocated = nullptr;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  ASSERT_TRUE(
      KeRegisterBugCheckCallback(&record, &Allocating, &allocated, sizeof allocated, g_component));
  EXPECT_THAT(CrashOf([] { KeBugCheckEx(kDriverCode, 0, 0, 0, 0); }), BugCheckIs(kDriverCode));
  std::vector<std::string> inside;
  for (const kemu::BugCheck& recorded : machine.bug_checks()) {
    if (recorded.report().find(InsideCallback(&record)) != std::string::npos) {
      inside.push_back(recorded.report());
    }
  }
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_THAT(inside[0], HasSubstr("ExAllocatePoolWithTag"));
}

// A callback that keeps to the rules leaves the report as it was.
TEST(BugCheckCallbackTest, ACallbackThatKeepsTheRulesAddsNothingToTheReport) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Seen seen;
  KBUGCHECK_CALLBACK_RECORD record;
  KeInitializeCallbackRecord(&record);
  ASSERT_TRUE(KeRegisterBugCheckCallback(&record, &First, &seen, sizeof seen, g_component));
  const kemu::BugCheck crash = CrashOf([] { KeBugCheckEx(kDriverCode, 1, 2, 3, 4); });
  EXPECT_EQ(std::string(crash.what()).find("bug-check callback"), std::string::npos);
}

}  // namespace
