// In-stack queued spin locks: KeAcquire/ReleaseInStackQueuedSpinLock and their AtDpcLevel,
// RaiseToSynch and ForDpc variants (emu/model/spin_locks.cpp, emu/abi/ke_queued_spinlock.cpp),
// conformance SL-9 and SL-10, plus the Verifier rule against mixing them with the ordinary
// routines on one lock (0xC4/0x1008, 0x1009). FIFO hand-off is not observable with one host
// thread and is not tested.
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <memory>
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

std::uint64_t Address(const volatile void* pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer);
}

kemu::MachineOptions CheckedKernel() { return {.verifier = false, .checked_build = true}; }
kemu::MachineOptions RetailKernel() { return {.verifier = false, .checked_build = false}; }

// A handle full of garbage, so the tests see which fields the kernel writes.
KLOCK_QUEUE_HANDLE FilledHandle() {
  KLOCK_QUEUE_HANDLE handle;
  std::memset(&handle, 0x55, sizeof handle);
  return handle;
}

// SL-9: while held the lock word is the handle's address, LockQueue.Next is NULL and
// LockQueue.Lock is the lock address with bit 1 (owner) set.
void ExpectHeldBy(const KSPIN_LOCK& lock, const KLOCK_QUEUE_HANDLE& handle) {
  EXPECT_EQ(lock, Address(&handle));
  EXPECT_EQ(handle.LockQueue.Next, nullptr);
  EXPECT_EQ(Address(handle.LockQueue.Lock), Address(&lock) | 2);
}

// SL-9: after release the word is 0 and LockQueue.Lock is the lock address, bit 1 clear.
void ExpectReleasedFrom(const KSPIN_LOCK& lock, const KLOCK_QUEUE_HANDLE& handle) {
  EXPECT_EQ(lock, 0u);
  EXPECT_EQ(Address(handle.LockQueue.Lock), Address(&lock));
}

constexpr KIRQL kCallerLevels[] = {PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL};

// ---------------------------------------------------------------------------------------------
// Windows XP and later (Driver Verifier on, the default machine).

class QueuedSpinLockPersonalityTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    KeInitializeSpinLock(&lock_);
  }

  KSPIN_LOCK lock_;
};

TEST_P(QueuedSpinLockPersonalityTest, AcquireSavesTheCallersIrqlAndRaisesToDispatch) {  // SL-9
  for (KIRQL start : kCallerLevels) {
    SCOPED_TRACE(::testing::Message() << "from IRQL " << int{start});
    KIRQL original;
    KeRaiseIrql(start, &original);
    KLOCK_QUEUE_HANDLE handle = FilledHandle();
    KeAcquireInStackQueuedSpinLock(&lock_, &handle);
    EXPECT_EQ(handle.OldIrql, start);
    EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    ExpectHeldBy(lock_, handle);
    KeReleaseInStackQueuedSpinLock(&handle);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    ExpectReleasedFrom(lock_, handle);
    KeLowerIrql(original);
  }
}

TEST_P(QueuedSpinLockPersonalityTest, AtDpcLevelVariantsDoNotChangeIrql) {  // SL-9
  for (KIRQL level : {KIRQL{DISPATCH_LEVEL}, KIRQL{CLOCK_LEVEL}, KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "at IRQL " << int{level});
    KIRQL old;
    KeRaiseIrql(level, &old);
    KLOCK_QUEUE_HANDLE handle = FilledHandle();
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock_, &handle);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExpectHeldBy(lock_, handle);
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExpectReleasedFrom(lock_, handle);
    KeLowerIrql(old);
  }
}

TEST_P(QueuedSpinLockPersonalityTest, RaiseToSynchGoesToSynchLevel) {  // SL-9
  for (KIRQL start : kCallerLevels) {
    SCOPED_TRACE(::testing::Message() << "from IRQL " << int{start});
    KIRQL original;
    KeRaiseIrql(start, &original);
    KLOCK_QUEUE_HANDLE handle = FilledHandle();
    KeAcquireInStackQueuedSpinLockRaiseToSynch(&lock_, &handle);
    EXPECT_EQ(handle.OldIrql, start);
    EXPECT_EQ(KeGetCurrentIrql(), 12);
    ExpectHeldBy(lock_, handle);
    // Released at SYNCH_LEVEL without the verifier's DISPATCH_LEVEL check on the raising release.
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
    KeLowerIrql(handle.OldIrql);
    EXPECT_EQ(KeGetCurrentIrql(), start);
    ExpectReleasedFrom(lock_, handle);
    KeLowerIrql(original);
  }
}

