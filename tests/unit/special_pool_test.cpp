// Special pool under Driver Verifier: a driver that writes past the end of its pool block is
// found when it frees the block (0xC1 SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION / 0x24), and a
// driver that stays within its block is not (docs/verifier-rules.md).
#include <wdm.h>

#include <cstdint>
#include <cstring>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr ULONG kTag = 0x756D656B;  // "kemu"
constexpr std::uint64_t kOverrun = 0x24;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

TEST(SpecialPoolTest, AUlongWrittenPastASixteenByteBlockIsCorruptionFoundAtTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 16, kTag));
  ASSERT_NE(block, nullptr);
  const ULONG past_end = 0x12345678;
  std::memcpy(block + 16, &past_end, sizeof past_end);
  const kemu::BugCheck crash = CrashOf([&] { ExFreePoolWithTag(block, kTag); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kSpecialPoolDetectedMemoryCorruption,
                                Address(block), Address(block + 16), 0, kOverrun));
  EXPECT_THAT(crash.what(), HasSubstr("wrote past its end"));
  EXPECT_THAT(crash.what(), HasSubstr("offset 16 of the block"));
}

TEST(SpecialPoolTest, AByteWrittenIntoTheRestOfTheLastUnitIsFoundToo) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 13, kTag));
  ASSERT_NE(block, nullptr);
  block[13] = 0;
  EXPECT_THAT(CrashOf([&] { ExFreePool(block); }),
              BugCheckIs(kemu::bugcheck::kSpecialPoolDetectedMemoryCorruption, Address(block),
                         Address(block + 13), 0, kOverrun));
}

TEST(SpecialPoolTest, ADriverThatStaysWithinItsBlockIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 13, kTag));
  ASSERT_NE(block, nullptr);
  std::memset(block, 0xFF, 13);
  ExFreePoolWithTag(block, kTag);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(SpecialPoolTest, WithoutVerifierNothingChecksTheBytesAfterTheBlock) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false, .checked_build = false});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 13, kTag));
  ASSERT_NE(block, nullptr);
  block[13] = 0;  // still inside the 16-byte unit the kernel handed out
  ExFreePool(block);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
