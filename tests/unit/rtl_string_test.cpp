// Counted strings (emu/abi/rtl_string.cpp; RtlPrefixUnicodeString is <ntddk.h>'s) and
// ntstrsafe.h: the inline Copy/Cat/Length routines and the printf routines that format as DbgPrint
// does (emu/abi/rtl_strsafe.cpp). Statuses are the documented ones: STATUS_BUFFER_OVERFLOW for a
// cut (still NUL-terminated) result, STATUS_INVALID_PARAMETER for a zero or oversized destination.
#include <ntddk.h>
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstdarg>
#include <cstring>
#include <cwchar>
#include <string>

#include "kemu/testing/gtest.hpp"

extern "C" NTSTATUS StringCallsFormatName(ULONG Index, PUNICODE_STRING Name);

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

constexpr USHORT kW = sizeof(WCHAR);

UNICODE_STRING Counted(const wchar_t* text) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, text);
  return s;
}

class RtlStringTest : public ::testing::Test {
 protected:
  kemu::Machine machine_{kemu::Os::kWindows10};
};

TEST_F(RtlStringTest, InitAnsiStringCountsBytesAndNullGivesAnEmptyString) {
  ANSI_STRING s;
  RtlInitAnsiString(&s, "nic0");
  EXPECT_EQ(s.Length, 4);
  EXPECT_EQ(s.MaximumLength, 5);
  EXPECT_STREQ(s.Buffer, "nic0");
  RtlInitAnsiString(&s, nullptr);
  EXPECT_EQ(s.Length, 0);
  EXPECT_EQ(s.MaximumLength, 0);
  EXPECT_EQ(s.Buffer, nullptr);
}

TEST_F(RtlStringTest, CopyUnicodeStringCutsToTheDestinationAndTerminatesWhenRoomIsLeft) {
  WCHAR buffer[8];
  UNICODE_STRING destination{0, sizeof buffer, buffer};
  UNICODE_STRING source = Counted(L"abc");
  RtlCopyUnicodeString(&destination, &source);
  EXPECT_EQ(destination.Length, 3 * kW);
  EXPECT_STREQ(buffer, L"abc");
  UNICODE_STRING small{0, 2 * kW, buffer};
  UNICODE_STRING longer = Counted(L"wxyz");
  RtlCopyUnicodeString(&small, &longer);
  EXPECT_EQ(small.Length, 2 * kW);
  EXPECT_EQ(buffer[0], L'w');
  EXPECT_EQ(buffer[1], L'x');
  EXPECT_EQ(buffer[2], L'c') << "left from the first copy: no room, no terminator written";
  RtlCopyUnicodeString(&destination, nullptr);
  EXPECT_EQ(destination.Length, 0);
}

TEST_F(RtlStringTest, CompareUnicodeStringReturnsTheFirstDifferenceOrTheLengthDifference) {
  UNICODE_STRING abc = Counted(L"abc");
  UNICODE_STRING abd = Counted(L"abd");
  UNICODE_STRING ab = Counted(L"ab");
  UNICODE_STRING upper = Counted(L"ABC");
  EXPECT_EQ(RtlCompareUnicodeString(&abc, &abd, FALSE), -1);
  EXPECT_EQ(RtlCompareUnicodeString(&abd, &abc, FALSE), 1);
  EXPECT_EQ(RtlCompareUnicodeString(&abc, &ab, FALSE), kW);
  EXPECT_EQ(RtlCompareUnicodeString(&abc, &abc, FALSE), 0);
  EXPECT_GT(RtlCompareUnicodeString(&abc, &upper, FALSE), 0);
  EXPECT_EQ(RtlCompareUnicodeString(&abc, &upper, TRUE), 0);
}

TEST_F(RtlStringTest, EqualUnicodeStringComparesLengthAndCharacters) {
  UNICODE_STRING a = Counted(L"Nic");
  UNICODE_STRING b = Counted(L"NIC");
  UNICODE_STRING c = Counted(L"Ni");
  EXPECT_EQ(RtlEqualUnicodeString(&a, &b, FALSE), FALSE);
  EXPECT_EQ(RtlEqualUnicodeString(&a, &b, TRUE), TRUE);
  EXPECT_EQ(RtlEqualUnicodeString(&a, &c, TRUE), FALSE);
}

