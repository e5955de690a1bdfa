// The registry through a device's keys: IoOpenDeviceRegistryKey, ZwQueryValueKey's three
// classes and short buffers, ZwSetValueKey, ZwDeleteValueKey, ZwEnumerateValueKey, and what the
// test sets and reads back (DeviceConfig::registry, Device::registry()). docs/kernel.md,
// "Registry".
#include <wdm.h>

#include <cstring>
#include <string>
#include <vector>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::RegistryValue;
using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu_test::BugCheckWith;

class RegistryTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::Device& AddNic(kemu::DeviceRegistry registry = {}) {
    return machine().AddDevice({.name = "nic0", .registry = std::move(registry)});
  }

  HANDLE Open(kemu::Device& device, ULONG type) {
    HANDLE key = nullptr;
    EXPECT_EQ(IoOpenDeviceRegistryKey(device.pdo(), type, KEY_ALL_ACCESS, &key), STATUS_SUCCESS);
    return key;
  }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, RegistryTest, kemu::testing::AllOs(), kemu::testing::OsName());

UNICODE_STRING Name(const wchar_t* text) {
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, text);
  return name;
}

ULONG Ulong(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  ULONG value = 0;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

/// The whole structure ZwQueryValueKey returns, fetched in two calls as drivers do.
std::vector<std::uint8_t> Query(HANDLE key, const wchar_t* value, KEY_VALUE_INFORMATION_CLASS c) {
  UNICODE_STRING name = Name(value);
  ULONG length = 0xDEAD;
  EXPECT_EQ(ZwQueryValueKey(key, &name, c, nullptr, 0, &length), STATUS_BUFFER_TOO_SMALL);
  std::vector<std::uint8_t> bytes(length, 0xCC);
  ULONG written = 0;
  EXPECT_EQ(ZwQueryValueKey(key, &name, c, bytes.data(), length, &written), STATUS_SUCCESS);
  EXPECT_EQ(written, length);
  return bytes;
}

TEST_P(RegistryTest, TheHardwareKeyHoldsWhatTheTestSet) {  // REG-5: any case
  kemu::Device& nic = AddNic({.device = {{L"MSISupported", RegistryValue::Dword(1)}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  const std::vector<std::uint8_t> info = Query(key, L"msisupported", KeyValuePartialInformation);
  ASSERT_EQ(info.size(), 16u);  // 12 bytes of header, then the REG_DWORD
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_PARTIAL_INFORMATION, TitleIndex)), 0u);
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Type)), ULONG{REG_DWORD});
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_PARTIAL_INFORMATION, DataLength)), 4u);
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data)), 1u);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
}

TEST_P(RegistryTest, TheSoftwareKeyIsAnotherKey) {
  kemu::Device& nic = AddNic(
      {.device = {{L"A", RegistryValue::Dword(1)}}, .driver = {{L"B", RegistryValue::Dword(2)}}});
  HANDLE software = Open(nic, PLUGPLAY_REGKEY_DRIVER);
  UNICODE_STRING a = Name(L"A");
  ULONG length = 0;
  EXPECT_EQ(ZwQueryValueKey(software, &a, KeyValuePartialInformation, nullptr, 0, &length),
            STATUS_OBJECT_NAME_NOT_FOUND);
  const std::vector<std::uint8_t> b = Query(software, L"B", KeyValuePartialInformation);
  EXPECT_EQ(Ulong(b, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data)), 2u);
  EXPECT_EQ(ZwClose(software), STATUS_SUCCESS);
}

TEST_P(RegistryTest, BasicInformationIsTheTypeAndTheStoredName) {
  kemu::Device& nic = AddNic({.device = {{L"DebugLevel", RegistryValue::Dword(3)}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  const std::vector<std::uint8_t> info = Query(key, L"DEBUGLEVEL", KeyValueBasicInformation);
  const std::wstring stored = L"DebugLevel";
  ASSERT_EQ(info.size(), 12 + stored.size() * sizeof(WCHAR));
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_BASIC_INFORMATION, Type)), ULONG{REG_DWORD});
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_BASIC_INFORMATION, NameLength)), 10 * sizeof(WCHAR));
  EXPECT_EQ(std::memcmp(info.data() + 12, stored.data(), 10 * sizeof(WCHAR)), 0)
      << "no NUL, the stored case";
  ZwClose(key);
}

