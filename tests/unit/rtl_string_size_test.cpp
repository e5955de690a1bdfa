// The sizes a conversion between ANSI and Unicode strings needs (emu/abi/rtl_string_size.cpp):
// RtlxUnicodeStringToAnsiSize and RtlxAnsiStringToUnicodeSize, and the WDK's
// RtlUnicodeStringToAnsiSize and RtlAnsiStringToUnicodeSize macros over them. kemu's code page
// is Latin-1 and its WCHAR the host's wchar_t, so the sizes count one byte or one WCHAR a
// character, NUL included. docs/kernel.md, "Strings that own pool".
#include <wdm.h>

#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr ULONG kW = sizeof(WCHAR);

class RtlStringSizeTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RtlStringSizeTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(RtlStringSizeTest, UnicodeToAnsiSizeIsOneByteACharacterAndTheNul) {
  UNICODE_STRING wide;
  RtlInitUnicodeString(&wide, L"Port\u00e9\u4e2d");  // U+4E2D becomes '?', still one byte
  EXPECT_EQ(RtlxUnicodeStringToAnsiSize(&wide), 7u);
  EXPECT_EQ(RtlUnicodeStringToAnsiSize(&wide), 7u);
  UNICODE_STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringToAnsiSize(&empty), 1u);
}

TEST_P(RtlStringSizeTest, AnsiToUnicodeSizeIsOneWcharAByteAndTheNul) {
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "Nic\xE9");
  EXPECT_EQ(RtlxAnsiStringToUnicodeSize(&ansi), 5 * kW);
  EXPECT_EQ(RtlAnsiStringToUnicodeSize(&ansi), 5 * kW);
  ANSI_STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlAnsiStringToUnicodeSize(&empty), kW);
}

TEST_P(RtlStringSizeTest, TheSizesAreWhatTheConversionsAllocate) {
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "\\Device\\Nic0");
  UNICODE_STRING wide{0, 0, nullptr};
  ASSERT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(ULONG{wide.MaximumLength}, RtlAnsiStringToUnicodeSize(&ansi));
  ANSI_STRING back{0, 0, nullptr};
  ASSERT_EQ(RtlUnicodeStringToAnsiString(&back, &wide, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(ULONG{back.MaximumLength}, RtlUnicodeStringToAnsiSize(&wide));
  RtlFreeAnsiString(&back);
  RtlFreeUnicodeString(&wide);
}

TEST_P(RtlStringSizeTest, AnsiToUnicodeSizeCanPassWhatAUshortCounts) {
  std::string text(MAXUSHORT, 'a');
  ANSI_STRING ansi{MAXUSHORT, MAXUSHORT, text.data()};
  EXPECT_EQ(RtlAnsiStringToUnicodeSize(&ansi), (MAXUSHORT + 1u) * kW);
}

TEST_P(RtlStringSizeTest, ANullStringIsAnAccessViolation) {
  EXPECT_THAT(CrashOf([] { RtlUnicodeStringToAnsiSize(nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlStringSizeRulesTest, BothAbovePassiveAreReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  ANSI_STRING ansi{0, 0, nullptr};
  UNICODE_STRING wide{0, 0, nullptr};
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlAnsiStringToUnicodeSize(&ansi), kW);
  EXPECT_EQ(RtlUnicodeStringToAnsiSize(&wide), 1u);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  for (const kemu::BugCheck& report : machine.bug_checks()) {
    EXPECT_THAT(report, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                   kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  }
}

}  // namespace
