// Ordinary spin locks: KeInitializeSpinLock, KeAcquire/ReleaseSpinLock and their DPC-level,
// RaiseToSynch, Try and Test relatives, and every spin-lock rule of the verifier
// (emu/model/spin_locks.cpp, emu/verifier/rules_spinlock.cpp). docs/conformance.md §2.2
// (SL-1..SL-8), docs/windows-facts.md §6.
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::OsFrom;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::Throws;

using ::kemu::testing::BugCheckIs;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kAlreadyOwned = kemu::bugcheck::kSpinLockAlreadyOwned;
constexpr std::uint32_t kNotOwned = kemu::bugcheck::kSpinLockNotOwned;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions VerifierOn(unsigned processors = 1) {
  return {.processors = processors, .verifier = true};
}
kemu::MachineOptions CheckedKernel(unsigned processors = 1) {
  return {.processors = processors, .verifier = false, .checked_build = true};
}
kemu::MachineOptions RetailKernel(unsigned processors = 1) {
  return {.processors = processors, .verifier = false, .checked_build = false};
}

// A machine with one initialised spin lock: the setting of most tests below.
struct MachineWithLock {
  explicit MachineWithLock(const kemu::MachineOptions& options) : machine(options) {
    KeInitializeSpinLock(&lock);
  }
  kemu::Machine machine;
  KSPIN_LOCK lock;
};

// The owner stamp a checked kernel or Verifier writes into a held lock: KTHREAD address | 1.
bool IsOwnerStamp(KSPIN_LOCK word) { return (word & 1) == 1 && word != 1; }

// ---------------------------------------------------------------------------------------------
// Behaviour every personality shares (Driver Verifier on, the default machine).

// Two vCPUs, so tests can visit the second one.
class SpinLockPersonalityTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    KeInitializeSpinLock(&lock_);
  }
  kemu::MachineOptions Options() const override { return {.os = GetParam(), .processors = 2}; }

  KSPIN_LOCK lock_;
};

TEST_P(SpinLockPersonalityTest, KeInitializeSpinLockStoresZeroOverAnyFill) {  // SL-1
  KSPIN_LOCK lock;
  std::memset(&lock, 0x55, sizeof lock);
  KeInitializeSpinLock(&lock);
  EXPECT_EQ(lock, 0u);
}

TEST_P(SpinLockPersonalityTest, KeAcquireSpinLockRaisesToDispatchAndReleaseRestoresTheCaller) {
  // SL-4, from each IRQL a caller may hold, through the macro, the real function and the
  // RaiseToDpc routine the macro expands to.
  for (KIRQL start : {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "from IRQL " << int{start});
    KIRQL original;
    KeRaiseIrql(start, &original);
    KIRQL old = 0xEE;
    KeAcquireSpinLock(&lock_, &old);
    EXPECT_EQ(old, start);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseSpinLock(&lock_, old);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    old = 0xEE;
    (KeAcquireSpinLock)(&lock_, &old);
    EXPECT_EQ(old, start);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseSpinLock(&lock_, old);
    EXPECT_EQ(KeAcquireSpinLockRaiseToDpc(&lock_), start);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseSpinLock(&lock_, start);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    KeLowerIrql(original);
  }
}

TEST_P(SpinLockPersonalityTest, HeldLockWordIsTheOwnerThreadOrOneUnderVerifier) {  // SL-3
  KSPIN_LOCK first;
  KSPIN_LOCK second;
  KeInitializeSpinLock(&first);
  KeInitializeSpinLock(&second);
  KIRQL old;
  KeAcquireSpinLock(&first, &old);
  KeAcquireSpinLockAtDpcLevel(&second);
  EXPECT_PRED1(IsOwnerStamp, first);
  EXPECT_EQ(second, first) << "both locks are stamped with the same running thread";
  KeReleaseSpinLockFromDpcLevel(&second);
  EXPECT_EQ(second, 0u);
  KeReleaseSpinLock(&first, old);
  EXPECT_EQ(first, 0u);
}

