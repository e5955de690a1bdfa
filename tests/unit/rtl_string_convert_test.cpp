// Counted strings that own pool (emu/abi/rtl_string_convert.cpp): RtlAnsiStringToUnicodeString
// and RtlUnicodeStringToAnsiString into the caller's buffer or one they allocate,
// RtlFreeUnicodeString and RtlFreeAnsiString, and RtlInitString. docs/kernel.md, "Counted
// strings"; docs/conformance.md §2.10.
#include <wdm.h>

#include <cstring>
#include <string>

#include "kemu/testing/gtest.hpp"

extern "C" NTSTATUS StringCallsWidenName(PCSZ Name, PUNICODE_STRING Wide);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr USHORT kW = sizeof(WCHAR);

class RtlStringConvertTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RtlStringConvertTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

std::wstring Text(const UNICODE_STRING& s) { return std::wstring(s.Buffer, s.Length / kW); }

TEST_P(RtlStringConvertTest, InitStringCountsBytesAndNullGivesAnEmptyString) {
  STRING s;
  RtlInitString(&s, "eth0");
  EXPECT_EQ(s.Length, 4);
  EXPECT_EQ(s.MaximumLength, 5);
  EXPECT_STREQ(s.Buffer, "eth0");
  RtlInitString(&s, nullptr);
  EXPECT_EQ(s.Length, 0);
  EXPECT_EQ(s.MaximumLength, 0);
  EXPECT_EQ(s.Buffer, nullptr);
}

TEST_P(RtlStringConvertTest, AnsiToUnicodeAllocatesATerminatedBufferTheDriverFrees) {  // STR-1
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "Nic\xE9");  // Latin-1 e-acute widens to U+00E9
  UNICODE_STRING wide{0, 0, nullptr};
  ASSERT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(Text(wide), L"Nic\u00E9");
  EXPECT_EQ(wide.Length, 4 * kW);
  EXPECT_EQ(wide.MaximumLength, 5 * kW);
  EXPECT_EQ(wide.Buffer[4], L'\0');
  RtlFreeUnicodeString(&wide);  // STR-3
  EXPECT_EQ(wide.Buffer, nullptr);
  EXPECT_EQ(wide.Length, 0);
  EXPECT_EQ(wide.MaximumLength, 0);
}

TEST_P(RtlStringConvertTest, AnsiToUnicodeIntoTheCallersBufferNeedsRoomForTheNul) {  // STR-2
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "abc");
  WCHAR buffer[4] = {L'x', L'x', L'x', L'x'};
  UNICODE_STRING exact{0, 3 * kW, buffer};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&exact, &ansi, FALSE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(exact.Length, 0) << "nothing converted";
  EXPECT_EQ(buffer[0], L'x');
  UNICODE_STRING room{0, sizeof buffer, buffer};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&room, &ansi, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(room), L"abc");
  EXPECT_EQ(buffer[3], L'\0');
  EXPECT_EQ(room.MaximumLength, sizeof buffer) << "the caller's buffer is kept";
}

TEST_P(RtlStringConvertTest, AnsiToUnicodeRefusesAResultNoUnicodeStringCanCount) {  // STR-2
  // The most characters whose bytes and NUL a USHORT Length can count (kemu's WCHAR is the
  // host's wchar_t).
  const auto longest = static_cast<USHORT>((MAXUSHORT - kW) / kW);
  std::string text(longest + 1, 'a');
  ANSI_STRING ansi{static_cast<USHORT>(longest + 1), static_cast<USHORT>(longest + 1), text.data()};
  UNICODE_STRING wide{0, 0, nullptr};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, TRUE), STATUS_INVALID_PARAMETER_2);
  EXPECT_EQ(wide.Buffer, nullptr) << "nothing allocated";
  ansi.Length = longest;
  ASSERT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(wide.Length, longest * kW);
  RtlFreeUnicodeString(&wide);
}

TEST_P(RtlStringConvertTest, UnicodeToAnsiAllocatesOrFillsTheCallersBuffer) {  // STR-1, STR-2
  UNICODE_STRING wide;
  RtlInitUnicodeString(&wide, L"Port\u00E9\u4E2D");  // U+4E2D has no Latin-1 byte
  ANSI_STRING ansi{0, 0, nullptr};
  ASSERT_EQ(RtlUnicodeStringToAnsiString(&ansi, &wide, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(ansi.Length, 6);
  EXPECT_EQ(ansi.MaximumLength, 7);
  EXPECT_STREQ(ansi.Buffer, "Port\xE9?");
  RtlFreeAnsiString(&ansi);  // STR-3
  EXPECT_EQ(ansi.Buffer, nullptr);
  EXPECT_EQ(ansi.Length, 0);
  EXPECT_EQ(ansi.MaximumLength, 0);

  char buffer[7];
  std::memset(buffer, 'x', sizeof buffer);
  ANSI_STRING small{0, 6, buffer};
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&small, &wide, FALSE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(small.Length, 0);
  EXPECT_EQ(buffer[0], 'x') << "nothing converted";
  ANSI_STRING room{0, sizeof buffer, buffer};
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&room, &wide, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(room.Length, 6);
  EXPECT_STREQ(buffer, "Port\xE9?");
}

TEST_P(RtlStringConvertTest, AnInjectedFaultFailsTheAllocationWithNoMemoryAndChangesNothing) {
  machine().InjectFault({.routine = "RtlAnsiStringToUnicodeString"});
  machine().InjectFault({.routine = "RtlUnicodeStringToAnsiString"});
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "eth0");
  UNICODE_STRING wide{0, 0, nullptr};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, TRUE), STATUS_NO_MEMORY);
  EXPECT_EQ(wide.Buffer, nullptr);
  EXPECT_EQ(wide.Length, 0);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"eth0");
  ANSI_STRING narrow{0, 0, nullptr};
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&narrow, &name, TRUE), STATUS_NO_MEMORY);
  EXPECT_EQ(narrow.Buffer, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  // The fault counts allocations only: a conversion into the caller's buffer still succeeds.
  machine().InjectFault({.routine = "RtlAnsiStringToUnicodeString", .count = 0});
  WCHAR room[8];
  UNICODE_STRING into{0, sizeof room, room};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&into, &ansi, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(Text(into), L"eth0");
}

