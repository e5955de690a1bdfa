// IoGetDeviceProperty: each DEVICE_REGISTRY_PROPERTY of an emulated device's PDO, its defaults
// and what a test sets (DeviceConfig::properties, Device::properties()), the short buffer, the
// unknown and absent properties, and a device object that is no PDO (docs/kernel.md, "Device
// properties").
#include <initguid.h>  // this file defines wdmguid.h's GUIDs, to compare GUID_BUS_TYPE_PCI
#include <wdm.h>
#include <wdmguid.h>

#include <cstring>
#include <string>
#include <vector>

#include "bugcheck_with.hpp"
#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu_test::BugCheckWith;

class DevicePropertyTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::Device& AddNic(kemu::DeviceProperties properties = {}) {
    return machine().AddDevice({.name = "nic0",
                                .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5},
                                .properties = std::move(properties)});
  }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, DevicePropertyTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

/// The property's bytes, fetched as drivers do: ask for the size, then for the data.
std::vector<std::uint8_t> Query(PDEVICE_OBJECT pdo, DEVICE_REGISTRY_PROPERTY property) {
  ULONG length = 0xDEAD;
  EXPECT_EQ(IoGetDeviceProperty(pdo, property, 0, nullptr, &length), STATUS_BUFFER_TOO_SMALL);
  std::vector<std::uint8_t> bytes(length);
  ULONG written = 0;
  EXPECT_EQ(IoGetDeviceProperty(pdo, property, length, bytes.data(), &written), STATUS_SUCCESS);
  EXPECT_EQ(written, length);
  return bytes;
}

std::wstring QueryString(PDEVICE_OBJECT pdo, DEVICE_REGISTRY_PROPERTY property) {
  const std::vector<std::uint8_t> bytes = Query(pdo, property);
  EXPECT_EQ(bytes.size() % sizeof(WCHAR), 0u);
  std::wstring text(bytes.size() / sizeof(WCHAR), L'?');
  std::memcpy(text.data(), bytes.data(), bytes.size());
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), L'\0') << "a string property ends with its NUL";
  if (!text.empty()) text.pop_back();
  return text;
}

template <typename T>
T QueryValue(PDEVICE_OBJECT pdo, DEVICE_REGISTRY_PROPERTY property) {
  const std::vector<std::uint8_t> bytes = Query(pdo, property);
  T value{};
  EXPECT_EQ(bytes.size(), sizeof value);
  std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof value));
  return value;
}

/// The REG_MULTI_SZ bytes of `strings`: each with its NUL, then one more NUL.
std::vector<std::uint8_t> MultiSz(const std::vector<std::wstring>& strings) {
  std::wstring all;
  for (const std::wstring& s : strings) all.append(s).push_back(L'\0');
  all.push_back(L'\0');
  std::vector<std::uint8_t> bytes(all.size() * sizeof(WCHAR));
  std::memcpy(bytes.data(), all.data(), bytes.size());
  return bytes;
}

TEST_P(DevicePropertyTest, DefaultsDescribeAPciFunctionInTheDevicesSlot) {
  machine().AddDevice({.name = "first"});
  kemu::Device& nic = AddNic({.vendor_id = 0x8086, .device_id = 0x10D3});  // index 1: slot 1
  PDEVICE_OBJECT pdo = nic.pdo();
  EXPECT_EQ(QueryString(pdo, DevicePropertyDeviceDescription), L"nic0");
  EXPECT_EQ(Query(pdo, DevicePropertyHardwareID),
            MultiSz({L"PCI\\VEN_8086&DEV_10D3&SUBSYS_00000000&REV_00", L"PCI\\VEN_8086&DEV_10D3"}));
  EXPECT_EQ(QueryString(pdo, DevicePropertyLocationInformation),
            L"PCI bus 0, device 1, function 0");
  EXPECT_EQ(QueryString(pdo, DevicePropertyPhysicalDeviceObjectName), L"\\Device\\NTPNP_PCI0001");
  EXPECT_EQ(QueryString(pdo, DevicePropertyEnumeratorName), L"PCI");
  const GUID bus = QueryValue<GUID>(pdo, DevicePropertyBusTypeGuid);
  EXPECT_EQ(std::memcmp(&bus, &GUID_BUS_TYPE_PCI, sizeof bus), 0);
  EXPECT_EQ(QueryValue<INTERFACE_TYPE>(pdo, DevicePropertyLegacyBusType), PCIBus);
  EXPECT_EQ(QueryValue<ULONG>(pdo, DevicePropertyBusNumber), 0u);
  EXPECT_EQ(QueryValue<ULONG>(pdo, DevicePropertyAddress), 0x00010000u);  // device 1, function 0
  EXPECT_EQ(QueryValue<DEVICE_INSTALL_STATE>(pdo, DevicePropertyInstallState),
            InstallStateInstalled);
  EXPECT_EQ(QueryValue<DEVICE_REMOVAL_POLICY>(pdo, DevicePropertyRemovalPolicy),
            RemovalPolicyExpectNoRemoval);
  const std::vector<std::uint8_t> resources = Query(pdo, DevicePropertyAllocatedResources);
  const auto* raw = reinterpret_cast<const std::uint8_t*>(nic.raw_resources());
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(std::memcmp(resources.data(), raw, resources.size()), 0);
}

