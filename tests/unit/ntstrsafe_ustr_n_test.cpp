// ntstrsafe.h's limited and reporting counted-string routines (include/wdk/kemu_wdk_strsafe_ustr.h
// and kemu_wdk_strsafe_ex.h): RtlUnicodeStringCb/CchCopyN and CatN with their Ex forms, the Ex
// forms of Cb/CchCopyStringN and CatStringN, RtlUnicodeStringPrintfEx and VPrintfEx, and
// RtlStringCb/CchCopyUnicodeStringEx and CatUnicodeStringEx. Each test checks the status, the
// characters written, Length and MaximumLength, and what the Ex forms report.
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstdarg>
#include <string>

#include "kemu/testing/gtest.hpp"
#include "ntstrsafe_test_support.hpp"

extern "C" {
NTSTATUS NtStrCallsJoinN(PUNICODE_STRING Name, PCUNICODE_STRING First, PCUNICODE_STRING Second,
                         size_t Chars, BOOLEAN InBytes);
NTSTATUS NtStrCallsJoinNEx(PUNICODE_STRING Name, PCUNICODE_STRING First, PCUNICODE_STRING Second,
                           size_t Chars, BOOLEAN InBytes, PUNICODE_STRING Rest, DWORD Flags);
NTSTATUS NtStrCallsJoinStringNEx(PUNICODE_STRING Name, PCWSTR First, PCWSTR Second, size_t Chars,
                                 BOOLEAN InBytes, PUNICODE_STRING Rest, DWORD Flags);
NTSTATUS NtStrCallsPrintName(PUNICODE_STRING Name, PUNICODE_STRING Rest, DWORD Flags,
                             unsigned Index);
NTSTATUS NtStrCallsVPrintName(PUNICODE_STRING Name, PUNICODE_STRING Rest, DWORD Flags,
                              PCWSTR Format, ...);
NTSTATUS NtStrCallsTerminate(PWSTR Dest, size_t Chars, PCUNICODE_STRING First,
                             PCUNICODE_STRING Second, BOOLEAN InBytes, PWSTR* End, size_t* Left,
                             DWORD Flags);
}

namespace {

using ::kemu_test::AllBytes;
using ::kemu_test::Counted;
using ::kemu_test::Fill;
using ::kemu_test::kNoCount;
using ::kemu_test::kNoEndW;
using ::kemu_test::kW;
using ::kemu_test::Over;
using ::kemu_test::Text;

constexpr size_t kMost = NTSTRSAFE_UNICODE_STRING_MAX_CCH;

// A RemainingString the routine must not write.
UNICODE_STRING Untouched() {
  UNICODE_STRING s;
  s.Buffer = kNoEndW;
  s.Length = 2;
  s.MaximumLength = 6;
  return s;
}
bool IsUntouched(const UNICODE_STRING& s) {
  return s.Buffer == kNoEndW && s.Length == 2 && s.MaximumLength == 6;
}

NTSTATUS VPrintfEx(PUNICODE_STRING dest, PUNICODE_STRING rest, DWORD flags, const wchar_t* format,
                   ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlUnicodeStringVPrintfEx(dest, rest, flags, format, args);
  va_end(args);
  return status;
}

class NtStrSafeUnicodeStringNTest : public ::testing::Test {
 protected:
  kemu::Machine machine_{kemu::Os::kWindows10};
};

// ---------------------------------------------------------------------------------------------
// RtlUnicodeStringCb/CchCopyN and CatN: at most N characters of a counted source.

TEST_F(NtStrSafeUnicodeStringNTest, CopyNCopiesAtMostNCharactersAndAddsNoNul) {
  WCHAR buffer[8];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 8, 5);
  UNICODE_STRING source = Over(L"abcdef");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, 3), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 3 * kW);
  EXPECT_EQ(dest.MaximumLength, 8 * kW);
  EXPECT_EQ(std::wstring(buffer, 8), L"abc#####");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, 9), STATUS_SUCCESS) << "N past the source";
  EXPECT_EQ(Text(dest), L"abcdef");
  EXPECT_EQ(buffer[6], L'#');
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
}

