// ntstrsafe.h beyond Copy/Cat/Length/Printf (include/wdk/kemu_wdk_strsafe_ex.h): CopyN/CatN, the
// Ex forms and their STRSAFE_* flags, and Printf Ex over the V exports (the counted-string routines
// are in ntstrsafe_ustr_test.cpp). Each test checks the status, the bytes written, and the end
// pointer and room the Ex forms report.
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstdarg>
#include <cstring>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"
#include "ntstrsafe_test_support.hpp"

extern "C" {
NTSTATUS NtStrCallsBuildPath(PWSTR Path, size_t PathChars, PCWSTR Key, size_t KeyChars, PWSTR* End,
                             size_t* Left);
NTSTATUS NtStrCallsFormat(char* Dest, size_t Bytes, char** End, size_t* Left, DWORD Flags,
                          unsigned Index, const char* Tag);
NTSTATUS NtStrCallsFileName(char* Dest, size_t Bytes, const char* Name, size_t Chars);
}

namespace {

using ::kemu_test::AllBytes;
using ::kemu_test::Fill;
using ::kemu_test::kNoCount;
using ::kemu_test::kNoEnd;
using ::kemu_test::kNoEndW;
using ::kemu_test::kW;

NTSTATUS VPrintfExA(char* dest, size_t cb, char** end, size_t* left, DWORD flags,
                    const char* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlStringCbVPrintfExA(dest, cb, end, left, flags, format, args);
  va_end(args);
  return status;
}

NTSTATUS VPrintfExW(wchar_t* dest, size_t cch, wchar_t** end, size_t* left, DWORD flags,
                    const wchar_t* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlStringCchVPrintfExW(dest, cch, end, left, flags, format, args);
  va_end(args);
  return status;
}

NTSTATUS VPrintfExCchA(char* dest, size_t cch, char** end, size_t* left, DWORD flags,
                       const char* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlStringCchVPrintfExA(dest, cch, end, left, flags, format, args);
  va_end(args);
  return status;
}

NTSTATUS VPrintfExCbW(wchar_t* dest, size_t cb, wchar_t** end, size_t* left, DWORD flags,
                      const wchar_t* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = RtlStringCbVPrintfExW(dest, cb, end, left, flags, format, args);
  va_end(args);
  return status;
}

class NtStrSafeTest : public ::testing::Test {
 protected:
  kemu::Machine machine_{kemu::Os::kWindows10};
};

// ---------------------------------------------------------------------------------------------
// CopyN and CatN.

TEST_F(NtStrSafeTest, CopyNCopiesAtMostNCharactersAndTerminates) {
  char narrow[8];
  EXPECT_EQ(RtlStringCchCopyNA(narrow, 8, "abcdef", 3), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "abc");
  wchar_t wide[8];
  EXPECT_EQ(RtlStringCchCopyNW(wide, 8, L"abcdef", 3), STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"abc");
  EXPECT_EQ(RtlStringCbCopyNA(narrow, sizeof narrow, "xyz", 2), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "xy");
  EXPECT_EQ(RtlStringCbCopyNW(wide, sizeof wide, L"uvwxyz", 4 * kW), STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"uvwx");
}

TEST_F(NtStrSafeTest, CopyNReadsNoFurtherThanNOfASourceWithoutNul) {
  const char unterminated[3] = {'n', 'i', 'c'};
  char dest[8];
  EXPECT_EQ(RtlStringCchCopyNA(dest, 8, unterminated, 3), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "nic");
  const wchar_t wide[2] = {L'p', L'q'};
  wchar_t wdest[4];
  EXPECT_EQ(RtlStringCchCopyNW(wdest, 4, wide, 2), STATUS_SUCCESS);
  EXPECT_STREQ(wdest, L"pq");
}

TEST_F(NtStrSafeTest, CopyNStopsAtTheSourceNulWithoutPadding) {
  char dest[6];
  Fill(dest, 'Z');
  EXPECT_EQ(RtlStringCchCopyNA(dest, 6, "ab", 5), STATUS_SUCCESS);
  EXPECT_EQ(std::string(dest, 6), std::string("ab\0ZZZ", 6));
}

TEST_F(NtStrSafeTest, CopyNCutsToTheDestinationWithBufferOverflow) {
  char dest[4];
  EXPECT_EQ(RtlStringCchCopyNA(dest, 4, "abcdef", 5), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "abc");
  wchar_t wide[3];
  EXPECT_EQ(RtlStringCbCopyNW(wide, sizeof wide, L"abcdef", 6 * kW), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"ab");
}

TEST_F(NtStrSafeTest, CopyNFitsExactlyWhenTheLimitLeavesRoomForTheNul) {
  char dest[4];
  EXPECT_EQ(RtlStringCchCopyNA(dest, 4, "abcdef", 3), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "abc");
}

TEST_F(NtStrSafeTest, CopyNRefusesZeroOversizeAndNullDestinationsAndAnOversizeLimit) {
  char dest[4] = "old";
  EXPECT_EQ(RtlStringCchCopyNA(dest, 0, "a", 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyNA(dest, size_t{NTSTRSAFE_MAX_CCH} + 1, "a", 1),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyNA(nullptr, 4, "a", 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyNA(dest, 4, "a", size_t{NTSTRSAFE_MAX_CCH} + 1),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "old");
  wchar_t wide[2];
  EXPECT_EQ(RtlStringCbCopyNW(wide, kW - 1, L"a", kW), STATUS_INVALID_PARAMETER)
      << "less than one character of bytes";
}

TEST_F(NtStrSafeTest, CopyNAndCatNTakeANullSourceAsEmpty) {
  char dest[4] = "old";
  EXPECT_EQ(RtlStringCchCopyNA(dest, 4, nullptr, 3), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "");
  wchar_t wide[4] = L"ab";
  EXPECT_EQ(RtlStringCchCatNW(wide, 4, nullptr, 3), STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"ab");
}

TEST_F(NtStrSafeTest, CatNAppendsAtMostNCharacters) {
  char dest[8] = "ab";
  EXPECT_EQ(RtlStringCchCatNA(dest, 8, "cdef", 2), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "abcd");
  wchar_t wide[8] = L"ab";
  EXPECT_EQ(RtlStringCbCatNW(wide, sizeof wide, L"cdef", 3 * kW), STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"abcde");
  char bytes[8] = "x";
  EXPECT_EQ(RtlStringCbCatNA(bytes, sizeof bytes, "yz", 9), STATUS_SUCCESS);
  EXPECT_STREQ(bytes, "xyz");
  wchar_t chars[8] = L"x";
  EXPECT_EQ(RtlStringCchCatNW(chars, 8, L"yz", 1), STATUS_SUCCESS);
  EXPECT_STREQ(chars, L"xy");
}

TEST_F(NtStrSafeTest, CatNCutsToTheDestinationWithBufferOverflow) {
  char dest[5] = "ab";
  EXPECT_EQ(RtlStringCchCatNA(dest, 5, "cdef", 4), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "abcd");
}

TEST_F(NtStrSafeTest, CatNOnADestinationWithNoNulIsInvalidAndWritesNothing) {
  char dest[3] = {'a', 'b', 'c'};
  EXPECT_EQ(RtlStringCchCatNA(dest, 3, "d", 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(std::string(dest, 3), "abc");
}

// ---------------------------------------------------------------------------------------------
// Copy, CopyN, Cat and CatN Ex: the end pointer and the room left.

TEST_F(NtStrSafeTest, CopyExReportsTheNulAndTheRoomLeftIncludingIt) {
  char dest[10];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 10, "abc", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "abc");
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 7u);
  wchar_t wide[10];
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchCopyExW(wide, 10, L"abcd", &wend, &left, 0), STATUS_SUCCESS);
  EXPECT_EQ(wend, wide + 4);
  EXPECT_EQ(left, 6u);
}

TEST_F(NtStrSafeTest, CopyExAcceptsNullOutParameters) {
  char dest[4];
  EXPECT_EQ(RtlStringCbCopyExA(dest, 4, "abc", nullptr, nullptr, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "abc");
}

TEST_F(NtStrSafeTest, CopyExExactFitLeavesOneCharacter) {
  char dest[4];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, "abc", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, CopyExTruncationEndsAtTheLastCharacterWithOneLeft) {
  char dest[3];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 3, "abcd", &end, &left, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "ab");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, CbExWFormsCountTheRoomLeftInBytes) {
  wchar_t dest[8];
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCbCopyExW(dest, sizeof dest, L"abc", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 5 * kW);
  EXPECT_EQ(RtlStringCbCatExW(dest, sizeof dest, L"de", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcde");
  EXPECT_EQ(end, dest + 5);
  EXPECT_EQ(left, 3 * kW);
  EXPECT_EQ(RtlStringCbCopyNExW(dest, sizeof dest, L"vwxyz", 2 * kW, &end, &left, 0),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"vw");
  EXPECT_EQ(left, 6 * kW);
  EXPECT_EQ(RtlStringCbCatNExW(dest, sizeof dest, L"12345678", 3 * kW, &end, &left, 0),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"vw123");
  EXPECT_EQ(end, dest + 5);
  EXPECT_EQ(left, 3 * kW);
  // An odd tail of bytes is not a character: never written, never counted.
  wchar_t odd[4];
  EXPECT_EQ(RtlStringCbCopyExW(odd, 3 * kW + 1, L"a", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_EQ(left, 2 * kW);
}

TEST_F(NtStrSafeTest, CbExAFormsCountBytesAsCharacters) {
  char dest[6] = "ab";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCbCatExA(dest, 6, "cd", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_EQ(end, dest + 4);
  EXPECT_EQ(left, 2u);
  EXPECT_EQ(RtlStringCbCopyNExA(dest, 6, "wxyz", 2, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "wx");
  EXPECT_EQ(RtlStringCbCatNExA(dest, 6, "12345", 9, &end, &left, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "wx123");
  EXPECT_EQ(end, dest + 5);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, CopyNExLimitsTheSourceAndReports) {
  char dest[8];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyNExA(dest, 8, "abcdef", 2, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "ab");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 6u);
  wchar_t wide[3];
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchCopyNExW(wide, 3, L"abcdef", 4, &wend, &left, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"ab");
  EXPECT_EQ(wend, wide + 2);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, CatExAndCatNExReportTheNewEnd) {
  wchar_t dest[10] = L"ab";
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCatExW(dest, 10, L"cd", &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcd");
  EXPECT_EQ(end, dest + 4);
  EXPECT_EQ(left, 6u);
  EXPECT_EQ(RtlStringCchCatNExW(end, left, L"efgh", 1, &end, &left, 0), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abcde");
  EXPECT_EQ(end, dest + 5);
  EXPECT_EQ(left, 5u);
  char narrow[4] = "ab";
  char* nend = nullptr;
  EXPECT_EQ(RtlStringCchCatExA(narrow, 4, "cd", &nend, &left, 0), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(narrow, "abc");
  EXPECT_EQ(nend, narrow + 3);
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(RtlStringCchCatNExA(narrow, 4, "", 0, &nend, &left, 0), STATUS_SUCCESS)
      << "nothing to append to a string that fills the buffer";
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, ExWithoutIgnoreNullsRefusesNullPointersAndLeavesOutParameters) {
  char dest[4] = "old";
  char* end = kNoEnd;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, nullptr, &end, &left, 0), STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "old");
  EXPECT_EQ(end, kNoEnd);
  EXPECT_EQ(left, kNoCount);
  EXPECT_EQ(RtlStringCchCopyExA(nullptr, 0, "a", &end, &left, 0), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCatNExA(dest, 0, "", 0, &end, &left, 0), STATUS_INVALID_PARAMETER)
      << "a zero-sized destination needs STRSAFE_IGNORE_NULLS";
  EXPECT_EQ(end, kNoEnd);
}

TEST_F(NtStrSafeTest, IgnoreNullsTakesANullSourceAsEmpty) {
  char dest[4] = "old";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, nullptr, &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, "");
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4u);
  wchar_t wide[4] = L"ab";
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchCatNExW(wide, 4, nullptr, 2, &wend, &left, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"ab");
  EXPECT_EQ(wend, wide + 2);
  EXPECT_EQ(left, 2u);
}

TEST_F(NtStrSafeTest, IgnoreNullsLetsANullDestinationTakeOnlyAnEmptyResult) {
  char* end = kNoEnd;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchCopyExA(nullptr, 0, "", &end, &left, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(RtlStringCchCopyExA(nullptr, 0, nullptr, nullptr, nullptr, STRSAFE_IGNORE_NULLS),
            STATUS_SUCCESS);
  EXPECT_EQ(RtlStringCchCopyExA(nullptr, 0, "a", &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyExA(nullptr, 4, "", &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER)
      << "a NULL destination must have a size of zero";
  char dest[2] = "q";
  EXPECT_EQ(RtlStringCchCatExA(dest, 0, "a", &end, &left, STRSAFE_IGNORE_NULLS),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "q");
}

TEST_F(NtStrSafeTest, FillBehindNullFillsTheBytesAfterTheNulOnSuccess) {
  char dest[8];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 8, "ab", &end, &left, STRSAFE_FILL_BYTE(0xAB)),
            STATUS_SUCCESS);
  EXPECT_EQ(std::string(dest, 3), std::string("ab\0", 3));
  EXPECT_TRUE(AllBytes(dest, 3, 8, 0xAB));
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 6u);
  wchar_t wide[6] = L"";
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchCatExW(wide, 6, L"xy", &wend, &left, STRSAFE_FILL_BEHIND_NULL | 0x5A),
            STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"xy");
  EXPECT_TRUE(AllBytes(wide, 3 * kW, 6 * kW, 0x5A));
  EXPECT_EQ(left, 4u);
}

TEST_F(NtStrSafeTest, FillBehindNullDoesNotFillACutResult) {
  char dest[4];
  Fill(dest, '\x11');
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, "abcdef", nullptr, nullptr, STRSAFE_FILL_BYTE('z')),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "abc");
}

TEST_F(NtStrSafeTest, FillOnFailureFillsTheWholeBufferAndTerminatesIt) {
  char dest[6] = "old";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 6, "much too long", &end, &left, STRSAFE_FAILURE_BYTE('x')),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::string(dest, 6), std::string("xxxxx\0", 6));
  EXPECT_EQ(end, dest + 5);
  EXPECT_EQ(left, 1u);
  wchar_t wide[4] = L"ab";
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchCatExW(wide, 4, L"cdef", &wend, &left, STRSAFE_FAILURE_BYTE(0x7F)),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(wide, 0, 3 * kW, 0x7F));
  EXPECT_EQ(wide[3], L'\0');
  EXPECT_EQ(wend, wide + 3);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, FillOnFailureWithAZeroByteLeavesAnEmptyString) {
  char dest[5] = "old";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 5, "too long", &end, &left, STRSAFE_FILL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(dest, 0, 5, 0));
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 5u);
}