TEST_P(SpinLockPersonalityTest, AtDpcLevelRoutinesNeverChangeIrql) {  // SL-7
  for (KIRQL level : {KIRQL{DISPATCH_LEVEL}, KIRQL{CLOCK_LEVEL}, KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "at IRQL " << int{level});
    KIRQL old;
    KeRaiseIrql(level, &old);
    KeAcquireSpinLockAtDpcLevel(&lock_);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    EXPECT_NE(lock_, 0u);
    KeReleaseSpinLockFromDpcLevel(&lock_);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    EXPECT_EQ(lock_, 0u);
    KeLowerIrql(old);
  }
}

TEST_P(SpinLockPersonalityTest, AtDpcLevelAcquireWithKeReleaseSpinLockLowersToTheGivenIrql) {
  // SL-7: mixing the DPC-level and raising routines on one lock is legal.
  const KIRQL old = KeRaiseIrqlToDpcLevel();
  KeAcquireSpinLockAtDpcLevel(&lock_);
  KeReleaseSpinLock(&lock_, old);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(lock_, 0u);
}

TEST_P(SpinLockPersonalityTest, KeAcquireSpinLockWithReleaseFromDpcLevelStaysAtDispatch) {
  // SL-7
  KIRQL old;
  KeAcquireSpinLock(&lock_, &old);
  KeReleaseSpinLockFromDpcLevel(&lock_);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  EXPECT_EQ(lock_, 0u);
  KeLowerIrql(old);
}

TEST_P(SpinLockPersonalityTest, KeAcquireSpinLockRaiseToSynchGoesToSynchLevel) {  // SL-5
  for (KIRQL start : {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "from IRQL " << int{start});
    KIRQL original;
    KeRaiseIrql(start, &original);
    const KIRQL old = KeAcquireSpinLockRaiseToSynch(&lock_);
    EXPECT_EQ(old, start);
    EXPECT_EQ(KeGetCurrentIrql(), 12);
    EXPECT_PRED1(IsOwnerStamp, lock_);
    // SL-5 as the kmtest pairs it: KeReleaseSpinLock at SYNCH_LEVEL is the matching release,
    // so the verifier's release-level check expects SYNCH_LEVEL here, not DISPATCH_LEVEL.
    KeReleaseSpinLock(&lock_, old);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    EXPECT_EQ(lock_, 0u);
    KeLowerIrql(original);
  }
}

TEST_P(SpinLockPersonalityTest, ReleaseOnTheOwningProcessorAfterVisitingAnotherIsSilent) {
  KIRQL old;
  KeAcquireSpinLock(&lock_, &old);
  machine().SwitchToProcessor(1);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL) << "each vCPU has its own IRQL";
  machine().SwitchToProcessor(0);
  KeReleaseSpinLock(&lock_, old);
  EXPECT_EQ(lock_, 0u);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(SpinLockPersonalityTest, ALockAnotherProcessorReleasedCanBeAcquiredHere) {
  KIRQL old0;
  KeAcquireSpinLock(&lock_, &old0);
  KeReleaseSpinLock(&lock_, old0);
  machine().SwitchToProcessor(1);
  KIRQL old1;
  KeAcquireSpinLock(&lock_, &old1);
  EXPECT_PRED1(IsOwnerStamp, lock_);
  KeReleaseSpinLock(&lock_, old1);
  machine().SwitchToProcessor(0);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, SpinLockPersonalityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// KeTestSpinLock and KeTryToAcquireSpinLockAtDpcLevel: Windows Server 2003 and later.

using SpinLockServer2003PlusTest = SpinLockPersonalityTest;

TEST_P(SpinLockServer2003PlusTest, KeTestSpinLockIsTrueOnlyForAZeroWord) {  // SL-2
  KSPIN_LOCK lock = 0;
  EXPECT_EQ(KeTestSpinLock(&lock), TRUE);
  for (KSPIN_LOCK word : {KSPIN_LOCK{1}, KSPIN_LOCK{2}, ~KSPIN_LOCK{0}, KSPIN_LOCK{1} << 63}) {
    lock = word;
    EXPECT_EQ(KeTestSpinLock(&lock), FALSE) << "word " << word;
  }
}

TEST_P(SpinLockServer2003PlusTest, KeTestSpinLockFollowsAcquireAndRelease) {  // SL-2
  KIRQL old;
  KeAcquireSpinLock(&lock_, &old);
  EXPECT_EQ(KeTestSpinLock(&lock_), FALSE);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "testing never changes IRQL";
  KeReleaseSpinLock(&lock_, old);
  EXPECT_EQ(KeTestSpinLock(&lock_), TRUE);
}

TEST_P(SpinLockServer2003PlusTest, KeTryToAcquireSpinLockAtDpcLevelTakesAFreeLock) {  // SL-8
  const KIRQL old = KeRaiseIrqlToDpcLevel();
  EXPECT_EQ(KeTryToAcquireSpinLockAtDpcLevel(&lock_), TRUE);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  EXPECT_PRED1(IsOwnerStamp, lock_);
  KeReleaseSpinLock(&lock_, old);
}

TEST_P(SpinLockServer2003PlusTest, KeTryToAcquireSpinLockAtDpcLevelFailsOnALockAnotherCpuHolds) {
  // SL-8, multiprocessor kernel
  KIRQL old0;
  KeAcquireSpinLock(&lock_, &old0);
  const KSPIN_LOCK held = lock_;
  machine().SwitchToProcessor(1);
  const KIRQL old1 = KeRaiseIrqlToDpcLevel();
  EXPECT_EQ(KeTryToAcquireSpinLockAtDpcLevel(&lock_), FALSE);
  EXPECT_EQ(lock_, held) << "a failed try leaves the owner's stamp";
  KeLowerIrql(old1);
  machine().SwitchToProcessor(0);
  KeReleaseSpinLock(&lock_, old0);
}

TEST_P(SpinLockServer2003PlusTest, KeTryToAcquireSpinLockAtDpcLevelOnALockItHoldsBugChecks) {
  KIRQL old;
  KeAcquireSpinLock(&lock_, &old);
  EXPECT_THAT([&] { KeTryToAcquireSpinLockAtDpcLevel(&lock_); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1000, Address(&lock_), 0, 0)));
}

