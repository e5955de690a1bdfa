// Case (emu/abi/rtl_case.cpp over emu/model/unicode_case.cpp): RtlUpcaseUnicodeChar,
// RtlDowncaseUnicodeChar and RtlUpcaseUnicodeString, kemu's one mapping beyond ASCII (Latin-1,
// Latin Extended-A, Greek, Cyrillic, full-width Latin; docs/differences.md), and the
// case-insensitive comparisons that share it. docs/kernel.md, "Strings".
#include <ntddk.h>

#include <string>

#include "kemu/testing/gtest.hpp"
#include "model/unicode_case.hpp"

extern "C" NTSTATUS StringCallsUpcaseName(PCUNICODE_STRING Name, PUNICODE_STRING Upper);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr USHORT kW = sizeof(WCHAR);

class RtlCaseTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RtlCaseTest, kemu::testing::AllOs(), kemu::testing::OsName());

class RtlDowncaseTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(XpOn, RtlDowncaseTest, kemu::testing::OsFrom(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

UNICODE_STRING Counted(const wchar_t* text) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, text);
  return s;
}

std::wstring Text(const UNICODE_STRING& s) { return std::wstring(s.Buffer, s.Length / kW); }

TEST_P(RtlCaseTest, UpcaseCharMapsAsciiLatin1GreekCyrillicAndFullWidthLetters) {
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'a'), L'A');
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'z'), L'Z');
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'A'), L'A');
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'1'), L'1');
  EXPECT_EQ(RtlUpcaseUnicodeChar(0xE9), 0xC9);      // e acute
  EXPECT_EQ(RtlUpcaseUnicodeChar(0xFE), 0xDE);      // thorn
  EXPECT_EQ(RtlUpcaseUnicodeChar(0xF7), 0xF7);      // the division sign is no letter
  EXPECT_EQ(RtlUpcaseUnicodeChar(0xFF), 0x178);     // y diaeresis: its capital is in Extended-A
  EXPECT_EQ(RtlUpcaseUnicodeChar(0xDF), 0xDF);      // sharp s has no one-character capital
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x101), 0x100);    // a macron: capitals even here
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x13A), 0x139);    // l acute: capitals odd here
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x17E), 0x17D);    // z caron
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x3B1), 0x391);    // alpha
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x3C3), 0x3A3);    // sigma
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x3C2), 0x3A3);    // final sigma
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x430), 0x410);    // Cyrillic a
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x44F), 0x42F);    // ya
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x451), 0x401);    // yo
  EXPECT_EQ(RtlUpcaseUnicodeChar(0xFF41), 0xFF21);  // full-width a
  EXPECT_EQ(RtlUpcaseUnicodeChar(0x4E2D), 0x4E2D);  // no case
}

TEST_P(RtlDowncaseTest, DowncaseCharIsTheInverseAndSigmaBecomesTheMedialForm) {
  EXPECT_EQ(RtlDowncaseUnicodeChar(L'Q'), L'q');
  EXPECT_EQ(RtlDowncaseUnicodeChar(L'q'), L'q');
  EXPECT_EQ(RtlDowncaseUnicodeChar(0xC9), 0xE9);
  EXPECT_EQ(RtlDowncaseUnicodeChar(0xD7), 0xD7);  // the multiplication sign
  EXPECT_EQ(RtlDowncaseUnicodeChar(0x178), 0xFF);
  EXPECT_EQ(RtlDowncaseUnicodeChar(0x139), 0x13A);
  EXPECT_EQ(RtlDowncaseUnicodeChar(0x3A3), 0x3C3);
  EXPECT_EQ(RtlDowncaseUnicodeChar(0x401), 0x451);
  EXPECT_EQ(RtlDowncaseUnicodeChar(0xFF3A), 0xFF5A);
}

