// Instrumented driver code that touches freed special pool is stopped at the access with 0xD5
// DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, as Windows' special pool faults there, instead of
// following kemu's poison into a host fault (docs/verifier-rules.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>

#include "freed_pool_driver.h"
#include "kemu/kemu.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kFreedSpecialPool = kemu::bugcheck::kDriverPageFaultInFreedSpecialPool;

std::uint64_t Address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// One vCPU with Driver Verifier (special pool's quarantine on), and the driver's request list.
class FreedPoolAccessTest : public ::testing::Test {
 protected:
  /// The driver queues one request, keeps a pointer to it, and frees it (unlinked first): the
  /// pointer is stale.
  FREED_POOL_REQUEST* StaleRequest() {
    FreedPoolQueue(&head_, 1);
    FREED_POOL_REQUEST* stale = FreedPoolFind(&head_, 1);
    FreedPoolDrop(&head_, 1, /*Unlink=*/TRUE);
    return stale;
  }

  kemu::Machine machine_{{.processors = 1}};
  LIST_ENTRY head_;
};

TEST_F(FreedPoolAccessTest, WalkingPastAFreedButLinkedEntryIsAReadFaultAtTheEntry) {
  FreedPoolQueue(&head_, 3);
  FREED_POOL_REQUEST* second = FreedPoolFind(&head_, 2);
  FreedPoolDrop(&head_, 2, /*Unlink=*/FALSE);  // still linked
  const kemu::BugCheck crash = CrashOf([&] { FreedPoolFind(&head_, 3); });
  // The walk's first touch of the freed entry: its Tag (read), offset 0x10.
  EXPECT_THAT(crash, BugCheckIs(kFreedSpecialPool, Address(&second->Tag)));
  EXPECT_EQ(crash.parameter(1), 0u);  // read
  EXPECT_THAT(crash.what(), HasSubstr("offset 0x10 of"));
  EXPECT_THAT(crash.what(), HasSubstr("'PrFl'"));
  machine_.Abandon();
}

TEST_F(FreedPoolAccessTest, AWriteThroughAStalePointerIsAWriteFault) {
  FREED_POOL_REQUEST* stale = StaleRequest();
  const kemu::BugCheck crash = CrashOf([&] { FreedPoolRetag(stale, 7); });
  EXPECT_THAT(crash, BugCheckIs(kFreedSpecialPool, Address(&stale->Tag)));
  EXPECT_EQ(crash.parameter(1), 1u);  // write
  machine_.Abandon();
}

// Audit round 11 F3: the report says which driver code made the access (its source line and
// routine, as a race report does) and what was running, and gives its address as Arg3.
TEST_F(FreedPoolAccessTest, TheReportNamesTheDriverLineAndRoutineThatMadeTheAccess) {
  FREED_POOL_REQUEST* stale = StaleRequest();
  const kemu::BugCheck crash = CrashOf([&] { FreedPoolRetag(stale, 7); });
  EXPECT_THAT(crash.what(), HasSubstr("Driver code at "));
  EXPECT_THAT(crash.what(), HasSubstr("freed_pool_driver.c:"));
  EXPECT_THAT(crash.what(), HasSubstr(" in FreedPoolRetag wrote to "));
  EXPECT_NE(crash.parameter(2), 0u);  // where the driver's access returns to
  EXPECT_THAT(crash.what(), HasSubstr("the driver code's return address from the access"));
  machine_.Abandon();
}

// An access inside a WDK header's inline routine is named at the header's line, not at that line
// number of the driver's file (audit round 19, C4: binutils 2.40's addr2line, GCC 12's DWARF 5).
TEST_F(FreedPoolAccessTest, AnAccessInAnInlineWdkRoutineIsNamedAtItsHeaderLine) {
  FREED_POOL_REQUEST* stale = StaleRequest();
  const kemu::BugCheck crash = CrashOf([&] { FreedPoolCount(stale); });
  EXPECT_THAT(crash, BugCheckIs(kFreedSpecialPool, Address(&stale->Tag)));
  EXPECT_THAT(crash.what(), HasSubstr("kemu_wdk_interlocked.h:"));
  EXPECT_THAT(crash.what(), HasSubstr(" in InterlockedIncrement"));
  machine_.Abandon();
}

VOID RetagInDpc(PKDPC, PVOID context, PVOID, PVOID) {
  FreedPoolRetag(static_cast<FREED_POOL_REQUEST*>(context), 9);
}

TEST_F(FreedPoolAccessTest, TheReportSaysWhichCallbackRanTheAccess) {
  FREED_POOL_REQUEST* stale = StaleRequest();
  KDPC dpc;
  KeInitializeDpc(&dpc, &RetagInDpc, stale);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kFreedSpecialPool, Address(&stale->Tag)));
  EXPECT_THAT(crash.what(), HasSubstr(" in FreedPoolRetag (a DPC routine on vCPU 0 at IRQL 2"));
  machine_.Abandon();
}

TEST_F(FreedPoolAccessTest, FollowingAPoisonPointerReadUninstrumentedNamesWhereItWasRead) {
  FREED_POOL_REQUEST* stale = StaleRequest();
  // The test (not instrumented) reads the poison out of the freed entry; the driver follows it.
  auto* poison = reinterpret_cast<FREED_POOL_REQUEST*>(stale->Link.Flink);
  const kemu::BugCheck crash = CrashOf([&] { FreedPoolNext(poison); });
  EXPECT_THAT(crash, BugCheckIs(kFreedSpecialPool, Address(&stale->Link.Flink)));
  EXPECT_THAT(crash.what(), HasSubstr("kemu's poison for freed pool"));
  EXPECT_THAT(crash.what(), HasSubstr(" in FreedPoolNext was about to read from "));
  machine_.Abandon();
}

TEST_F(FreedPoolAccessTest, UnlinkingBeforeTheFreeStaysSilent) {
  FreedPoolQueue(&head_, 3);
  FreedPoolDrop(&head_, 2, /*Unlink=*/TRUE);
  EXPECT_NE(FreedPoolFind(&head_, 3), nullptr);
  EXPECT_EQ(FreedPoolFind(&head_, 2), nullptr);
  FreedPoolDrain(&head_);
  machine_.Shutdown();
}

TEST(FreedPoolAccessWithoutVerifierTest, ThereIsNoQuarantineToCheck) {
  kemu::Machine machine({.processors = 1, .verifier = false});
  LIST_ENTRY head;
  FreedPoolQueue(&head, 2);
  FreedPoolDrop(&head, 2, /*Unlink=*/TRUE);
  EXPECT_NE(FreedPoolFind(&head, 1), nullptr);
  FreedPoolDrain(&head);
  machine.Shutdown();
}

}  // namespace