TEST_P(QueuedSpinLockPersonalityTest, NestedLocksEachPointAtTheirOwnHandle) {  // SL-9
  KSPIN_LOCK inner;
  KeInitializeSpinLock(&inner);
  KLOCK_QUEUE_HANDLE outer_handle = FilledHandle();
  KLOCK_QUEUE_HANDLE inner_handle = FilledHandle();
  KeAcquireInStackQueuedSpinLock(&lock_, &outer_handle);
  KeAcquireInStackQueuedSpinLockAtDpcLevel(&inner, &inner_handle);
  ExpectHeldBy(lock_, outer_handle);
  ExpectHeldBy(inner, inner_handle);
  KeReleaseInStackQueuedSpinLockFromDpcLevel(&inner_handle);
  ExpectReleasedFrom(inner, inner_handle);
  ExpectHeldBy(lock_, outer_handle);
  KeReleaseInStackQueuedSpinLock(&outer_handle);
  ExpectReleasedFrom(lock_, outer_handle);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(QueuedSpinLockPersonalityTest, RecursiveAcquireBugChecksSelfDeadlockUnderVerifier) {
  KLOCK_QUEUE_HANDLE first;
  KLOCK_QUEUE_HANDLE second;
  KeAcquireInStackQueuedSpinLock(&lock_, &first);
  EXPECT_THAT([&] { KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock_, &second); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1000, Address(&lock_), 0, 0)));
}

TEST_P(QueuedSpinLockPersonalityTest, DoubleReleaseBugChecksReleaseNotAtDispatchUnderVerifier) {
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock_, &handle);
  KeReleaseInStackQueuedSpinLock(&handle);
  EXPECT_THAT([&] { KeReleaseInStackQueuedSpinLock(&handle); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x32, PASSIVE_LEVEL, Address(&lock_), 0)));
}

TEST_P(QueuedSpinLockPersonalityTest, AcquireAboveDispatchBugChecksUnderVerifier) {
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  KLOCK_QUEUE_HANDLE handle;
  EXPECT_THAT(
      [&] { KeAcquireInStackQueuedSpinLock(&lock_, &handle); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x42, CLOCK_LEVEL, Address(&lock_), 0)));
}

TEST_P(QueuedSpinLockPersonalityTest, AtDpcLevelAcquireBelowDispatchBugChecksUnderVerifier) {
  KLOCK_QUEUE_HANDLE handle;
  EXPECT_THAT([&] { KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock_, &handle); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x40, PASSIVE_LEVEL, Address(&lock_), 0)));
}

TEST_P(QueuedSpinLockPersonalityTest, FromDpcLevelReleaseBelowDispatchBugChecksUnderVerifier) {
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock_, &handle);
  KeLowerIrql(handle.OldIrql);
  EXPECT_THAT([&] { KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x41, PASSIVE_LEVEL, Address(&lock_), 0)));
}

INSTANTIATE_TEST_SUITE_P(XpAndLater, QueuedSpinLockPersonalityTest, OsFrom(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// The ...ForDpc pair: Windows Vista and later (SL-10). Called from an ordinary thread, not a
// threaded DPC, they leave the IRQL alone at every level.

using QueuedSpinLockForDpcTest = QueuedSpinLockPersonalityTest;

TEST_P(QueuedSpinLockForDpcTest, ForDpcVariantsLeaveIrqlAlone) {  // SL-10
  for (KIRQL level :
       {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}, KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "at IRQL " << int{level});
    KIRQL old;
    KeRaiseIrql(level, &old);
    KLOCK_QUEUE_HANDLE handle = FilledHandle();
    KeAcquireInStackQueuedSpinLockForDpc(&lock_, &handle);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExpectHeldBy(lock_, handle);
    KeReleaseInStackQueuedSpinLockForDpc(&handle);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    ExpectReleasedFrom(lock_, handle);
    KeLowerIrql(old);
  }
}

INSTANTIATE_TEST_SUITE_P(VistaAndLater, QueuedSpinLockForDpcTest, OsFrom(kemu::Os::kWindowsVista),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Availability, and the kernel-build differences.

TEST(QueuedSpinLockTest, QueuedRoutinesAreMissingOnWindows2000) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle{};
  EXPECT_THROW(KeAcquireInStackQueuedSpinLock(&lock, &handle), kemu::MissingExport);
  EXPECT_THROW(KeReleaseInStackQueuedSpinLock(&handle), kemu::MissingExport);
  EXPECT_THROW(KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock, &handle), kemu::MissingExport);
  EXPECT_THROW(KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle), kemu::MissingExport);
  EXPECT_THROW(KeAcquireInStackQueuedSpinLockRaiseToSynch(&lock, &handle), kemu::MissingExport);
  EXPECT_THROW(KeAcquireInStackQueuedSpinLockForDpc(&lock, &handle), kemu::MissingExport);
  EXPECT_THROW(KeReleaseInStackQueuedSpinLockForDpc(&handle), kemu::MissingExport);
  EXPECT_EQ(lock, 0u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_FALSE(machine.crashed());
}

