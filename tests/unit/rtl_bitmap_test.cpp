// Bitmap variables (emu/abi/rtl_bitmap.cpp): the routines read and write the driver's bits in
// place as their pages describe; a range past the bitmap, a misaligned or short buffer is kemu's
// 0xC4 / 0x4B450025, and a bitmap in paged pool limits the caller to APC_LEVEL.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace rule = ::kemu::bitmap_rule;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr ULONG kNotFound = 0xFFFFFFFF;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class BitmapTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    RtlInitializeBitMap(&bitmap_, bits_, 70);  // three ULONGs, the last one partly used
    RtlClearAllBits(&bitmap_);
  }

  ULONG bits_[3] = {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
  RTL_BITMAP bitmap_{};
};

TEST_P(BitmapTest, InitializeWritesTheHeaderAndLeavesTheBitsAlone) {
  ULONG bits[2] = {0x12345678, 0x9};
  RTL_BITMAP bitmap;
  RtlInitializeBitMap(&bitmap, bits, 40);
  EXPECT_EQ(bitmap.SizeOfBitMap, 40u);
  EXPECT_EQ(bitmap.Buffer, bits);
  EXPECT_EQ(bits[0], 0x12345678u);
  EXPECT_EQ(bits[1], 0x9u);
  EXPECT_EQ(sizeof(RTL_BITMAP), 16u);  // Windows x64: the buffer pointer at offset 8
}

TEST_P(BitmapTest, BitsLiveInUlongsLowBitFirstAndTheCountsFollowThem) {
  RtlSetBits(&bitmap_, 30, 4);  // across the first two ULONGs
  EXPECT_EQ(bits_[0], 0xC0000000u);
  EXPECT_EQ(bits_[1], 0x3u);
  EXPECT_EQ(RtlNumberOfSetBits(&bitmap_), 4u);
  EXPECT_EQ(RtlNumberOfClearBits(&bitmap_), 66u);
  EXPECT_EQ(RtlCheckBit(&bitmap_, 31), 1u);
  EXPECT_EQ(RtlCheckBit(&bitmap_, 34), 0u);
  RtlClearBits(&bitmap_, 31, 2);
  EXPECT_EQ(bits_[0], 0x40000000u);
  EXPECT_EQ(bits_[1], 0x2u);
  // Only the bitmap's bits: the last ULONG's bits past bit 69 are not the bitmap's.
  RtlSetAllBits(&bitmap_);
  EXPECT_EQ(bits_[2] & 0x3F, 0x3Fu);
  EXPECT_EQ(bits_[2] >> 6, 0x3FFFFFFu);  // as SetUp left them: the clear did not touch them
  EXPECT_EQ(RtlNumberOfSetBits(&bitmap_), 70u);
}

TEST_P(BitmapTest, SingleBitRoutinesExistFromWindowsXp) {
  if (machine().os() < kemu::Os::kWindowsXP) {
    EXPECT_THROW(RtlSetBit(&bitmap_, 69), kemu::MissingExport);
    return;
  }
  RtlSetBit(&bitmap_, 69);
  EXPECT_TRUE(RtlTestBit(&bitmap_, 69));
  EXPECT_EQ(bits_[2] & 0x3F, 0x20u);
  RtlClearBit(&bitmap_, 69);
  EXPECT_FALSE(RtlTestBit(&bitmap_, 69));
}

TEST_P(BitmapTest, FindClearBitsSearchesFromTheHintThenFromTheStart) {
  RtlSetBits(&bitmap_, 0, 10);
  RtlSetBits(&bitmap_, 12, 50);  // clear: 10-11 and 62-69
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 2, 0), 10u);
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 2, 11), 62u);  // from the hint on first
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 3, 0), 62u);   // 10-11 is too short
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 2, 69), 10u);  // nothing after the hint: the start
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 9, 0), kNotFound);
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 71, 0), kNotFound);
  EXPECT_EQ(RtlFindSetBits(&bitmap_, 50, 30), 12u);    // a run that starts before the hint
  EXPECT_EQ(RtlFindClearBits(&bitmap_, 1, 500), 10u);  // a hint past the end starts at 0
}