TEST_F(NtStrSafeUnicodeStringNTest, CbCopyNCountsWholeCharacters) {
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  UNICODE_STRING source = Over(L"uvwxyz");
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest, &source, 2 * kW), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"uv");
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest, &source, 3 * kW + 1), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"uvw") << "an odd tail of bytes is no character";
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest, &source, kW - 1), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
}

TEST_F(NtStrSafeUnicodeStringNTest, CopyNReadsTheSourceLengthOnlyAndKeepsItsNuls) {
  WCHAR text[] = L"abcdef";
  UNICODE_STRING source{2 * kW, 7 * kW, text};  // "ab" of a longer buffer
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, 5), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ab");
  WCHAR with_nul[3] = {L'a', L'\0', L'b'};
  UNICODE_STRING inner{3 * kW, 3 * kW, with_nul};
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &inner, 3), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), std::wstring(with_nul, 3));
}

TEST_F(NtStrSafeUnicodeStringNTest, CopyNCutsToMaximumLengthWithBufferOverflow) {
  WCHAR buffer[3];
  UNICODE_STRING dest = Counted(buffer, 3);
  UNICODE_STRING source = Over(L"abcdef");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, 5), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"abc");
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest, &source, 3 * kW), STATUS_SUCCESS) << "an exact fit";
  EXPECT_EQ(Text(dest), L"abc");
}

TEST_F(NtStrSafeUnicodeStringNTest, CatNAppendsAtMostNCharactersAfterLength) {
  WCHAR buffer[6];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 6);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"ab"), STATUS_SUCCESS);
  UNICODE_STRING source = Over(L"cdef");
  EXPECT_EQ(RtlUnicodeStringCchCatN(&dest, &source, 2), STATUS_SUCCESS);
  EXPECT_EQ(std::wstring(buffer, 6), L"abcd##");
  EXPECT_EQ(dest.Length, 4 * kW);
  EXPECT_EQ(RtlUnicodeStringCbCatN(&dest, &source, 3 * kW), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"abcdcd");
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  EXPECT_EQ(RtlUnicodeStringCchCatN(&dest, &source, 1), STATUS_INVALID_PARAMETER)
      << "the destination is already full";
  EXPECT_EQ(RtlUnicodeStringCbCatN(&dest, &source, 0), STATUS_SUCCESS) << "nothing to append";
  EXPECT_EQ(Text(dest), L"abcdcd");
}

TEST_F(NtStrSafeUnicodeStringNTest, NFormsRefuseCountsOverTheLimit) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4, 1);
  buffer[0] = L'q';
  UNICODE_STRING source = Over(L"ab");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, kMost + 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCchCatN(&dest, &source, kMost + 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest, &source, kMost * kW + 1), STATUS_INVALID_PARAMETER)
      << "one byte over NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR)";
  EXPECT_EQ(RtlUnicodeStringCbCatN(&dest, &source, (kMost + 1) * kW), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCopyStringN(&dest, L"ab", kMost * kW + 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCatStringN(&dest, L"ab", kMost * kW + 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCchCopyN(nullptr, &source, kMost + 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(Text(dest), L"q");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &source, kMost), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ab");
  EXPECT_EQ(RtlUnicodeStringCbCatN(&dest, &source, kMost * kW), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abab");
}

TEST_F(NtStrSafeUnicodeStringNTest, NFormsWithoutExTakeANullSourceAsEmpty) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4, 2);
  EXPECT_EQ(RtlUnicodeStringCchCatN(&dest, nullptr, 3), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 2 * kW);
  EXPECT_EQ(RtlUnicodeStringCbCopyN(&dest, nullptr, 3 * kW), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
  UNICODE_STRING no_buffer{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &no_buffer, 3), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
  UNICODE_STRING source = Over(L"a");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(nullptr, &source, 1), STATUS_INVALID_PARAMETER);
}

TEST_F(NtStrSafeUnicodeStringNTest, NFormsRefuseInvalidStructures) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4, 1);
  UNICODE_STRING odd{static_cast<USHORT>(kW + 1), 4 * kW, buffer};
  UNICODE_STRING source = Over(L"a");
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&dest, &odd, 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCatN(&dest, &odd, kW), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCchCatN(&odd, &source, 1), STATUS_INVALID_PARAMETER);
  UNICODE_STRING no_room{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&no_room, &source, 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCchCopyN(&no_room, &source, 0), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, kW);
}

