// The registry routines given hostile pointers and sizes (audit round 17): a wild name, path, table
// entry or output pointer is the access violation of the kernel's access at that address (X4), a
// counted name with a Length and no Buffer is one too (X5), and an output size past the driver's
// pool block is 0xCD, the fault special pool's guard page gives the kernel's copy (X11). Never a
// fault of the test program. docs/kernel.md, "Registry".
#include <sys/mman.h>
#include <unistd.h>
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::RegistryValue;
using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kStatusAccessViolation = 0xC0000005;
constexpr ULONG kTag = 'tseT';
// An address in the first 64 KiB, which Windows never maps.
constexpr std::uintptr_t kWild = 0x10;
constexpr const wchar_t* kService =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mynic";

template <typename T>
T* Wild() {
  return reinterpret_cast<T*>(kWild);
}

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

HANDLE OpenService() {
  UNICODE_STRING path;
  RtlInitUnicodeString(&path, kService);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &path, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE key = nullptr;
  EXPECT_EQ(ZwOpenKey(&key, KEY_ALL_ACCESS, &attributes), STATUS_SUCCESS);
  return key;
}

// The access violation at `address` (0x1E: Arg1 the exception, Arg4 the address).
::testing::Matcher<const kemu::BugCheck&> AccessViolationAt(std::uintptr_t address) {
  return BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusAccessViolation, 0, 0,
                    address);
}

// The kernel's write past the end of the pool block that ends at `end`.
::testing::Matcher<const kemu::BugCheck&> WriteBeyond(const void* end) {
  return BugCheckIs(kemu::bugcheck::kPageFaultBeyondEndOfAllocation, Address(end), 1, 0, 0);
}

class RegistryBoundsTest : public ::testing::TestWithParam<bool> {
 protected:
  RegistryBoundsTest() : machine_({.os = kemu::Os::kWindows10, .verifier = GetParam()}) {
    machine_.registry().Service(L"mynic").Set(
        L"Blob", RegistryValue::Binary(std::vector<std::uint8_t>(200, 0xAB)));
  }
  kemu::Machine& machine() { return machine_; }

 private:
  kemu::Machine machine_;
};

// Under Verifier (special pool) and without it: kemu cannot write past a host allocation, so the
// report is the same.
INSTANTIATE_TEST_SUITE_P(VerifierOnAndOff, RegistryBoundsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Verifier" : "NoVerifier";
                         });

TEST_P(RegistryBoundsTest, QueryValueKeyPastThePoolBlockIs0xCDAtItsEnd) {
  HANDLE key = OpenService();
  auto* block = static_cast<UCHAR*>(ExAllocatePoolWithTag(NonPagedPool, 32, kTag));
  ASSERT_NE(block, nullptr);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"Blob");
  ULONG length = 0;
  const kemu::BugCheck crash = CrashOf(
      [&] { (void)ZwQueryValueKey(key, &name, KeyValuePartialInformation, block, 256, &length); });
  EXPECT_THAT(crash, WriteBeyond(block + 32));
  EXPECT_THAT(crash.what(), HasSubstr("ZwQueryValueKey was about to write 212 bytes of "
                                      "KeyValueInformation"));
}

TEST_P(RegistryBoundsTest, QueryValueKeyWithALengthPastTheBlockWritingLessIsSilent) {
  machine().registry().Service(L"mynic").Set(L"Small", RegistryValue::Dword(9));
  HANDLE key = OpenService();
  auto* block = static_cast<UCHAR*>(ExAllocatePoolWithTag(NonPagedPool, 32, kTag));
  ASSERT_NE(block, nullptr);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"Small");
  ULONG length = 0;
  // Only what the value needs is written, and that fits.
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, block, 256, &length),
            STATUS_SUCCESS);
  EXPECT_EQ(length, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(ULONG));
  ExFreePoolWithTag(block, kTag);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(RegistryBoundsTest, EnumerateKeyPastThePoolBlockIs0xCD) {
  machine().registry().ServiceParameters(L"mynic");
  HANDLE key = OpenService();
  auto* block = static_cast<UCHAR*>(ExAllocatePoolWithTag(NonPagedPool, 20, kTag));
  ASSERT_NE(block, nullptr);
  ULONG length = 0;
  EXPECT_THAT(
      CrashOf([&] { (void)ZwEnumerateKey(key, 0, KeyBasicInformation, block, 64, &length); }),
      WriteBeyond(block + 20));
}

