// Keys themselves: ZwQueryKey and ZwEnumerateKey (KEY_BASIC/NODE/FULL_INFORMATION), ZwDeleteKey
// and ZwFlushKey. docs/kernel.md, "Registry"; docs/conformance.md §2.9.
#include <wdm.h>

#include <cstring>
#include <string>
#include <vector>

#include "bugcheck_with.hpp"
#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::RegistryValue;
using ::kemu_test::BugCheckWith;

constexpr const wchar_t* kParameters =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mynic\\Parameters";

// Opens `path` with every access right, as a kernel handle; the caller closes it.
HANDLE Open(const std::wstring& path) {
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, path.c_str());
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  EXPECT_EQ(ZwOpenKey(&key, KEY_ALL_ACCESS, &attributes), STATUS_SUCCESS) << "opening";
  return key;
}

class RegistryKeyTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RegistryKeyTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

template <typename T>
T Read(const std::vector<UCHAR>& buffer, std::size_t offset) {
  T value{};
  std::memcpy(&value, buffer.data() + offset, sizeof value);
  return value;
}

std::wstring Name(const std::vector<UCHAR>& buffer, std::size_t offset, ULONG bytes) {
  std::wstring name(bytes / sizeof(WCHAR), L'\0');
  std::memcpy(name.data(), buffer.data() + offset, bytes);
  return name;
}

// The names ZwEnumerateKey gives for `key`'s subkeys, with KeyBasicInformation, until it says
// there are no more.
std::vector<std::wstring> EnumerateSubkeys(HANDLE key) {
  std::vector<std::wstring> names;
  std::vector<UCHAR> buffer(256);
  for (ULONG index = 0;; ++index) {
    ULONG length = 0;
    const NTSTATUS status = ZwEnumerateKey(key, index, KeyBasicInformation, buffer.data(),
                                           static_cast<ULONG>(buffer.size()), &length);
    if (status == STATUS_NO_MORE_ENTRIES) break;
    EXPECT_EQ(status, STATUS_SUCCESS);
    if (status != STATUS_SUCCESS || index > 16) break;
    const auto bytes = Read<ULONG>(buffer, offsetof(KEY_BASIC_INFORMATION, NameLength));
    EXPECT_EQ(length, offsetof(KEY_BASIC_INFORMATION, Name) + bytes);
    names.push_back(Name(buffer, offsetof(KEY_BASIC_INFORMATION, Name), bytes));
  }
  return names;
}

TEST_P(RegistryKeyTest, EnumerateKeyListsSubkeysByNameThenNoMoreEntries) {  // REG-6
  kemu::Registry& registry = machine().registry();
  registry.Key(std::wstring(kParameters) + L"\\zeta");
  registry.Key(std::wstring(kParameters) + L"\\Alpha\\Deeper");  // Alpha exists through Deeper
  registry.Key(std::wstring(kParameters) + L"\\beta");
  HANDLE key = Open(kParameters);
  EXPECT_EQ(EnumerateSubkeys(key), (std::vector<std::wstring>{L"Alpha", L"beta", L"zeta"}));
  ZwClose(key);
}

