// DbgPrint, DbgPrintEx and vDbgPrintEx: Windows' format language (LLP64 sizes, Microsoft size
// prefixes, counted and wide strings, %p), the 512-byte limit, capture in
// Machine::debug_output(), and the rule for Unicode codes above PASSIVE_LEVEL.
#include <wdm.h>

#include <cstdarg>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::IsEmpty;

class DbgPrintTest : public kemu::testing::PersonalityTest {
 protected:
  // What one call printed.
  template <typename... Args>
  std::string Print(const char* format, Args... args) {
    const std::size_t before = machine().debug_output().size();
    EXPECT_EQ(DbgPrint(format, args...), static_cast<ULONG>(STATUS_SUCCESS));
    return machine().debug_output().substr(before);
  }
};

// DbgPrintEx and vDbgPrintEx came with XP.
class DbgPrintExTest : public DbgPrintTest {};

TEST_P(DbgPrintTest, PlainIntegersAndStringsPrintAsPrintfWould) {
  EXPECT_EQ(Print("n=%d u=%u x=%x X=%04X s=%s c=%c %%", -5, 7u, 0xbeefu, 0xAu, "ok", 'z'),
            "n=-5 u=7 x=beef X=000A s=ok c=z %");
}

TEST_P(DbgPrintTest, LongIsThirtyTwoBitsAsOnWindows) {
  const LONG negative = -2;
  const ULONG big = 0xFFFFFFFFu;
  // The next argument must not be swallowed by a 64-bit read of %ld.
  EXPECT_EQ(Print("%ld %lx %d", negative, big, 9), "-2 ffffffff 9");
}

TEST_P(DbgPrintTest, MicrosoftSizePrefixesReadTheirWidth) {
  const ULONG64 wide = 0x1122334455667788ull;
  const ULONG narrow = 0x99AABBCCu;
  const ULONG_PTR pointer_sized = 0xFFFFF80000001000ull;
  EXPECT_EQ(Print("%I64x %I32X %Ix %I64d %lld", wide, narrow, pointer_sized, -1ll, 42ll),
            "1122334455667788 99AABBCC fffff80000001000 -1 42");
  EXPECT_EQ(Print("%hd %hhu %zu", 0x12345, 0x1FF, SIZE_T{3}), "9029 255 3");
}

TEST_P(DbgPrintTest, PointersAreSixteenUppercaseHexDigits) {
  EXPECT_EQ(Print("%p", reinterpret_cast<void*>(0xdeadbeefull)), "00000000DEADBEEF");
}

TEST_P(DbgPrintTest, CountedStringsPrintTheirLengthNotUpToANul) {
  WCHAR wide_buffer[] = L"driverXX";
  UNICODE_STRING unicode{
      .Length = 6 * sizeof(WCHAR), .MaximumLength = 9 * sizeof(WCHAR), .Buffer = wide_buffer};
  char ansi_buffer[] = "nic0garbage";
  ANSI_STRING ansi{.Length = 4, .MaximumLength = 12, .Buffer = ansi_buffer};
  EXPECT_EQ(Print("[%wZ] [%Z] [%d]", &unicode, &ansi, 3), "[driver] [nic0] [3]");
}

TEST_P(DbgPrintTest, WideStringsAndCharactersBecomeUtf8) {
  EXPECT_EQ(Print("%ws|%ls|%S|%hs|%wc|%C", L"w\u00e9", L"l", L"S", "h", L'\u20ac', L'C'),
            "w\xc3\xa9|l|S|h|\xe2\x82\xac|C");
}

TEST_P(DbgPrintTest, NullStringsPrintAsNull) {
  const UNICODE_STRING empty{};
  EXPECT_EQ(Print("%s %ws %wZ", static_cast<const char*>(nullptr),
                  static_cast<const wchar_t*>(nullptr), &empty),
            "(null) (null) (null)");
}

TEST_P(DbgPrintTest, WidthPrecisionAndFlagsApply) {
  EXPECT_EQ(Print("[%5d][%-4s][%.2s][%*d][%+d][%#x]", 42, "ab", "xyz", 3, 7, 5, 255u),
            "[   42][ab  ][xy][  7][+5][0xff]");
}