// ---------------------------------------------------------------------------------------------
// Their Ex forms: RemainingString and the flags.

TEST_F(NtStrSafeUnicodeStringNTest, NExFormsReportTheRemainingString) {
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  UNICODE_STRING rest = Untouched();
  UNICODE_STRING source = Over(L"abcdef");
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, &source, 4, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abcd");
  EXPECT_EQ(rest.Buffer, buffer + 4);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(&dest, &source, 2 * kW + 1, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abcdab");
  EXPECT_EQ(rest.Buffer, buffer + 6);
  EXPECT_EQ(rest.MaximumLength, 2 * kW);
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&dest, &source, 3, &rest, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"abcdabab");
  EXPECT_EQ(rest.Buffer, buffer + 8);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCbCopyNEx(&dest, &source, 6 * kW, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abcdef");
  EXPECT_EQ(rest.Buffer, buffer + 6);
  EXPECT_EQ(rest.MaximumLength, 2 * kW);
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, &source, 1, nullptr, 0), STATUS_SUCCESS)
      << "RemainingString is optional";
  EXPECT_EQ(Text(dest), L"a");
}

TEST_F(NtStrSafeUnicodeStringNTest, NExNullsNeedIgnoreNulls) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4, 2);
  UNICODE_STRING rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, nullptr, 2, &rest, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.Length, 2 * kW);
  EXPECT_TRUE(IsUntouched(rest));
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&dest, nullptr, 2, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 2 * kW);
  EXPECT_EQ(rest.Buffer, buffer + 2);
  EXPECT_EQ(rest.MaximumLength, 2 * kW);
  EXPECT_EQ(RtlUnicodeStringCbCopyNEx(&dest, nullptr, 2 * kW, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  UNICODE_STRING source = Over(L"abc");
  rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(nullptr, &source, 3, &rest, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(nullptr, &source, kW, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER)
      << "a NULL destination takes no characters";
  EXPECT_TRUE(IsUntouched(rest));
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(nullptr, &source, 0, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS)
      << "no characters of a non-empty source";
  EXPECT_EQ(rest.Buffer, nullptr);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(nullptr, nullptr, 5, nullptr, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
}

TEST_F(NtStrSafeUnicodeStringNTest, NExFillBehindFillsAfterTheString) {
  WCHAR buffer[5];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 5);
  UNICODE_STRING source = Over(L"abc");
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, &source, 2, nullptr, STRSAFE_FILL_BEHIND | 0x00),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ab");
  EXPECT_TRUE(AllBytes(buffer, 2 * kW, sizeof buffer, 0));
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(&dest, &source, kW, nullptr, STRSAFE_FILL_BEHIND | 0x5A),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"aba");
  EXPECT_TRUE(AllBytes(buffer, 3 * kW, sizeof buffer, 0x5A));
}

TEST_F(NtStrSafeUnicodeStringNTest, NExFailureFlags) {
  WCHAR buffer[3];
  UNICODE_STRING dest = Counted(buffer, 3);
  UNICODE_STRING rest = Untouched();
  UNICODE_STRING source = Over(L"abcd");
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, &source, 4, &rest, STRSAFE_FAILURE_BYTE(0x41)),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0x41));
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  EXPECT_EQ(rest.Buffer, buffer + 3);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCbCopyNEx(&dest, &source, 4 * kW, &rest, STRSAFE_FILL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0));
  EXPECT_EQ(dest.Length, 0) << "a fill byte of 0 leaves an empty string";
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 3 * kW);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"xy"), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&dest, &source, 2, &rest, STRSAFE_ZERO_LENGTH_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 3 * kW);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"xyz"), STATUS_SUCCESS);
  rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(&dest, &source, kW, &rest, STRSAFE_NULL_ON_FAILURE),
            STATUS_INVALID_PARAMETER)
      << "a full destination";
  EXPECT_EQ(dest.Length, 0) << "the failure flag applies";
  EXPECT_TRUE(IsUntouched(rest));
}

