// KeSaveExtendedProcessorState / KeRestoreExtendedProcessorState (Windows 7 on) and
// RtlGetEnabledExtendedFeatures: saves pair with restores under the floating-point rules, in the
// same nesting (kemu's 0xC4 / 0x4B450016 and 0x4B450017); a Mask naming a feature the system did
// not enable is kemu's 0xC4 / 0x4B45001D (Windows documents the rule, not its outcome). No
// conformance ID covers them (docs/kernel.md, "Floating-point state").
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr std::uint32_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr ULONG64 kEnabled = XSTATE_MASK_LEGACY | XSTATE_MASK_AVX;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class ExtendedStateTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    if (GetParam() < kemu::Os::kWindows7) GTEST_SKIP() << "Windows 7 routines";
  }
};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ExtendedStateTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(ExtendedStateTest, TheEnabledFeaturesAreX87SseAndAvx) {
  EXPECT_EQ(RtlGetEnabledExtendedFeatures(~ULONG64{0}), kEnabled);
  EXPECT_EQ(RtlGetEnabledExtendedFeatures(XSTATE_MASK_AVX512 | XSTATE_MASK_LEGACY_SSE),
            XSTATE_MASK_LEGACY_SSE);
}

TEST_P(ExtendedStateTest, AskingForTheEnabledFeaturesAbovePassiveIsTheWrongIrqlReport) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { RtlGetEnabledExtendedFeatures(~ULONG64{0}); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kKernelApiAtWrongIrql));
}

TEST_P(ExtendedStateTest, ASaveOfEnabledFeaturesPairedWithItsRestoreIsSilent) {
  XSTATE_SAVE save;
  EXPECT_EQ(KeSaveExtendedProcessorState(RtlGetEnabledExtendedFeatures(~ULONG64{0}), &save),
            STATUS_SUCCESS);
  KeRestoreExtendedProcessorState(&save);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ExtendedStateTest, ExtendedAndFloatingSavesNestTogether) {
  XSTATE_SAVE outer;
  KFLOATING_SAVE inner;
  ASSERT_EQ(KeSaveExtendedProcessorState(XSTATE_MASK_AVX, &outer), STATUS_SUCCESS);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_EQ(KeSaveFloatingPointState(&inner), STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] { KeRestoreExtendedProcessorState(&outer); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingRestoreMismatch,
                         Address(&outer), Address(&inner), 0));
}

TEST_P(ExtendedStateTest, RestoringWithoutASaveIs4B450016) {
  XSTATE_SAVE save;
  EXPECT_THAT(CrashOf([&] { KeRestoreExtendedProcessorState(&save); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingRestoreMismatch,
                         Address(&save), 0, 0));
}

TEST_P(ExtendedStateTest, RestoringAtAnotherIrqlThanTheSaveIs4B450017) {
  XSTATE_SAVE save;
  KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { KeRestoreExtendedProcessorState(&save); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveIrqlMismatch,
                         Address(&save), DISPATCH_LEVEL, PASSIVE_LEVEL));
}

TEST_P(ExtendedStateTest, SavingAFeatureTheSystemDidNotEnableIs4B45001D) {
  XSTATE_SAVE save;
  EXPECT_THAT(CrashOf([&] { KeSaveExtendedProcessorState(XSTATE_MASK_AVX512, &save); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kXStateFeatureNotEnabled,
                         Address(&save), XSTATE_MASK_AVX512, kEnabled));
}

TEST_P(ExtendedStateTest, SavingAboveDispatchIsTheWrongIrqlReport) {
  XSTATE_SAVE save;
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kKernelApiAtWrongIrql));
}

TEST(ExtendedStateVersionTest, TheRoutinesAreMissingBeforeWindows7) {
  kemu::Machine machine(kemu::Os::kWindowsVista);
  XSTATE_SAVE save;
  EXPECT_THROW(KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save), kemu::MissingExport);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"KeSaveExtendedProcessorState");
  EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
  machine.Shutdown();
}

TEST(ExtendedStateVersionTest, Windows7ResolvesThemByName) {
  kemu::Machine machine(kemu::Os::kWindows7);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"KeRestoreExtendedProcessorState");
  EXPECT_NE(MmGetSystemRoutineAddress(&name), nullptr);
  machine.Shutdown();
}

}  // namespace
