// Counted 8-bit strings (emu/abi/rtl_ansi_string.cpp, emu/abi/rtl_case.cpp): RtlCompareString,
// RtlEqualString, RtlCopyString, RtlUpperChar and RtlUpperString, all <ntddk.h>. Lengths are
// bytes; case maps through kemu's Latin-1 code page. docs/kernel.md, "Strings".
#include <ntddk.h>

#include <cstring>
#include <string>

#include "kemu/testing/gtest.hpp"

extern "C" BOOLEAN StringCallsSameAnsiName(PCSZ First, PCSZ Second);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

class RtlAnsiStringTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RtlAnsiStringTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

STRING Counted(const char* text) {
  STRING s;
  RtlInitString(&s, text);
  return s;
}

TEST_P(RtlAnsiStringTest, CompareStringReturnsTheFirstDifferenceOrTheLengthDifference) {
  STRING abc = Counted("abc");
  STRING abd = Counted("abd");
  STRING ab = Counted("ab");
  STRING upper = Counted("ABC");
  EXPECT_EQ(RtlCompareString(&abc, &abd, FALSE), -1);
  EXPECT_EQ(RtlCompareString(&abd, &abc, FALSE), 1);
  EXPECT_EQ(RtlCompareString(&abc, &ab, FALSE), 1);
  EXPECT_EQ(RtlCompareString(&ab, &abc, FALSE), -1);
  EXPECT_EQ(RtlCompareString(&abc, &abc, FALSE), 0);
  EXPECT_EQ(RtlCompareString(&abc, &upper, FALSE), 'a' - 'A');
  EXPECT_EQ(RtlCompareString(&abc, &upper, TRUE), 0);
}

TEST_P(RtlAnsiStringTest, CompareStringOrdersBytesAboveAsciiAsUnsignedLatin1) {
  STRING accented = Counted("\xE9");  // e acute
  STRING plain = Counted("e");
  STRING capital = Counted("\xC9");
  EXPECT_EQ(RtlCompareString(&accented, &plain, FALSE), 0xE9 - 'e');
  EXPECT_EQ(RtlCompareString(&accented, &capital, TRUE), 0);
}

TEST_P(RtlAnsiStringTest, CompareStringCountsLengthsNotNuls) {
  char text[] = {'n', 'i', 'c', '\0', 'x'};
  STRING whole{5, 5, text};
  STRING head{3, 5, text};
  EXPECT_GT(RtlCompareString(&whole, &head, FALSE), 0);
  EXPECT_EQ(RtlEqualString(&whole, &head, FALSE), FALSE);
}

TEST_P(RtlAnsiStringTest, EqualStringComparesLengthAndBytes) {
  STRING a = Counted("Eth0");
  STRING b = Counted("eTH0");
  STRING c = Counted("eth");
  EXPECT_EQ(RtlEqualString(&a, &b, FALSE), FALSE);
  EXPECT_EQ(RtlEqualString(&a, &b, TRUE), TRUE);
  EXPECT_EQ(RtlEqualString(&a, &c, TRUE), FALSE);
  STRING empty{0, 0, nullptr};
  EXPECT_EQ(RtlEqualString(&empty, &empty, FALSE), TRUE);
}

TEST_P(RtlAnsiStringTest, CopyStringCutsToTheDestinationAndTerminatesWhenRoomIsLeft) {
  char buffer[8];
  std::memset(buffer, 'x', sizeof buffer);
  STRING destination{0, sizeof buffer, buffer};
  STRING source = Counted("abc");
  RtlCopyString(&destination, &source);
  EXPECT_EQ(destination.Length, 3);
  EXPECT_STREQ(buffer, "abc");
  EXPECT_EQ(destination.MaximumLength, sizeof buffer);
  EXPECT_EQ(destination.Buffer, buffer);
  std::memset(buffer, 'x', sizeof buffer);
  STRING small{0, 2, buffer};
  STRING longer = Counted("wxyz");
  RtlCopyString(&small, &longer);
  EXPECT_EQ(small.Length, 2);
  EXPECT_EQ(std::string(buffer, 3), "wxx") << "no room, no terminator written";
}

TEST_P(RtlAnsiStringTest, CopyStringFromNullEmptiesTheDestination) {
  char buffer[4] = {'a', 'b', 'c', '\0'};
  STRING destination{3, sizeof buffer, buffer};
  RtlCopyString(&destination, nullptr);
  EXPECT_EQ(destination.Length, 0);
  EXPECT_EQ(destination.MaximumLength, sizeof buffer);
  EXPECT_STREQ(buffer, "abc") << "the buffer is not touched";
}