TEST_F(NtStrSafeTest, FillOnFailureAlsoAppliesToAnInvalidParameterButReportsNothing) {
  char dest[3] = {'a', 'b', 'c'};  // no NUL: Cat finds the buffer full
  char* end = kNoEnd;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchCatExA(dest, 3, "d", &end, &left, STRSAFE_FAILURE_BYTE('-')),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(std::string(dest, 3), std::string("--\0", 3));
  EXPECT_EQ(end, kNoEnd);
  EXPECT_EQ(left, kNoCount);
  char other[4] = "old";
  EXPECT_EQ(RtlStringCchCopyExA(other, 4, nullptr, &end, &left, STRSAFE_NULL_ON_FAILURE),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(other, "");
}

TEST_F(NtStrSafeTest, NullOnFailureLeavesAnEmptyString) {
  char dest[4] = "ab";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCatExA(dest, 4, "cdef", &end, &left, STRSAFE_NULL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(dest[0], '\0');
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4u);
}

TEST_F(NtStrSafeTest, NullAndFillOnFailureTogetherLeaveTheFillBehindAnEmptyString) {
  char dest[4];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, "abcdef", &end, &left,
                                STRSAFE_FAILURE_BYTE('f') | STRSAFE_NULL_ON_FAILURE),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::string(dest, 4), std::string("\0ff\0", 4));
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4u);
}

