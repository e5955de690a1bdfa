// <ntintsafe.h>: overflow-checked arithmetic and conversions give the exact result or
// STATUS_INTEGER_OVERFLOW with the type's error value stored, at the edges of every type family.
#include <gtest/gtest.h>
#include <ntintsafe.h>
#include <wdm.h>

#include <cstdint>
#include <limits>

namespace {

TEST(NtIntSafeTest, UnsignedAddSucceedsUpToTheMaximumAndFailsOnePast) {
  ULONG sum = 0;
  EXPECT_EQ(RtlULongAdd(0xFFFFFFF0UL, 0xF, &sum), STATUS_SUCCESS);
  EXPECT_EQ(sum, 0xFFFFFFFFUL);
  EXPECT_EQ(RtlULongAdd(0xFFFFFFF0UL, 0x10, &sum), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(sum, ULONG_ERROR);
  USHORT small = 0;
  EXPECT_EQ(RtlUShortAdd(0xFFFF, 1, &small), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(small, USHORT_ERROR);
  SIZE_T size = 0;
  EXPECT_EQ(RtlSizeTAdd(std::numeric_limits<SIZE_T>::max() - 1, 1, &size), STATUS_SUCCESS);
  EXPECT_EQ(size, std::numeric_limits<SIZE_T>::max());
  EXPECT_EQ(RtlSizeTAdd(std::numeric_limits<SIZE_T>::max(), 1, &size), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(size, SIZET_ERROR);
}

TEST(NtIntSafeTest, UnsignedSubBelowZeroIsAnOverflow) {
  ULONG difference = 7;
  EXPECT_EQ(RtlULongSub(5, 5, &difference), STATUS_SUCCESS);
  EXPECT_EQ(difference, 0u);
  EXPECT_EQ(RtlULongSub(5, 6, &difference), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(difference, ULONG_ERROR);
  ULONGLONG wide = 0;
  EXPECT_EQ(RtlULongLongSub(0, 1, &wide), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(wide, ULONGLONG_ERROR);
}

TEST(NtIntSafeTest, MultiplicationChecksTheFullProduct) {
  // The size computation a driver guards: count * sizeof(entry) in a ULONG.
  ULONG bytes = 0;
  EXPECT_EQ(RtlULongMult(0x10000, 0xFFFF, &bytes), STATUS_SUCCESS);
  EXPECT_EQ(bytes, 0xFFFF0000UL);
  EXPECT_EQ(RtlULongMult(0x10000, 0x10000, &bytes), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(bytes, ULONG_ERROR);
  SIZE_T size = 0;
  EXPECT_EQ(RtlSizeTMult(SIZE_T{1} << 32, SIZE_T{1} << 31, &size), STATUS_SUCCESS);
  EXPECT_EQ(RtlSizeTMult(SIZE_T{1} << 32, SIZE_T{1} << 32, &size), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlULongPtrMult(0, std::numeric_limits<ULONG_PTR>::max(), &size), STATUS_SUCCESS);
  EXPECT_EQ(size, 0u);
}

TEST(NtIntSafeTest, SignedArithmeticFailsAtBothEnds) {
  LONG result = 0;
  EXPECT_EQ(RtlLongAdd(std::numeric_limits<LONG>::max(), 1, &result), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(result, LONG_ERROR);
  EXPECT_EQ(RtlLongSub(std::numeric_limits<LONG>::min(), 1, &result), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlLongAdd(-5, 3, &result), STATUS_SUCCESS);
  EXPECT_EQ(result, -2);
  LONGLONG wide = 0;
  EXPECT_EQ(RtlLongLongMult(std::numeric_limits<LONGLONG>::min(), -1, &wide),
            STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(wide, LONGLONG_ERROR);
  int value = 0;
  EXPECT_EQ(RtlIntMult(-46341, 46341, &value), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlIntMult(-46340, 46340, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, -2147395600);
}

TEST(NtIntSafeTest, NarrowingConversionsKeepOnlyValuesTheTargetHolds) {
  ULONG narrow = 0;
  EXPECT_EQ(RtlULongLongToULong(0xFFFFFFFFULL, &narrow), STATUS_SUCCESS);
  EXPECT_EQ(narrow, 0xFFFFFFFFUL);
  EXPECT_EQ(RtlULongLongToULong(0x100000000ULL, &narrow), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(narrow, ULONG_ERROR);
  EXPECT_EQ(RtlSizeTToULong(SIZE_T{1} << 32, &narrow), STATUS_INTEGER_OVERFLOW);
  USHORT length = 0;
  EXPECT_EQ(RtlULongToUShort(0xFFFF, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 0xFFFF);
  EXPECT_EQ(RtlULongToUShort(0x10000, &length), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(length, USHORT_ERROR);
  LONG value = 0;
  EXPECT_EQ(RtlLongLongToLong(-2147483648LL, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, std::numeric_limits<LONG>::min());
  EXPECT_EQ(RtlLongLongToLong(-2147483649LL, &value), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(value, LONG_ERROR);
}

TEST(NtIntSafeTest, SignednessConversionsRejectNegativesAndTheUpperHalf) {
  ULONG unsigned_value = 0;
  EXPECT_EQ(RtlLongToULong(-1, &unsigned_value), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(unsigned_value, ULONG_ERROR);
  EXPECT_EQ(RtlLongToULong(std::numeric_limits<LONG>::max(), &unsigned_value), STATUS_SUCCESS);
  EXPECT_EQ(unsigned_value, 0x7FFFFFFFUL);
  LONG signed_value = 0;
  EXPECT_EQ(RtlULongToLong(0x80000000UL, &signed_value), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(signed_value, LONG_ERROR);
  EXPECT_EQ(RtlULongToLong(0x7FFFFFFFUL, &signed_value), STATUS_SUCCESS);
  SIZE_T size = 0;
  EXPECT_EQ(RtlLongLongToSizeT(-1, &size), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(size, SIZET_ERROR);
  SSIZE_T signed_size = 0;
  EXPECT_EQ(RtlSizeTToSSizeT(std::numeric_limits<SIZE_T>::max(), &signed_size),
            STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(signed_size, SSIZET_ERROR);
}

// The 16-bit conversions (audit round 13: missing, so a driver using them did not compile).
TEST(NtIntSafeTest, SixteenBitConversionsKeepOnlyValuesTheTargetHolds) {
  USHORT length = 0;
  EXPECT_EQ(RtlIntToUShort(0xFFFF, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 0xFFFFu);
  EXPECT_EQ(RtlIntToUShort(-1, &length), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(length, USHORT_ERROR);
  EXPECT_EQ(RtlShortToUShort(7, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 7u);
  EXPECT_EQ(RtlShortToUShort(-7, &length), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlLongLongToUShort(0x10000LL, &length), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlIntPtrToUShort(static_cast<LONG_PTR>(-2), &length), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(RtlUIntPtrToUShort(ULONG_PTR{0x1234}, &length), STATUS_SUCCESS);
  EXPECT_EQ(length, 0x1234u);
  EXPECT_EQ(RtlUIntPtrToUShort(ULONG_PTR{0x10000}, &length), STATUS_INTEGER_OVERFLOW);
  SHORT signed_length = 0;
  EXPECT_EQ(RtlUShortToShort(0x8000, &signed_length), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(signed_length, SHORT_ERROR);
  EXPECT_EQ(RtlUShortToShort(0x7FFF, &signed_length), STATUS_SUCCESS);
  EXPECT_EQ(signed_length, 0x7FFF);
  EXPECT_EQ(RtlUIntToShort(0x8000u, &signed_length), STATUS_INTEGER_OVERFLOW);
  ULONG value = 0;
  EXPECT_EQ(RtlShortToULong(-1, &value), STATUS_INTEGER_OVERFLOW);
  EXPECT_EQ(value, ULONG_ERROR);
  EXPECT_EQ(RtlShortToULong(32767, &value), STATUS_SUCCESS);
  EXPECT_EQ(value, 32767u);
}

}  // namespace