TEST(RtlCaseMappingTest, EveryPairMapsBothWaysAndNothingElseMoves) {
  int pairs = 0;
  for (wchar_t c = 0; c <= 0xFFFF; ++c) {
    const wchar_t upper = kemu::model::UpcaseChar(c);
    const wchar_t lower = kemu::model::DowncaseChar(c);
    ASSERT_FALSE(upper != c && lower != c) << std::hex << static_cast<unsigned>(c);
    if (upper != c) {
      ++pairs;
      // Final sigma shares its capital with the medial one, which is the capital's small letter.
      const wchar_t back = c == 0x3C2 ? 0x3C3 : c;
      ASSERT_EQ(kemu::model::DowncaseChar(upper), back) << std::hex << static_cast<unsigned>(c);
    }
    if (lower != c) {
      ASSERT_EQ(kemu::model::UpcaseChar(lower), c) << std::hex << static_cast<unsigned>(c);
    }
  }
  // 26 ASCII, 30 Latin-1 and y diaeresis, 61 Extended-A, 25 Greek with final sigma, 48 Cyrillic,
  // 26 full-width.
  EXPECT_EQ(pairs, 26 + 31 + 61 + 25 + 48 + 26);
  EXPECT_EQ(kemu::model::UpcaseChar(0x1F600), 0x1F600) << "beyond 16 bits nothing moves";
}

TEST_P(RtlCaseTest, CaseInsensitiveComparisonsFoldBeyondAscii) {
  UNICODE_STRING lower = Counted(L"\u00e9th\u03c3\u0436");
  UNICODE_STRING upper = Counted(L"\u00c9TH\u03a3\u0416");
  EXPECT_EQ(RtlEqualUnicodeString(&lower, &upper, TRUE), TRUE);
  EXPECT_EQ(RtlEqualUnicodeString(&lower, &upper, FALSE), FALSE);
  EXPECT_EQ(RtlCompareUnicodeString(&lower, &upper, TRUE), 0);
  UNICODE_STRING final_sigma = Counted(L"\u03c2");
  UNICODE_STRING capital_sigma = Counted(L"\u03a3");
  EXPECT_EQ(RtlEqualUnicodeString(&final_sigma, &capital_sigma, TRUE), TRUE);
}