TEST_F(NtStrSafeUnicodeStringNTest, NExNoTruncationLeavesTheStringUnmodified) {
  WCHAR buffer[5];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 5);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"ab"), STATUS_SUCCESS);
  UNICODE_STRING rest{};
  UNICODE_STRING source = Over(L"cdef");
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&dest, &source, 4, &rest, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::wstring(buffer, 5), L"ab###");
  EXPECT_EQ(dest.Length, 2 * kW);
  EXPECT_EQ(rest.Buffer, buffer + 2);
  EXPECT_EQ(rest.MaximumLength, 3 * kW);
  EXPECT_EQ(RtlUnicodeStringCbCopyNEx(&dest, &source, 4 * kW + 1, &rest, STRSAFE_NO_TRUNCATION),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"cdef");
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(&dest, &source, 2 * kW, &rest, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"cdef");
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&dest, &source, 1, &rest, STRSAFE_NO_TRUNCATION),
            STATUS_SUCCESS)
      << "the limit makes it fit";
  EXPECT_EQ(Text(dest), L"cdefc");
  EXPECT_EQ(rest.MaximumLength, 0);
}

TEST_F(NtStrSafeUnicodeStringNTest, NExRefusesUnknownFlagsInvalidStringsAndCountsOverTheLimit) {
  WCHAR buffer[4];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 4, 1);
  UNICODE_STRING rest = Untouched();
  UNICODE_STRING source = Over(L"ab");
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, &source, 1, &rest, 0x2000), STATUS_INVALID_PARAMETER);
  UNICODE_STRING odd{static_cast<USHORT>(kW + 1), 4 * kW, buffer};
  EXPECT_EQ(RtlUnicodeStringCchCatNEx(&dest, &odd, 1, &rest, STRSAFE_FAILURE_BYTE('x')),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCopyNEx(&odd, &source, kW, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCchCopyNEx(&dest, &source, kMost + 1, &rest, STRSAFE_FILL_ON_FAILURE),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCatNEx(&dest, &source, kMost * kW + 1, &rest, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest, L"a", kMost + 1, &rest, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCatStringNEx(&dest, L"a", kMost * kW + 1, &rest, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(std::wstring(buffer, 4), L"####") << "no failure flag applies to these";
  EXPECT_EQ(dest.Length, kW);
  EXPECT_TRUE(IsUntouched(rest));
}

// ---------------------------------------------------------------------------------------------
// RtlUnicodeStringCb/CchCopyStringNEx and CatStringNEx.

TEST_F(NtStrSafeUnicodeStringNTest, StringNExLimitsTheSourceAndReports) {
  WCHAR buffer[8];
  UNICODE_STRING dest = Counted(buffer, 8);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest, L"abcdef", 3, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"abc");
  EXPECT_EQ(rest.Buffer, buffer + 3);
  EXPECT_EQ(rest.MaximumLength, 5 * kW);
  EXPECT_EQ(RtlUnicodeStringCbCopyStringNEx(&dest, L"wxyz", 2 * kW + 1, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"wx");
  EXPECT_EQ(rest.MaximumLength, 6 * kW);
  const WCHAR unterminated[3] = {L'1', L'2', L'3'};
  EXPECT_EQ(RtlUnicodeStringCchCatStringNEx(&dest, unterminated, 3, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"wx123");
  EXPECT_EQ(rest.Buffer, buffer + 5);
  EXPECT_EQ(RtlUnicodeStringCbCatStringNEx(&dest, L"4567", 4 * kW, &rest, 0),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"wx123456");
  EXPECT_EQ(rest.Buffer, buffer + 8);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest, L"ab", 9, nullptr, 0), STATUS_SUCCESS)
      << "the source's NUL ends it before the count";
  EXPECT_EQ(Text(dest), L"ab");
}

TEST_F(NtStrSafeUnicodeStringNTest, StringNExNullsAndFlags) {
  WCHAR buffer[4];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 4);
  UNICODE_STRING rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest, nullptr, 2, &rest, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_TRUE(IsUntouched(rest));
  EXPECT_EQ(RtlUnicodeStringCbCatStringNEx(nullptr, nullptr, kW, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(rest.Buffer, nullptr);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringCchCatStringNEx(nullptr, L"a", 1, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringCbCopyStringNEx(&dest, L"ab", 2 * kW, &rest, STRSAFE_FILL_BYTE(0x11)),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ab");
  EXPECT_TRUE(AllBytes(buffer, 2 * kW, sizeof buffer, 0x11));
  EXPECT_EQ(RtlUnicodeStringCchCatStringNEx(&dest, L"cde", 3, &rest, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"ab");
  EXPECT_TRUE(AllBytes(buffer, 2 * kW, sizeof buffer, 0x11)) << "nothing written";
  EXPECT_EQ(rest.Buffer, buffer + 2);
  EXPECT_EQ(RtlUnicodeStringCchCatStringNEx(&dest, L"cde", 3, &rest, STRSAFE_FAILURE_BYTE(0x22)),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0x22));
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  EXPECT_EQ(RtlUnicodeStringCbCopyStringNEx(&dest, L"abcdef", 5 * kW, &rest,
                                            STRSAFE_ZERO_LENGTH_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  EXPECT_EQ(RtlUnicodeStringCchCopyStringNEx(&dest, nullptr, 2, &rest, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
}

// ---------------------------------------------------------------------------------------------
// RtlUnicodeStringPrintfEx and VPrintfEx.

TEST_F(NtStrSafeUnicodeStringNTest, PrintfExFormatsFromTheStartAndReports) {
  WCHAR buffer[16];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 16, 9);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, 0, L"nic%u", 7u), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"nic7");
  EXPECT_EQ(dest.MaximumLength, 16 * kW);
  EXPECT_EQ(buffer[4], L'#') << "no NUL added";
  EXPECT_EQ(rest.Buffer, buffer + 4);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 12 * kW);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, nullptr, 0, L"%ws-%d", L"ab", 42), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ab-42");
}

TEST_F(NtStrSafeUnicodeStringNTest, PrintfExCutsToMaximumLength) {
  WCHAR buffer[3];
  UNICODE_STRING dest = Counted(buffer, 3);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, 0, L"%u", 12345u), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(dest), L"123");
  EXPECT_EQ(rest.Buffer, buffer + 3);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, 0, L"%u", 987u), STATUS_SUCCESS)
      << "an exact fit";
  EXPECT_EQ(Text(dest), L"987");
}

