// The zeroing pool helpers and ExInitializeDriverRuntime (kemu_wdk_mm.h,
// kemu_wdk_driver_runtime.h; docs/kernel.md, "Pool"): the kernel zeroes a block on request from
// Windows 10 version 2004 on, a driver that also runs on older releases follows the
// POOL_ZERO_DOWN_LEVEL_SUPPORT recipe, and POOL_NX_OPTIN makes NonPagedPool Nx from Windows 8 on
// (audit round 15, O5: the recipe did not compile).
#include <wdm.h>

#include <cstddef>

#include "kemu/testing/gtest.hpp"

extern "C" {
void PoolZeroDownLevelInitialize(void);
BOOLEAN PoolZeroDownLevelNative(void);
void PoolZeroDownLevelReset(void);
PVOID PoolZeroDownLevelAllocate(int Helper, SIZE_T NumberOfBytes, ULONG Tag);
void PoolNxOptInInitialize(ULONG RuntimeFlags);
POOL_TYPE PoolNxOptInNonPagedPool(void);
ULONG PoolNxOptInMdlProtection(void);
void PoolNxOptInReset(void);
}

namespace {

constexpr ULONG kTag = 0x6F72655A;  // "Zero"
constexpr SIZE_T kBytes = 48;
// Pool kemu hands out uninitialised holds this byte (pool_test.cpp).
constexpr unsigned char kUninitialisedFill = 0xA5;

class PoolZeroHelpersTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    kemu::testing::PersonalityTest::SetUp();
    PoolZeroDownLevelReset();
    PoolNxOptInReset();
  }
  // Windows 10 version 2004 and later zero a block whose type carries POOL_ZERO_ALLOCATION.
  bool KernelZeroes() const { return GetParam() >= kemu::Os::kWindows10; }
  bool NxPool() const { return GetParam() >= kemu::Os::kWindows8; }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, PoolZeroHelpersTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// Every byte of Block is Byte.
testing::AssertionResult Holds(PVOID block, unsigned char byte) {
  const auto* bytes = static_cast<const unsigned char*>(block);
  for (std::size_t i = 0; i < kBytes; ++i) {
    if (bytes[i] != byte) {
      return testing::AssertionFailure()
             << "byte " << i << " is " << int{bytes[i]} << ", not " << int{byte};
    }
  }
  return testing::AssertionSuccess();
}

TEST_P(PoolZeroHelpersTest, TheDownLevelRecipeZeroesOnEveryRelease) {
  PoolZeroDownLevelInitialize();
  EXPECT_EQ(PoolZeroDownLevelNative(), KernelZeroes() ? TRUE : FALSE);
  for (int helper = 0; helper < 3; ++helper) {
    PVOID block = PoolZeroDownLevelAllocate(helper, kBytes, kTag);
    ASSERT_NE(block, nullptr) << helper;
    EXPECT_TRUE(Holds(block, 0)) << helper;
    ExFreePoolWithTag(block, kTag);
  }
}

// Without ExInitializeDriverRuntime the helpers cannot know the kernel zeroes, so they zero.
TEST_P(PoolZeroHelpersTest, TheRecipeWithoutExInitializeDriverRuntimeStillZeroes) {
  PVOID block = PoolZeroDownLevelAllocate(0, kBytes, kTag);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(PoolZeroDownLevelNative(), FALSE);
  EXPECT_TRUE(Holds(block, 0));
  ExFreePoolWithTag(block, kTag);
}

// This file is built without POOL_ZERO_DOWN_LEVEL_SUPPORT: the helpers rely on the kernel, and
// a kernel before Windows 10 version 2004 hands the block out as it is.
TEST_P(PoolZeroHelpersTest, WithoutTheRecipeOnlyWindows10AndLaterZero) {
  const unsigned char expected = KernelZeroes() ? 0 : kUninitialisedFill;
  PVOID zero = ExAllocatePoolZero(NonPagedPoolNx, kBytes, kTag);
  PVOID quota = ExAllocatePoolQuotaZero(PagedPool, kBytes, kTag);
  PVOID priority = ExAllocatePoolPriorityZero(PagedPool, kBytes, kTag, HighPoolPriority);
  for (PVOID block : {zero, quota, priority}) {
    ASSERT_NE(block, nullptr);
    EXPECT_TRUE(Holds(block, expected));
    ExFreePoolWithTag(block, kTag);
  }
}

TEST_P(PoolZeroHelpersTest, TheUninitializedHelpersNeverZero) {
  PVOID plain = ExAllocatePoolUninitialized(NonPagedPoolNx, kBytes, kTag);
  PVOID quota = ExAllocatePoolQuotaUninitialized(PagedPool, kBytes, kTag);
  PVOID priority = ExAllocatePoolPriorityUninitialized(PagedPool, kBytes, kTag, LowPoolPriority);
  for (PVOID block : {plain, quota, priority}) {
    ASSERT_NE(block, nullptr);
    EXPECT_TRUE(Holds(block, kUninitialisedFill));
    ExFreePoolWithTag(block, kTag);
  }
}

TEST_P(PoolZeroHelpersTest, TheNxOptInMakesNonPagedPoolNxFromWindows8On) {
  EXPECT_EQ(PoolNxOptInNonPagedPool(), NonPagedPoolExecute);
  PoolNxOptInInitialize(DrvRtPoolNxOptIn);
  EXPECT_EQ(PoolNxOptInNonPagedPool(), NxPool() ? NonPagedPoolNx : NonPagedPoolExecute);
  EXPECT_EQ(PoolNxOptInMdlProtection(), NxPool() ? ULONG{MdlMappingNoExecute} : 0u);
}

TEST_P(PoolZeroHelpersTest, TheNxOptInNeedsItsRuntimeFlag) {
  PoolNxOptInInitialize(0);
  EXPECT_EQ(PoolNxOptInNonPagedPool(), NonPagedPoolExecute);
  EXPECT_EQ(PoolNxOptInMdlProtection(), 0u);
}

}  // namespace