TEST_P(RegistryKeyTest, EnumerateKeyRefusesEveryClassButBasicNodeAndFull) {  // REG-6
  machine().registry().Key(std::wstring(kParameters) + L"\\Sub");
  HANDLE key = Open(kParameters);
  UCHAR buffer[128];
  ULONG length = 0;
  EXPECT_EQ(ZwEnumerateKey(key, 0, KeyNameInformation, buffer, sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwEnumerateKey(key, 0, static_cast<KEY_INFORMATION_CLASS>(MaxKeyInfoClass), buffer,
                           sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(ZwQueryKey(key, static_cast<KEY_INFORMATION_CLASS>(42), buffer, sizeof buffer, &length),
            STATUS_INVALID_PARAMETER);
  EXPECT_THROW(ZwQueryKey(key, KeyNameInformation, buffer, sizeof buffer, &length),
               kemu::NotModelled);
  ZwClose(key);
}

TEST_P(RegistryKeyTest, NodeInformationNamesTheSubkeyAndHasNoClass) {
  machine().registry().Key(std::wstring(kParameters) + L"\\Queue0");
  HANDLE key = Open(kParameters);
  std::vector<UCHAR> buffer(128, 0xCC);
  ULONG length = 0;
  ASSERT_EQ(ZwEnumerateKey(key, 0, KeyNodeInformation, buffer.data(),
                           static_cast<ULONG>(buffer.size()), &length),
            STATUS_SUCCESS);
  const std::size_t name_bytes = 6 * sizeof(WCHAR);
  EXPECT_EQ(length, offsetof(KEY_NODE_INFORMATION, Name) + name_bytes);
  EXPECT_EQ(Read<LONGLONG>(buffer, offsetof(KEY_NODE_INFORMATION, LastWriteTime)), 0);
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_NODE_INFORMATION, ClassOffset)), 0xFFFFFFFFu);
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_NODE_INFORMATION, ClassLength)), 0u);
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_NODE_INFORMATION, NameLength)), name_bytes);
  EXPECT_EQ(Name(buffer, offsetof(KEY_NODE_INFORMATION, Name), name_bytes), L"Queue0");
  ZwClose(key);
}

TEST_P(RegistryKeyTest, QueryKeyFullCountsSubkeysAndValuesWithTheirLongestNamesAndData) {
  kemu::Registry& registry = machine().registry();
  registry.Key(kParameters).Set(L"A", RegistryValue::Dword(1));
  registry.Key(kParameters).Set(L"LongerName", RegistryValue::String(L"twelve chars"));
  registry.Key(std::wstring(kParameters) + L"\\Sub");
  registry.Key(std::wstring(kParameters) + L"\\Subkey2");
  HANDLE key = Open(kParameters);
  std::vector<UCHAR> buffer(sizeof(KEY_FULL_INFORMATION));
  ULONG length = 0;
  ASSERT_EQ(ZwQueryKey(key, KeyFullInformation, buffer.data(), static_cast<ULONG>(buffer.size()),
                       &length),
            STATUS_SUCCESS);
  EXPECT_EQ(length, offsetof(KEY_FULL_INFORMATION, Class));
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_FULL_INFORMATION, SubKeys)), 2u);
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_FULL_INFORMATION, MaxNameLen)), 7 * sizeof(WCHAR));
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_FULL_INFORMATION, Values)), 2u);
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_FULL_INFORMATION, MaxValueNameLen)),
            10 * sizeof(WCHAR));
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_FULL_INFORMATION, MaxValueDataLen)),
            13 * sizeof(WCHAR));
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_FULL_INFORMATION, ClassLength)), 0u);
  ZwClose(key);
}

TEST_P(RegistryKeyTest, QueryKeyBasicGivesTheKeysOwnNameAsWritten) {
  machine().registry().Key(kParameters);
  HANDLE key = Open(L"\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MYNIC\\PARAMETERS");
  std::vector<UCHAR> buffer(128);
  ULONG length = 0;
  ASSERT_EQ(ZwQueryKey(key, KeyBasicInformation, buffer.data(), static_cast<ULONG>(buffer.size()),
                       &length),
            STATUS_SUCCESS);
  const auto bytes = Read<ULONG>(buffer, offsetof(KEY_BASIC_INFORMATION, NameLength));
  EXPECT_EQ(Name(buffer, offsetof(KEY_BASIC_INFORMATION, Name), bytes), L"Parameters");
  ZwClose(key);
}

