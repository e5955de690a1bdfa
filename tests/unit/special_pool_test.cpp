// Special pool under Driver Verifier: a driver that writes past the end of its pool block, or
// before its start, is found when it frees the block (0xC1 SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION
// / 0x24, 0x23), and a driver that stays within its block is not (docs/verifier-rules.md).
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
constexpr std::uint64_t kNearbyBytesCorrupted = 0x23;

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

TEST(SpecialPoolTest, AByteWrittenJustBeforeTheBlockIsCorruptionFoundAtTheFree) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag));
  ASSERT_NE(block, nullptr);
  block[-1] = 1;
  const kemu::BugCheck crash = CrashOf([&] { ExFreePoolWithTag(block, kTag); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kSpecialPoolDetectedMemoryCorruption,
                                Address(block), Address(block - 1), 0, kNearbyBytesCorrupted));
  EXPECT_THAT(crash.what(), HasSubstr("wrote before its start"));
  EXPECT_THAT(crash.what(), HasSubstr("1 bytes before the block"));
}

TEST(SpecialPoolTest, AnUnderrunReportNamesTheChangedByteNearestTheBlock) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  // A page-sized block: its red zone is a page long.
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(PagedPool, 4096, kTag));
  ASSERT_NE(block, nullptr);
  block[-4096] = 0;
  block[-8] = 0;
  EXPECT_THAT(CrashOf([&] { ExFreePool(block); }),
              BugCheckIs(kemu::bugcheck::kSpecialPoolDetectedMemoryCorruption, Address(block),
                         Address(block - 8), 0, kNearbyBytesCorrupted));
}

TEST(SpecialPoolTest, WithoutVerifierAnUnderrunGoesUnseenAndKemuStaysWhole) {
  // A retail kernel finds a damaged header, or nothing, depending on what it overwrote; kemu
  // keeps the write in its own red zone, so the host allocator (and the test process) survive.
  for (const bool checked : {false, true}) {
    kemu::Machine machine(kemu::MachineOptions{.verifier = false, .checked_build = checked});
    for (const SIZE_T bytes : {SIZE_T{1}, SIZE_T{16}, SIZE_T{100}, SIZE_T{5000}}) {
      auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, bytes, kTag));
      ASSERT_NE(block, nullptr);
      std::memset(block - 16, 0x77, 16);
      std::memset(block + bytes, 0x77, 16);
      ExFreePool(block);
    }
    machine.Shutdown();
    EXPECT_FALSE(machine.crashed());
  }
}

}  // namespace
