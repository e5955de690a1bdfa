// ExAllocatePool2 (Windows 10 2004): zeroed by default, NULL for a zero tag or invalid flags,
// raising on failure only when asked, and absent before Windows 10. The WDK declares it only for
// NTDDI_WIN10_VB and later targets, as this file's driver-side target says.
#define NTDDI_VERSION 0x0A000008  // NTDDI_WIN10_VB
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr ULONG kTag = 0x756D656B;  // "kemu"

class Pool2Test : public kemu::testing::PersonalityTest {};

TEST_P(Pool2Test, ReturnsZeroedMemoryUnlessUninitializedIsAsked) {
  auto* zeroed = static_cast<unsigned char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, kTag));
  ASSERT_NE(zeroed, nullptr);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(zeroed[i], 0) << i;
  auto* raw = static_cast<unsigned char*>(
      ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, 40, kTag));
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(raw[0], 0xA5);
  ExFreePoolWithTag(zeroed, kTag);
  ExFreePoolWithTag(raw, kTag);
}

TEST_P(Pool2Test, AZeroTagOrInvalidFlagsReturnNull) {
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0), nullptr);
  EXPECT_EQ(ExAllocatePool2(0, 16, kTag), nullptr);  // no kind of pool
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, kTag), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x10, 16, kTag), nullptr);  // reserved
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(Pool2Test, UnknownOptionalFlagsAreIgnored) {
  PVOID block = ExAllocatePool2(POOL_FLAG_NON_PAGED | (POOL_FLAGS{1} << 40), 16, kTag);
  EXPECT_NE(block, nullptr);
  ExFreePool(block);
}

TEST_P(Pool2Test, RaiseOnFailureTurnsAFailureIntoAnUnhandledException) {
  EXPECT_THAT(
      CrashOf([] { ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 0); }),
      BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC000009A, 0, 0, 0));
}

TEST_P(Pool2Test, PagedPoolAtDispatchLevelIsTheSameIrqlRule) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { ExAllocatePool2(POOL_FLAG_PAGED, 16, kTag); }),
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kPagedPoolAboveApc, DISPATCH_LEVEL, PagedPool, 16));
}

INSTANTIATE_TEST_SUITE_P(Windows10On, Pool2Test, kemu::testing::OsFrom(kemu::Os::kWindows10),
                         kemu::testing::OsName());

TEST(Pool2AvailabilityTest, WindowsBefore10LackExAllocatePool2) {
  kemu::Machine machine(kemu::Os::kWindows81);
  try {
    ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, kTag);
    ADD_FAILURE() << "ExAllocatePool2 returned on Windows 8.1";
  } catch (const kemu::MissingExport& missing) {
    EXPECT_EQ(missing.routine(), "ExAllocatePool2");
    EXPECT_THAT(missing.what(), HasSubstr("Windows 8.1"));
  }
}

}  // namespace