INSTANTIATE_TEST_SUITE_P(Server2003AndLater, SpinLockServer2003PlusTest,
                         OsFrom(kemu::Os::kWindowsServer2003), kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// KeAcquireSpinLockForDpc / KeReleaseSpinLockForDpc: Windows Vista and later. As the in-stack
// queued ...ForDpc pair (SL-10): called from a thread, not a threaded DPC, they leave the IRQL
// alone at every level and the acquire returns it (threaded_dpc_test.cpp has the raise).

using SpinLockForDpcTest = SpinLockPersonalityTest;

TEST_P(SpinLockForDpcTest, ForDpcPairReturnsTheIrqlAndLeavesItAlone) {  // SL-10
  for (KIRQL level : {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "at IRQL " << int{level});
    KIRQL original;
    KeRaiseIrql(level, &original);
    const KIRQL old = KeAcquireSpinLockForDpc(&lock_);
    EXPECT_EQ(old, level);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    EXPECT_PRED1(IsOwnerStamp, lock_);
    KeReleaseSpinLockForDpc(&lock_, old);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    EXPECT_EQ(lock_, 0u);
    KeLowerIrql(original);
  }
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST_P(SpinLockForDpcTest, ForDpcAcquireOfALockItHoldsIsASelfDeadlock) {
  KIRQL old;
  KeAcquireSpinLock(&lock_, &old);
  EXPECT_THAT([&] { KeAcquireSpinLockForDpc(&lock_); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1000, Address(&lock_), 0, 0)));
}

TEST_P(SpinLockForDpcTest, ForDpcReleaseOfAFreeLockIsAnUnownedRelease) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT([&] { KeReleaseSpinLockForDpc(&lock_, DISPATCH_LEVEL); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1007, Address(&lock_), 0, 0)));
}

INSTANTIATE_TEST_SUITE_P(VistaAndLater, SpinLockForDpcTest, OsFrom(kemu::Os::kWindowsVista),
                         kemu::testing::OsName());

TEST(SpinLockTest, ForDpcPairIsMissingBeforeVista) {
  kemu::Machine machine(kemu::Os::kWindowsServer2003);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  EXPECT_THROW(KeAcquireSpinLockForDpc(&lock), kemu::MissingExport);
  EXPECT_THROW(KeReleaseSpinLockForDpc(&lock, PASSIVE_LEVEL), kemu::MissingExport);
  EXPECT_EQ(lock, 0u);
}

