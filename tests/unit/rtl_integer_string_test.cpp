// Numbers to and from text (emu/abi/rtl_integer_string.cpp): RtlCharToInteger (<ntddk.h>) reads a
// C string as RtlUnicodeStringToInteger reads a counted one, and RtlInt64ToUnicodeString writes a
// 64-bit value as RtlIntegerToUnicodeString writes a 32-bit one. docs/kernel.md, "Strings".
#include <ntddk.h>

#include <string>

#include "kemu/testing/gtest.hpp"

extern "C" NTSTATUS StringCallsParseUnit(PCSZ Text, PULONG Unit);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr USHORT kW = sizeof(WCHAR);

class RtlIntegerStringTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RtlIntegerStringTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

std::wstring Text(const UNICODE_STRING& s) { return std::wstring(s.Buffer, s.Length / kW); }

TEST_P(RtlIntegerStringTest, CharToIntegerReadsWhiteSpaceSignPrefixAndStopsAtANonDigit) {
  ULONG value = 0;
  EXPECT_EQ(RtlCharToInteger("  123abc", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 123u);
  EXPECT_EQ(RtlCharToInteger("0x1F", 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0x1Fu);
  EXPECT_EQ(RtlCharToInteger("0o17", 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 017u);
  EXPECT_EQ(RtlCharToInteger("0b101", 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 5u);
  EXPECT_EQ(RtlCharToInteger("-5", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0xFFFFFFFBu);
  EXPECT_EQ(RtlCharToInteger("+7", 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 7u);
  EXPECT_EQ(RtlCharToInteger("ff", 16, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0xFFu);
  EXPECT_EQ(RtlCharToInteger("1012", 2, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 5u) << "2 is no binary digit";
  EXPECT_EQ(RtlCharToInteger("4294967297", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 1u) << "wraps past 32 bits";
}

TEST_P(RtlIntegerStringTest, CharToIntegerReadsNoDigitsAsZero) {
  ULONG value = 99;
  EXPECT_EQ(RtlCharToInteger("", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0u);
  value = 99;
  EXPECT_EQ(RtlCharToInteger("nic", 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0u);
  // A Latin-1 letter (a byte above 0x7F, negative as a char) is not white space.
  value = 99;
  EXPECT_EQ(RtlCharToInteger("\xE9"
                             "12",
                             10, &value),
            STATUS_SUCCESS);
  EXPECT_EQ(value, 0u);
}

TEST_P(RtlIntegerStringTest, CharToIntegerRefusesOtherBasesAndWritesNothing) {
  ULONG value = 99;
  EXPECT_EQ(RtlCharToInteger("10", 7, &value), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlCharToInteger("10", 36, &value), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(value, 99u);
}

TEST_P(RtlIntegerStringTest, CharToIntegerWithANullStringIsAnAccessViolation) {
  ULONG value = 0;
  EXPECT_THAT(CrashOf([&] { RtlCharToInteger(nullptr, 10, &value); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST_P(RtlIntegerStringTest, Int64ToUnicodeStringWritesEveryBaseWithItsNul) {
  WCHAR buffer[70];
  UNICODE_STRING s{0, sizeof buffer, buffer};
  EXPECT_EQ(RtlInt64ToUnicodeString(0xFFFFFFFFFFFFFFFFull, 10, &s), STATUS_SUCCESS);
  EXPECT_EQ(Text(s), L"18446744073709551615");
  EXPECT_EQ(buffer[20], L'\0');
  EXPECT_EQ(RtlInt64ToUnicodeString(0x123456789ABCDEFull, 16, &s), STATUS_SUCCESS);
  EXPECT_EQ(Text(s), L"123456789ABCDEF");
  EXPECT_EQ(RtlInt64ToUnicodeString(1ull << 63, 2, &s), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 64 * kW);
  EXPECT_EQ(Text(s), L"1" + std::wstring(63, L'0'));
  EXPECT_EQ(RtlInt64ToUnicodeString(8, 8, &s), STATUS_SUCCESS);
  EXPECT_EQ(Text(s), L"10");
  EXPECT_EQ(RtlInt64ToUnicodeString(0, 0, &s), STATUS_SUCCESS);
  EXPECT_EQ(Text(s), L"0");
}

TEST_P(RtlIntegerStringTest, Int64ToUnicodeStringNeedsRoomForTheNul) {
  WCHAR buffer[4] = {L'x', L'x', L'x', L'x'};
  UNICODE_STRING exact{0, 3 * kW, buffer};
  EXPECT_EQ(RtlInt64ToUnicodeString(123, 10, &exact), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(exact.Length, 0);
  EXPECT_EQ(buffer[0], L'x') << "nothing written";
  UNICODE_STRING room{0, sizeof buffer, buffer};
  EXPECT_EQ(RtlInt64ToUnicodeString(123, 10, &room), STATUS_SUCCESS);
  EXPECT_EQ(Text(room), L"123");
  EXPECT_EQ(RtlInt64ToUnicodeString(123, 3, &room), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(Text(room), L"123");
}

TEST_P(RtlIntegerStringTest, TheUnicodeReadersAndWritersStillAgree) {
  WCHAR buffer[12];
  UNICODE_STRING s{0, sizeof buffer, buffer};
  ASSERT_EQ(RtlIntegerToUnicodeString(0xBEEF, 16, &s), STATUS_SUCCESS);
  ULONG value = 0;
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 16, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0xBEEFu);
  UNICODE_STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringToInteger(&empty, 10, &value), STATUS_INVALID_PARAMETER)
      << "the Unicode reader's page makes an empty string fail";
}

TEST_P(RtlIntegerStringTest, ACDriverReadsAUnitNumber) {
  ULONG unit = 0;
  EXPECT_EQ(StringCallsParseUnit("0x10", &unit), STATUS_SUCCESS);
  EXPECT_EQ(unit, 16u);
}

TEST(RtlIntegerStringRulesTest, CharToIntegerAndInt64AbovePassiveAreReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  ULONG value = 0;
  WCHAR buffer[4];
  UNICODE_STRING s{0, sizeof buffer, buffer};
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlCharToInteger("1", 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(RtlInt64ToUnicodeString(1, 10, &s), STATUS_SUCCESS);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  for (const kemu::BugCheck& report : machine.bug_checks()) {
    EXPECT_THAT(report, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                   kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  }
}

TEST(RtlIntegerStringRulesTest, Int64WithANullStringIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT(CrashOf([] { RtlInt64ToUnicodeString(1, 10, nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

}  // namespace