TEST_P(RegistryKeyTest, AShortBufferIsTooSmallBelowTheFixedPartAndOverflowAbove) {  // REG-7
  machine().registry().Key(std::wstring(kParameters) + L"\\Subkey");
  HANDLE key = Open(kParameters);
  const ULONG whole = offsetof(KEY_BASIC_INFORMATION, Name) + 6 * sizeof(WCHAR);
  std::vector<UCHAR> buffer(whole, 0xCC);
  ULONG length = 0;
  EXPECT_EQ(ZwEnumerateKey(key, 0, KeyBasicInformation, buffer.data(),
                           offsetof(KEY_BASIC_INFORMATION, Name) - 1, &length),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, whole);
  EXPECT_EQ(buffer[0], 0xCC) << "nothing written";
  length = 0;
  EXPECT_EQ(ZwEnumerateKey(key, 0, KeyBasicInformation, buffer.data(), whole - 2, &length),
            STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(length, whole);
  EXPECT_EQ(Read<ULONG>(buffer, offsetof(KEY_BASIC_INFORMATION, NameLength)), 6 * sizeof(WCHAR))
      << "the fixed part is written whole";
  length = 0;
  EXPECT_EQ(ZwQueryKey(key, KeyFullInformation, buffer.data(), 8, &length),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, offsetof(KEY_FULL_INFORMATION, Class));
  ZwClose(key);
}

TEST_P(RegistryKeyTest, DeleteKeyRefusesAKeyWithSubkeysAndTakesTheValuesWithIt) {  // REG-8
  kemu::Registry& registry = machine().registry();
  const std::wstring queue = std::wstring(kParameters) + L"\\Queue";
  registry.Key(queue).Set(L"Depth", RegistryValue::Dword(8));
  HANDLE parameters = Open(kParameters);
  HANDLE subkey = Open(queue);
  EXPECT_EQ(ZwDeleteKey(parameters), STATUS_CANNOT_DELETE);
  EXPECT_EQ(ZwDeleteKey(subkey), STATUS_SUCCESS);
  EXPECT_FALSE(registry.Exists(queue));
  EXPECT_EQ(registry.FindKey(queue), nullptr);
  EXPECT_TRUE(registry.Exists(kParameters)) << "the key above stays";
  EXPECT_EQ(ZwDeleteKey(parameters), STATUS_SUCCESS) << "no subkeys left";
  EXPECT_EQ(ZwClose(subkey), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(parameters), STATUS_SUCCESS);
}

TEST_P(RegistryKeyTest, EveryHandleToADeletedKeyFailsUntilClosed) {  // REG-8
  const std::wstring queue = std::wstring(kParameters) + L"\\Queue";
  machine().registry().Key(queue);
  HANDLE first = Open(queue);
  HANDLE second = Open(queue);
  ASSERT_EQ(ZwDeleteKey(first), STATUS_SUCCESS);
  UNICODE_STRING value;
  RtlInitUnicodeString(&value, L"Depth");
  ULONG data = 4;
  ULONG length = 0;
  UCHAR buffer[64];
  EXPECT_EQ(ZwSetValueKey(second, &value, 0, REG_DWORD, &data, sizeof data), STATUS_KEY_DELETED);
  EXPECT_EQ(ZwQueryKey(first, KeyBasicInformation, buffer, sizeof buffer, &length),
            STATUS_KEY_DELETED);
  EXPECT_EQ(ZwDeleteKey(second), STATUS_KEY_DELETED);
  EXPECT_EQ(ZwFlushKey(first), STATUS_KEY_DELETED);
  EXPECT_FALSE(machine().registry().Exists(queue)) << "a refused write creates nothing";
  EXPECT_EQ(ZwClose(first), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(second), STATUS_SUCCESS);
}

TEST_P(RegistryKeyTest, FlushKeySucceedsOnAnOpenKeyAndRefusesABadHandle) {
  HANDLE key = Open(L"\\Registry\\Machine\\Software");
  EXPECT_EQ(ZwFlushKey(key), STATUS_SUCCESS);
  ZwClose(key);
  EXPECT_EQ(ZwFlushKey(key), STATUS_INVALID_HANDLE);
}

TEST(RegistryKeyRulesTest, EveryKeyRoutineAbovePassiveBreaksIrqlZwPassive) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  machine.registry().Key(std::wstring(kParameters) + L"\\Sub");
  HANDLE key = Open(kParameters);
  ASSERT_NE(key, nullptr);
  UCHAR buffer[128];
  ULONG length = 0;
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(ZwQueryKey(key, KeyBasicInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  EXPECT_EQ(ZwEnumerateKey(key, 0, KeyBasicInformation, buffer, sizeof buffer, &length),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwFlushKey(key), STATUS_SUCCESS);
  EXPECT_EQ(ZwDeleteKey(key), STATUS_CANNOT_DELETE);
  KeLowerIrql(old);
  ASSERT_EQ(machine.bug_checks().size(), 4u);
  for (const kemu::BugCheck& report : machine.bug_checks()) {
    EXPECT_THAT(report, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                     kemu::verifier_code::kIrqlZwPassive));
  }
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
}

TEST(RegistryKeyRulesTest, KeyRoutinesAtPassiveAreSilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  machine.registry().Key(std::wstring(kParameters) + L"\\Sub");
  HANDLE key = Open(kParameters);
  ASSERT_NE(key, nullptr);
  UCHAR buffer[128];
  ULONG length = 0;
  EXPECT_EQ(ZwQueryKey(key, KeyFullInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  EXPECT_EQ(ZwEnumerateKey(key, 0, KeyNodeInformation, buffer, sizeof buffer, &length),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwFlushKey(key), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_TRUE(machine.bug_checks().empty());
}

// A key that exists only through a subkey still exists when a sibling's name extends its name:
// NIC2 and NIC-OLD sort between NIC and NIC\PARAMETERS (audit round 17, X1).
TEST_P(RegistryKeyTest, AKeyExistsThroughItsSubkeyBesideASiblingThatExtendsItsName) {
  kemu::Registry& registry = machine().registry();
  registry.ServiceParameters(L"nic");
  registry.ServiceParameters(L"nic2");
  const std::wstring nic = kemu::Registry::ServicePath(L"nic");
  EXPECT_TRUE(registry.Exists(nic));
  WCHAR relative[] = L"nic";
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, relative), STATUS_SUCCESS);
  HANDLE key = Open(nic);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_FALSE(registry.Exists(kemu::Registry::ServicePath(L"ni")));
  EXPECT_FALSE(registry.Exists(kemu::Registry::ServicePath(L"nic2\\Param")));
}

TEST_P(RegistryKeyTest, AnOpenHandleStaysValidWhenASiblingThatExtendsItsNameIsCreated) {
  machine().registry().ServiceParameters(L"nic");
  HANDLE nic = Open(kemu::Registry::ServicePath(L"nic"));
  ASSERT_NE(nic, nullptr);
  const std::wstring old_path = kemu::Registry::ServicePath(L"nic-old");
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, old_path.c_str());
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE old_key = nullptr;
  ASSERT_EQ(ZwCreateKey(&old_key, KEY_ALL_ACCESS, &attributes, 0, nullptr, 0, nullptr),
            STATUS_SUCCESS);
  UCHAR buffer[128];
  ULONG length = 0;
  EXPECT_EQ(ZwQueryKey(nic, KeyBasicInformation, buffer, sizeof buffer, &length), STATUS_SUCCESS);
  UNICODE_STRING parameters;
  RtlInitUnicodeString(&parameters, L"Parameters");
  InitializeObjectAttributes(&attributes, &parameters, OBJ_KERNEL_HANDLE, nic, nullptr);
  HANDLE sub = nullptr;
  ULONG disposition = 0;
  EXPECT_EQ(ZwCreateKey(&sub, KEY_ALL_ACCESS, &attributes, 0, nullptr, 0, &disposition),
            STATUS_SUCCESS);
  EXPECT_EQ(disposition, ULONG{REG_OPENED_EXISTING_KEY});
  ZwClose(sub);
  ZwClose(old_key);
  ZwClose(nic);
}

TEST_P(RegistryKeyTest, MicrosoftWindowsExistsBesideTheStandardWindowsNtKey) {
  machine().registry().Key(L"\\Registry\\Machine\\Software\\Microsoft\\Windows\\CurrentVersion");
  WCHAR path[] = L"\\Registry\\Machine\\Software\\Microsoft\\Windows";
  EXPECT_EQ(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, path), STATUS_SUCCESS);
}

}  // namespace
