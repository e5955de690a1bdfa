// ntstrsafe.h's routines for counted strings (include/wdk/kemu_wdk_strsafe_ustr.h): the
// counted-source Copy/Cat into NUL-terminated buffers and the UNICODE_STRING routines (Init,
// Validate, Copy, Cat, their String, StringN and Ex forms and flags). Each test checks the status,
// the bytes written and Length, and the remaining string the Ex forms report.
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstring>
#include <string>

#include "kemu/testing/gtest.hpp"
#include "ntstrsafe_test_support.hpp"

extern "C" {
NTSTATUS NtStrCallsCountedName(PUNICODE_STRING Name, PCWSTR Prefix, PCUNICODE_STRING Suffix,
                               PUNICODE_STRING Rest);
NTSTATUS NtStrCallsInitAndCopy(PCWSTR Text, PUNICODE_STRING Name, PWSTR Copy, size_t CopyBytes);
}

namespace {

using ::kemu_test::AllBytes;
using ::kemu_test::Counted;
using ::kemu_test::Fill;
using ::kemu_test::kNoCount;
using ::kemu_test::kNoEnd;
using ::kemu_test::kNoEndW;
using ::kemu_test::kW;
using ::kemu_test::Over;
using ::kemu_test::Text;

class NtStrSafeUnicodeStringTest : public ::testing::Test {
 protected:
  kemu::Machine machine_{kemu::Os::kWindows10};
};

// ---------------------------------------------------------------------------------------------
// A counted source into a NUL-terminated buffer.

TEST_F(NtStrSafeUnicodeStringTest, CopyUnicodeStringCopiesItsLengthAndTerminates) {
  wchar_t text[] = L"abcdef";
  UNICODE_STRING source{3 * kW, 7 * kW, text};  // "abc" of a longer buffer
  wchar_t dest[8];
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest, 8, &source), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abc");
  EXPECT_EQ(RtlStringCbCopyUnicodeString(dest, 3 * kW, &source), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, L"ab");
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest, 4, nullptr), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"");
  UNICODE_STRING odd{static_cast<USHORT>(kW + 1), 7 * kW, text};
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest, 8, &odd), STATUS_INVALID_PARAMETER);
  UNICODE_STRING no_buffer{0, 0, nullptr};
  EXPECT_EQ(RtlStringCchCopyUnicodeString(dest, 8, &no_buffer), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"");
}

