// Kernel routines called from real C (c_calls.c): the WDK headers work from C17, the macros lead
// where they do in C++, and a kemu::BugCheck thrown inside a kernel routine unwinds through the
// driver's C frames to the test.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

extern "C" {
typedef struct _C_CALLS_COUNTER {
  KSPIN_LOCK Lock;
  LONG Value;
} C_CALLS_COUNTER, *PC_CALLS_COUNTER;

KIRQL CCallsCurrentIrql(void);
int CCallsNumberProcessors(void);
KIRQL CCallsRaiseTo(KIRQL NewIrql);
KIRQL CCallsRaiseToThroughTheFunction(KIRQL NewIrql);
void CCallsRaiseWithoutOldIrql(KIRQL NewIrql);
void CCallsLower(KIRQL NewIrql);
KIRQL CCallsRaiseToDpcLevel(void);
void CCallsInitializeCounter(PC_CALLS_COUNTER Counter);
KIRQL CCallsIncrement(PC_CALLS_COUNTER Counter);
void CCallsIncrementQueued(PC_CALLS_COUNTER Counter, KSPIN_LOCK* WordWhileHeld);
void CCallsIncrementTwiceUnderLock(PC_CALLS_COUNTER Counter, int* Reached);
void CCallsLowerToTheWrongLevel(int* Reached);
void CCallsPagedRoutine(int* Reached);
void CCallsCheckValue(LONG Value, int* Reached);
void CCallsGiveUp(ULONG_PTR Context);
typedef struct _C_CALLS_TABLE {
  EX_SPIN_LOCK Lock;
  LONG Entries;
} C_CALLS_TABLE, *PC_CALLS_TABLE;
LONG CCallsReadTable(PC_CALLS_TABLE Table);
void CCallsAddToTable(PC_CALLS_TABLE Table);
void CCallsAddToTableReleasingShared(PC_CALLS_TABLE Table, int* Reached);
}

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Property;
using ::testing::Throws;

using ::kemu::testing::BugCheckIs;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

TEST(CCallsTest, CCodeRunsAtPassiveLevel) {  // IRQL-1
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(CCallsCurrentIrql(), PASSIVE_LEVEL);
}

TEST(CCallsTest, KeRaiseIrqlMacroFromCStoresTheOldIrql) {  // IRQL-2
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(CCallsRaiseTo(DISPATCH_LEVEL), PASSIVE_LEVEL);
  EXPECT_EQ(machine.CurrentIrql(), DISPATCH_LEVEL);
  EXPECT_EQ(CCallsRaiseTo(HIGH_LEVEL), DISPATCH_LEVEL);
  CCallsLower(DISPATCH_LEVEL);
  EXPECT_EQ(CCallsCurrentIrql(), DISPATCH_LEVEL);
  CCallsLower(PASSIVE_LEVEL);
  EXPECT_EQ(machine.CurrentIrql(), PASSIVE_LEVEL);
}

TEST(CCallsTest, ParenthesisedKeRaiseIrqlFromCReachesTheFunction) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  EXPECT_EQ(CCallsRaiseToThroughTheFunction(APC_LEVEL), PASSIVE_LEVEL);
  EXPECT_EQ(machine.CurrentIrql(), APC_LEVEL);
  CCallsLower(PASSIVE_LEVEL);
}

TEST(CCallsTest, ParenthesisedKeRaiseIrqlFromCWithNullOldIrqlBugChecks) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT([] { CCallsRaiseWithoutOldIrql(DISPATCH_LEVEL); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0)));
}

TEST(CCallsTest, KeRaiseIrqlToDpcLevelFromCReturnsThePreviousIrql) {  // IRQL-6
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(CCallsRaiseToDpcLevel(), PASSIVE_LEVEL);
  EXPECT_EQ(CCallsRaiseToDpcLevel(), DISPATCH_LEVEL);
  CCallsLower(PASSIVE_LEVEL);
}

TEST(CCallsTest, KeAcquireSpinLockMacroFromCHoldsTheLockAtDispatch) {  // SL-4
  for (kemu::Os os : kemu::AllOs()) {
    SCOPED_TRACE(kemu::OsName(os));
    kemu::Machine machine(os);
    C_CALLS_COUNTER counter;
    counter.Lock = 0x5555;
    CCallsInitializeCounter(&counter);
    EXPECT_EQ(counter.Lock, 0u);  // SL-1
    EXPECT_EQ(CCallsIncrement(&counter), DISPATCH_LEVEL);
    EXPECT_EQ(CCallsIncrement(&counter), DISPATCH_LEVEL);
    EXPECT_EQ(counter.Value, 2);
    EXPECT_EQ(counter.Lock, 0u);
    EXPECT_EQ(machine.CurrentIrql(), PASSIVE_LEVEL);
  }
}