TEST_P(DevicePropertyTest, WhatTheTestSetsIsWhatTheDriverReads) {
  kemu::Device& nic =
      AddNic({.device_description = L"Contoso Gigabit NIC",
              .hardware_ids = std::vector<std::wstring>{L"PCI\\VEN_1234&DEV_5678"},
              .compatible_ids = std::vector<std::wstring>{L"PCI\\CC_0200", L"PCI\\CC_02"},
              .class_name = L"Net",
              .class_guid = L"{4d36e972-e325-11ce-bfc1-08002be10318}",
              .driver_key_name = L"{4d36e972-e325-11ce-bfc1-08002be10318}\\0001",
              .manufacturer = L"Contoso",
              .friendly_name = L"Contoso NIC #2",
              .location_information = L"Slot 4",
              .pdo_name = L"\\Device\\NTPNP_PCI0042",
              .enumerator_name = L"ACPI",
              .container_id = L"{00000000-0000-0000-ffff-ffffffffffff}",
              .bus_number = 3,
              .pci_device = 4,
              .pci_function = 2,
              .bus_type_guid = GUID_BUS_TYPE_USB,
              .legacy_bus_type = PNPBus,
              .ui_number = 7,
              .install_state = InstallStateFinishInstall,
              .removal_policy = RemovalPolicyExpectSurpriseRemoval});
  PDEVICE_OBJECT pdo = nic.pdo();
  EXPECT_EQ(QueryString(pdo, DevicePropertyDeviceDescription), L"Contoso Gigabit NIC");
  EXPECT_EQ(Query(pdo, DevicePropertyHardwareID), MultiSz({L"PCI\\VEN_1234&DEV_5678"}));
  EXPECT_EQ(Query(pdo, DevicePropertyCompatibleIDs), MultiSz({L"PCI\\CC_0200", L"PCI\\CC_02"}));
  EXPECT_EQ(QueryString(pdo, DevicePropertyClassName), L"Net");
  EXPECT_EQ(QueryString(pdo, DevicePropertyClassGuid), L"{4d36e972-e325-11ce-bfc1-08002be10318}");
  EXPECT_EQ(QueryString(pdo, DevicePropertyDriverKeyName),
            L"{4d36e972-e325-11ce-bfc1-08002be10318}\\0001");
  EXPECT_EQ(QueryString(pdo, DevicePropertyManufacturer), L"Contoso");
  EXPECT_EQ(QueryString(pdo, DevicePropertyFriendlyName), L"Contoso NIC #2");
  EXPECT_EQ(QueryString(pdo, DevicePropertyLocationInformation), L"Slot 4");
  EXPECT_EQ(QueryString(pdo, DevicePropertyPhysicalDeviceObjectName), L"\\Device\\NTPNP_PCI0042");
  EXPECT_EQ(QueryString(pdo, DevicePropertyEnumeratorName), L"ACPI");
  EXPECT_EQ(QueryString(pdo, DevicePropertyContainerID), L"{00000000-0000-0000-ffff-ffffffffffff}");
  EXPECT_EQ(QueryValue<ULONG>(pdo, DevicePropertyBusNumber), 3u);
  EXPECT_EQ(QueryValue<ULONG>(pdo, DevicePropertyAddress), 0x00040002u);
  const GUID bus = QueryValue<GUID>(pdo, DevicePropertyBusTypeGuid);
  EXPECT_EQ(std::memcmp(&bus, &GUID_BUS_TYPE_USB, sizeof bus), 0);
  EXPECT_EQ(QueryValue<INTERFACE_TYPE>(pdo, DevicePropertyLegacyBusType), PNPBus);
  EXPECT_EQ(QueryValue<ULONG>(pdo, DevicePropertyUINumber), 7u);
  EXPECT_EQ(QueryValue<DEVICE_INSTALL_STATE>(pdo, DevicePropertyInstallState),
            InstallStateFinishInstall);
  EXPECT_EQ(QueryValue<DEVICE_REMOVAL_POLICY>(pdo, DevicePropertyRemovalPolicy),
            RemovalPolicyExpectSurpriseRemoval);
  // The resource lists carry the same bus number.
  EXPECT_EQ(nic.raw_resources()->List[0].BusNumber, 3u);
  EXPECT_EQ(nic.translated_resources()->List[0].BusNumber, 3u);
}