TEST_F(NtStrSafeTest, NoTruncationLeavesACopyDestinationUnmodified) {
  char dest[4] = {'q', 'r', 's', 't'};
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, "abcd", &end, &left, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::string(dest, 4), "qrst");
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4u);
  wchar_t wide[3] = L"ab";
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchCopyNExW(wide, 3, L"wxyz", 3, &wend, &left, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"ab");
  EXPECT_EQ(RtlStringCchCopyNExW(wide, 3, L"wxyz", 2, &wend, &left, STRSAFE_NO_TRUNCATION),
            STATUS_SUCCESS)
      << "the limit makes it fit";
  EXPECT_STREQ(wide, L"wx");
}

TEST_F(NtStrSafeTest, NoTruncationLeavesACatDestinationAtItsOldEnd) {
  char dest[6] = "ab";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchCatExA(dest, 6, "cdef", &end, &left, STRSAFE_NO_TRUNCATION),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "ab");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 4u);
  EXPECT_EQ(RtlStringCchCatNExA(dest, 6, "cdef", 3, &end, &left, STRSAFE_NO_TRUNCATION),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, "abcde");
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, UnknownFlagsAreInvalidAndTouchNothing) {
  char dest[4] = "old";
  char* end = kNoEnd;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchCopyExA(dest, 4, "a", &end, &left, 0x2000 | STRSAFE_NULL_ON_FAILURE),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "old");
  EXPECT_EQ(end, kNoEnd);
  EXPECT_EQ(left, kNoCount);
  wchar_t wide[4] = L"old";
  wchar_t* wend = kNoEndW;
  EXPECT_EQ(RtlStringCchPrintfExW(wide, 4, &wend, &left, 0x80000000u, L"x"),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(wide, L"old");
  EXPECT_EQ(wend, kNoEndW);
}