TEST_F(NtStrSafeUnicodeStringNTest, PrintfExFlags) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_FILL_BEHIND | 0x00, L"%c", L'z'),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"z");
  EXPECT_TRUE(AllBytes(buffer, kW, sizeof buffer, 0));
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_FAILURE_BYTE(0x33), L"%u", 12345u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0x33));
  EXPECT_EQ(dest.Length, dest.MaximumLength);
  EXPECT_EQ(rest.Buffer, buffer + 4);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_ZERO_LENGTH_ON_FAILURE, L"%u", 12345u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_FILL_ON_FAILURE, L"%u", 12345u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(buffer, 0, sizeof buffer, 0));
  EXPECT_EQ(dest.Length, 0);
}

TEST_F(NtStrSafeUnicodeStringNTest, PrintfExNoTruncationLeavesAnEmptyString) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4);
  ASSERT_EQ(RtlUnicodeStringCopyString(&dest, L"old"), STATUS_SUCCESS);
  UNICODE_STRING rest{};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_NO_TRUNCATION, L"%u", 12345u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.Length, 0) << "UNCONFIRMED: Windows documents the destination as unmodified";
  EXPECT_EQ(dest.MaximumLength, 4 * kW);
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_NO_TRUNCATION, L"%u", 1234u),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"1234");
}

