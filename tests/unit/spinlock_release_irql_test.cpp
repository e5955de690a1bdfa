// KeReleaseSpinLock's NewIrql must be the OldIrql its KeAcquireSpinLock returned: Driver
// Verifier's DDI compliance rule IrqlKeReleaseSpinLock (0xC4 / 0x20015) from Windows 8 on
// (docs/verifier-rules.md; audit round 16, U1: it was silent).
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class SpinLockReleaseIrqlTest : public kemu::testing::PersonalityTest {
 protected:
  bool DdiCompliance() const { return GetParam() >= kemu::Os::kWindows8; }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, SpinLockReleaseIrqlTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(SpinLockReleaseIrqlTest, ReleasingToAnotherIrqlIsTheDdiRuleFromWindows8On) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL entry;
  KeRaiseIrql(APC_LEVEL, &entry);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  ASSERT_EQ(old, APC_LEVEL);
  if (!DdiCompliance()) {
    KeReleaseSpinLock(&lock, PASSIVE_LEVEL);  // lowers to what it is given
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_THAT(machine().bug_checks(), IsEmpty());
    return;
  }
  const kemu::BugCheck crash =
      kemu::testing::CrashOf([&] { KeReleaseSpinLock(&lock, PASSIVE_LEVEL); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kIrqlKeReleaseSpinLock, 0, 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("returned IRQL 1"));
}

TEST_P(SpinLockReleaseIrqlTest, ReleasingToTheReturnedIrqlIsSilent) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL entry;
  KeRaiseIrql(APC_LEVEL, &entry);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeReleaseSpinLock(&lock, old);
  KeLowerIrql(entry);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

TEST(SpinLockReleaseIrqlRuleTest, TheCheckedAndRetailKernelsDoNotLook) {
  for (const bool checked : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{
        .os = kemu::Os::kWindows10, .verifier = false, .checked_build = checked});
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL entry;
    KeRaiseIrql(APC_LEVEL, &entry);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeReleaseSpinLock(&lock, PASSIVE_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    EXPECT_THAT(machine.bug_checks(), IsEmpty());
  }
}

}  // namespace