TEST_P(RegistryBoundsTest, DirectBinaryPastThePoolBlockIs0xCD) {
  auto* block = static_cast<UCHAR*>(ExAllocatePoolWithTag(NonPagedPool, 32, kTag));
  ASSERT_NE(block, nullptr);
  const LONG claimed = -256;
  std::memcpy(block, &claimed, sizeof claimed);
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Blob");
  table[0].EntryContext = block;
  EXPECT_THAT(CrashOf([&] {
                (void)RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"mynic", table, nullptr,
                                             nullptr);
              }),
              WriteBeyond(block + 32));
}

TEST_P(RegistryBoundsTest, DirectStringIntoABufferSmallerThanItsMaximumLengthIs0xCD) {
  machine().registry().Service(L"mynic").Set(L"Text", RegistryValue::String(L"abcdefgh"));
  auto* block = static_cast<WCHAR*>(ExAllocatePoolWithTag(NonPagedPool, 8, kTag));
  ASSERT_NE(block, nullptr);
  UNICODE_STRING text{0, 200, block};  // MaximumLength claims more than the block holds
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Text");
  table[0].EntryContext = &text;
  EXPECT_THAT(CrashOf([&] {
                (void)RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"mynic", table, nullptr,
                                             nullptr);
              }),
              WriteBeyond(reinterpret_cast<UCHAR*>(block) + 8));
}

TEST_P(RegistryBoundsTest, DevicePropertyPastThePoolBlockIs0xCD) {
  kemu::Device& nic = machine().AddDevice({.name = "nic0"});
  auto* block = static_cast<UCHAR*>(ExAllocatePoolWithTag(NonPagedPool, 16, kTag));
  ASSERT_NE(block, nullptr);
  ULONG length = 0;
  EXPECT_THAT(CrashOf([&] {
                (void)IoGetDeviceProperty(nic.pdo(), DevicePropertyHardwareID, 1024, block,
                                          &length);
              }),
              WriteBeyond(block + 16));
}

TEST_P(RegistryBoundsTest, DevicePropertyIntoABlockOfItsSizeIsSilent) {
  kemu::Device& nic = machine().AddDevice({.name = "nic0"});
  ULONG length = 0;
  EXPECT_EQ(IoGetDeviceProperty(nic.pdo(), DevicePropertyHardwareID, 0, nullptr, &length),
            STATUS_BUFFER_TOO_SMALL);
  void* block = ExAllocatePoolWithTag(NonPagedPool, length, kTag);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(IoGetDeviceProperty(nic.pdo(), DevicePropertyHardwareID, length, block, &length),
            STATUS_SUCCESS);
  ExFreePoolWithTag(block, kTag);
  EXPECT_FALSE(machine().crashed());
}