TEST_F(NtStrSafeUnicodeStringNTest, PrintfExNullsNeedIgnoreNulls) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4, 2);
  UNICODE_STRING rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, 0, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.Length, 2 * kW);
  EXPECT_TRUE(IsUntouched(rest));
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_ZERO_LENGTH_ON_FAILURE, nullptr),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dest.Length, 0) << "the failure flag applies";
  EXPECT_TRUE(IsUntouched(rest));
  dest.Length = 2 * kW;
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, STRSAFE_IGNORE_NULLS, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(rest.Buffer, buffer);
  EXPECT_EQ(rest.MaximumLength, 4 * kW);
  rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringPrintfEx(nullptr, &rest, 0, L""), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(nullptr, &rest, STRSAFE_IGNORE_NULLS, L"%u", 1u),
            STATUS_INVALID_PARAMETER)
      << "a NULL destination takes only an empty result";
  EXPECT_TRUE(IsUntouched(rest));
  EXPECT_EQ(RtlUnicodeStringPrintfEx(nullptr, &rest, STRSAFE_IGNORE_NULLS, L"%ws", L""),
            STATUS_SUCCESS);
  EXPECT_EQ(rest.Buffer, nullptr);
  EXPECT_EQ(rest.Length, 0);
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(nullptr, nullptr, STRSAFE_IGNORE_NULLS, nullptr),
            STATUS_SUCCESS);
}

TEST_F(NtStrSafeUnicodeStringNTest, PrintfExRefusesUnknownFlagsAndInvalidStrings) {
  WCHAR buffer[4];
  Fill(buffer, L'#');
  UNICODE_STRING dest = Counted(buffer, 4, 1);
  UNICODE_STRING rest = Untouched();
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&dest, &rest, 0x80000000u | STRSAFE_NULL_ON_FAILURE, L"x"),
            STATUS_INVALID_PARAMETER);
  UNICODE_STRING odd{static_cast<USHORT>(kW + 1), 4 * kW, buffer};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&odd, &rest, STRSAFE_FAILURE_BYTE('x'), L"x"),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(std::wstring(buffer, 4), L"####");
  EXPECT_EQ(dest.Length, kW);
  EXPECT_TRUE(IsUntouched(rest));
  UNICODE_STRING no_room{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&no_room, &rest, 0, L"x"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringPrintfEx(&no_room, &rest, 0, L""), STATUS_SUCCESS);
  EXPECT_EQ(rest.Buffer, nullptr);
  EXPECT_EQ(rest.MaximumLength, 0);
}

TEST_F(NtStrSafeUnicodeStringNTest, VPrintfExTakesAVaList) {
  WCHAR buffer[4];
  UNICODE_STRING dest = Counted(buffer, 4);
  UNICODE_STRING rest{};
  EXPECT_EQ(VPrintfEx(&dest, &rest, 0, L"%c%c", L'o', L'k'), STATUS_SUCCESS);
  EXPECT_EQ(Text(dest), L"ok");
  EXPECT_EQ(rest.Buffer, buffer + 2);
  EXPECT_EQ(rest.MaximumLength, 2 * kW);
  EXPECT_EQ(VPrintfEx(&dest, &rest, STRSAFE_NO_TRUNCATION | STRSAFE_FILL_BYTE('-'), L"%u", 99999u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(VPrintfEx(nullptr, &rest, STRSAFE_IGNORE_NULLS, L"%ws", L"a"),
            STATUS_INVALID_PARAMETER);
}

// ---------------------------------------------------------------------------------------------
// RtlStringCb/CchCopyUnicodeStringEx and CatUnicodeStringEx: a counted source into a
// NUL-terminated buffer, with an end pointer and the room left.

TEST_F(NtStrSafeUnicodeStringNTest, CopyUnicodeStringExReportsTheEndAndTheRoomLeft) {
  UNICODE_STRING source = Over(L"abc");
  wchar_t dest[8];
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 8, &source, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abc");
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 5u);
  EXPECT_EQ(RtlStringCbCopyUnicodeStringEx(dest, sizeof dest, &source, &end, &left, 0),
            STATUS_SUCCESS);
  EXPECT_EQ(left, 5 * kW);
  EXPECT_EQ(RtlStringCbCopyUnicodeStringEx(dest, 3 * kW + 1, &source, &end, &left, 0),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, L"ab");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, kW) << "one character, the NUL; the odd byte is not counted";
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 4, &source, nullptr, nullptr, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abc");
}

TEST_F(NtStrSafeUnicodeStringNTest, CopyUnicodeStringExCopiesNulsInsideTheSource) {
  WCHAR with_nul[3] = {L'a', L'\0', L'b'};
  UNICODE_STRING source{3 * kW, 3 * kW, with_nul};
  wchar_t dest[6];
  Fill(dest, L'#');
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 6, &source, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_EQ(std::wstring(dest, 6), std::wstring(L"a\0b\0##", 6));
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 3u);
}