TEST(SpinLockTest, KeTestSpinLockAndKeTryToAcquireAreMissingBeforeServer2003) {
  for (kemu::Os os : {kemu::Os::kWindows2000, kemu::Os::kWindowsXP}) {
    SCOPED_TRACE(kemu::OsName(os));
    MachineWithLock m({.os = os});
    EXPECT_THROW(KeTestSpinLock(&m.lock), kemu::MissingExport);
    EXPECT_THROW(KeTryToAcquireSpinLockAtDpcLevel(&m.lock), kemu::MissingExport);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_FALSE(m.machine.crashed());
  }
}

TEST(SpinLockTest, ParenthesisedKeAcquireSpinLockWithNullOldIrqlBugChecksInsteadOfFaulting) {
  // Only the real function can notice the NULL; the macro would store through it.
  MachineWithLock m(VerifierOn());
  EXPECT_THAT([&] { (KeAcquireSpinLock)(&m.lock, nullptr); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0)));
}

// ---------------------------------------------------------------------------------------------
// Lock words and IRQL effects that depend on the kernel build.

TEST(SpinLockTest, HeldLockWordIsTheOwnerThreadOrOneOnCheckedKernel) {  // SL-3
  MachineWithLock m(CheckedKernel());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  EXPECT_PRED1(IsOwnerStamp, m.lock);
  KeReleaseSpinLock(&m.lock, old);
  EXPECT_EQ(m.lock, 0u);
}

TEST(SpinLockTest, HeldLockWordIsExactlyOneOnRetailKernel) {  // SL-3, MP free build
  MachineWithLock m(RetailKernel());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  EXPECT_EQ(m.lock, 1u);
  KeReleaseSpinLock(&m.lock, old);
  EXPECT_EQ(m.lock, 0u);
  EXPECT_EQ(KeAcquireSpinLockRaiseToSynch(&m.lock), PASSIVE_LEVEL);
  EXPECT_EQ(m.lock, 1u);
  // SL-5 as the kmtest pairs it: KeReleaseSpinLock from SYNCH_LEVEL restores the caller's IRQL.
  KeReleaseSpinLock(&m.lock, PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(m.lock, 0u);
}

TEST(SpinLockTest, KeAcquireSpinLockAboveDispatchBugChecksUnderVerifier) {
  MachineWithLock m(VerifierOn());
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  EXPECT_THAT([&] { KeAcquireSpinLock(&m.lock, &old); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x42, CLOCK_LEVEL, Address(&m.lock), 0)));
}

TEST(SpinLockTest, KeAcquireSpinLockAboveDispatchBugChecksOnCheckedKernel) {
  MachineWithLock m(CheckedKernel());
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT([&] { KeAcquireSpinLock(&m.lock, &old); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual, HIGH_LEVEL,
                                                DISPATCH_LEVEL, 0, 0)));
}

TEST(SpinLockTest, KeAcquireSpinLockAtHighLevelLowersToDispatchWhileHeldOnRetailKernel) {
  // SL-6
  MachineWithLock m(RetailKernel());
  KIRQL original;
  KeRaiseIrql(HIGH_LEVEL, &original);
  KIRQL old = 0xEE;
  KeAcquireSpinLock(&m.lock, &old);
  EXPECT_EQ(old, HIGH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeReleaseSpinLock(&m.lock, old);
  EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
  KeLowerIrql(original);
}

TEST(SpinLockTest, AtDpcLevelAcquireBelowDispatchBugChecksUnderVerifier) {
  MachineWithLock m(VerifierOn());
  EXPECT_THAT([&] { KeAcquireSpinLockAtDpcLevel(&m.lock); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x40, PASSIVE_LEVEL, Address(&m.lock), 0)));
}

TEST(SpinLockTest, KeTryToAcquireSpinLockAtDpcLevelBelowDispatchBugChecksUnderVerifier) {
  MachineWithLock m(VerifierOn());
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_THAT(
      [&] { KeTryToAcquireSpinLockAtDpcLevel(&m.lock); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x40, APC_LEVEL, Address(&m.lock), 0)));
}

