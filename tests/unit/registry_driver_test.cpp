// A C driver reading its parameters (registry_driver.c): RtlQueryRegistryValues with DIRECT
// entries under its RegistryPath, IoOpenDeviceRegistryKey and ZwQueryValueKey for the hardware
// key, ZwSetValueKey into the software key. docs/kernel.md, "Registry".
#include "registry_driver.h"

#include <wdm.h>

#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::RegistryValue;

class RegistryDriverTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RegistryDriverTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(RegistryDriverTest, DriverEntryReadsWhatTheTestSetAndDefaultsTheRest) {
  machine().registry().ServiceParameters(L"cnic").Set(L"DebugLevel", RegistryValue::Dword(2));
  REGISTRY_DRIVER_PARAMETERS parameters{};
  ASSERT_EQ(RegistryDriverReadParameters(machine().registry().RegistryPath(L"cnic"), &parameters),
            STATUS_SUCCESS);
  EXPECT_EQ(parameters.DebugLevel, 2u);
  EXPECT_EQ(parameters.ReceiveBuffers, 64u);
  EXPECT_EQ(std::wstring(parameters.Name.Buffer, parameters.Name.Length / sizeof(WCHAR)), L"nic");
}

TEST_P(RegistryDriverTest, DriverEntryFailsWithoutItsRequiredValue) {
  REGISTRY_DRIVER_PARAMETERS parameters{};
  machine().registry().ServiceParameters(L"cnic");
  EXPECT_EQ(RegistryDriverReadParameters(machine().registry().RegistryPath(L"cnic"), &parameters),
            STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST_P(RegistryDriverTest, TheStartRoutineReadsMsiSupportedAndSavesTheLinkSpeed) {
  kemu::Device& nic = machine().AddDevice(
      {.name = "nic0", .registry = {.device = {{L"MSISupported", RegistryValue::Dword(1)}}}});
  kemu::Device& other = machine().AddDevice({.name = "nic1"});
  ULONG msi = 0xFF;
  EXPECT_EQ(RegistryDriverReadMsiSupported(nic.pdo(), &msi), STATUS_SUCCESS);
  EXPECT_EQ(msi, 1u);
  EXPECT_EQ(RegistryDriverReadMsiSupported(other.pdo(), &msi), STATUS_SUCCESS);
  EXPECT_EQ(msi, 0u) << "absent: the driver's default";
  EXPECT_EQ(RegistryDriverSaveLinkSpeed(nic.pdo(), 1000), STATUS_SUCCESS);
  EXPECT_EQ(nic.registry().driver.Find(L"LastLinkSpeed")->dword(), 1000u);
  EXPECT_TRUE(other.registry().driver.empty());
  machine().Shutdown();  // every key closed: nothing reported
}

TEST_P(RegistryDriverTest, ACDriverSizesItsBufferWithQueryKeyAndEnumeratesSubkeys) {  // REG-6
  kemu::Registry& registry = machine().registry();
  const std::wstring parameters =
      L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\cnic\\Parameters";
  for (const wchar_t* name : {L"Queue0", L"Queue1", L"AVeryLongSubkeyNameIndeed", L"Queue2"}) {
    registry.Key(parameters + L"\\" + name);
  }
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, parameters.c_str());
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  ASSERT_EQ(ZwOpenKey(&key, KEY_READ, &attributes), STATUS_SUCCESS);
  ULONG count = 0;
  EXPECT_EQ(RegistryDriverCountSubkeys(key, L"Queue", &count), STATUS_SUCCESS);
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  machine().Shutdown();  // the driver's buffer freed, its key closed: nothing reported
}

}  // namespace