TEST_P(BitmapTest, FindClearBitsAndSetHandsOutEveryTagOnceThenNotFound) {
  for (ULONG tag = 0; tag < 70; ++tag) ASSERT_EQ(RtlFindClearBitsAndSet(&bitmap_, 1, 0), tag);
  EXPECT_EQ(RtlFindClearBitsAndSet(&bitmap_, 1, 0), kNotFound);
  RtlClearBits(&bitmap_, 33, 1);
  EXPECT_EQ(RtlFindClearBitsAndSet(&bitmap_, 1, 5), 33u);
  EXPECT_EQ(RtlFindSetBitsAndClear(&bitmap_, 3, 67), 67u);
  EXPECT_TRUE(RtlAreBitsClear(&bitmap_, 67, 3));
  // From 68 only two bits are left before the end, and a run never wraps: the search restarts.
  EXPECT_EQ(RtlFindSetBitsAndClear(&bitmap_, 3, 68), 0u);
}

TEST_P(BitmapTest, AreBitsClearOrSetIsFalseForZeroLengthOrARangeOutsideTheBitmap) {
  EXPECT_TRUE(RtlAreBitsClear(&bitmap_, 0, 70));
  EXPECT_FALSE(RtlAreBitsClear(&bitmap_, 0, 0));
  EXPECT_FALSE(RtlAreBitsClear(&bitmap_, 60, 11));
  RtlSetBits(&bitmap_, 5, 3);
  EXPECT_TRUE(RtlAreBitsSet(&bitmap_, 5, 3));
  EXPECT_FALSE(RtlAreBitsSet(&bitmap_, 4, 3));
  EXPECT_FALSE(RtlAreBitsClear(&bitmap_, 0, 6));
  EXPECT_FALSE(RtlAreBitsSet(&bitmap_, 0xFFFFFFFF, 2));
  EXPECT_FALSE(machine().crashed());
}

TEST_P(BitmapTest, RunsOfClearBitsForwardBackwardFirstAndLongest) {
  RtlSetBits(&bitmap_, 0, 3);
  RtlSetBits(&bitmap_, 8, 2);
  RtlSetBits(&bitmap_, 30, 40);  // clear: 3-7 (5), 10-29 (20)
  ULONG start = 99;
  EXPECT_EQ(RtlFindFirstRunClear(&bitmap_, &start), 5u);
  EXPECT_EQ(start, 3u);
  EXPECT_EQ(RtlFindNextForwardRunClear(&bitmap_, 6, &start), 2u);
  EXPECT_EQ(start, 6u);
  EXPECT_EQ(RtlFindNextForwardRunClear(&bitmap_, 8, &start), 20u);
  EXPECT_EQ(start, 10u);
  EXPECT_EQ(RtlFindNextForwardRunClear(&bitmap_, 30, &start), 0u);
  EXPECT_EQ(RtlFindLastBackwardRunClear(&bitmap_, 69, &start), 20u);
  EXPECT_EQ(start, 10u);
  EXPECT_EQ(RtlFindLastBackwardRunClear(&bitmap_, 9, &start), 5u);
  EXPECT_EQ(start, 3u);
  EXPECT_EQ(RtlFindLongestRunClear(&bitmap_, &start), 20u);
  EXPECT_EQ(start, 10u);
  RtlSetAllBits(&bitmap_);
  EXPECT_EQ(RtlFindLongestRunClear(&bitmap_, &start), 0u);
  EXPECT_EQ(RtlFindFirstRunClear(&bitmap_, &start), 0u);
}