TEST(QueuedSpinLockTest, ForDpcRoutinesAreMissingBeforeVista) {  // SL-10
  for (kemu::Os os : {kemu::Os::kWindowsXP, kemu::Os::kWindowsServer2003}) {
    SCOPED_TRACE(kemu::OsName(os));
    kemu::Machine machine(os);
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KLOCK_QUEUE_HANDLE handle{};
    EXPECT_THROW(KeAcquireInStackQueuedSpinLockForDpc(&lock, &handle), kemu::MissingExport);
    EXPECT_THROW(KeReleaseInStackQueuedSpinLockForDpc(&handle), kemu::MissingExport);
    EXPECT_EQ(lock, 0u);
  }
}

TEST(QueuedSpinLockTest, RaiseToSynchThenReleaseRestoresTheCallersIrqlOnRetailKernel) {
  // SL-9 as the kmtest pairs them, on an MP free build: the word still holds the handle.
  kemu::Machine machine(RetailKernel());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle = FilledHandle();
  KeAcquireInStackQueuedSpinLockRaiseToSynch(&lock, &handle);
  EXPECT_EQ(KeGetCurrentIrql(), 12);
  ExpectHeldBy(lock, handle);
  KeReleaseInStackQueuedSpinLock(&handle);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  ExpectReleasedFrom(lock, handle);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

TEST(QueuedSpinLockTest, DoubleReleaseBugChecksSpinLockNotOwnedOnCheckedKernel) {
  kemu::Machine machine(CheckedKernel());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  KeReleaseInStackQueuedSpinLock(&handle);
  EXPECT_THAT([&] { KeReleaseInStackQueuedSpinLock(&handle); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kSpinLockNotOwned, Address(&lock), 0, 0, 0)));
}

// ---------------------------------------------------------------------------------------------
// Mixing queued and ordinary routines on one lock: Windows 7's Verifier and later report it
// (0x1008 on acquire, 0x1009 on release); earlier ones do not look. Queued locks exist from XP.

class SpinLockMixingTest : public kemu::testing::PersonalityTest {
 protected:
  bool Reports() const { return GetParam() >= kemu::Os::kWindows7; }
};

TEST_P(SpinLockMixingTest, OrdinaryAcquireOfAQueuedLockIsReportedFromWindows7On) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  KeReleaseInStackQueuedSpinLock(&handle);
  KIRQL old;
  if (Reports()) {
    EXPECT_THAT(
        [&] { KeAcquireSpinLock(&lock, &old); },
        Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1008, Address(&lock), 0, 0)));
    return;
  }
  KeAcquireSpinLock(&lock, &old);
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SpinLockMixingTest, QueuedAcquireOfAnOrdinaryLockIsReportedFromWindows7On) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeReleaseSpinLock(&lock, old);
  KLOCK_QUEUE_HANDLE handle;
  if (Reports()) {
    EXPECT_THAT(
        [&] { KeAcquireInStackQueuedSpinLock(&lock, &handle); },
        Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1008, Address(&lock), 0, 0)));
    return;
  }
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  KeReleaseInStackQueuedSpinLock(&handle);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SpinLockMixingTest, OrdinaryReleaseOfAQueuedLockIsReportedFromWindows7On) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  if (Reports()) {
    EXPECT_THAT(
        [&] { KeReleaseSpinLock(&lock, handle.OldIrql); },
        Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x1009, Address(&lock), 0, 0)));
    return;
  }
  KeReleaseSpinLock(&lock, handle.OldIrql);
  EXPECT_EQ(lock, 0u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SpinLockMixingTest, UsingEachFamilyConsistentlyIsSilent) {
  KSPIN_LOCK ordinary;
  KSPIN_LOCK queued;
  KeInitializeSpinLock(&ordinary);
  KeInitializeSpinLock(&queued);
  for (int round = 0; round < 2; ++round) {
    KIRQL old;
    KeAcquireSpinLock(&ordinary, &old);
    KeReleaseSpinLock(&ordinary, old);
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLock(&queued, &handle);
    KeReleaseInStackQueuedSpinLock(&handle);
  }
  EXPECT_EQ(ordinary, 0u);
  EXPECT_EQ(queued, 0u);
  EXPECT_FALSE(machine().crashed());
}

