// The Rtl routines that name a key by RelativeTo and Path and change or test it:
// RtlWriteRegistryValue, RtlDeleteRegistryValue, RtlCreateRegistryKey and RtlCheckRegistryKey.
// docs/kernel.md, "Registry"; docs/conformance.md §2.9.
#include <wdm.h>

#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::RegistryValue;
using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr const wchar_t* kService =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mynic";

class RegistryWriteTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RegistryWriteTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(RegistryWriteTest, WriteRegistryValueSetsTheValueRelativeToServices) {  // REG-10
  machine().registry().Service(L"mynic");
  ULONG speed = 1000;
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic", L"LinkSpeed", REG_DWORD, &speed,
                                  sizeof speed),
            STATUS_SUCCESS);
  const RegistryValue* value = machine().registry().Service(L"mynic").Find(L"linkspeed");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->dword(), 1000u);
}

TEST_P(RegistryWriteTest, WriteRegistryValueCreatesTheKeyWhenTheOneAboveExists) {  // REG-10
  machine().registry().Service(L"mynic");
  WCHAR text[] = L"fast";
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE,
                                  (std::wstring(kService) + L"\\Parameters").c_str(), L"Mode",
                                  REG_SZ, text, sizeof text),
            STATUS_SUCCESS);
  EXPECT_EQ(machine().registry().ServiceParameters(L"mynic").Find(L"Mode")->string(), L"fast");
  ULONG one = 1;
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic\\Missing\\Deeper", L"X", REG_DWORD,
                                  &one, sizeof one),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_FALSE(machine().registry().Exists(std::wstring(kService) + L"\\Missing"));
}

TEST_P(RegistryWriteTest, WriteRegistryValueThroughAHandleWritesThatKey) {  // REG-10
  machine().registry().Service(L"mynic");
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, kService);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  ASSERT_EQ(ZwOpenKey(&key, KEY_ALL_ACCESS, &attributes), STATUS_SUCCESS);
  ULONG start = 3;
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_HANDLE, static_cast<PCWSTR>(key), L"Start",
                                  REG_DWORD, &start, sizeof start),
            STATUS_SUCCESS);
  EXPECT_EQ(machine().registry().Service(L"mynic").Find(L"Start")->dword(), 3u);
  ZwClose(key);
}

TEST_P(RegistryWriteTest, CreateRegistryKeyCreatesOnlyTheLastKey) {  // REG-9
  machine().registry().Service(L"mynic");
  WCHAR missing[] = L"mynic\\A\\B";
  EXPECT_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, missing), STATUS_OBJECT_NAME_NOT_FOUND);
  WCHAR first[] = L"mynic\\A";
  EXPECT_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, first), STATUS_SUCCESS);
  EXPECT_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, missing), STATUS_SUCCESS);
  EXPECT_TRUE(machine().registry().Exists(std::wstring(kService) + L"\\a\\b"));
  EXPECT_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, missing), STATUS_SUCCESS)
      << "an existing key is opened";
  EXPECT_EQ(machine().registry().Subkeys(std::wstring(kService) + L"\\A"),
            std::vector<std::wstring>{L"B"});
}

TEST_P(RegistryWriteTest, CheckRegistryKeySucceedsOnlyForAKeyThatExists) {  // REG-9
  machine().registry().ServiceParameters(L"mynic");
  WCHAR present[] = L"mynic\\Parameters";
  WCHAR absent[] = L"mynic\\Absent";
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, present), STATUS_SUCCESS);
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, absent), STATUS_OBJECT_NAME_NOT_FOUND);
  WCHAR root[] = L"";
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_DEVICEMAP, root), STATUS_SUCCESS);
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_MAXIMUM, present), STATUS_INVALID_PARAMETER);
}

TEST_P(RegistryWriteTest, PathRoutinesAbovePassiveAreReported) {
  WCHAR path[] = L"mynic";
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] { RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, path); });
  if (machine().personality().verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST(RegistryWriteRulesTest, PathRoutinesAtPassiveAreSilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  machine.registry().Service(L"mynic");
  WCHAR path[] = L"mynic\\Parameters";
  ULONG one = 1;
  EXPECT_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, path), STATUS_SUCCESS);
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, path), STATUS_SUCCESS);
  EXPECT_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, path, L"X", REG_DWORD, &one, sizeof one),
            STATUS_SUCCESS);
  EXPECT_TRUE(machine.bug_checks().empty());
}

// RtlDeleteRegistryValue (audit round 17, X8): the value goes; a missing value or key is
// STATUS_OBJECT_NAME_NOT_FOUND.
TEST_P(RegistryWriteTest, DeleteRegistryValueRemovesTheValueOnce) {
  machine().registry().ServiceParameters(L"mynic").Set(L"Stale", RegistryValue::Dword(1));
  machine().registry().ServiceParameters(L"mynic").Set(L"Keep", RegistryValue::Dword(2));
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic\\Parameters", L"stale"),
            STATUS_SUCCESS);
  EXPECT_EQ(machine().registry().ServiceParameters(L"mynic").Find(L"Stale"), nullptr);
  EXPECT_NE(machine().registry().ServiceParameters(L"mynic").Find(L"Keep"), nullptr);
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic\\Parameters", L"Stale"),
            STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST_P(RegistryWriteTest, DeleteRegistryValueOfAMissingKeyIsNotFoundOptionalOrNot) {
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"nosuch", L"X"),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL, L"nosuch", L"X"),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(RtlDeleteRegistryValue(7, L"nosuch", L"X"), STATUS_INVALID_PARAMETER);
  EXPECT_FALSE(machine().registry().Exists(kemu::Registry::ServicePath(L"nosuch")));
}

TEST_P(RegistryWriteTest, DeleteRegistryValueThroughAHandleLeavesTheHandleOpen) {
  machine().registry().Service(L"mynic").Set(L"Start", RegistryValue::Dword(3));
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, kService);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE key = nullptr;
  ASSERT_EQ(ZwOpenKey(&key, KEY_ALL_ACCESS, &attributes), STATUS_SUCCESS);
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_HANDLE, static_cast<PCWSTR>(key), L"Start"),
            STATUS_SUCCESS);
  EXPECT_EQ(machine().registry().Service(L"mynic").Find(L"Start"), nullptr);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS) << "the handle is still the driver's to close";
}

// IrqlRtlPassive lists RtlDeleteRegistryValue alone: 0xC4 / 0x2001E where Verifier checks DDI
// compliance, the IRQL checks before that.
TEST_P(RegistryWriteTest, DeleteRegistryValueAbovePassiveBreaksIrqlRtlPassive) {
  kemu::Machine& m = machine();
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  const kemu::BugCheck crash =
      CrashOf([&] { RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic", L"X"); });
  if (m.personality().verifier_ddi_compliance) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kIrqlRtlPassive, 0, 0, 0));
  } else if (m.personality().verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST(RegistryWriteRulesTest, DeleteRegistryValueAtPassiveIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  machine.registry().ServiceParameters(L"mynic").Set(L"X", RegistryValue::Dword(1));
  EXPECT_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic\\Parameters", L"X"),
            STATUS_SUCCESS);
  EXPECT_TRUE(machine.bug_checks().empty());
}

}  // namespace