TEST(SpinLockTest, ReleaseFromDpcLevelBelowDispatchBugChecksUnderVerifier) {
  MachineWithLock m(VerifierOn());
  const KIRQL old = KeRaiseIrqlToDpcLevel();
  KeAcquireSpinLockAtDpcLevel(&m.lock);
  KeLowerIrql(old);
  EXPECT_THAT([&] { KeReleaseSpinLockFromDpcLevel(&m.lock); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x41, PASSIVE_LEVEL, Address(&m.lock), 0)));
}

TEST(SpinLockTest, AtDpcLevelRoutinesBelowDispatchAreSilentWithoutVerifier) {  // SL-7
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    SCOPED_TRACE(options.checked_build ? "checked" : "retail");
    MachineWithLock m(options);
    KeAcquireSpinLockAtDpcLevel(&m.lock);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_NE(m.lock, 0u);
    KeReleaseSpinLockFromDpcLevel(&m.lock);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_EQ(m.lock, 0u);
    EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
  }
}

TEST(SpinLockTest, DoubleReleaseBugChecksReleaseNotAtDispatchUnderVerifier) {
  MachineWithLock m(VerifierOn());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  KeReleaseSpinLock(&m.lock, old);
  EXPECT_THAT([&] { KeReleaseSpinLock(&m.lock, old); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x32, PASSIVE_LEVEL, Address(&m.lock), 0)));
}

TEST(SpinLockTest, KeReleaseSpinLockAboveDispatchBugChecksUnderVerifier) {
  MachineWithLock m(VerifierOn());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  KIRQL dispatch;
  KeRaiseIrql(HIGH_LEVEL, &dispatch);
  EXPECT_THAT(
      [&] { KeReleaseSpinLock(&m.lock, old); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x32, HIGH_LEVEL, Address(&m.lock), 0)));
}

TEST(SpinLockTest, DoubleReleaseBugChecksSpinLockNotOwnedOnCheckedKernel) {
  MachineWithLock m(CheckedKernel());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  KeReleaseSpinLock(&m.lock, old);
  EXPECT_THAT([&] { KeReleaseSpinLock(&m.lock, old); },
              Throws<kemu::BugCheck>(BugCheckIs(kNotOwned, Address(&m.lock), 0, 0, 0)));
}

TEST(SpinLockTest, DoubleReleaseIsSilentOnRetailKernel) {
  MachineWithLock m(RetailKernel());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  KeReleaseSpinLock(&m.lock, old);
  KeReleaseSpinLock(&m.lock, old);
  EXPECT_EQ(m.lock, 0u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Uninitialised locks, recursion and releasing what is not held.

TEST(SpinLockTest, AcquiringANeverInitialisedLockBugChecksUnderVerifier) {
  kemu::Machine machine(VerifierOn());
  KSPIN_LOCK lock = 0;  // zeroed, as in a fresh device extension, but never initialised
  KIRQL old;
  EXPECT_THAT([&] { KeAcquireSpinLock(&lock, &old); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1002, Address(&lock), 0, 0)));
}

TEST(SpinLockTest, AZeroedNeverInitialisedLockWorksWithoutVerifier) {
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    SCOPED_TRACE(options.checked_build ? "checked" : "retail");
    kemu::Machine machine(options);
    KSPIN_LOCK lock = 0;
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    EXPECT_NE(lock, 0u);
    KeReleaseSpinLock(&lock, old);
    EXPECT_EQ(lock, 0u);
    EXPECT_THAT(machine.bug_checks(), IsEmpty());
  }
}

TEST(SpinLockTest, AGarbageNeverInitialisedLockLooksHeldWithoutVerifier) {
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    SCOPED_TRACE(options.checked_build ? "checked" : "retail");
    kemu::Machine machine(options);
    KSPIN_LOCK lock = 0x5555555555555555;
    KIRQL old;
    EXPECT_THAT([&] { KeAcquireSpinLock(&lock, &old); },
                Throws<kemu::BugCheck>(BugCheckIs(kAlreadyOwned, Address(&lock), 0, 0, 0)));
  }
}