TEST_F(RtlStringTest, PrefixUnicodeStringComparesTheFirstStringsLengthOfTheSecond) {
  UNICODE_STRING device = Counted(L"\\Device\\");
  UNICODE_STRING name = Counted(L"\\Device\\Nic0");
  UNICODE_STRING shouting = Counted(L"\\DEVICE\\");
  UNICODE_STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlPrefixUnicodeString(&device, &name, FALSE), TRUE);
  EXPECT_EQ(RtlPrefixUnicodeString(&name, &device, FALSE), FALSE) << "longer than the string";
  EXPECT_EQ(RtlPrefixUnicodeString(&shouting, &name, FALSE), FALSE);
  EXPECT_EQ(RtlPrefixUnicodeString(&shouting, &name, TRUE), TRUE);
  EXPECT_EQ(RtlPrefixUnicodeString(&name, &name, FALSE), TRUE) << "a string is its own prefix";
  EXPECT_EQ(RtlPrefixUnicodeString(&empty, &name, FALSE), TRUE);
  EXPECT_EQ(RtlPrefixUnicodeString(&empty, &empty, TRUE), TRUE);
  UNICODE_STRING other = Counted(L"\\Driver\\");
  EXPECT_EQ(RtlPrefixUnicodeString(&other, &name, TRUE), FALSE);
}

TEST_F(RtlStringTest, PrefixUnicodeStringFoldsCaseBeyondAscii) {
  UNICODE_STRING prefix = Counted(L"\u00c9TH");
  UNICODE_STRING name = Counted(L"\u00e9th0");
  EXPECT_EQ(RtlPrefixUnicodeString(&prefix, &name, TRUE), TRUE);
  EXPECT_EQ(RtlPrefixUnicodeString(&prefix, &name, FALSE), FALSE);
}

TEST_F(RtlStringTest, AppendRefusesWhatDoesNotFitAndChangesNothing) {
  WCHAR buffer[5] = L"ab";
  UNICODE_STRING s{2 * kW, sizeof buffer, buffer};
  EXPECT_EQ(RtlAppendUnicodeToString(&s, L"cd"), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 4 * kW);
  EXPECT_STREQ(buffer, L"abcd");
  UNICODE_STRING more = Counted(L"ef");
  EXPECT_EQ(RtlAppendUnicodeStringToString(&s, &more), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(s.Length, 4 * kW);
  UNICODE_STRING one = Counted(L"e");
  EXPECT_EQ(RtlAppendUnicodeStringToString(&s, &one), STATUS_SUCCESS);
  EXPECT_EQ(s.Length, 5 * kW);
  EXPECT_EQ(std::wstring(buffer, 5), L"abcde") << "full: no room for a terminator";
  EXPECT_EQ(RtlAppendUnicodeToString(&s, nullptr), STATUS_SUCCESS);
}

TEST_F(RtlStringTest, UnicodeStringToIntegerReadsSignPrefixAndStopsAtANonDigit) {
  ULONG value = 1;
  UNICODE_STRING s = Counted(L"  -42xyz");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, static_cast<ULONG>(-42));
  s = Counted(L"0x1F");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0x1Fu);
  s = Counted(L"0b101");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 0, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 5u);
  s = Counted(L"ff");
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 16, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0xFFu);
  EXPECT_EQ(RtlUnicodeStringToInteger(&s, 7, &value), STATUS_INVALID_PARAMETER);
}

