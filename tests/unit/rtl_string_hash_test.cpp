// RtlHashUnicodeString (emu/abi/rtl_string_hash.cpp, Windows XP on): the x65599 hash, its
// case-insensitive form, and the documented STATUS_INVALID_PARAMETER cases. docs/kernel.md,
// "Strings"; docs/windows-facts.md §22.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

extern "C" NTSTATUS StringCallsHashName(PCUNICODE_STRING Name, PULONG Hash);

namespace {

using ::kemu::testing::BugCheckIs;

class RtlStringHashTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(XpOn, RtlStringHashTest, kemu::testing::OsFrom(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

UNICODE_STRING Counted(const wchar_t* text) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, text);
  return s;
}

TEST_P(RtlStringHashTest, X65599MultipliesAndAddsEachCharacterFromZero) {
  UNICODE_STRING ab = Counted(L"AB");
  ULONG hash = 0;
  ASSERT_EQ(RtlHashUnicodeString(&ab, FALSE, HASH_STRING_ALGORITHM_X65599, &hash), STATUS_SUCCESS);
  EXPECT_EQ(hash, 65u * 65599u + 66u);
  UNICODE_STRING name = Counted(L"eth0");
  ASSERT_EQ(RtlHashUnicodeString(&name, FALSE, HASH_STRING_ALGORITHM_X65599, &hash),
            STATUS_SUCCESS);
  EXPECT_EQ(hash, 0x94B77B97u) << "wraps in 32 bits";
  UNICODE_STRING empty{0, 0, nullptr};
  hash = 7;
  ASSERT_EQ(RtlHashUnicodeString(&empty, TRUE, HASH_STRING_ALGORITHM_X65599, &hash),
            STATUS_SUCCESS);
  EXPECT_EQ(hash, 0u);
}

TEST_P(RtlStringHashTest, DefaultIsX65599) {
  UNICODE_STRING name = Counted(L"\\Device\\Nic0");
  ULONG by_default = 0;
  ULONG by_name = 1;
  ASSERT_EQ(RtlHashUnicodeString(&name, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &by_default),
            STATUS_SUCCESS);
  ASSERT_EQ(RtlHashUnicodeString(&name, FALSE, HASH_STRING_ALGORITHM_X65599, &by_name),
            STATUS_SUCCESS);
  EXPECT_EQ(by_default, by_name);
  EXPECT_EQ(by_default, 0x7A133E52u);
}

TEST_P(RtlStringHashTest, CaseInsensitiveHashesTheUpperCase) {
  UNICODE_STRING lower = Counted(L"eth0");
  UNICODE_STRING upper = Counted(L"ETH0");
  ULONG from_lower = 0;
  ULONG from_upper = 0;
  ASSERT_EQ(RtlHashUnicodeString(&lower, TRUE, HASH_STRING_ALGORITHM_DEFAULT, &from_lower),
            STATUS_SUCCESS);
  ASSERT_EQ(RtlHashUnicodeString(&upper, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &from_upper),
            STATUS_SUCCESS);
  EXPECT_EQ(from_lower, from_upper);
  EXPECT_EQ(from_lower, 0xB3FB6BB7u);
  UNICODE_STRING accented = Counted(L"\u00e9t\u00e9");
  ASSERT_EQ(RtlHashUnicodeString(&accented, TRUE, HASH_STRING_ALGORITHM_DEFAULT, &from_lower),
            STATUS_SUCCESS);
  EXPECT_EQ(from_lower, 0x634E41BEu) << "the hash of the upper case";
}

TEST_P(RtlStringHashTest, NullArgumentsAndUnknownAlgorithmsAreInvalidParameters) {
  UNICODE_STRING name = Counted(L"a");
  ULONG hash = 0x1234;
  EXPECT_EQ(RtlHashUnicodeString(nullptr, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &hash),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlHashUnicodeString(&name, FALSE, HASH_STRING_ALGORITHM_DEFAULT, nullptr),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlHashUnicodeString(&name, FALSE, HASH_STRING_ALGORITHM_INVALID, &hash),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlHashUnicodeString(&name, FALSE, 2, &hash), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(hash, 0x1234u) << "nothing written";
  EXPECT_FALSE(machine().crashed());
}

TEST_P(RtlStringHashTest, ACDriverHashesAName) {
  UNICODE_STRING name = Counted(L"Eth0");
  ULONG hash = 0;
  ASSERT_EQ(StringCallsHashName(&name, &hash), STATUS_SUCCESS);
  EXPECT_EQ(hash, 0xB3FB6BB7u);
}

TEST(RtlStringHashRulesTest, HashingAboveApcLevelIsReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  UNICODE_STRING name = Counted(L"a");
  ULONG hash = 0;
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(RtlHashUnicodeString(&name, TRUE, HASH_STRING_ALGORITHM_DEFAULT, &hash),
            STATUS_SUCCESS);
  EXPECT_TRUE(machine.bug_checks().empty()) << "APC_LEVEL is allowed";
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(RtlHashUnicodeString(&name, TRUE, HASH_STRING_ALGORITHM_DEFAULT, &hash),
            STATUS_SUCCESS);
  KeLowerIrql(PASSIVE_LEVEL);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

TEST(RtlStringHashRulesTest, Windows2000HasNoHashRoutine) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  UNICODE_STRING name = Counted(L"a");
  ULONG hash = 0;
  try {
    RtlHashUnicodeString(&name, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &hash);
    ADD_FAILURE() << "RtlHashUnicodeString returned on Windows 2000";
  } catch (const kemu::MissingExport& missing) {
    EXPECT_EQ(missing.routine(), "RtlHashUnicodeString");
  }
}

}  // namespace