TEST_F(NtStrSafeTest, ExRefusesOversizeDestinationsAndLimits) {
  char dest[4] = "old";
  EXPECT_EQ(RtlStringCchCopyExA(dest, size_t{NTSTRSAFE_MAX_CCH} + 1, "a", nullptr, nullptr,
                                STRSAFE_FILL_ON_FAILURE),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "old") << "no fill: the size itself is wrong";
  EXPECT_EQ(RtlStringCchCopyNExA(dest, 4, "a", size_t{NTSTRSAFE_MAX_CCH} + 1, nullptr, nullptr, 0),
            STATUS_INVALID_PARAMETER);
}

// ---------------------------------------------------------------------------------------------
// Printf Ex.

TEST_F(NtStrSafeTest, PrintfExReportsTheEndAndTheRoomLeft) {
  wchar_t dest[16];
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchPrintfExW(dest, 16, &end, &left, 0, L"nic%u", 7u), STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"nic7");
  EXPECT_EQ(end, dest + 4);
  EXPECT_EQ(left, 12u);
  char narrow[8];
  char* nend = nullptr;
  EXPECT_EQ(RtlStringCchPrintfExA(narrow, 8, &nend, &left, 0, "%s-%d", "ab", 42), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "ab-42");
  EXPECT_EQ(nend, narrow + 5);
  EXPECT_EQ(left, 3u);
}