TEST_F(NtStrSafeUnicodeStringNTest, CatUnicodeStringExAppendsAndReports) {
  UNICODE_STRING source = Over(L"cd");
  wchar_t dest[8] = L"ab";
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCatUnicodeStringEx(dest, 8, &source, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcd");
  EXPECT_EQ(end, dest + 4);
  EXPECT_EQ(left, 4u);
  EXPECT_EQ(RtlStringCbCatUnicodeStringEx(dest, sizeof dest, &source, &end, &left, 0),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcdcd");
  EXPECT_EQ(end, dest + 6);
  EXPECT_EQ(left, 2 * kW);
  EXPECT_EQ(RtlStringCchCatUnicodeStringEx(dest, 8, &source, &end, &left, 0),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, L"abcdcdc");
  EXPECT_EQ(end, dest + 7);
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(RtlStringCbCatUnicodeStringEx(dest, sizeof dest, &source, &end, &left, 0),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(end, dest + 7);
  EXPECT_EQ(left, kW);
}

TEST_F(NtStrSafeUnicodeStringNTest, UnicodeStringExNullsNeedIgnoreNulls) {
  wchar_t dest[4] = L"old";
  wchar_t* end = kNoEndW;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 4, nullptr, &end, &left, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, L"old");
  EXPECT_EQ(end, kNoEndW);
  EXPECT_EQ(left, kNoCount);
  EXPECT_EQ(RtlStringCchCatUnicodeStringEx(dest, 4, nullptr, &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"old");
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(
      RtlStringCbCopyUnicodeStringEx(dest, sizeof dest, nullptr, &end, &left, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"");
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4 * kW);
  UNICODE_STRING empty{0, 0, nullptr};
  UNICODE_STRING source = Over(L"a");
  end = kNoEndW;
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(nullptr, 0, &source, &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(
      RtlStringCbCatUnicodeStringEx(nullptr, 4 * kW, &empty, &end, &left, STRSAFE_IGNORE_NULLS),
      STATUS_INVALID_PARAMETER)
      << "a NULL destination must have a size of zero";
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(nullptr, 0, &empty, &end, &left, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(end, kNoEndW);
  EXPECT_EQ(RtlStringCchCatUnicodeStringEx(nullptr, 0, &empty, &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(left, 0u);
}

TEST_F(NtStrSafeUnicodeStringNTest, UnicodeStringExRefusesInvalidSourcesAndFlags) {
  wchar_t text[] = L"abc";
  UNICODE_STRING odd{static_cast<USHORT>(kW + 1), 4 * kW, text};
  UNICODE_STRING longer{4 * kW, 2 * kW, text};
  wchar_t dest[4] = L"old";
  wchar_t* end = kNoEndW;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 4, &odd, &end, &left, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCbCatUnicodeStringEx(dest, sizeof dest, &longer, &end, &left, 0),
            STATUS_INVALID_PARAMETER);
  UNICODE_STRING source = Over(L"a");
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 4, &source, &end, &left, 0x4000),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, L"old");
  EXPECT_EQ(end, kNoEndW);
  EXPECT_EQ(left, kNoCount);
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 4, &odd, &end, &left, STRSAFE_NULL_ON_FAILURE),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, L"") << "UNCONFIRMED: the failure flags apply to an invalid source";
  EXPECT_EQ(end, kNoEndW);
  EXPECT_EQ(
      RtlStringCchCopyUnicodeStringEx(dest, size_t{NTSTRSAFE_MAX_CCH} + 1, &source, &end, &left, 0),
      STATUS_INVALID_PARAMETER);
}

TEST_F(NtStrSafeUnicodeStringNTest, UnicodeStringExFlags) {
  UNICODE_STRING source = Over(L"abcdef");
  wchar_t dest[5];
  wchar_t* end = nullptr;
  size_t left = 0;
  UNICODE_STRING two = Over(L"ab");
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 5, &two, &end, &left, STRSAFE_FILL_BYTE(0x5A)),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"ab");
  EXPECT_TRUE(AllBytes(dest, 3 * kW, sizeof dest, 0x5A));
  EXPECT_EQ(left, 3u);
  EXPECT_EQ(RtlStringCchCatUnicodeStringEx(dest, 5, &source, &end, &left, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, L"ab");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 3u);
  EXPECT_EQ(RtlStringCbCopyUnicodeStringEx(dest, sizeof dest, &source, &end, &left,
                                           STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, L"ab");
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 5 * kW);
  EXPECT_EQ(RtlStringCbCatUnicodeStringEx(dest, sizeof dest, &source, &end, &left,
                                          STRSAFE_FAILURE_BYTE(0x7F)),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(dest, 0, 4 * kW, 0x7F));
  EXPECT_EQ(dest[4], L'\0');
  EXPECT_EQ(end, dest + 4);
  EXPECT_EQ(left, kW);
  EXPECT_EQ(RtlStringCchCopyUnicodeStringEx(dest, 5, &source, &end, &left, STRSAFE_NULL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest[0], L'\0');
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 5u);
}