// Empty fails (its page); text that does not start with a number is 0 and success.
TEST_F(RtlStringTest, UnicodeStringToIntegerFailsOnAnEmptyString) {
  ULONG value = 7;
  UNICODE_STRING empty = Counted(L"");
  EXPECT_EQ(RtlUnicodeStringToInteger(&empty, 10, &value), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(value, 7u);
  UNICODE_STRING text = Counted(L"xyz");
  EXPECT_EQ(RtlUnicodeStringToInteger(&text, 10, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 0u);
}

TEST_F(RtlStringTest, IntegerToUnicodeStringNeedsRoomForTheNul) {
  WCHAR buffer[4];
  UNICODE_STRING s{0, sizeof buffer, buffer};
  EXPECT_EQ(RtlIntegerToUnicodeString(255, 16, &s), STATUS_SUCCESS);
  EXPECT_STREQ(buffer, L"FF");
  EXPECT_EQ(s.Length, 2 * kW);
  EXPECT_EQ(RtlIntegerToUnicodeString(123, 0, &s), STATUS_SUCCESS);
  EXPECT_STREQ(buffer, L"123");
  EXPECT_EQ(RtlIntegerToUnicodeString(1234, 10, &s), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(RtlIntegerToUnicodeString(1, 3, &s), STATUS_INVALID_PARAMETER);
}

// ---------------------------------------------------------------------------------------------
// ntstrsafe.h

TEST_F(RtlStringTest, StringCopyCutsWithBufferOverflowAndTerminates) {
  char narrow[4];
  EXPECT_EQ(RtlStringCbCopyA(narrow, sizeof narrow, "abc"), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "abc");
  EXPECT_EQ(RtlStringCchCopyA(narrow, 4, "abcdef"), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(narrow, "abc");
  wchar_t wide[4];
  EXPECT_EQ(RtlStringCbCopyW(wide, sizeof wide, L"wxyz"), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"wxy");
  EXPECT_EQ(RtlStringCchCopyW(wide, 4, L"ok"), STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"ok");
}

TEST_F(RtlStringTest, StringRoutinesRefuseZeroAndOversizedDestinations) {
  char narrow[4] = "xyz";
  EXPECT_EQ(RtlStringCbCopyA(narrow, 0, "a"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchCopyA(narrow, std::size_t{NTSTRSAFE_MAX_CCH} + 1, "a"),
            STATUS_INVALID_PARAMETER);
  EXPECT_STREQ(narrow, "xyz") << "nothing written";
  wchar_t wide[2];
  EXPECT_EQ(RtlStringCbCopyW(wide, sizeof(wchar_t) - 1, L"a"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCbPrintfA(narrow, 0, "%d", 1), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlStringCchPrintfW(wide, 0, L"%d", 1), STATUS_INVALID_PARAMETER);
}

TEST_F(RtlStringTest, StringCatAppendsAndNeedsATerminatedDestination) {
  char narrow[6] = "ab";
  EXPECT_EQ(RtlStringCbCatA(narrow, sizeof narrow, "cd"), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "abcd");
  EXPECT_EQ(RtlStringCchCatA(narrow, sizeof narrow, "efg"), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(narrow, "abcde");
  char full[3] = {'x', 'y', 'z'};
  EXPECT_EQ(RtlStringCbCatA(full, sizeof full, "a"), STATUS_INVALID_PARAMETER);
  wchar_t wide[5] = L"a";
  EXPECT_EQ(RtlStringCbCatW(wide, sizeof wide, L"bcdef"), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"abcd");
}

TEST_F(RtlStringTest, StringLengthCountsUpToTheMaximum) {
  std::size_t length = 99;
  EXPECT_EQ(RtlStringCbLengthA("abc", 4, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(RtlStringCbLengthA("abc", 3, &length), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(RtlStringCbLengthW(L"abc", 4 * sizeof(wchar_t), &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 3 * sizeof(wchar_t));
  EXPECT_EQ(RtlStringCbLengthW(nullptr, 8, &length), STATUS_INVALID_PARAMETER);
}

TEST_F(RtlStringTest, PrintfUsesWindowsFormatsAndCutsWithBufferOverflow) {
  char narrow[64];
  UNICODE_STRING name = Counted(L"Nic0");
  EXPECT_EQ(RtlStringCbPrintfA(narrow, sizeof narrow, "%wZ:%ws:%I64x:%ld", &name, L"w",
                               0x123456789ull, -1),
            STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "Nic0:w:123456789:-1");
  char small[5];
  EXPECT_EQ(RtlStringCchPrintfA(small, sizeof small, "%u", 123456u), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(small, "1234");
}

TEST_F(RtlStringTest, WidePrintfReadsPlainSAsWideAndCapitalSAsNarrow) {
  wchar_t wide[32];
  EXPECT_EQ(RtlStringCbPrintfW(wide, sizeof wide, L"%s|%S|%hs|%c|%02X", L"wide", "narrow", "h",
                               L'\u00e9', 10),
            STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"wide|narrow|h|\u00e9|0A");
  wchar_t small[4];
  EXPECT_EQ(RtlStringCchPrintfW(small, 4, L"%s", L"abcdef"), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(small, L"abc");
}

// A narrow argument's byte >= 0x80 is one character of kemu's code page (Latin-1) in wide output,
// as RtlUnicodeStringToAnsiString's counterpart; it was read as the lead byte of UTF-8 and ate
// the characters after it (audit round 13).
TEST_F(RtlStringTest, WidePrintfWidensEachByteOfANarrowArgumentToOneCharacter) {
  wchar_t wide[32];
  ANSI_STRING counted{5, 5, const_cast<char*>("na\xefve")};
  EXPECT_EQ(RtlStringCbPrintfW(wide, sizeof wide, L"[%hs|%S|%Z|%C]", "caf\xe9s!", "\xe9t\xe9",
                               &counted, '\xe0'),
            STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"[caf\u00e9s!|\u00e9t\u00e9|na\u00efve|\u00e0]");
  WCHAR buffer[16];
  UNICODE_STRING name{0, sizeof buffer, buffer};
  EXPECT_EQ(RtlUnicodeStringPrintf(&name, L"%S-%d", "\xe9", -5), STATUS_SUCCESS);
  EXPECT_EQ(std::wstring(name.Buffer, name.Length / kW), L"\u00e9--5");
  // Narrow output keeps the bytes as they are.
  char narrow[16];
  EXPECT_EQ(RtlStringCbPrintfA(narrow, sizeof narrow, "%s", "caf\xe9"), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "caf\xe9");
}

TEST_F(RtlStringTest, UnicodeStringPrintfRewritesTheCountedStringWithoutATerminator) {
  wchar_t buffer[8];
  for (wchar_t& c : buffer) c = L'#';
  UNICODE_STRING name;
  RtlInitEmptyUnicodeString(&name, buffer, 6 * sizeof(wchar_t));
  EXPECT_EQ(RtlUnicodeStringPrintf(&name, L"nic%d", 12), STATUS_SUCCESS);
  EXPECT_EQ(name.Length, 5 * sizeof(wchar_t));
  EXPECT_EQ(std::wstring(name.Buffer, name.Length / sizeof(wchar_t)), L"nic12");
  EXPECT_EQ(buffer[5], L'#');  // not terminated
  EXPECT_EQ(RtlUnicodeStringPrintf(&name, L"%s-%u", L"device", 7u), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::wstring(name.Buffer, name.Length / sizeof(wchar_t)), L"device");  // all 6 fit
  EXPECT_EQ(buffer[6], L'#');
}

TEST_F(RtlStringTest, UnicodeStringPrintfRefusesAStringThatDescribesNoBuffer) {
  wchar_t buffer[4];
  UNICODE_STRING odd = {3, 8, buffer};
  EXPECT_EQ(RtlUnicodeStringPrintf(&odd, L"x"), STATUS_INVALID_PARAMETER);
  UNICODE_STRING longer = {8, 4, buffer};
  EXPECT_EQ(RtlUnicodeStringPrintf(&longer, L"x"), STATUS_INVALID_PARAMETER);
  UNICODE_STRING no_buffer = {0, 8, nullptr};
  EXPECT_EQ(RtlUnicodeStringPrintf(&no_buffer, L"x"), STATUS_INVALID_PARAMETER);
  UNICODE_STRING empty = {0, 0, buffer};
  EXPECT_EQ(RtlUnicodeStringPrintf(&empty, L"x"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringPrintf(&empty, L""), STATUS_SUCCESS);
  EXPECT_EQ(RtlUnicodeStringPrintf(nullptr, L"x"), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlUnicodeStringPrintf(&empty, nullptr), STATUS_INVALID_PARAMETER);
}

// A driver's own printf-style helper, forwarding its arguments to the V forms.
NTSTATUS NarrowHelper(bool by_bytes, char* dest, std::size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = by_bytes ? RtlStringCbVPrintfA(dest, size, format, args)
                                   : RtlStringCchVPrintfA(dest, size, format, args);
  va_end(args);
  return status;
}

NTSTATUS WideHelper(bool by_bytes, wchar_t* dest, std::size_t size, const wchar_t* format, ...) {
  va_list args;
  va_start(args, format);
  const NTSTATUS status = by_bytes ? RtlStringCbVPrintfW(dest, size, format, args)
                                   : RtlStringCchVPrintfW(dest, size, format, args);
  va_end(args);
  return status;
}

TEST_F(RtlStringTest, VPrintfFormsFormatAForwardedArgumentList) {
  char narrow[16];
  UNICODE_STRING name = Counted(L"Nic1");
  EXPECT_EQ(NarrowHelper(true, narrow, sizeof narrow, "%wZ/%I64x", &name, 0xABCDEF012ull),
            STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "Nic1/abcdef012");
  EXPECT_EQ(NarrowHelper(false, narrow, 4, "%u", 98765u), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(narrow, "987");
  wchar_t wide[8];
  EXPECT_EQ(WideHelper(true, wide, sizeof wide, L"%s-%S", L"ab", "cd"), STATUS_SUCCESS);
  EXPECT_STREQ(wide, L"ab-cd");
  EXPECT_EQ(WideHelper(false, wide, 3, L"%d", 1234), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(wide, L"12");
  EXPECT_EQ(NarrowHelper(true, narrow, 0, "%d", 1), STATUS_INVALID_PARAMETER);
}

TEST_F(RtlStringTest, InitUnicodeStringClampsASourceLongerThanMaxUstring) {
  const std::wstring huge(70000, L'x');
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, huge.c_str());
  EXPECT_EQ(s.Length, 0xFFFC);
  EXPECT_EQ(s.MaximumLength, 0xFFFE);
  EXPECT_EQ(s.Buffer, huge.c_str());
  // The longest string that fits is described exactly.
  const std::wstring fits((0xFFFE / sizeof(WCHAR)) - 1, L'y');
  RtlInitUnicodeString(&s, fits.c_str());
  EXPECT_EQ(s.Length, fits.size() * sizeof(WCHAR));
  EXPECT_EQ(s.MaximumLength, (fits.size() + 1) * sizeof(WCHAR));
}

TEST_F(RtlStringTest, CDriverBuildsADeviceNameThroughTheC17Headers) {
  WCHAR buffer[32];
  UNICODE_STRING name{0, sizeof buffer, buffer};
  EXPECT_EQ(StringCallsFormatName(7, &name), STATUS_SUCCESS);
  EXPECT_STREQ(buffer, L"\\Device\\Nic7");
  EXPECT_EQ(name.Length, std::wcslen(L"\\Device\\Nic7") * kW);
}

TEST(RtlStringRuleTest, UnicodePrintfAboveInterruptLevelIsReportedUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  wchar_t wide[8];
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  UNICODE_STRING name = Counted(L"x");
  EXPECT_THAT([&] { RtlStringCbPrintfW(wide, sizeof wide, L"%wZ", &name); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual)));
}

TEST(RtlStringRuleTest, PrefixWithANullStringIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  UNICODE_STRING name = Counted(L"x");
  EXPECT_THAT([&] { RtlPrefixUnicodeString(&name, nullptr, TRUE); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0)));
}

TEST(RtlStringRuleTest, PrefixAbovePassiveIsReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  UNICODE_STRING name = Counted(L"x");
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlPrefixUnicodeString(&name, &name, FALSE), TRUE);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
}

// Both documented PASSIVE_LEVEL; they skipped the check (audit round 15, the RTL helper's note).
TEST(RtlStringRuleTest, CompareAndEqualUnicodeStringAbovePassiveAreReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  UNICODE_STRING name = Counted(L"x");
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlCompareUnicodeString(&name, &name, TRUE), 0);
  EXPECT_EQ(RtlEqualUnicodeString(&name, &name, FALSE), TRUE);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  for (const kemu::BugCheck& crash : machine.bug_checks()) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  }
  EXPECT_THAT(machine.bug_checks()[0].report(), ::testing::HasSubstr("RtlCompareUnicodeString"));
  EXPECT_THAT(machine.bug_checks()[1].report(), ::testing::HasSubstr("RtlEqualUnicodeString"));
}

TEST(RtlStringRuleTest, CompareAndEqualUnicodeStringAtPassiveAreSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  UNICODE_STRING a = Counted(L"Nic");
  UNICODE_STRING b = Counted(L"NIC");
  EXPECT_EQ(RtlCompareUnicodeString(&a, &b, TRUE), 0);
  EXPECT_EQ(RtlEqualUnicodeString(&a, &b, TRUE), TRUE);
  EXPECT_TRUE(machine.bug_checks().empty());
}

TEST(RtlStringRuleTest, NarrowPrintfAtDispatchLevelIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  char narrow[8];
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(RtlStringCbPrintfA(narrow, sizeof narrow, "%d", 42), STATUS_SUCCESS);
  EXPECT_STREQ(narrow, "42");
  KeLowerIrql(old);
}

}  // namespace