TEST_P(BitmapTest, FindClearRunsGivesTheFirstRunsInOrderOrTheLongestLongestFirst) {
  RtlSetBits(&bitmap_, 0, 3);
  RtlSetBits(&bitmap_, 8, 2);
  RtlSetBits(&bitmap_, 30, 30);
  RtlSetBits(&bitmap_, 62, 1);  // clear: 3-7 (5), 10-29 (20), 60-61 (2), 63-69 (7)
  RTL_BITMAP_RUN runs[3] = {};
  ASSERT_EQ(RtlFindClearRuns(&bitmap_, runs, 3, FALSE), 3u);
  EXPECT_EQ(runs[0].StartingIndex, 3u);
  EXPECT_EQ(runs[0].NumberOfBits, 5u);
  EXPECT_EQ(runs[1].StartingIndex, 10u);
  EXPECT_EQ(runs[1].NumberOfBits, 20u);
  EXPECT_EQ(runs[2].StartingIndex, 60u);
  EXPECT_EQ(runs[2].NumberOfBits, 2u);
  ASSERT_EQ(RtlFindClearRuns(&bitmap_, runs, 3, TRUE), 3u);
  EXPECT_EQ(runs[0].StartingIndex, 10u);
  EXPECT_EQ(runs[0].NumberOfBits, 20u);
  EXPECT_EQ(runs[1].StartingIndex, 63u);
  EXPECT_EQ(runs[1].NumberOfBits, 7u);
  EXPECT_EQ(runs[2].StartingIndex, 3u);
  EXPECT_EQ(runs[2].NumberOfBits, 5u);
  RTL_BITMAP_RUN all[8] = {};
  EXPECT_EQ(RtlFindClearRuns(&bitmap_, all, 8, TRUE), 4u) << "a single bit or two is a run too";
  EXPECT_EQ(all[3].NumberOfBits, 2u);
  EXPECT_EQ(RtlFindClearRuns(&bitmap_, nullptr, 0, FALSE), 0u) << "no room: nothing written";
  RtlSetAllBits(&bitmap_);
  EXPECT_EQ(RtlFindClearRuns(&bitmap_, all, 8, FALSE), 0u);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(BitmapTest, ANullRunArrayWithRoomIsAnAccessViolation) {
  RTL_BITMAP_RUN* runs = nullptr;
  const kemu::BugCheck crash = CrashOf([&] { (void)RtlFindClearRuns(&bitmap_, runs, 2, TRUE); });
  EXPECT_THAT(crash.what(), HasSubstr("RtlFindClearRuns was passed NULL for RunArray"));
}

TEST_P(BitmapTest, NumberOfSetBitsUlongPtrCountsAllSixtyFourBitsFromWindows7) {
  if (machine().os() < kemu::Os::kWindows7) {
    EXPECT_THROW(RtlNumberOfSetBitsUlongPtr(1), kemu::MissingExport);
    return;
  }
  EXPECT_EQ(RtlNumberOfSetBitsUlongPtr(0), 0u);
  EXPECT_EQ(RtlNumberOfSetBitsUlongPtr(0x8000000000000001ull), 2u);
  EXPECT_EQ(RtlNumberOfSetBitsUlongPtr(0xF0F0), 8u);
  EXPECT_EQ(RtlNumberOfSetBitsUlongPtr(~ULONG_PTR{0}), 64u);
}

TEST_P(BitmapTest, ARangePastTheBitmapIsReportedAndNothingIsWritten) {
  const kemu::BugCheck crash = CrashOf([&] { RtlSetBits(&bitmap_, 60, 11); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kBitmap, Address(&bitmap_),
                                rule::kOutOfRange, 71));
  EXPECT_THAT(crash.what(), HasSubstr("bits 60 to 70 of the bitmap"));
  EXPECT_EQ(bits_[1], 0u);
  EXPECT_EQ(bits_[2] & 0x3F, 0u);
}

TEST_P(BitmapTest, AZeroCountAtTheEndIsNothingToDo) {
  RtlClearBits(&bitmap_, 70, 0);
  RtlSetBits(&bitmap_, 500, 0);
  EXPECT_FALSE(machine().crashed());
  EXPECT_EQ(RtlNumberOfSetBits(&bitmap_), 0u);
}

TEST_P(BitmapTest, AStartingIndexNearTheTopDoesNotWrapIntoTheBitmap) {
  EXPECT_THAT(CrashOf([&] { RtlClearBits(&bitmap_, 0xFFFFFFFF, 2); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kBitmap, Address(&bitmap_),
                         rule::kOutOfRange, std::uint64_t{0xFFFFFFFF} + 2));
}

TEST_P(BitmapTest, AMisalignedBufferIsReported) {
  alignas(8) unsigned char raw[16] = {};
  RTL_BITMAP bitmap;
  EXPECT_THAT(CrashOf([&] { RtlInitializeBitMap(&bitmap, reinterpret_cast<PULONG>(raw + 2), 32); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kBitmap, Address(&bitmap),
                         rule::kMisalignedBuffer, Address(raw + 2)));
}

TEST_P(BitmapTest, ABufferInAPoolBlockTooSmallForTheBitsIsReported) {
  auto* bits = static_cast<PULONG>(ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'pmtB'));
  ASSERT_NE(bits, nullptr);
  RTL_BITMAP bitmap;
  RtlInitializeBitMap(&bitmap, bits, 64);  // exactly the block: silent
  EXPECT_FALSE(machine().crashed());
  const kemu::BugCheck crash = CrashOf([&] { RtlInitializeBitMap(&bitmap, bits + 1, 64); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kBitmap, Address(&bitmap),
                                rule::kBufferTooSmall, 4));
  EXPECT_THAT(crash.what(), HasSubstr("64 bits, which take 8 bytes"));
}

// Each routine's page: at any IRQL while the bitmap and header are resident, at APC_LEVEL or
// below when either is pageable.
TEST_P(BitmapTest, ABitmapInNonPagedMemoryWorksAtDispatchLevel) {
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(RtlFindClearBitsAndSet(&bitmap_, 4, 0), 0u);
  RtlClearBits(&bitmap_, 0, 4);
  KeLowerIrql(old);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(BitmapTest, ABitmapInPagedPoolAtDispatchLevelIsAnIrqlViolation) {
  auto* bits = static_cast<PULONG>(ExAllocatePoolWithTag(PagedPool, 16, 'pmtB'));
  ASSERT_NE(bits, nullptr);
  RTL_BITMAP bitmap;
  RtlInitializeBitMap(&bitmap, bits, 128);
  RtlClearAllBits(&bitmap);  // at PASSIVE_LEVEL: silent
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] { (void)RtlFindClearBitsAndSet(&bitmap, 1, 0); });
  EXPECT_THAT(crash.what(), HasSubstr("RtlFindClearBitsAndSet was called at IRQL 2"));
  EXPECT_EQ(crash.code(), machine().os() >= kemu::Os::kWindowsVista
                              ? kVerifier
                              : kemu::bugcheck::kIrqlNotLessOrEqual);
}

TEST_P(BitmapTest, InitializingAtDispatchLevelIsAllowedFromWindows8) {
  ULONG bits[1];
  RTL_BITMAP bitmap;
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  if (machine().os() >= kemu::Os::kWindows8) {
    RtlInitializeBitMap(&bitmap, bits, 32);
    KeLowerIrql(old);
    EXPECT_FALSE(machine().crashed());
    return;
  }
  const kemu::BugCheck crash = CrashOf([&] { RtlInitializeBitMap(&bitmap, bits, 32); });
  EXPECT_THAT(crash.what(), HasSubstr("RtlInitializeBitMap was called at IRQL 2"));
}

TEST_P(BitmapTest, ANullHeaderIsAnAccessViolation) {
  const kemu::BugCheck crash = CrashOf([&] { RtlClearAllBits(nullptr); });
  EXPECT_THAT(crash.what(), HasSubstr("RtlClearAllBits was passed NULL for BitMapHeader"));
}

TEST_P(BitmapTest, ANullRunIndexPointerIsAnAccessViolation) {
  const kemu::BugCheck crash = CrashOf([&] { (void)RtlFindLongestRunClear(&bitmap_, nullptr); });
  EXPECT_THAT(crash.what(), HasSubstr("RtlFindLongestRunClear was passed NULL for StartingIndex"));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, BitmapTest, kemu::testing::AllOs(), kemu::testing::OsName());

}  // namespace