// X4: each pointer the routine dereferences, in the first 64 KiB.
TEST(RegistryWildPointerTest, AWildObjectNameIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, Wild<UNICODE_STRING>(), OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  EXPECT_THAT(CrashOf([&] { (void)ZwOpenKey(&key, KEY_READ, &attributes); }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildObjectNameBufferIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  UNICODE_STRING name{8, 8, Wild<WCHAR>()};
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE key = nullptr;
  EXPECT_THAT(CrashOf([&] { (void)ZwOpenKey(&key, KEY_READ, &attributes); }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildValueNameBufferIsTheAccessViolationOnAnEmptyKeyToo) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  HANDLE key = OpenService();
  UNICODE_STRING name{8, 8, Wild<WCHAR>()};
  UCHAR buffer[64];
  ULONG length = 0;
  EXPECT_THAT(CrashOf([&] {
                (void)ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer, sizeof buffer,
                                      &length);
              }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildOutputBufferIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic").Set(L"V", RegistryValue::Dword(1));
  HANDLE key = OpenService();
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"V");
  ULONG length = 0;
  EXPECT_THAT(CrashOf([&] {
                (void)ZwQueryValueKey(key, &name, KeyValuePartialInformation, Wild<void>(), 64,
                                      &length);
              }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildEnumerateKeyOutputIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().ServiceParameters(L"mynic");
  HANDLE key = OpenService();
  ULONG length = 0;
  EXPECT_THAT(CrashOf([&] {
                (void)ZwEnumerateKey(key, 0, KeyBasicInformation, Wild<void>(), 64, &length);
              }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildQueryPathIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  ULONG value = 0;
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"V");
  table[0].EntryContext = &value;
  EXPECT_THAT(CrashOf([&] {
                (void)RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, Wild<const WCHAR>(), table,
                                             nullptr, nullptr);
              }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildPathToCheckIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT(CrashOf([&] { (void)RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, Wild<WCHAR>()); }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildTableNameIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  ULONG value = 0;
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = Wild<WCHAR>();
  table[0].EntryContext = &value;
  EXPECT_THAT(CrashOf([&] {
                (void)RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"mynic", table, nullptr,
                                             nullptr);
              }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, AWildDefaultIsTheAccessViolationMeasuredOrSized) {
  for (const ULONG type : {ULONG{REG_SZ}, ULONG{REG_BINARY}}) {
    kemu::Machine machine(kemu::Os::kWindows10);
    machine.registry().Service(L"mynic");
    RTL_QUERY_REGISTRY_TABLE table[2] = {};
    UCHAR variable[64] = {};
    UNICODE_STRING text{};
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    table[0].Name = const_cast<PWSTR>(L"Missing");
    table[0].EntryContext = type == REG_SZ ? static_cast<void*>(&text) : variable;
    table[0].DefaultType = type;
    table[0].DefaultData = Wild<void>();
    table[0].DefaultLength = type == REG_SZ ? 0 : 16;
    EXPECT_THAT(CrashOf([&] {
                  (void)RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"mynic", table, nullptr,
                                               nullptr);
                }),
                AccessViolationAt(kWild))
        << type;
  }
}

TEST(RegistryWildPointerTest, AWildRtlValueNameIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  ULONG one = 1;
  EXPECT_THAT(CrashOf([&] {
                (void)RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic", Wild<const WCHAR>(),
                                            REG_DWORD, &one, sizeof one);
              }),
              AccessViolationAt(kWild));
}

TEST(RegistryWildPointerTest, TheSameArgumentsWellFormedAreSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic").Set(L"V", RegistryValue::Dword(1));
  HANDLE key = OpenService();
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"V");
  UCHAR buffer[64];
  ULONG length = 0;
  EXPECT_EQ(ZwQueryValueKey(key, &name, KeyValuePartialInformation, buffer, sizeof buffer, &length),
            STATUS_SUCCESS);
  ULONG value = 0;
  RTL_QUERY_REGISTRY_TABLE table[2] = {};
  table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  table[0].Name = const_cast<PWSTR>(L"Missing");
  table[0].EntryContext = &value;
  const ULONG fallback = 5;
  table[0].DefaultType = REG_DWORD;
  table[0].DefaultData = const_cast<ULONG*>(&fallback);
  table[0].DefaultLength = sizeof fallback;
  EXPECT_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"mynic", table, nullptr, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(value, 5u);
  EXPECT_EQ(
      RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic", L"W", REG_DWORD, &value, sizeof value),
      STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_FALSE(machine.crashed());
}

// X5: the kernel reads Length bytes at Buffer, NULL or not.
TEST(RegistryWildPointerTest, ACountedValueNameWithoutABufferIsTheAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  HANDLE key = OpenService();
  UNICODE_STRING name{8, 8, nullptr};
  ULONG one = 1;
  const kemu::BugCheck crash =
      CrashOf([&] { (void)ZwSetValueKey(key, &name, 0, REG_DWORD, &one, sizeof one); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusAccessViolation));
  EXPECT_TRUE(machine.registry().Service(L"mynic").empty()) << "no default value set";
}

TEST(RegistryWildPointerTest, ACountedObjectNameWithoutABufferIsTheAccessViolationWithARoot) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  HANDLE root = OpenService();
  UNICODE_STRING name{8, 8, nullptr};
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, root, nullptr);
  HANDLE key = nullptr;
  EXPECT_THAT(CrashOf([&] { (void)ZwOpenKey(&key, KEY_READ, &attributes); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusAccessViolation));
}

#if defined(__linux__)
// A path whose characters run into memory nothing maps, with no NUL before it: the access
// violation at the first unmapped address, found a page at a time.
TEST(RegistryWildPointerTest, APathRunningIntoUnmappedMemoryIsTheAccessViolationThere) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* pages = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(pages, MAP_FAILED);
  auto* base = static_cast<unsigned char*>(pages);
  mprotect(base + page, page, PROT_NONE);
  auto* text = reinterpret_cast<WCHAR*>(base + page) - 4;
  for (int i = 0; i < 4; ++i) text[i] = L'a';  // no NUL before the guard page
  EXPECT_THAT(CrashOf([&] { (void)RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, text); }),
              AccessViolationAt(reinterpret_cast<std::uintptr_t>(base + page)));
  munmap(base, 2 * page);
}
#endif  // defined(__linux__)

}  // namespace