TEST_P(DbgPrintTest, FloatingPointIsNotSupportedAndShowsLiterally) {
  EXPECT_EQ(Print("%f then %d", 1.5, 4), "%f then 4");
}

TEST_P(DbgPrintTest, OneCallKeepsAtMost512Bytes) {
  const std::string long_text(600, 'a');
  EXPECT_EQ(Print("%s", long_text.c_str()).size(), 512u);
}

TEST_P(DbgPrintExTest, DbgPrintExAndKdPrintExFormatTheSameWay) {
  const std::size_t before = machine().debug_output().size();
  KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "err %ld\n", LONG{-1}));
  KdPrint(("plain %I64u\n", ULONG64{5}));
  EXPECT_EQ(machine().debug_output().substr(before), "err -1\nplain 5\n");
}

ULONG ForwardToVDbgPrintEx(const char* format, ...) {
  va_list args;
  va_start(args, format);
  const ULONG status = vDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, format, args);
  va_end(args);
  return status;
}

TEST_P(DbgPrintExTest, VDbgPrintExTakesAVaList) {
  ASSERT_EQ(ForwardToVDbgPrintEx("%s=%lu", "frames", ULONG{12}), STATUS_SUCCESS);
  EXPECT_EQ(machine().debug_output(), "frames=12");
}

TEST_P(DbgPrintTest, ANullFormatIsAnAccessViolation) {
  EXPECT_THAT(CrashOf([] { DbgPrint(nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, DbgPrintTest, kemu::testing::AllOs(), kemu::testing::OsName());
INSTANTIATE_TEST_SUITE_P(XpOn, DbgPrintExTest, kemu::testing::OsFrom(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

TEST(DbgPrintRulesTest, UnicodeFormatAbovePassiveFaultsUnderVerifier) {
  kemu::Machine machine({.verifier = true});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { DbgPrint("%ws", L"x"); }),
              BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
}

TEST(DbgPrintRulesTest, UnicodeFormatAbovePassivePrintsWithoutVerifier) {
  kemu::Machine machine({.verifier = false});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  DbgPrint("%ws", L"x");
  KeLowerIrql(old);
  EXPECT_EQ(machine.debug_output(), "x");
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

TEST(DbgPrintRulesTest, AnsiFormatsAtDispatchLevelStaySilentUnderVerifier) {
  kemu::Machine machine({.verifier = true});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  DbgPrint("%s %d", "dpc", 1);
  KeLowerIrql(old);
  EXPECT_EQ(machine.debug_output(), "dpc 1");
}

TEST(DbgPrintReportTest, ABugCheckReportEndsWithTheDriversLastDebugOutput) {
  kemu::Machine machine({.verifier = true});
  for (int i = 1; i <= 10; ++i) DbgPrint("line %d\n", i);
  const kemu::BugCheck crash = CrashOf([] { KeLowerIrql(DISPATCH_LEVEL); });
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("  Debug output (last 8 of 10 lines):\n"
                                                 "    | line 3\n"));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("    | line 10\n"));
  EXPECT_THAT(crash.what(), ::testing::Not(::testing::HasSubstr("| line 2\n")));
}

TEST(DbgBreakPointTest, ABreakpointWithNoDebuggerAttachedIsAnUnhandledException) {
  kemu::Machine machine({.verifier = true});
  EXPECT_THAT(CrashOf([] { DbgBreakPoint(); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0x80000003, 0, 0, 0));
  kemu::Machine retail({.verifier = false, .checked_build = false});
  const kemu::BugCheck crash = CrashOf([] { KdBreakPoint(); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0x80000003, 0, 0, 0));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("DbgBreakPoint raised a breakpoint exception"));
}

TEST(DbgBreakPointTest, KdPrintBesideNoBreakpointStaysSilent) {
  kemu::Machine machine({.verifier = true});
  KdPrint(("no break %d", 1));
  EXPECT_EQ(machine.debug_output(), "no break 1");
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

TEST(DbgPrintAvailabilityTest, Windows2000LacksDbgPrintEx) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  EXPECT_THROW(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "x"), kemu::MissingExport);
}

}  // namespace