TEST(CCallsTest, QueuedSpinLockFromCStoresTheHandleInTheLockWord) {  // SL-9
  kemu::Machine machine(kemu::Os::kWindows7);
  C_CALLS_COUNTER counter;
  CCallsInitializeCounter(&counter);
  KSPIN_LOCK word_while_held = 0;
  CCallsIncrementQueued(&counter, &word_while_held);
  EXPECT_NE(word_while_held, 0u);
  EXPECT_EQ(word_while_held & 7, 0u) << "the address of the caller's KLOCK_QUEUE_HANDLE";
  EXPECT_EQ(counter.Value, 1);
  EXPECT_EQ(counter.Lock, 0u);
}

TEST(CCallsTest, RecursiveAcquireInCUnwindsThroughBothCFrames) {
  kemu::Machine machine({.verifier = true});
  C_CALLS_COUNTER counter;
  CCallsInitializeCounter(&counter);
  int reached = 0;
  EXPECT_THAT(
      [&] { CCallsIncrementTwiceUnderLock(&counter, &reached); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1000, Address(&counter.Lock), 0, 0)));
  EXPECT_EQ(reached, 0) << "neither C frame ran past the failing call";
  EXPECT_EQ(counter.Value, 0);
  EXPECT_TRUE(machine.crashed());
}

TEST(CCallsTest, RecursiveAcquireInCBugChecksSpinLockAlreadyOwnedOnCheckedKernel) {
  kemu::Machine machine({.verifier = false});
  C_CALLS_COUNTER counter;
  CCallsInitializeCounter(&counter);
  int reached = 0;
  EXPECT_THAT([&] { CCallsIncrementTwiceUnderLock(&counter, &reached); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kSpinLockAlreadyOwned,
                                                Address(&counter.Lock), 0, 0, 0)));
  EXPECT_EQ(reached, 0);
}

TEST(CCallsTest, ReaderWriterSpinLockFromCReadsAndUpgradesAtDispatch) {
  kemu::Machine machine({.verifier = true});
  C_CALLS_TABLE table{};
  CCallsAddToTable(&table);
  CCallsAddToTable(&table);
  EXPECT_EQ(CCallsReadTable(&table), 2);
  EXPECT_EQ(table.Lock, 0);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  machine.Shutdown();
}

TEST(CCallsTest, UpgradedLockReleasedSharedInCUnwindsWithTheMismatchedReleaseCode) {
  kemu::Machine machine({.verifier = true});
  C_CALLS_TABLE table{};
  int reached = 0;
  EXPECT_THAT([&] { CCallsAddToTableReleasingShared(&table, &reached); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1009,
                                                Address(const_cast<LONG*>(&table.Lock)), 0, 0)));
  EXPECT_EQ(reached, 0);
}

TEST(CCallsTest, KeLowerIrqlMisuseInCUnwindsWithTheVerifierCode) {
  kemu::Machine machine({.verifier = true});
  int reached = 0;
  EXPECT_THAT(
      [&] { CCallsLowerToTheWrongLevel(&reached); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x31, APC_LEVEL, DISPATCH_LEVEL, 0)));
  EXPECT_EQ(reached, 0);
}

TEST(CCallsTest, PagedCodeInCAtDispatchUnwinds) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int reached = 0;
  CCallsRaiseTo(DISPATCH_LEVEL);
  EXPECT_THAT([&] { CCallsPagedRoutine(&reached); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kDriverIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 8, 0)));
  EXPECT_EQ(reached, 0);
}

TEST(CCallsTest, PagedCodeInCAtPassiveRuns) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int reached = 0;
  CCallsPagedRoutine(&reached);
  EXPECT_EQ(reached, 1);
}

TEST(CCallsTest, FailedAssertInCUnwinds) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int reached = 0;
  EXPECT_THAT([&] { CCallsCheckValue(0, &reached); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000420, 0, 0, 0)));
  EXPECT_EQ(reached, 0);
}

TEST(CCallsTest, PassingAssertInCRuns) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int reached = 0;
  CCallsCheckValue(1, &reached);
  EXPECT_EQ(reached, 1);
}

TEST(CCallsTest, KeBugCheckExFromCArrivesWithItsParameters) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT([] { CCallsGiveUp(0x1234); },
              Throws<kemu::BugCheck>(BugCheckIs(0xE2, 0x1234, 0, 0, 0)));
}

TEST(CCallsTest, ExpectBugcheckSeesACrashRaisedInC) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int reached = 0;
  EXPECT_BUGCHECK(CCallsLowerToTheWrongLevel(&reached), kVerifierBugCheck);
  EXPECT_EQ(reached, 0);
}

TEST(CCallsTest, KeNumberProcessorsReadsAsAVariableFromC) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindowsXP, .processors = 3});
  EXPECT_EQ(CCallsNumberProcessors(), 3);
}

}  // namespace