// ---------------------------------------------------------------------------------------------
// From C (ntstrsafe_calls.c).

TEST_F(NtStrSafeUnicodeStringNTest, CDriverJoinsTheFirstCharactersOfCountedStrings) {
  WCHAR buffer[6];
  UNICODE_STRING name = Counted(buffer, 6);
  UNICODE_STRING first = Over(L"Nic");
  UNICODE_STRING second = Over(L"Port");
  EXPECT_EQ(NtStrCallsJoinN(&name, &first, &second, 2, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"NiPo");
  EXPECT_EQ(NtStrCallsJoinN(&name, &first, &second, 4, TRUE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(name), L"NicPor");
  UNICODE_STRING rest{};
  EXPECT_EQ(NtStrCallsJoinNEx(&name, &first, &second, 2, TRUE, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"NiPo");
  EXPECT_EQ(rest.Buffer, buffer + 4);
  EXPECT_EQ(rest.MaximumLength, 2 * kW);
  EXPECT_EQ(NtStrCallsJoinNEx(&name, &first, &second, 4, FALSE, &rest, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(Text(name), L"Nic");
  EXPECT_EQ(rest.MaximumLength, 3 * kW);
  EXPECT_EQ(NtStrCallsJoinStringNEx(&name, L"Device", L"Nic", 3, FALSE, &rest, 0), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"DevNic");
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(NtStrCallsJoinStringNEx(&name, L"Device", L"Nic", 4, TRUE, &rest,
                                    STRSAFE_ZERO_LENGTH_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(name.Length, 0);
}

TEST_F(NtStrSafeUnicodeStringNTest, CDriverFormatsACountedName) {
  WCHAR buffer[12];
  UNICODE_STRING name = Counted(buffer, 12);
  UNICODE_STRING rest{};
  EXPECT_EQ(NtStrCallsPrintName(&name, &rest, 0, 3), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"\\Device\\Nic3");
  EXPECT_EQ(rest.MaximumLength, 0);
  EXPECT_EQ(NtStrCallsPrintName(&name, &rest, STRSAFE_ZERO_LENGTH_ON_FAILURE, 10),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(name.Length, 0);
  EXPECT_EQ(NtStrCallsVPrintName(&name, &rest, STRSAFE_FILL_BEHIND | 0x00, L"%ws%u", L"q", 5u),
            STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"q5");
  EXPECT_TRUE(AllBytes(buffer, 2 * kW, sizeof buffer, 0));
  EXPECT_EQ(rest.Buffer, buffer + 2);
}

TEST_F(NtStrSafeUnicodeStringNTest, CDriverTerminatesCountedStrings) {
  UNICODE_STRING first = Over(L"ab");
  UNICODE_STRING second = Over(L"cde");
  wchar_t dest[6];
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(NtStrCallsTerminate(dest, 6, &first, &second, FALSE, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcde");
  EXPECT_EQ(end, dest + 5);
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(NtStrCallsTerminate(dest, 5, &first, &second, TRUE, &end, &left, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, L"ab");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 3 * kW);
}

}  // namespace