TEST_F(NtStrSafeUnicodeStringTest, CatUnicodeStringAppendsItsLength) {
  UNICODE_STRING source = Over(L"de");
  wchar_t dest[6] = L"abc";
  EXPECT_EQ(RtlStringCchCatUnicodeString(dest, 6, &source), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcde");
  wchar_t small[5] = L"abc";
  EXPECT_EQ(RtlStringCbCatUnicodeString(small, sizeof small, &source), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(small, L"abcd");
}

// ---------------------------------------------------------------------------------------------
// UNICODE_STRING: initialise and validate.

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringInitPointsAtTheString) {
  const wchar_t* text = L"nic0";
  UNICODE_STRING s{};
  EXPECT_EQ(RtlUnicodeStringInit(&s, text), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 4 * kW);
  EXPECT_EQ(s.MaximumLength, 5 * kW);
  EXPECT_EQ(s.Buffer, text);
  EXPECT_EQ(RtlUnicodeStringInit(&s, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 0);
  EXPECT_EQ(s.MaximumLength, 0);
  EXPECT_EQ(s.Buffer, nullptr);
  EXPECT_EQ(RtlUnicodeStringInit(nullptr, text), STATUS_INVALID_PARAMETER);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringInitRefusesAStringTooLongToCount) {
  const size_t most = 0xFFFF / kW < NTSTRSAFE_UNICODE_STRING_MAX_CCH
                          ? 0xFFFF / kW
                          : size_t{NTSTRSAFE_UNICODE_STRING_MAX_CCH};
  std::wstring longest(most - 1, L'a');
  UNICODE_STRING s{};
  EXPECT_EQ(RtlUnicodeStringInit(&s, longest.c_str()), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, (most - 1) * kW);
  EXPECT_EQ(s.MaximumLength, most * kW);
  std::wstring too_long(most, L'a');
  EXPECT_EQ(RtlUnicodeStringInit(&s, too_long.c_str()), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(s.Length, 0);
  EXPECT_EQ(s.MaximumLength, 0);
  EXPECT_EQ(s.Buffer, nullptr);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringInitExFlags) {
  EXPECT_EQ(RtlUnicodeStringInitEx(nullptr, nullptr, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringInitEx(nullptr, nullptr, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringInitEx(nullptr, L"a", STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
  UNICODE_STRING s{};
  EXPECT_EQ(RtlUnicodeStringInitEx(&s, L"a", STRSAFE_NO_TRUNCATION), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringInitEx(&s, L"ab", STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 2 * kW);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringValidateChecksTheCounts) {
  WCHAR buffer[4];
  UNICODE_STRING s = Counted(buffer, 4, 2);
  EXPECT_EQ(RtlUnicodeStringValidate(&s), STATUS_SUCCESS);
  UNICODE_STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringValidate(&empty), STATUS_SUCCESS);
  UNICODE_STRING odd_length{static_cast<USHORT>(kW + 1), 4 * kW, buffer};
  EXPECT_EQ(RtlUnicodeStringValidate(&odd_length), STATUS_INVALID_PARAMETER);
  UNICODE_STRING odd_maximum{0, static_cast<USHORT>(3 * kW + 1), buffer};
  EXPECT_EQ(RtlUnicodeStringValidate(&odd_maximum), STATUS_INVALID_PARAMETER);
  UNICODE_STRING longer = Counted(buffer, 2, 3);
  EXPECT_EQ(RtlUnicodeStringValidate(&longer), STATUS_INVALID_PARAMETER);
  UNICODE_STRING no_buffer{0, 4 * kW, nullptr};
  EXPECT_EQ(RtlUnicodeStringValidate(&no_buffer), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringValidate(nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringValidateEx(nullptr, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringValidateEx(&s, STRSAFE_FILL_BEHIND), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringValidateEx(&odd_length, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
}

// ---------------------------------------------------------------------------------------------
// UNICODE_STRING: copy and concatenate.

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringCopySetsLengthAndAddsNoNul) {
  WCHAR buffer[6];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 6, 5);
  UNICODE_STRING source = Over(L"abc");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest, &source), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 3 * kW);
  EXPECT_EQ(dest.MaximumLength, 6 * kW);
  EXPECT_EQ(std::wstring(buffer, 6), L"abc###");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest, nullptr), STATUS_SUCCESS) << "NULL source is empty";
  EXPECT_EQ(dest.Length, 0);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringCopyCutsToMaximumLengthWithBufferOverflow) {
  WCHAR buffer[3];
  UNICODE_STRING dest = Counted(buffer, 3);
  UNICODE_STRING source = Over(L"abcdef");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest, &source), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"abc");
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  UNICODE_STRING exact = Over(L"xyz");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest, &exact), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"xyz");
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringCopyIntoNoRoomIsInvalidUnlessTheSourceIsEmpty) {
  UNICODE_STRING dest{0, 0, nullptr};
  UNICODE_STRING source = Over(L"a");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest, &source), STATUS_INVALID_PARAMETER);
  UNICODE_STRING empty = Over(L"");
  EXPECT_EQ(RtlUnicodeStringCopy(&dest, &empty), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCopyString(&dest, L""), STATUS_SUCCESS);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringRoutinesRefuseInvalidStructures) {
  WCHAR buffer[4];
  UNICODE_STRING bad{static_cast<USHORT>(kW + 1), 4 * kW, buffer};
  UNICODE_STRING good = Counted(buffer, 4);
  UNICODE_STRING source = Over(L"a");
  EXPECT_EQ(RtlUnicodeStringCopy(&bad, &source), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCopy(&good, &bad), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCatString(&bad, L"a"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCopyString(nullptr, L"a"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(good.Length, 0);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringCatAppendsAfterLength) {
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  EXPECT_EQ(RtlUnicodeStringCopyString(&dest, L"ab"), STATUS_SUCCESS);
  UNICODE_STRING source = Over(L"cd");
  EXPECT_EQ(RtlUnicodeStringCat(&dest, &source), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abcd");
  EXPECT_EQ(RtlUnicodeStringCatString(&dest, L"efghij"), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"abcdefgh");
  EXPECT_EQ(RtlUnicodeStringCatString(&dest, L"x"), STATUS_INVALID_PARAMETER)
      << "the destination is already full";
  EXPECT_EQ(RtlUnicodeStringCatString(&dest, L""), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCat(&dest, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abcdefgh");
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringExReportsTheRemainingString) {
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  UNICODE_STRING rest{};
  UNICODE_STRING source = Over(L"abc");
  EXPECT_EQ(RtlUnicodeStringCopyEx(&dest, &source, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(rest.Buffer, buffer + 3);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 5 * kW);
  EXPECT_EQ(RtlUnicodeStringCatStringEx(&dest, L"defghijk", &rest, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"abcdefgh");
  EXPECT_EQ(rest.Buffer, buffer + 8);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest, L"xy", nullptr, 0), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCatEx(&dest, &source, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"xyabc");
  EXPECT_EQ(rest.Buffer, buffer + 5);
  EXPECT_EQ(rest.MaximumLength, 3 * kW);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringExNoTruncationLeavesTheStringUnmodified) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"ab"), STATUS_SUCCESS);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringCatStringEx(&dest, L"cde", &rest, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"ab");
  EXPECT_EQ(rest.Buffer, buffer + 2);
  EXPECT_EQ(rest.MaximumLength, 2 * kW);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest, L"vwxyz", &rest, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"ab") << "Length and buffer as they were";
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringExZeroLengthOnFailure) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"ab"), STATUS_SUCCESS);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringCatStringEx(&dest, L"cde", &rest, STRSAFE_ZERO_LENGTH_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringExFillOnFailureFillsTheWholeBuffer) {
  WCHAR buffer[3];
  UNICODE_STRING dest = Counted(buffer, 3);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest, L"abcd", &rest, STRSAFE_FAILURE_BYTE(0x41)),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0x41));
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest, L"abcd", &rest, STRSAFE_FILL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0));
  EXPECT_EQ(dest.Length, 0) << "a fill byte of 0 leaves an empty string";
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringExFillBehindFillsAfterTheString) {
  WCHAR buffer[4];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 4);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(&dest, L"a", nullptr, STRSAFE_FILL_BEHIND | 0x00),
            STATUS_SUCCESS);
  EXPECT_EQ(buffer[0], L'a');
  EXPECT_TRUE(AllBytes(buffer, kW, sizeof buffer, 0));
  EXPECT_EQ(dest.Length, kW);
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringExIgnoreNulls) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4, 1);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringCopyEx(&dest, nullptr, &rest, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.Length, kW);
  EXPECT_EQ(RtlUnicodeStringCopyEx(&dest, nullptr, &rest, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  EXPECT_EQ(RtlUnicodeStringCatStringEx(nullptr, nullptr, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(rest.Buffer, nullptr);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(nullptr, L"a", &rest, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCopyStringEx(nullptr, L"", nullptr, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCopyEx(&dest, nullptr, nullptr, STRSAFE_NULL_ON_FAILURE | 0x4000),
            STATUS_INVALID_PARAMETER)
      << "unknown flag";
}

TEST_F(NtStrSafeUnicodeStringTest, UnicodeStringStringNLimitsTheSource) {
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringN(&dest, L"abcdef", 2), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ab");
  EXPECT_EQ(RtlUnicodeStringCbCopyStringN(&dest, L"wxyz", 3 * kW), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"wxy");
  EXPECT_EQ(RtlUnicodeStringCchCatStringN(&dest, L"123", 9), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"wxy123");
  EXPECT_EQ(RtlUnicodeStringCbCatStringN(&dest, L"4567", 4 * kW), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"wxy12345");
  const WCHAR unterminated[2] = {L'p', L'q'};
  EXPECT_EQ(RtlUnicodeStringCchCopyStringN(&dest, unterminated, 2), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"pq");
  EXPECT_EQ(RtlUnicodeStringCchCopyStringN(&dest, L"a", NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCatStringN(&dest, L"a", (NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1) * kW),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(Text(dest), L"pq");
}

// ---------------------------------------------------------------------------------------------
// From C (ntstrsafe_calls.c).

TEST_F(NtStrSafeUnicodeStringTest, CDriverBuildsACountedName) {
  WCHAR buffer[12];
  UNICODE_STRING name = Counted(buffer, 12);
  UNICODE_STRING suffix = Over(L"Nic0");
  UNICODE_STRING rest{};
  EXPECT_EQ(NtStrCallsCountedName(&name, L"\\Device\\", &suffix, &rest), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"\\Device\\Nic0");
  EXPECT_EQ(rest.MaximumLength, 0);
  UNICODE_STRING longer = Over(L"Nic10");
  EXPECT_EQ(NtStrCallsCountedName(&name, L"\\Device\\", &longer, &rest), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(name), L"\\Device\\");
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
}

TEST_F(NtStrSafeUnicodeStringTest, CDriverInitialisesValidatesAndCopies) {
  UNICODE_STRING name{};
  wchar_t copy[8];
  EXPECT_EQ(NtStrCallsInitAndCopy(L"nic", &name, copy, sizeof copy), STATUS_SUCCESS);
  EXPECT_EQ(name.Length, 3 * kW);
  EXPECT_STREQ(copy, L"nic");
  EXPECT_EQ(NtStrCallsInitAndCopy(nullptr, &name, copy, sizeof copy), STATUS_SUCCESS);
  EXPECT_STREQ(copy, L"");
}

}  // namespace