TEST_F(NtStrSafeTest, PrintfExCbFormsCountBytes) {
  wchar_t dest[8];
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCbPrintfExW(dest, sizeof dest, &end, &left, 0, L"%ws", L"abc"),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, L"abc");
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 5 * kW);
  char narrow[6];
  char* nend = nullptr;
  EXPECT_EQ(RtlStringCbPrintfExA(narrow, 6, &nend, &left, 0, "%x", 0xabcu), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "abc");
  EXPECT_EQ(left, 3u);
}

TEST_F(NtStrSafeTest, PrintfExTruncationEndsAtTheLastCharacter) {
  char dest[4];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 4, &end, &left, 0, "%d", 123456), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "123");
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, PrintfExExactFit) {
  char dest[4];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 4, &end, &left, 0, "%d", 123), STATUS_SUCCESS);
  EXPECT_EQ(end, dest + 3);
  EXPECT_EQ(left, 1u);
}

TEST_F(NtStrSafeTest, PrintfExNoTruncationLeavesAnEmptyString) {
  char dest[4] = "old";
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 4, &end, &left, STRSAFE_NO_TRUNCATION, "%d", 123456),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(dest, "");
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4u);
}

TEST_F(NtStrSafeTest, PrintfExFillFlags) {
  char dest[8];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 8, &end, &left, STRSAFE_FILL_BYTE('#'), "%u", 12u),
            STATUS_SUCCESS);
  EXPECT_EQ(std::string(dest, 8), std::string("12\0#####", 8));
  EXPECT_EQ(left, 6u);
  wchar_t wide[4];
  wchar_t* wend = nullptr;
  EXPECT_EQ(RtlStringCchPrintfExW(wide, 4, &wend, &left, STRSAFE_FAILURE_BYTE(0x33), L"%u", 12345u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(AllBytes(wide, 0, 3 * kW, 0x33));
  EXPECT_EQ(wide[3], L'\0');
  EXPECT_EQ(wend, wide + 3);
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(RtlStringCchPrintfExW(wide, 4, &wend, &left, STRSAFE_NULL_ON_FAILURE, L"%u", 12345u),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(wide[0], L'\0');
  EXPECT_EQ(wend, wide);
  EXPECT_EQ(left, 4u);
}

TEST_F(NtStrSafeTest, PrintfExNullFormatNeedsIgnoreNulls) {
  char dest[4] = "old";
  char* end = kNoEnd;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 4, &end, &left, 0, nullptr), STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "old");
  EXPECT_EQ(end, kNoEnd);
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 4, &end, &left, STRSAFE_NULL_ON_FAILURE, nullptr),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(dest, "") << "the failure flag applies";
  std::strcpy(dest, "old");
  EXPECT_EQ(RtlStringCchPrintfExA(dest, 4, &end, &left, STRSAFE_IGNORE_NULLS, nullptr),
            STATUS_SUCCESS);
  EXPECT_STREQ(dest, "");
  EXPECT_EQ(end, dest);
  EXPECT_EQ(left, 4u);
}