TEST_P(RegistryTest, FullInformationPutsTheDataAtDataOffset) {
  kemu::Device& nic = AddNic({.device = {{L"Big", RegistryValue::Qword(0x1122334455667788)}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  const std::vector<std::uint8_t> info = Query(key, L"Big", KeyValueFullInformation);
  const ULONG offset = Ulong(info, offsetof(KEY_VALUE_FULL_INFORMATION, DataOffset));
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_FULL_INFORMATION, Type)), ULONG{REG_QWORD});
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_FULL_INFORMATION, NameLength)), 3 * sizeof(WCHAR));
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_FULL_INFORMATION, DataLength)), 8u);
  // 20 + the name, aligned to 8 (UNCONFIRMED alignment): 26 -> 32 with Windows' 2-byte WCHAR,
  // 32 with kemu's 4-byte one on Linux (docs/differences.md).
  EXPECT_EQ(offset, 32u);
  ASSERT_EQ(info.size(), offset + 8u);
  std::uint64_t data = 0;
  std::memcpy(&data, info.data() + offset, sizeof data);
  EXPECT_EQ(data, 0x1122334455667788u);
  EXPECT_EQ(std::memcmp(info.data() + 20, L"Big", 3 * sizeof(WCHAR)), 0);
  ZwClose(key);
}

TEST_P(RegistryTest, AShortBufferIsTooSmallBelowTheHeaderAndOverflowAbove) {  // REG-1
  kemu::Device& nic = AddNic({.device = {{L"Name", RegistryValue::String(L"abcdef")}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"Name");
  std::vector<std::uint8_t> buffer(64, 0xCC);
  ULONG length = 0;
  // Below the 12-byte header: nothing written, the whole size in *ResultLength.
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer.data(), 11, &length),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 12 + 7 * sizeof(WCHAR));  // "abcdef" and its NUL
  EXPECT_EQ(buffer[0], 0xCC);
  // The header fits: it is written whole, with the data's full length; as much data as fits.
  length = 0;
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer.data(), 16, &length),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(length, 12 + 7 * sizeof(WCHAR));
  EXPECT_EQ(Ulong(buffer, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Type)), ULONG{REG_SZ});
  EXPECT_EQ(Ulong(buffer, offsetof(KEY_VALUE_PARTIAL_INFORMATION, DataLength)), 7 * sizeof(WCHAR));
  EXPECT_EQ(std::memcmp(buffer.data() + 12, L"abcdef", 4), 0) << "the 4 bytes that fit";
  EXPECT_EQ(buffer[16], 0xCC) << "nothing past Length";
  ZwClose(key);
}

TEST_P(RegistryTest, AMissingValueAndABadClassAndAClosedHandleAreTheirStatuses) {  // REG-2
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"Nothing");
  UCHAR buffer[64];
  ULONG length = 0xDEAD;
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer, sizeof buffer, &length),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(ZwQueryValueKey(key, &name, static_cast<KEY_VALUE_INFORMATION_CLASS>(9), buffer,
                            sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer, sizeof buffer, &length),
            STATUS_INVALID_HANDLE);
}

TEST_P(RegistryTest, TheAlign64AndLayerClassesAreNotModelled) {
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"X");
  ULONG length = 0;
  EXPECT_THROW(ZwQueryValueKey(key, &name, KeyValuePartialInformationAlign64, nullptr, 0, &length),
               kemu::NotModelled);
  EXPECT_THROW(ZwQueryValueKey(key, &name, KeyValueLayerInformation, nullptr, 0, &length),
               kemu::NotModelled);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
}

TEST_P(RegistryTest, WhatTheDriverSetsTheTestReadsBackAsBytes) {
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DRIVER);
  UNICODE_STRING speed = Name(L"LinkSpeed");
  ULONG mbps = 1000;
  EXPECT_EQ(ZwSetValueKey(key, &speed, 0, REG_DWORD, &mbps, sizeof mbps), STATUS_SUCCESS);
  UNICODE_STRING ids = Name(L"Ids");
  static const wchar_t kList[] = L"a\0bc\0";  // and the literal's own NUL ends the list
  EXPECT_EQ(ZwSetValueKey(key, &ids, 0, REG_MULTI_SZ, const_cast<wchar_t*>(kList), sizeof kList),
            STATUS_SUCCESS);
  UNICODE_STRING odd = Name(L"Odd");
  UCHAR three[3] = {1, 2, 3};
  // Windows stores any bytes under any type: a three-byte REG_DWORD included.
  EXPECT_EQ(ZwSetValueKey(key, &odd, 0, REG_DWORD, three, sizeof three), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  const kemu::RegistryKey& driver = nic.registry().driver;
  EXPECT_EQ(driver.Find(L"linkspeed")->dword(), 1000u);
  EXPECT_EQ(driver.Find(L"Ids")->multi_string(), (std::vector<std::wstring>{L"a", L"bc"}));
  EXPECT_EQ(*driver.Find(L"Odd"), (RegistryValue{.type = REG_DWORD, .data = {1, 2, 3}}));
  EXPECT_EQ(driver.Find(L"Odd")->dword(), std::nullopt) << "three bytes are no DWORD";
  EXPECT_TRUE(nic.registry().device.empty());
}

