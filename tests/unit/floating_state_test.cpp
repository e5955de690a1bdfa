// KeSaveFloatingPointState / KeRestoreFloatingPointState: saves and restores that pair stay
// silent; a restore that does not name the last save, or runs at another IRQL than its save, and
// a nested save below the IRQL of the one around it are kemu's 0xC4 / 0x4B450016 and 0x4B450017
// (Windows documents a bug check without its code); above DISPATCH_LEVEL either routine is the
// wrong-IRQL report (docs/kernel.md, "Floating-point state"). No conformance ID covers them.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

TEST(FloatingStateTest, NestedSavesRestoredInnermostFirstAreSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KFLOATING_SAVE outer;
  KFLOATING_SAVE inner;
  EXPECT_EQ(KeSaveFloatingPointState(&outer), STATUS_SUCCESS);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(KeSaveFloatingPointState(&inner), STATUS_SUCCESS);
  EXPECT_EQ(KeRestoreFloatingPointState(&inner), STATUS_SUCCESS);
  KeLowerIrql(old);
  EXPECT_EQ(KeRestoreFloatingPointState(&outer), STATUS_SUCCESS);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FloatingStateTest, ASaveTheTestsThreadNeverRestoredIsLeftBehindAtShutdown) {
  // A dispatch routine the test called saved and returned without restoring (audit round 14).
  for (const bool verifier : {true, false}) {
    kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = verifier});
    KFLOATING_SAVE save;
    ASSERT_EQ(KeSaveFloatingPointState(&save), STATUS_SUCCESS);
    const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
    EXPECT_THAT(leak, BugCheckIs(kVerifierViolation, kemu::verifier_code::kLeakAtShutdown, 1,
                                 Address(&save), 0));
    EXPECT_THAT(leak.what(), HasSubstr("was never restored"));
  }
}

TEST(FloatingStateTest, RestoringTheOuterSaveFirstIs4B450016NamingTheLastSave) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KFLOATING_SAVE outer;
  KFLOATING_SAVE inner;
  KeSaveFloatingPointState(&outer);
  KeSaveFloatingPointState(&inner);
  const kemu::BugCheck crash = CrashOf([&] { KeRestoreFloatingPointState(&outer); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingRestoreMismatch,
                                Address(&outer), Address(&inner), 0));
  EXPECT_THAT(crash.what(), HasSubstr("restore saves innermost first"));
}

TEST(FloatingStateTest, ARestoreWithoutASaveIs4B450016InEveryMode) {
  for (const bool verifier : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindowsXP, .verifier = verifier});
    KFLOATING_SAVE save;
    EXPECT_THAT(CrashOf([&] { KeRestoreFloatingPointState(&save); }),
                BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingRestoreMismatch,
                           Address(&save), 0, 0));
  }
}

TEST(FloatingStateTest, RestoringTwiceIs4B450016) {
  kemu::Machine machine(kemu::Os::kWindows7);
  KFLOATING_SAVE save;
  KeSaveFloatingPointState(&save);
  KeRestoreFloatingPointState(&save);
  EXPECT_THAT(CrashOf([&] { KeRestoreFloatingPointState(&save); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingRestoreMismatch,
                         Address(&save), 0, 0));
}

TEST(FloatingStateTest, RestoringAtAnotherIrqlThanTheSaveIs4B450017) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KFLOATING_SAVE save;
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  KeSaveFloatingPointState(&save);
  KeLowerIrql(PASSIVE_LEVEL);
  EXPECT_THAT(CrashOf([&] { KeRestoreFloatingPointState(&save); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveIrqlMismatch,
                         Address(&save), PASSIVE_LEVEL, APC_LEVEL));
}

TEST(FloatingStateTest, ANestedSaveBelowTheEnclosingSavesIrqlIs4B450017) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KFLOATING_SAVE outer;
  KFLOATING_SAVE inner;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeSaveFloatingPointState(&outer);
  KeLowerIrql(APC_LEVEL);
  const kemu::BugCheck crash = CrashOf([&] { KeSaveFloatingPointState(&inner); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveIrqlMismatch,
                                Address(&inner), APC_LEVEL, DISPATCH_LEVEL));
  EXPECT_THAT(crash.what(), HasSubstr("a nested save may not run at a lower IRQL"));
}

// Windows 8 and later: the DDI rule that lists it, IrqlKeDispatchLte; Vista and 7: 0xE5.
TEST(FloatingStateTest, SavingAboveDispatchIsTheWrongIrqlReport) {
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    KFLOATING_SAVE save;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    EXPECT_THAT(CrashOf([&] { KeSaveFloatingPointState(&save); }),
                BugCheckIs(kVerifierViolation, kemu::verifier_code::kIrqlKeDispatchLte, 0, 0, 0));
  }
  kemu::Machine machine(kemu::Os::kWindows7);
  KFLOATING_SAVE save;
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(
      CrashOf([&] { KeSaveFloatingPointState(&save); }),
      BugCheckIs(kVerifierViolation, kemu::verifier_code::kKernelApiAtWrongIrql, HIGH_LEVEL, 0, 0));
}

TEST(FloatingStateTest, ASaveAtDispatchInsideAPassiveSaveIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KFLOATING_SAVE thread_save;
  KFLOATING_SAVE dpc_save;
  KeSaveFloatingPointState(&thread_save);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeSaveFloatingPointState(&dpc_save);
  KeRestoreFloatingPointState(&dpc_save);
  KeLowerIrql(old);
  KeRestoreFloatingPointState(&thread_save);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