TEST_P(DevicePropertyTest, AnAddressOverridesTheSlotAndAChangeShowsInTheNextCall) {
  kemu::Device& nic = AddNic({.pci_device = 2, .address = 0xFFFFFFFF});  // no bus address
  EXPECT_EQ(QueryValue<ULONG>(nic.pdo(), DevicePropertyAddress), 0xFFFFFFFFu);
  EXPECT_EQ(QueryString(nic.pdo(), DevicePropertyLocationInformation),
            L"PCI bus 0, device 2, function 0");
  nic.properties().friendly_name = L"Renamed";
  nic.properties().address.reset();
  EXPECT_EQ(QueryString(nic.pdo(), DevicePropertyFriendlyName), L"Renamed");
  EXPECT_EQ(QueryValue<ULONG>(nic.pdo(), DevicePropertyAddress), 0x00020000u);
}

TEST_P(DevicePropertyTest, TheDefaultDescriptionIsTheNameOneWcharPerByte) {
  kemu::Device& card = machine().AddDevice({.name = "card\xE9"});
  EXPECT_EQ(QueryString(card.pdo(), DevicePropertyDeviceDescription), L"card\u00E9");
}

TEST_P(DevicePropertyTest, AnEmptyIdListIsTwoNuls) {
  kemu::Device& nic = AddNic({.compatible_ids = std::vector<std::wstring>{}});
  EXPECT_EQ(Query(nic.pdo(), DevicePropertyCompatibleIDs), MultiSz({L""}));
  EXPECT_EQ(Query(nic.pdo(), DevicePropertyCompatibleIDs).size(), 2 * sizeof(WCHAR));
}

TEST_P(DevicePropertyTest, AShortBufferGetsTheSizeAndIsLeftUntouched) {
  kemu::Device& nic = AddNic();
  const ULONG needed = 5 * sizeof(WCHAR);  // "nic0" and its NUL
  std::vector<std::uint8_t> buffer(needed - 1, 0xCD);
  ULONG length = 0;
  EXPECT_EQ(IoGetDeviceProperty(nic.pdo(), DevicePropertyDeviceDescription, needed - 1,
                                buffer.data(), &length),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, needed);
  EXPECT_EQ(buffer, std::vector<std::uint8_t>(needed - 1, 0xCD));
  ULONG address = 0xCDCDCDCD;
  EXPECT_EQ(
      IoGetDeviceProperty(nic.pdo(), DevicePropertyAddress, sizeof address - 1, &address, &length),
      STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, sizeof address);
  EXPECT_EQ(address, 0xCDCDCDCDu);
}

TEST_P(DevicePropertyTest, AnUnknownPropertyIsInvalidParameter2) {
  kemu::Device& nic = AddNic();
  ULONG length = 0x1234, value = 0;
  for (const int property : {0x17, 0x100, -1}) {
    EXPECT_EQ(IoGetDeviceProperty(nic.pdo(), static_cast<DEVICE_REGISTRY_PROPERTY>(property),
                                  sizeof value, &value, &length),
              STATUS_INVALID_PARAMETER_2)
        << property;
  }
}

