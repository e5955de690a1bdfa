// GUIDs as text (emu/abi/rtl_guid.cpp): RtlGUIDFromString reads the braced registry form,
// RtlStringFromGUID writes it, upper case, into a pool buffer the driver frees with
// RtlFreeUnicodeString. docs/kernel.md, "Strings that own pool".
#include <wdm.h>

#include <cstring>
#include <cwchar>
#include <string>

#include "kemu/testing/gtest.hpp"

extern "C" NTSTATUS StringCallsGuidText(const GUID* Guid, PUNICODE_STRING Text);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr USHORT kW = sizeof(WCHAR);

// {4D36E972-E325-11CE-BFC1-08002BE10318}, the network adapter setup class.
constexpr GUID kNetClass = {
    0x4D36E972, 0xE325, 0x11CE, {0xBF, 0xC1, 0x08, 0x00, 0x2B, 0xE1, 0x03, 0x18}};

class RtlGuidTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RtlGuidTest, kemu::testing::AllOs(), kemu::testing::OsName());

UNICODE_STRING Counted(const wchar_t* text) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, text);
  return s;
}

std::wstring Text(const UNICODE_STRING& s) { return std::wstring(s.Buffer, s.Length / kW); }

bool Same(const GUID& a, const GUID& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST_P(RtlGuidTest, GuidFromStringReadsEitherCaseOfHexDigit) {
  UNICODE_STRING upper = Counted(L"{4D36E972-E325-11CE-BFC1-08002BE10318}");
  UNICODE_STRING lower = Counted(L"{4d36e972-e325-11ce-bfc1-08002be10318}");
  GUID guid{};
  ASSERT_EQ(RtlGUIDFromString(&upper, &guid), STATUS_SUCCESS);
  EXPECT_TRUE(Same(guid, kNetClass));
  guid = GUID{};
  ASSERT_EQ(RtlGUIDFromString(&lower, &guid), STATUS_SUCCESS);
  EXPECT_TRUE(Same(guid, kNetClass));
  EXPECT_EQ(guid.Data1, 0x4D36E972u);
  EXPECT_EQ(guid.Data2, 0xE325);
  EXPECT_EQ(guid.Data3, 0x11CE);
  EXPECT_EQ(guid.Data4[0], 0xBF);
  EXPECT_EQ(guid.Data4[7], 0x18);
}

TEST_P(RtlGuidTest, GuidFromStringRefusesAnythingButTheBracedFormAndLeavesTheGuid) {
  const wchar_t* const kMalformed[] = {
      L"4D36E972-E325-11CE-BFC1-08002BE10318",     // no braces
      L"{4D36E972-E325-11CE-BFC1-08002BE10318",    // no closing brace
      L"{4D36E972-E325-11CE-BFC1-08002BE10318}x",  // a character after it
      L"{4D36E972-E325-11CE-BFC1-08002BE1031}",    // a digit short
      L"{4D36E972E-325-11CE-BFC1-08002BE10318}",   // a hyphen out of place
      L"{4D36E972-E325-11CE-BFC1-08002BE1031G}",   // not a hex digit
      L"{4D36E972 E325-11CE-BFC1-08002BE10318}",   // a space for a hyphen
      L"",
  };
  for (const wchar_t* text : kMalformed) {
    UNICODE_STRING s = Counted(text);
    GUID guid = kNetClass;
    guid.Data1 = 0x12345678;
    EXPECT_EQ(RtlGUIDFromString(&s, &guid), STATUS_INVALID_PARAMETER)
        << std::string(text, text + std::wcslen(text));
    EXPECT_EQ(guid.Data1, 0x12345678u) << "no conversion was done";
  }
}

TEST_P(RtlGuidTest, StringFromGuidAllocatesTheBracedUpperCaseForm) {
  UNICODE_STRING text{0, 0, nullptr};
  ASSERT_EQ(RtlStringFromGUID(&kNetClass, &text), STATUS_SUCCESS);
  EXPECT_EQ(Text(text), L"{4D36E972-E325-11CE-BFC1-08002BE10318}");
  EXPECT_EQ(text.Length, 38 * kW);
  EXPECT_EQ(text.MaximumLength, 39 * kW);
  EXPECT_EQ(text.Buffer[38], L'\0');
  EXPECT_EQ(machine().pool_allocations(), 1u);
  GUID back{};
  EXPECT_EQ(RtlGUIDFromString(&text, &back), STATUS_SUCCESS);
  EXPECT_TRUE(Same(back, kNetClass));
  RtlFreeUnicodeString(&text);
  EXPECT_EQ(text.Buffer, nullptr);
  EXPECT_EQ(text.Length, 0);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(RtlGuidTest, StringFromGuidWritesLeadingZeros) {
  constexpr GUID kSmall = {0x1, 0x2, 0x3, {0, 0, 0, 0, 0, 0, 0, 0xA}};
  UNICODE_STRING text{0, 0, nullptr};
  ASSERT_EQ(RtlStringFromGUID(&kSmall, &text), STATUS_SUCCESS);
  EXPECT_EQ(Text(text), L"{00000001-0002-0003-0000-00000000000A}");
  RtlFreeUnicodeString(&text);
}

TEST_P(RtlGuidTest, AnInjectedFaultFailsWithNoMemoryAndLeavesTheString) {
  machine().InjectFault({.routine = "RtlStringFromGUID"});
  WCHAR mine[4];
  UNICODE_STRING text{0, sizeof mine, mine};
  EXPECT_EQ(RtlStringFromGUID(&kNetClass, &text), STATUS_NO_MEMORY);
  EXPECT_EQ(text.Buffer, mine);
  EXPECT_EQ(text.MaximumLength, sizeof mine);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  ASSERT_EQ(RtlStringFromGUID(&kNetClass, &text), STATUS_SUCCESS) << "the fault was for one call";
  RtlFreeUnicodeString(&text);
}

TEST_P(RtlGuidTest, AGuidStringNeverFreedIsAPoolLeakNamingTheRoutine) {
  UNICODE_STRING text{0, 0, nullptr};
  ASSERT_EQ(RtlStringFromGUID(&kNetClass, &text), STATUS_SUCCESS);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_NE(std::string(leak.what()).find("RtlStringFromGUID"), std::string::npos) << leak.what();
}

TEST_P(RtlGuidTest, ACDriverWritesItsClassGuid) {
  UNICODE_STRING text{0, 0, nullptr};
  ASSERT_EQ(StringCallsGuidText(&kNetClass, &text), STATUS_SUCCESS);
  EXPECT_EQ(Text(text), L"{4D36E972-E325-11CE-BFC1-08002BE10318}");
  RtlFreeUnicodeString(&text);
}

TEST_P(RtlGuidTest, NullArgumentsAreAccessViolations) {
  UNICODE_STRING text = Counted(L"{4D36E972-E325-11CE-BFC1-08002BE10318}");
  EXPECT_THAT(CrashOf([&] { RtlGUIDFromString(&text, nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlGuidRulesTest, StringFromGuidWithANullGuidIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  UNICODE_STRING text{0, 0, nullptr};
  EXPECT_THAT(CrashOf([&] { RtlStringFromGUID(nullptr, &text); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005, 0, 0, 0));
}

TEST(RtlGuidRulesTest, BothAbovePassiveAreReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  UNICODE_STRING text = Counted(L"{4D36E972-E325-11CE-BFC1-08002BE10318}");
  GUID guid{};
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlGUIDFromString(&text, &guid), STATUS_SUCCESS);
  UNICODE_STRING written{0, 0, nullptr};
  // The paged-pool allocation at APC_LEVEL is allowed; only the routine's own rule reports.
  EXPECT_EQ(RtlStringFromGUID(&guid, &written), STATUS_SUCCESS);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  for (const kemu::BugCheck& report : machine.bug_checks()) {
    EXPECT_THAT(report, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                   kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  }
  RtlFreeUnicodeString(&written);
}

}  // namespace
