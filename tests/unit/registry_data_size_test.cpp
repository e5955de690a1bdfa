// A registry write whose stated size runs past the driver's buffer into memory nothing maps: the
// access violation of the kernel's copy, at the first unmapped address, never a fault of the test
// program (docs/kernel.md, "Registry"; audit round 14). Also kemu's probe of host memory that
// finds it (emu/model/host_memory.hpp).
#include <sys/mman.h>
#include <unistd.h>
#include <wdm.h>

#include <cstdint>
#include <cstring>

#include "kemu/testing/gtest.hpp"
#include "model/host_memory.hpp"

namespace {

#if defined(__linux__)

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kStatusAccessViolation = 0xC0000005;

// Two pages mapped, the second made unreadable (a guard page: unmapping it instead would let
// another mapping take its place): the first page's last bytes are followed by memory nothing can
// read. The probe finds such pages where the host has process_vm_readv (Linux).
class MappedPage {
 public:
  MappedPage() : size_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    void* pages =
        mmap(nullptr, 2 * size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(pages, MAP_FAILED);
    base_ = static_cast<unsigned char*>(pages);
    mprotect(base_ + size_, size_, PROT_NONE);
  }
  ~MappedPage() { munmap(base_, 2 * size_); }
  MappedPage(const MappedPage&) = delete;
  MappedPage& operator=(const MappedPage&) = delete;

  /// `bytes` at the end of the mapped page.
  unsigned char* Last(std::size_t bytes) { return base_ + size_ - bytes; }
  std::uintptr_t end() const { return reinterpret_cast<std::uintptr_t>(base_ + size_); }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  unsigned char* base_ = nullptr;
};

TEST(HostMemoryTest, FindsTheFirstUnmappedAddressOfARange) {
  MappedPage page;
  unsigned char* last = page.Last(4);
  EXPECT_EQ(kemu::model::FirstUnreadable(last, 4), std::nullopt);
  EXPECT_EQ(kemu::model::FirstUnreadable(last, 5), page.end());
  EXPECT_EQ(kemu::model::FirstUnreadable(last, 0x7FFFFFFF), page.end());
  EXPECT_EQ(kemu::model::FirstUnreadable(nullptr, 0), std::nullopt) << "nothing to read";
  EXPECT_EQ(kemu::model::FirstUnreadable(reinterpret_cast<void*>(page.end()), 1), page.end());
}

TEST(HostMemoryTest, ARangePastTheTopOfTheAddressSpaceIsUnreadable) {
  const auto* top = reinterpret_cast<const void*>(UINTPTR_MAX - 15);
  EXPECT_TRUE(kemu::model::FirstUnreadable(top, 64).has_value());
}

HANDLE OpenServiceKey() {
  UNICODE_STRING path;
  RtlInitUnicodeString(&path, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mynic");
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  EXPECT_EQ(ZwOpenKey(&key, KEY_ALL_ACCESS, &attributes), STATUS_SUCCESS);
  return key;
}

TEST(RegistryDataSizeTest, ZwSetValueKeyPastTheBufferIsTheAccessViolationOfItsCopy) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  HANDLE key = OpenServiceKey();
  MappedPage page;
  unsigned char* value_bytes = page.Last(sizeof(ULONG));
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"Speed");
  const kemu::BugCheck crash =
      CrashOf([&] { (void)ZwSetValueKey(key, &name, 0, REG_DWORD, value_bytes, 0x7FFFFFFF); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusAccessViolation,
                                0, 0, page.end()));
  EXPECT_THAT(crash.what(), HasSubstr("ZwSetValueKey was passed Data with a size of 2147483647"));
}

TEST(RegistryDataSizeTest, ZwSetValueKeyOfTheWholeBufferIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.registry().Service(L"mynic");
  HANDLE key = OpenServiceKey();
  MappedPage page;
  unsigned char* value_bytes = page.Last(sizeof(ULONG));
  const ULONG speed = 1000;
  std::memcpy(value_bytes, &speed, sizeof speed);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"Speed");
  EXPECT_EQ(ZwSetValueKey(key, &name, 0, REG_DWORD, value_bytes, sizeof(ULONG)), STATUS_SUCCESS);
  EXPECT_EQ(machine.registry().Service(L"mynic").Find(L"Speed")->dword(), 1000u);
  ZwClose(key);
  EXPECT_FALSE(machine.crashed());
}

TEST(RegistryDataSizeTest,
     RtlWriteRegistryValuePastTheBufferIsTheAccessViolationWithoutVerifierToo) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  machine.registry().Service(L"mynic");
  MappedPage page;
  unsigned char* value_bytes = page.Last(8);
  EXPECT_THAT(CrashOf([&] {
                (void)RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"mynic", L"Blob", REG_BINARY,
                                            value_bytes, 64);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kStatusAccessViolation, 0, 0,
                         page.end()));
}

#endif  // defined(__linux__)

}  // namespace