TEST_P(DevicePropertyTest, APropertyTheDeviceLacksIsObjectNameNotFound) {
  kemu::Device& nic = AddNic();
  std::uint8_t buffer[64] = {};
  for (const DEVICE_REGISTRY_PROPERTY property :
       {DevicePropertyCompatibleIDs, DevicePropertyBootConfiguration,
        DevicePropertyBootConfigurationTranslated, DevicePropertyClassName, DevicePropertyClassGuid,
        DevicePropertyManufacturer, DevicePropertyFriendlyName, DevicePropertyUINumber,
        DevicePropertyResourceRequirements, DevicePropertyContainerID}) {
    ULONG length = 0x1234;
    EXPECT_EQ(IoGetDeviceProperty(nic.pdo(), property, sizeof buffer, buffer, &length),
              STATUS_OBJECT_NAME_NOT_FOUND)
        << property;
    EXPECT_EQ(length, 0u) << property;
  }
  // A device granted no resources has no allocated resources either.
  kemu::Device& bare = machine().AddDevice({.name = "bare"});
  ULONG length = 0x1234;
  EXPECT_EQ(IoGetDeviceProperty(bare.pdo(), DevicePropertyAllocatedResources, sizeof buffer, buffer,
                                &length),
            STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST_P(DevicePropertyTest, ADeviceObjectThatIsNoPdoIsBugCheck0xCAInvalidPdo) {
  AddNic();
  DEVICE_OBJECT fdo{};
  ULONG value = 0, length = 0;
  EXPECT_THAT(CrashOf([&] {
                IoGetDeviceProperty(&fdo, DevicePropertyAddress, sizeof value, &value, &length);
              }),
              BugCheckWith(kemu::bugcheck::kPnpDetectedFatalError, 0x2,
                           reinterpret_cast<std::uintptr_t>(&fdo)));
}

TEST_P(DevicePropertyTest, ANullDeviceObjectIsBugCheck0xCAInvalidPdo) {
  ULONG value = 0, length = 0;
  const kemu::BugCheck crash = CrashOf(
      [&] { IoGetDeviceProperty(nullptr, DevicePropertyAddress, sizeof value, &value, &length); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kPnpDetectedFatalError, 0x2, 0));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("PNP_DETECTED_FATAL_ERROR"));
}

TEST_P(DevicePropertyTest, ANullResultLengthIsTheAccessViolationTheWriteWouldBe) {
  kemu::Device& nic = AddNic();
  ULONG value = 0;
  EXPECT_THAT(CrashOf([&] {
                IoGetDeviceProperty(nic.pdo(), DevicePropertyAddress, sizeof value, &value,
                                    nullptr);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

// A machine of its own: the first crash would otherwise be what this one re-raised.
TEST_P(DevicePropertyTest, ANullBufferIsTheAccessViolationTheWriteWouldBe) {
  kemu::Device& nic = AddNic();
  ULONG value = 0, length = 0;
  EXPECT_THAT(CrashOf([&] {
                IoGetDeviceProperty(nic.pdo(), DevicePropertyAddress, sizeof value, nullptr,
                                    &length);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

TEST_P(DevicePropertyTest, AbovePassiveLevelIsTheIrqlReport) {
  kemu::Device& nic = AddNic();
  ULONG value = 0, length = 0;
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] {
    IoGetDeviceProperty(nic.pdo(), DevicePropertyAddress, sizeof value, &value, &length);
  });
  if (machine().personality().verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST_P(DevicePropertyTest, AtPassiveLevelTheTwoCallIdiomStaysSilent) {
  kemu::Device& nic = AddNic({.friendly_name = L"Contoso NIC"});
  ULONG length = 0;
  ASSERT_EQ(IoGetDeviceProperty(nic.pdo(), DevicePropertyFriendlyName, 0, nullptr, &length),
            STATUS_BUFFER_TOO_SMALL);
  std::vector<WCHAR> name(length / sizeof(WCHAR));
  EXPECT_EQ(
      IoGetDeviceProperty(nic.pdo(), DevicePropertyFriendlyName, length, name.data(), &length),
      STATUS_SUCCESS);
  EXPECT_EQ(std::wstring(name.data()), L"Contoso NIC");
  machine().Shutdown();  // nothing reported
}

TEST_P(DevicePropertyTest, ASlotOrFunctionPciCannotHaveIsAHarnessError) {
  EXPECT_THROW(machine().AddDevice({.name = "x", .properties = {.pci_device = 32}}), kemu::Error);
  EXPECT_THROW(machine().AddDevice({.name = "y", .properties = {.pci_function = 8}}), kemu::Error);
}

// The driver key name is the software key's name under Control\Class, the key
// IoOpenDeviceRegistryKey(PLUGPLAY_REGKEY_DRIVER) opens, set or not (audit round 17, X9).
TEST_P(DevicePropertyTest, TheDriverKeyNameIsTheSoftwareKeysName) {
  kemu::Device& nic = AddNic();
  kemu::Device& second = machine().AddDevice({.name = "nic1"});
  EXPECT_EQ(QueryString(nic.pdo(), DevicePropertyDriverKeyName),
            L"{4d36e97d-e325-11ce-bfc1-08002be10318}\\0000");
  EXPECT_EQ(QueryString(second.pdo(), DevicePropertyDriverKeyName),
            L"{4d36e97d-e325-11ce-bfc1-08002be10318}\\0001");
  // The key that name designates is the one the driver's software key handle reaches.
  const std::wstring path = L"\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Class\\" +
                            QueryString(second.pdo(), DevicePropertyDriverKeyName);
  machine().registry().Key(path).Set(L"Marker", kemu::RegistryValue::Dword(5));
  EXPECT_EQ(second.registry().driver.Find(L"Marker")->dword(), 5u);
}

}  // namespace