TEST(SpinLockTest, AGarbageNeverInitialisedLockBugChecksUninitialisedUnderVerifier) {
  kemu::Machine machine(VerifierOn());
  KSPIN_LOCK lock = 0x5555555555555555;
  KeRaiseIrqlToDpcLevel();
  EXPECT_THAT([&] { KeAcquireSpinLockAtDpcLevel(&lock); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1002, Address(&lock), 0, 0)));
}

TEST(SpinLockTest, RecursiveAcquireBugChecksSelfDeadlockUnderVerifier) {
  MachineWithLock m(VerifierOn());
  KIRQL old;
  KeAcquireSpinLock(&m.lock, &old);
  EXPECT_THAT(
      [&] { KeAcquireSpinLockAtDpcLevel(&m.lock); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1000, Address(&m.lock), 0, 0)));
}

TEST(SpinLockTest, RecursiveAcquireBugChecksSpinLockAlreadyOwnedWithoutVerifier) {
  // A retail kernel would spin forever; kemu stops it with the checked kernel's code.
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    SCOPED_TRACE(options.checked_build ? "checked" : "retail");
    MachineWithLock m(options);
    KIRQL old;
    KeAcquireSpinLock(&m.lock, &old);
    KIRQL again;
    EXPECT_THAT([&] { KeAcquireSpinLock(&m.lock, &again); },
                Throws<kemu::BugCheck>(BugCheckIs(kAlreadyOwned, Address(&m.lock), 0, 0, 0)));
  }
}

TEST(SpinLockTest, KeTryToAcquireOnALockItHoldsBugChecksOnCheckedAndFailsOnRetail) {  // SL-8
  {
    kemu::Machine machine(CheckedKernel());
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    EXPECT_THAT([&] { KeTryToAcquireSpinLockAtDpcLevel(&lock); },
                Throws<kemu::BugCheck>(BugCheckIs(kAlreadyOwned, Address(&lock), 0, 0, 0)));
  }
  kemu::Machine machine(RetailKernel());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  EXPECT_EQ(KeTryToAcquireSpinLockAtDpcLevel(&lock), FALSE);
  EXPECT_EQ(lock, 1u);
  KeReleaseSpinLock(&lock, old);
}

TEST(SpinLockTest, ReleasingALockThatIsNotHeldBugChecksUnderVerifier) {
  MachineWithLock m(VerifierOn());
  KeRaiseIrqlToDpcLevel();
  EXPECT_THAT(
      [&] { KeReleaseSpinLock(&m.lock, PASSIVE_LEVEL); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1007, Address(&m.lock), 0, 0)));
}

TEST(SpinLockTest, ReleasingALockThatIsNotHeldBugChecksSpinLockNotOwnedOnCheckedKernel) {
  MachineWithLock m(CheckedKernel());
  KeRaiseIrqlToDpcLevel();
  EXPECT_THAT([&] { KeReleaseSpinLockFromDpcLevel(&m.lock); },
              Throws<kemu::BugCheck>(BugCheckIs(kNotOwned, Address(&m.lock), 0, 0, 0)));
}