INSTANTIATE_TEST_SUITE_P(XpAndLater, SpinLockMixingTest, OsFrom(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

TEST(QueuedSpinLockTest, MixingWithOrdinaryRoutinesIsSilentWithoutVerifier) {
  kemu::Machine machine(CheckedKernel());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  KeReleaseSpinLock(&lock, handle.OldIrql);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Releasing through a copy of the handle. kemu identifies the owner by the handle's address and
// never writes through the handle it saw at the acquire (the original may be gone).

struct CopyRelease {
  KSPIN_LOCK lock = 0;
  std::uint64_t original = 0;  // address of the handle the acquire was given (freed by now)
  KLOCK_QUEUE_HANDLE copy{};
};

// Acquires through a heap handle, copies it, frees the original, releases through the copy.
kemu::BugCheck ReleaseThroughACopy(CopyRelease& test, bool from_dpc_level) {
  KeInitializeSpinLock(&test.lock);
  auto original = std::make_unique<KLOCK_QUEUE_HANDLE>();
  test.original = Address(original.get());
  KIRQL old = PASSIVE_LEVEL;
  if (from_dpc_level) KeRaiseIrql(DISPATCH_LEVEL, &old);
  if (from_dpc_level) {
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&test.lock, original.get());
  } else {
    KeAcquireInStackQueuedSpinLock(&test.lock, original.get());
  }
  test.copy = *original;
  original.reset();  // the original goes out of scope
  return kemu::testing::CrashOf([&] {
    if (from_dpc_level) {
      KeReleaseInStackQueuedSpinLockFromDpcLevel(&test.copy);
    } else {
      KeReleaseInStackQueuedSpinLock(&test.copy);
    }
  });
}

TEST(QueuedSpinLockTest, ReleaseThroughACopyOfTheHandleIsAVerifierViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  CopyRelease test;
  const kemu::BugCheck crash = ReleaseThroughACopy(test, /*from_dpc_level=*/false);
  EXPECT_THAT(crash,
              BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kQueuedReleaseThroughOtherHandle,
                         Address(&test.lock), Address(&test.copy), test.original));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr("handle the acquire was given"));
}

TEST(QueuedSpinLockTest, ReleaseThroughACopyFromDpcLevelIsAVerifierViolation) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  CopyRelease test;
  const kemu::BugCheck crash = ReleaseThroughACopy(test, /*from_dpc_level=*/true);
  EXPECT_THAT(crash,
              BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kQueuedReleaseThroughOtherHandle,
                         Address(&test.lock), Address(&test.copy), test.original));
}

TEST(QueuedSpinLockTest, ReleaseThroughACopyOfTheHandleSpinsForeverOnACheckedKernel) {
  kemu::Machine machine(CheckedKernel());
  CopyRelease test;
  EXPECT_THAT(ReleaseThroughACopy(test, /*from_dpc_level=*/false),
              BugCheckIs(kemu::bugcheck::kSpinLockAlreadyOwned, Address(&test.lock), 0, 0, 0));
}

TEST(QueuedSpinLockTest, ReleaseThroughACopyOfTheHandleSpinsForeverOnARetailKernel) {
  kemu::Machine machine(RetailKernel());
  CopyRelease test;
  EXPECT_THAT(ReleaseThroughACopy(test, /*from_dpc_level=*/false),
              BugCheckIs(kemu::bugcheck::kSpinLockAlreadyOwned, Address(&test.lock), 0, 0, 0));
}

TEST(QueuedSpinLockTest, ReleaseThroughTheAcquiringHandleNeverTouchesACopy) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  const KLOCK_QUEUE_HANDLE copy = handle;
  KeReleaseInStackQueuedSpinLock(&handle);
  ExpectReleasedFrom(lock, handle);
  EXPECT_EQ(Address(copy.LockQueue.Lock), Address(&lock) | 2);  // only the passed handle changes
  EXPECT_FALSE(machine.crashed());
}

TEST(QueuedSpinLockTest, OrdinaryReleaseOfAQueuedLockWhoseHandleIsGoneWritesNoHandle) {
  // Without Verifier the mixing rule is silent; the release must still not write through the
  // handle the acquire was given, which is freed here (a heap-use-after-free under ASan before).
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    kemu::Machine machine(options);
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    auto handle = std::make_unique<KLOCK_QUEUE_HANDLE>();
    KeAcquireInStackQueuedSpinLock(&lock, handle.get());
    const KIRQL old = handle->OldIrql;
    handle.reset();
    KeReleaseSpinLock(&lock, old);
    EXPECT_EQ(lock, 0u);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_FALSE(machine.crashed());
  }
}

// A handle that no acquire filled (zeroed): the release dereferences its NULL lock pointer. The
// kernel runs at DISPATCH_LEVEL there, where it cannot take the page fault: 0xA (audit round 13;
// 0x1E is for a NULL access below DISPATCH_LEVEL).
TEST(QueuedSpinLockTest, ReleaseThroughAZeroedHandleAtDispatchIsIrqlNotLessOrEqual) {
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.os = kemu::Os::kWindows10}, CheckedKernel()}) {
    kemu::Machine machine(options);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KLOCK_QUEUE_HANDLE never_used{};
    EXPECT_THAT(
        kemu::testing::CrashOf([&] { KeReleaseInStackQueuedSpinLockFromDpcLevel(&never_used); }),
        BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
  }
}

}  // namespace