TEST_P(RegistryTest, SettingAgainReplacesTheValueAndKeepsItsName) {
  kemu::Device& nic = AddNic({.driver = {{L"Mode", RegistryValue::String(L"auto")}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DRIVER);
  UNICODE_STRING mode = Name(L"MODE");
  ULONG value = 7;
  EXPECT_EQ(ZwSetValueKey(key, &mode, 0, REG_DWORD, &value, sizeof value), STATUS_SUCCESS);
  ZwClose(key);
  ASSERT_EQ(nic.registry().driver.values().size(), 1u);
  EXPECT_EQ(nic.registry().driver.values()[0].first, L"Mode");
  EXPECT_EQ(nic.registry().driver.values()[0].second.dword(), 7u);
}

TEST_P(RegistryTest, AChangeTheTestMakesShowsInTheNextQuery) {
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"Late");
  ULONG length = 0;
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, nullptr, 0, &length),
            STATUS_OBJECT_NAME_NOT_FOUND);
  nic.registry().device.Set(L"Late", RegistryValue::Dword(9));
  const std::vector<std::uint8_t> info = Query(key, L"Late", KeyValuePartialInformation);
  EXPECT_EQ(Ulong(info, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data)), 9u);
  ZwClose(key);
}

TEST_P(RegistryTest, DeleteRemovesTheValueOnceAndThenIsNotFound) {
  kemu::Device& nic = AddNic({.device = {{L"Gone", RegistryValue::Dword(1)}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"gone");
  EXPECT_EQ(ZwDeleteValueKey(key, &name), STATUS_SUCCESS);
  EXPECT_EQ(ZwDeleteValueKey(key, &name), STATUS_OBJECT_NAME_NOT_FOUND);
  ZwClose(key);
  EXPECT_EQ(nic.registry().device.Find(L"Gone"), nullptr);
}

TEST_P(RegistryTest, EnumerationListsTheValuesInTheOrderTheyWereSet) {
  kemu::Device& nic = AddNic(
      {.device = {{L"First", RegistryValue::Dword(1)}, {L"Second", RegistryValue::String(L"x")}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UCHAR buffer[64];
  ULONG length = 0;
  ASSERT_EQ(ZwEnumerateValueKey(key, 1, KeyValueBasicInformation, buffer, sizeof buffer, &length),
            STATUS_SUCCESS);
  EXPECT_EQ(length, 12 + 6 * sizeof(WCHAR));
  EXPECT_EQ(std::memcmp(buffer + 12, L"Second", 6 * sizeof(WCHAR)), 0);
  EXPECT_EQ(ZwEnumerateValueKey(key, 2, KeyValueBasicInformation, buffer, sizeof buffer, &length),
            STATUS_NO_MORE_ENTRIES);
  ZwClose(key);
}

TEST_P(RegistryTest, TheHardwareProfileKeysAreKeysOfTheirOwn) {
  kemu::Device& nic = AddNic({.device = {{L"A", RegistryValue::Dword(1)}}});
  HANDLE profile = Open(nic, PLUGPLAY_REGKEY_DEVICE | PLUGPLAY_REGKEY_CURRENT_HWPROFILE);
  UNICODE_STRING a = Name(L"A");
  ULONG length = 0;
  EXPECT_EQ(ZwQueryValueKey(profile, &a, KeyValuePartialInformation, nullptr, 0, &length),
            STATUS_OBJECT_NAME_NOT_FOUND);
  ULONG one = 1;
  EXPECT_EQ(ZwSetValueKey(profile, &a, 0, REG_DWORD, &one, sizeof one), STATUS_SUCCESS);
  ZwClose(profile);
  EXPECT_EQ(nic.registry().device.values().size(), 1u) << "the device's own key is unchanged";
}

TEST_P(RegistryTest, AKeyTypeThatIsNeitherOrBothIsInvalidParameter) {  // REG-3
  kemu::Device& nic = AddNic();
  HANDLE key = nullptr;
  for (ULONG type : {0u, 3u, 4u, 8u, 0x11u}) {
    EXPECT_EQ(IoOpenDeviceRegistryKey(nic.pdo(), type, KEY_READ, &key), STATUS_INVALID_PARAMETER)
        << type;
  }
  EXPECT_EQ(key, nullptr);
}

TEST_P(RegistryTest, ADeviceObjectThatIsNoPdoIsBugCheck0xCAUnderTheVerifier) {
  AddNic();
  DEVICE_OBJECT fdo{};
  HANDLE key = nullptr;
  EXPECT_THAT(
      CrashOf([&] { IoOpenDeviceRegistryKey(&fdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &key); }),
      BugCheckWith(kemu::bugcheck::kPnpDetectedFatalError, 0x2,
                   reinterpret_cast<std::uintptr_t>(&fdo)));
}

TEST(RegistryRetailTest, ADeviceObjectThatIsNoPdoIsInvalidParameterWithoutTheVerifier) {
  for (const kemu::KernelMode mode : {kemu::KernelMode::kRetail, kemu::KernelMode::kChecked}) {
    kemu::Machine machine(kemu::WithKernelMode({}, mode));
    DEVICE_OBJECT fdo{};
    HANDLE key = nullptr;
    EXPECT_EQ(IoOpenDeviceRegistryKey(&fdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &key),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(key, nullptr);
  }
}

TEST_P(RegistryTest, AbovePassiveLevelIsTheIrqlReport) {
  kemu::Device& nic = AddNic();
  HANDLE key = nullptr;
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  const kemu::BugCheck crash =
      CrashOf([&] { IoOpenDeviceRegistryKey(nic.pdo(), PLUGPLAY_REGKEY_DEVICE, KEY_READ, &key); });
  if (machine().personality().verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST_P(RegistryTest, ANullValueNameIsTheAccessViolationTheReadWouldBe) {
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  ULONG length = 0;
  EXPECT_THAT(CrashOf([&] {
                ZwQueryValueKey(key, nullptr, KeyValuePartialInformation, nullptr, 0, &length);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

// A machine of its own: the first crash would otherwise be what this one re-raised.
TEST_P(RegistryTest, ANullResultLengthIsTheAccessViolationTheReadWouldBe) {
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"X");
  EXPECT_THAT(CrashOf([&] {
                ZwQueryValueKey(key, &name, KeyValuePartialInformation, nullptr, 0, nullptr);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

TEST_P(RegistryTest, AKeyLeftOpenIsALeakAtShutdown) {
  kemu::Device& nic = AddNic();
  Open(nic, PLUGPLAY_REGKEY_DEVICE);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak.what(),
              ::testing::HasSubstr("to the registry key \\Registry\\Machine\\System"
                                   "\\CurrentControlSet\\Enum\\PCI\\VEN_0000&DEV_0000"));
  EXPECT_THAT(leak.what(), ::testing::HasSubstr("(IoOpenDeviceRegistryKey) was never closed"));
}

TEST_P(RegistryTest, OpenedQueriedAndClosedAtPassiveLevelStaysSilent) {
  kemu::Device& nic = AddNic({.device = {{L"MSISupported", RegistryValue::Dword(1)}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  Query(key, L"MSISupported", KeyValuePartialInformation);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  machine().Shutdown();  // nothing reported
}

// ZwSetValueKey's page: ValueName "can be a NULL pointer if the value entry has no name" (audit
// round 17, X3). The unnamed value is the one an empty name reads.
TEST_P(RegistryTest, SetValueKeyWithANullValueNameSetsTheUnnamedValue) {
  kemu::Device& nic = AddNic();
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  const ULONG value = 7;
  EXPECT_EQ(ZwSetValueKey(key, nullptr, 0, REG_DWORD, const_cast<ULONG*>(&value), sizeof value),
            STATUS_SUCCESS);
  ASSERT_NE(nic.registry().device.Find(L""), nullptr);
  EXPECT_EQ(nic.registry().device.Find(L"")->dword(), 7u);
  const std::vector<std::uint8_t> bytes = Query(key, L"", KeyValuePartialInformation);
  EXPECT_EQ(Ulong(bytes, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data)), 7u);
  ZwClose(key);
}

// Opening a device key creates it: after the driver deleted its Device Parameters key, the next
// open gives a handle to a new, empty key, which is the device's DeviceRegistry again (audit
// round 17, X7).
TEST_P(RegistryTest, OpeningADeletedDeviceKeyCreatesItAgain) {
  kemu::Device& nic = AddNic({.device = {{L"Old", RegistryValue::Dword(1)}}});
  HANDLE key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  EXPECT_EQ(ZwDeleteKey(key), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_TRUE(nic.registry().device.empty()) << "the key's values went with it";
  key = Open(nic, PLUGPLAY_REGKEY_DEVICE);
  UNICODE_STRING name = Name(L"New");
  const ULONG value = 2;
  EXPECT_EQ(ZwSetValueKey(key, &name, 0, REG_DWORD, const_cast<ULONG*>(&value), sizeof value),
            STATUS_SUCCESS);
  ASSERT_NE(nic.registry().device.Find(L"New"), nullptr);
  EXPECT_EQ(nic.registry().device.Find(L"Old"), nullptr);
  UNICODE_STRING old_name = Name(L"Old");
  ULONG length = 0;
  UCHAR buffer[64];
  EXPECT_EQ(
      ZwQueryValueKey(key, &old_name, KeyValuePartialInformation, buffer, sizeof buffer, &length),
      STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
}

}  // namespace