TEST(SpinLockTest, ReleasingALockThatIsNotHeldIsSilentOnRetailKernel) {
  MachineWithLock m(RetailKernel());
  KeRaiseIrqlToDpcLevel();
  KeReleaseSpinLock(&m.lock, PASSIVE_LEVEL);
  EXPECT_EQ(m.lock, 0u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST(SpinLockTest, RecordingMachineRecordsAnUnheldReleaseAndCarriesOn) {
  MachineWithLock m({.verifier = true, .on_bug_check = kemu::BugCheckAction::kRecord});
  KeRaiseIrqlToDpcLevel();
  KeReleaseSpinLock(&m.lock, PASSIVE_LEVEL);
  EXPECT_THAT(m.machine.bug_checks(),
              ElementsAre(BugCheckIs(kVerifierBugCheck, 0x1007, Address(&m.lock), 0, 0)));
  EXPECT_FALSE(m.machine.crashed());
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(m.lock, 0u);
}

// ---------------------------------------------------------------------------------------------
// Two vCPUs: releasing on the wrong one, and waiting for a lock the other one holds.

TEST(SpinLockTest, ReleaseOnAnotherProcessorBugChecksWrongThreadUnderVerifier) {
  kemu::Machine machine(VerifierOn(2));
  KSPIN_LOCK lock;
  KSPIN_LOCK probe;
  KeInitializeSpinLock(&lock);
  KeInitializeSpinLock(&probe);
  // Learn vCPU 1's thread stamp from a lock it takes and drops.
  machine.SwitchToProcessor(1);
  KIRQL old1;
  KeAcquireSpinLock(&probe, &old1);
  const std::uint64_t thread1 = probe & ~KSPIN_LOCK{1};
  KeReleaseSpinLock(&probe, old1);
  machine.SwitchToProcessor(0);
  KIRQL old0;
  KeAcquireSpinLock(&lock, &old0);
  const std::uint64_t thread0 = lock & ~KSPIN_LOCK{1};
  ASSERT_NE(thread0, thread1);
  machine.SwitchToProcessor(1);
  KeRaiseIrqlToDpcLevel();
  EXPECT_THAT([&] { KeReleaseSpinLockFromDpcLevel(&lock); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x1004, Address(&lock), thread0, thread1)));
}

TEST(SpinLockTest, ReleaseOnAnotherProcessorBugChecksSpinLockNotOwnedOnCheckedKernel) {
  MachineWithLock m(CheckedKernel(2));
  KIRQL old0;
  KeAcquireSpinLock(&m.lock, &old0);
  m.machine.SwitchToProcessor(1);
  KeRaiseIrqlToDpcLevel();
  EXPECT_THAT([&] { KeReleaseSpinLockFromDpcLevel(&m.lock); },
              Throws<kemu::BugCheck>(BugCheckIs(kNotOwned, Address(&m.lock), 0, 0, 0)));
}

TEST(SpinLockTest, ReleaseOnAnotherProcessorFreesTheLockOnRetailKernel) {
  MachineWithLock m(RetailKernel(2));
  KIRQL old0;
  KeAcquireSpinLock(&m.lock, &old0);
  m.machine.SwitchToProcessor(1);
  const KIRQL old1 = KeRaiseIrqlToDpcLevel();
  KeReleaseSpinLockFromDpcLevel(&m.lock);
  EXPECT_EQ(m.lock, 0u);
  EXPECT_EQ(KeTryToAcquireSpinLockAtDpcLevel(&m.lock), TRUE) << "the lock is free again";
  KeReleaseSpinLock(&m.lock, old1);
  m.machine.SwitchToProcessor(0);
  KeLowerIrql(old0);
  EXPECT_THAT(m.machine.bug_checks(), IsEmpty());
}

// The test parks vCPU 0 holding the lock and moves to vCPU 1: nothing can ever release it, so the
// spin is a deadlock (contention that can end just waits: scheduler_test.cpp).
TEST(SpinLockTest, AcquiringALockAParkedProcessorHoldsBugChecksDeadlockUnderVerifier) {
  MachineWithLock m(VerifierOn(2));
  KIRQL old0;
  KeAcquireSpinLock(&m.lock, &old0);
  m.machine.SwitchToProcessor(1);
  KIRQL old1;
  EXPECT_THAT(
      [&] { KeAcquireSpinLock(&m.lock, &old1); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1001, Address(&m.lock), 0, 0)));
}

TEST(SpinLockTest, AcquiringALockAParkedProcessorHoldsBugChecksAlreadyOwnedWithoutVerifier) {
  for (const kemu::MachineOptions& options : {CheckedKernel(2), RetailKernel(2)}) {
    SCOPED_TRACE(options.checked_build ? "checked" : "retail");
    MachineWithLock m(options);
    KIRQL old0;
    KeAcquireSpinLock(&m.lock, &old0);
    m.machine.SwitchToProcessor(1);
    KeRaiseIrqlToDpcLevel();
    EXPECT_THAT([&] { KeAcquireSpinLockAtDpcLevel(&m.lock); },
                Throws<kemu::BugCheck>(BugCheckIs(kAlreadyOwned, Address(&m.lock), 0, 0, 0)));
  }
}

}  // namespace