TEST_P(RtlCaseTest, UpcaseStringAllocatesATerminatedBufferTheDriverFrees) {
  UNICODE_STRING source = Counted(L"nic\u00e9-\u0430");
  UNICODE_STRING upper{0, 0, nullptr};
  ASSERT_EQ(RtlUpcaseUnicodeString(&upper, &source, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(Text(upper), L"NIC\u00c9-\u0410");
  EXPECT_EQ(upper.Length, 6 * kW);
  EXPECT_EQ(upper.MaximumLength, 7 * kW);
  EXPECT_EQ(upper.Buffer[6], L'\0');
  EXPECT_EQ(Text(source), L"nic\u00e9-\u0430") << "the source is not modified";
  EXPECT_EQ(machine().pool_allocations(), 1u);
  RtlFreeUnicodeString(&upper);
  EXPECT_EQ(upper.Buffer, nullptr);
  EXPECT_EQ(upper.Length, 0);
  EXPECT_EQ(upper.MaximumLength, 0);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(RtlCaseTest, UpcaseStringOfAnEmptyStringStillAllocatesItsNul) {
  UNICODE_STRING empty{0, 0, nullptr};
  UNICODE_STRING upper{0, 0, nullptr};
  ASSERT_EQ(RtlUpcaseUnicodeString(&upper, &empty, TRUE), STATUS_SUCCESS);
  ASSERT_NE(upper.Buffer, nullptr);
  EXPECT_EQ(upper.Length, 0);
  EXPECT_EQ(upper.MaximumLength, kW);
  EXPECT_EQ(upper.Buffer[0], L'\0');
  RtlFreeUnicodeString(&upper);
}

TEST_P(RtlCaseTest, UpcaseStringIntoTheCallersBufferWritesNothingPastLength) {
  UNICODE_STRING source = Counted(L"eth");
  WCHAR buffer[4] = {L'x', L'x', L'x', L'x'};
  UNICODE_STRING exact{0, 3 * kW, buffer};
  ASSERT_EQ(RtlUpcaseUnicodeString(&exact, &source, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(exact), L"ETH");
  EXPECT_EQ(exact.MaximumLength, 3 * kW) << "the caller's buffer is kept";
  EXPECT_EQ(exact.Buffer, buffer);
  EXPECT_EQ(buffer[3], L'x') << "no NUL";
  UNICODE_STRING small{0, 2 * kW, buffer};
  UNICODE_STRING other = Counted(L"wxyz");
  EXPECT_EQ(RtlUpcaseUnicodeString(&small, &other, FALSE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(small.Length, 0) << "nothing converted";
  EXPECT_EQ(buffer[0], L'E');
}

TEST_P(RtlCaseTest, UpcaseStringInPlace) {
  WCHAR text[] = L"\\device\\nic0";
  UNICODE_STRING name = Counted(text);
  // A component of a longer path: upcasing it must not touch what follows.
  UNICODE_STRING component{6 * kW, 6 * kW, text + 1};
  ASSERT_EQ(RtlUpcaseUnicodeString(&component, &component, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"\\DEVICE\\nic0");
  ASSERT_EQ(RtlUpcaseUnicodeString(&name, &name, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"\\DEVICE\\NIC0");
}

TEST_P(RtlCaseTest, AnInjectedFaultFailsOnlyTheAllocatingUpcase) {
  machine().InjectFault({.routine = "RtlUpcaseUnicodeString"});
  UNICODE_STRING source = Counted(L"eth0");
  UNICODE_STRING upper{0, 0, nullptr};
  EXPECT_EQ(RtlUpcaseUnicodeString(&upper, &source, TRUE), STATUS_NO_MEMORY);
  EXPECT_EQ(upper.Buffer, nullptr);
  EXPECT_EQ(upper.Length, 0);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  machine().InjectFault({.routine = "RtlUpcaseUnicodeString", .count = 0});
  WCHAR room[4];
  UNICODE_STRING into{0, sizeof room, room};
  EXPECT_EQ(RtlUpcaseUnicodeString(&into, &source, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(into), L"ETH0");
}

TEST_P(RtlCaseTest, AnUpcasedStringNeverFreedIsAPoolLeakNamingTheRoutine) {
  UNICODE_STRING source = Counted(L"leak");
  UNICODE_STRING upper{0, 0, nullptr};
  ASSERT_EQ(RtlUpcaseUnicodeString(&upper, &source, TRUE), STATUS_SUCCESS);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_NE(std::string(leak.what()).find("RtlUpcaseUnicodeString"), std::string::npos)
      << leak.what();
}

TEST_P(RtlCaseTest, ACDriverUpcasesANameAndFreesIt) {
  UNICODE_STRING name = Counted(L"\\Device\\Nic\u00e9");
  UNICODE_STRING upper{0, 0, nullptr};
  ASSERT_EQ(StringCallsUpcaseName(&name, &upper), STATUS_SUCCESS);
  EXPECT_EQ(Text(upper), L"\\DEVICE\\NIC\u00c9");
  RtlFreeUnicodeString(&upper);
}

TEST_P(RtlCaseTest, UpcaseStringWithANullStringIsAnAccessViolation) {
  UNICODE_STRING source = Counted(L"a");
  EXPECT_THAT(CrashOf([&] { RtlUpcaseUnicodeString(nullptr, &source, TRUE); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlCaseRulesTest, UpcaseAboveApcLevelIsReportedAndAtApcIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  UNICODE_STRING source{0, 0, nullptr};
  RtlInitUnicodeString(&source, L"a");
  WCHAR buffer[2];
  UNICODE_STRING upper{0, sizeof buffer, buffer};
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'a'), L'A');
  EXPECT_EQ(RtlUpcaseUnicodeString(&upper, &source, FALSE), STATUS_SUCCESS);
  EXPECT_TRUE(machine.bug_checks().empty()) << "APC_LEVEL is allowed";
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'b'), L'B');
  KeLowerIrql(PASSIVE_LEVEL);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

TEST(RtlCaseRulesTest, DowncaseAbovePassiveIsReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlDowncaseUnicodeChar(L'A'), L'a');
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
}

TEST(RtlCaseRulesTest, DowncaseIsMissingOnWindows2000) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  try {
    RtlDowncaseUnicodeChar(L'A');
    ADD_FAILURE() << "RtlDowncaseUnicodeChar returned on Windows 2000";
  } catch (const kemu::MissingExport& missing) {
    EXPECT_EQ(missing.routine(), "RtlDowncaseUnicodeChar");
  }
  EXPECT_EQ(RtlUpcaseUnicodeChar(L'a'), L'A') << "RtlUpcaseUnicodeChar is there from Windows 2000";
}

}  // namespace
