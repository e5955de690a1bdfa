// Driver Verifier's Deadlock Detection arrived with Windows XP: on the win2000 personality with
// Verifier on, a recursive acquire, a release of a lock not held and an uninitialised lock get
// the checked kernel's codes, and an order inversion that did not deadlock passes
// (docs/verifier-rules.md; audit round 16, U4: win2000 raised 0x1000, 0x1001, 0x1002, 0x1007).
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::IsEmpty;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions Verifier(kemu::Os os) {
  return {.os = os, .verifier = true, .on_bug_check = kemu::BugCheckAction::kRecord};
}

// A then B, then B then A, released each time.
void TakeBothOrders(PKSPIN_LOCK a, PKSPIN_LOCK b) {
  KIRQL old;
  KeAcquireSpinLock(a, &old);
  KeAcquireSpinLockAtDpcLevel(b);
  KeReleaseSpinLockFromDpcLevel(b);
  KeReleaseSpinLock(a, old);
  KeAcquireSpinLock(b, &old);
  KeAcquireSpinLockAtDpcLevel(a);
  KeReleaseSpinLockFromDpcLevel(a);
  KeReleaseSpinLock(b, old);
}

TEST(DeadlockDetectionGenerationTest, Windows2000ReportsNoLockOrderInversion) {
  kemu::Machine machine(Verifier(kemu::Os::kWindows2000));
  KSPIN_LOCK a, b;
  KeInitializeSpinLock(&a);
  KeInitializeSpinLock(&b);
  TakeBothOrders(&a, &b);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

TEST(DeadlockDetectionGenerationTest, WindowsXpReportsTheInversion) {
  kemu::Machine machine(Verifier(kemu::Os::kWindowsXP));
  KSPIN_LOCK a, b;
  KeInitializeSpinLock(&a);
  KeInitializeSpinLock(&b);
  TakeBothOrders(&a, &b);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kDeadlock, Address(&a), 0, 0));
}

TEST(DeadlockDetectionGenerationTest, Windows2000ReportsARecursiveAcquireAsTheKernelDoes) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows2000});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  EXPECT_THAT(kemu::testing::CrashOf([&] { KeAcquireSpinLockAtDpcLevel(&lock); }),
              BugCheckIs(kemu::bugcheck::kSpinLockAlreadyOwned, Address(&lock), 0, 0, 0));
}

TEST(DeadlockDetectionGenerationTest, Windows2000ReportsAReleaseOfALockNotHeldAsTheKernelDoes) {
  kemu::Machine machine(Verifier(kemu::Os::kWindows2000));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeReleaseSpinLockFromDpcLevel(&lock);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kSpinLockNotOwned, Address(&lock), 0, 0, 0));
}

// A zeroed lock never passed to KeInitializeSpinLock is a free lock to a kernel without deadlock
// detection (zeroed device extensions rely on it); XP's Verifier reports it.
TEST(DeadlockDetectionGenerationTest, AZeroedUninitialisedLockIsFreeOnWindows2000Only) {
  {
    kemu::Machine machine(Verifier(kemu::Os::kWindows2000));
    KSPIN_LOCK lock = 0;
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeReleaseSpinLock(&lock, old);
    EXPECT_THAT(machine.bug_checks(), IsEmpty());
  }
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindowsXP});
  KSPIN_LOCK lock = 0;
  KIRQL old;
  EXPECT_THAT(kemu::testing::CrashOf([&] { KeAcquireSpinLock(&lock, &old); }),
              BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kUninitializedResource,
                         Address(&lock), 0, 0));
}

}  // namespace