TEST_F(NtStrSafeTest, PrintfExNullDestinationTakesOnlyAnEmptyResult) {
  wchar_t* end = kNoEndW;
  size_t left = kNoCount;
  EXPECT_EQ(RtlStringCchPrintfExW(nullptr, 0, &end, &left, STRSAFE_IGNORE_NULLS, L"%ws", L""),
            STATUS_SUCCESS);
  EXPECT_EQ(end, nullptr);
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(RtlStringCchPrintfExW(nullptr, 0, &end, &left, STRSAFE_IGNORE_NULLS, L"%u", 1u),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchPrintfExW(nullptr, 0, &end, &left, 0, L""), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchPrintfExW(nullptr, 2, &end, &left, STRSAFE_IGNORE_NULLS, L""),
            STATUS_INVALID_PARAMETER);
}

TEST_F(NtStrSafeTest, VPrintfExFormsTakeAVaList) {
  char dest[8];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(VPrintfExA(dest, 8, &end, &left, 0, "%c%c", 'o', 'k'), STATUS_SUCCESS);
  EXPECT_STREQ(dest, "ok");
  EXPECT_EQ(end, dest + 2);
  EXPECT_EQ(left, 6u);
  wchar_t wide[3];
  wchar_t* wend = nullptr;
  EXPECT_EQ(VPrintfExW(wide, 3, &wend, &left, 0, L"%u", 999u), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"99");
  EXPECT_EQ(wend, wide + 2);
  wchar_t bytes[4];
  EXPECT_EQ(VPrintfExCbW(bytes, sizeof bytes, &wend, &left, 0, L"a%ws", L"b"), STATUS_SUCCESS);
  EXPECT_STREQ(bytes, L"ab");
  EXPECT_EQ(left, 2 * kW);
  char narrow[4];
  EXPECT_EQ(VPrintfExCchA(narrow, 4, &end, &left, 0, "x%s", "yz"), STATUS_SUCCESS);
  EXPECT_EQ(end, narrow + 3);
  EXPECT_EQ(left, 1u);
}

// ---------------------------------------------------------------------------------------------
// From C (ntstrsafe_calls.c).

TEST_F(NtStrSafeTest, CDriverBuildsAPathAllOrNothing) {
  wchar_t path[28];  // "\\Registry\\Machine\\" is 18 characters: 9 more fit
  wchar_t* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(NtStrCallsBuildPath(path, 28, L"Software\\Nic", 8, &end, &left), STATUS_SUCCESS);
  EXPECT_STREQ(path, L"\\Registry\\Machine\\Software");
  EXPECT_EQ(end, path + 26);
  EXPECT_EQ(left, 2u);
  EXPECT_EQ(NtStrCallsBuildPath(path, 28, L"Software\\Nic", 12, &end, &left),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(path, L"\\Registry\\Machine\\");
  EXPECT_EQ(end, path + 18);
  EXPECT_EQ(left, 10u);
}

TEST_F(NtStrSafeTest, CDriverFormatsWithFlags) {
  char name[10];
  char* end = nullptr;
  size_t left = 0;
  EXPECT_EQ(NtStrCallsFormat(name, sizeof name, &end, &left, STRSAFE_FILL_BYTE('.'), 3, "rx"),
            STATUS_SUCCESS);
  EXPECT_EQ(std::string(name, 10), std::string("nic3:rx\0..", 10));
  EXPECT_EQ(end, name + 7);
  EXPECT_EQ(left, 3u);
  EXPECT_EQ(NtStrCallsFormat(name, 6, &end, &left, STRSAFE_NULL_ON_FAILURE, 3, "rx"),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(name, "");
}

TEST_F(NtStrSafeTest, CDriverBuildsAFileName) {
  char file[12];
  EXPECT_EQ(NtStrCallsFileName(file, sizeof file, "kemunic_driver", 6), STATUS_SUCCESS);
  EXPECT_STREQ(file, "kemuni.sys");
  EXPECT_EQ(NtStrCallsFileName(file, 8, "kemunic", 6), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(file, "kemuni.");
}

}  // namespace