TEST_P(RtlAnsiStringTest, UpperCharMapsLatin1ExceptWhatHasNoOneByteCapital) {
  EXPECT_EQ(RtlUpperChar('a'), 'A');
  EXPECT_EQ(RtlUpperChar('Z'), 'Z');
  EXPECT_EQ(RtlUpperChar('5'), '5');
  EXPECT_EQ(static_cast<UCHAR>(RtlUpperChar(static_cast<CHAR>(0xE9))), 0xC9);
  EXPECT_EQ(static_cast<UCHAR>(RtlUpperChar(static_cast<CHAR>(0xF7))), 0xF7);
  EXPECT_EQ(static_cast<UCHAR>(RtlUpperChar(static_cast<CHAR>(0xFF))), 0xFF)
      << "its capital, U+0178, is not one Latin-1 byte";
}

TEST_P(RtlAnsiStringTest, UpperStringCopiesWhatFitsUpcasedAndSetsOnlyTheLength) {
  char buffer[8];
  std::memset(buffer, 'x', sizeof buffer);
  STRING destination{0, 4, buffer};
  STRING source = Counted("nic\xE9-0");
  RtlUpperString(&destination, &source);
  EXPECT_EQ(destination.Length, 4);
  EXPECT_EQ(destination.MaximumLength, 4);
  EXPECT_EQ(destination.Buffer, buffer);
  EXPECT_EQ(std::string(buffer, 5), "NIC\xC9x") << "cut to MaximumLength, no NUL";
  EXPECT_STREQ(source.Buffer, "nic\xE9-0");
  STRING in_place{3, 4, buffer};
  buffer[0] = 'q';
  RtlUpperString(&in_place, &in_place);
  EXPECT_EQ(buffer[0], 'Q');
}

TEST_P(RtlAnsiStringTest, ACDriverComparesNamesIgnoringCase) {
  EXPECT_EQ(StringCallsSameAnsiName("Eth0", "ETH0"), TRUE);
  EXPECT_EQ(StringCallsSameAnsiName("Eth0", "ETH1"), FALSE);
}

TEST_P(RtlAnsiStringTest, ANullStringIsAnAccessViolation) {
  STRING a = Counted("a");
  EXPECT_THAT(CrashOf([&] { RtlCompareString(&a, nullptr, FALSE); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlAnsiStringRulesTest, EqualStringWithANullStringIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  STRING a = Counted("a");
  EXPECT_THAT(CrashOf([&] { RtlEqualString(nullptr, &a, TRUE); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlAnsiStringRulesTest, UpperStringWithANullDestinationIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  STRING a = Counted("a");
  EXPECT_THAT(CrashOf([&] { RtlUpperString(nullptr, &a); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlAnsiStringRulesTest, CopyStringRunsAtAnyIrqlAndItsNullDestinationFaultsThere) {
  kemu::Machine machine(kemu::Os::kWindows10);
  char buffer[4];
  STRING destination{0, sizeof buffer, buffer};
  STRING source = Counted("ab");
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  RtlCopyString(&destination, &source);
  EXPECT_STREQ(buffer, "ab");
  KeLowerIrql(DISPATCH_LEVEL);
  // At DISPATCH_LEVEL the kernel cannot take the page fault a NULL access needs.
  EXPECT_THAT(CrashOf([&] { RtlCopyString(nullptr, &source); }),
              BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
}

TEST(RtlAnsiStringRulesTest, CompareAndEqualAbovePassiveAreReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  STRING a = Counted("a");
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlCompareString(&a, &a, FALSE), 0);
  EXPECT_EQ(RtlEqualString(&a, &a, FALSE), TRUE);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  for (const kemu::BugCheck& report : machine.bug_checks()) {
    EXPECT_THAT(report, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                   kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  }
}

TEST(RtlAnsiStringRulesTest, UpperCharAndUpperStringAllowApcLevelAndReportDispatch) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  char buffer[2];
  STRING destination{0, sizeof buffer, buffer};
  STRING source = Counted("a");
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlUpperChar('a'), 'A');
  RtlUpperString(&destination, &source);
  EXPECT_TRUE(machine.bug_checks().empty()) << "APC_LEVEL is allowed";
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(RtlUpperChar('b'), 'B');
  KeLowerIrql(PASSIVE_LEVEL);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

TEST(RtlAnsiStringRulesTest, AboveItsIrqlWithoutVerifierACheckedKernelRaisesIrqlNotLessOrEqual) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  STRING a = Counted("a");
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { RtlCompareString(&a, &a, TRUE); }),
              BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
}

}  // namespace