TEST_P(RtlStringConvertTest, ACDriverWidensANameAndTheTestFreesIt) {  // STR-1
  UNICODE_STRING wide{0, 0, nullptr};
  ASSERT_EQ(StringCallsWidenName("\\Device\\Nic0", &wide), STATUS_SUCCESS);
  EXPECT_EQ(Text(wide), L"\\Device\\Nic0");
  RtlFreeUnicodeString(&wide);
  EXPECT_EQ(wide.Buffer, nullptr);
}

TEST_P(RtlStringConvertTest, FreeingAStringWithoutABufferDoesNothing) {  // STR-3
  UNICODE_STRING wide{4, 8, nullptr};
  RtlFreeUnicodeString(&wide);
  EXPECT_EQ(wide.Length, 4) << "left as it is";
  ANSI_STRING ansi{0, 0, nullptr};
  RtlFreeAnsiString(&ansi);
  EXPECT_EQ(ansi.Buffer, nullptr);
}

TEST_P(RtlStringConvertTest, RtlQueryRegistryValuesStringsAreFreedWithRtlFreeUnicodeString) {
  machine().registry().ServiceParameters(L"mynic").Set(L"Name",
                                                       kemu::RegistryValue::String(L"nic0"));
  UNICODE_STRING name{0, 0, nullptr};
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
  table[0].Name = const_cast<PWSTR>(L"Name");
  table[0].EntryContext = &name;
  ASSERT_EQ(
      RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"mynic\\Parameters", table, nullptr, nullptr),
      STATUS_SUCCESS);
  EXPECT_EQ(Text(name), L"nic0");
  RtlFreeUnicodeString(&name);
  EXPECT_EQ(name.Buffer, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(RtlStringConvertTest, AnAllocatedStringNeverFreedIsAPoolLeak) {
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "leak");
  UNICODE_STRING wide{0, 0, nullptr};
  ASSERT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, TRUE), STATUS_SUCCESS);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_NE(std::string(leak.what()).find("RtlAnsiStringToUnicodeString"), std::string::npos)
      << leak.what();
}

TEST(RtlStringConvertRulesTest, FreeingABufferThePoolNeverGaveIsTheBadPoolCheck) {  // STR-3
  WCHAR on_the_stack[8] = {};
  const auto address = reinterpret_cast<std::uintptr_t>(on_the_stack);
  {
    kemu::Machine verifier(kemu::MachineOptions{.verifier = true});
    UNICODE_STRING foreign{0, sizeof on_the_stack, on_the_stack};
    EXPECT_THAT(CrashOf([&] { RtlFreeUnicodeString(&foreign); }),
                BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kFreeBadPoolAddress, address, 0, 0));
  }
  {
    kemu::Machine retail(kemu::MachineOptions{.verifier = false, .checked_build = false});
    ANSI_STRING foreign{0, sizeof on_the_stack, reinterpret_cast<PCHAR>(on_the_stack)};
    EXPECT_THAT(CrashOf([&] { RtlFreeAnsiString(&foreign); }),
                BugCheckIs(kemu::bugcheck::kBadPoolCaller, kemu::bad_pool_caller::kNeverInAnyPool,
                           address, 0, 0));
  }
}

TEST(RtlStringConvertRulesTest, ConvertingAbovePassiveIsReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "a");
  WCHAR buffer[4];
  UNICODE_STRING wide{0, sizeof buffer, buffer};
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&wide, &ansi, FALSE), STATUS_SUCCESS);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
}

TEST(RtlStringConvertRulesTest, FreeingAboveApcIsReportedAndAtApcIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  ANSI_STRING ansi;
  RtlInitAnsiString(&ansi, "a");
  UNICODE_STRING first{0, 0, nullptr};
  UNICODE_STRING second{0, 0, nullptr};
  ASSERT_EQ(RtlAnsiStringToUnicodeString(&first, &ansi, TRUE), STATUS_SUCCESS);
  ASSERT_EQ(RtlAnsiStringToUnicodeString(&second, &ansi, TRUE), STATUS_SUCCESS);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  RtlFreeUnicodeString(&first);
  EXPECT_TRUE(machine.bug_checks().empty()) << "APC_LEVEL is allowed";
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  RtlFreeUnicodeString(&second);
  KeLowerIrql(PASSIVE_LEVEL);
  ASSERT_FALSE(machine.bug_checks().empty());
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

}  // namespace
