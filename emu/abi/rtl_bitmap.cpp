// Bitmap variables (RTL_BITMAP; docs/kernel.md, "Bitmaps"). The bits are the driver's: these
// routines read and write its buffer in place. Every index is checked against SizeOfBitMap first,
// so a range past the bitmap is kemu's report (0xC4 / 0x4B450025), never a write past the buffer;
// and a bitmap or header in paged pool limits the caller to APC_LEVEL, as each routine's page says.
#include <wdm.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

#include "abi/entry.hpp"
#include "kemu/bugcheck.hpp"

namespace {

using kemu::model::Kernel;
constexpr ULONG kNotFound = 0xFFFFFFFF;
constexpr ULONG kBitsPerWord = 32;

bool Bit(const RTL_BITMAP& bitmap, ULONG index) {
  return ((bitmap.Buffer[index / kBitsPerWord] >> (index % kBitsPerWord)) & 1U) != 0;
}

void Write(RTL_BITMAP& bitmap, ULONG index, bool value) {
  const ULONG mask = 1U << (index % kBitsPerWord);
  ULONG& word = bitmap.Buffer[index / kBitsPerWord];
  word = value ? (word | mask) : (word & ~mask);
}

void WriteRange(RTL_BITMAP& bitmap, ULONG start, ULONG count, bool value) {
  for (ULONG i = start; i < start + count; ++i) Write(bitmap, i, value);
}

bool RangeIs(const RTL_BITMAP& bitmap, ULONG start, ULONG count, bool value) {
  for (ULONG i = start; i < start + count; ++i) {
    if (Bit(bitmap, i) != value) return false;
  }
  return true;
}

// In paged pool, the bitmap may be paged out: its routines then run at APC_LEVEL or below.
bool Pageable(Kernel& kernel, const void* address) {
  const auto extent = kernel.pool().ExtentOf(address);
  return extent.has_value() && extent->paged;
}

// The checks every routine but RtlInitializeBitMap makes on the header it is given.
RTL_BITMAP& Header(Kernel& kernel, const char* routine, PRTL_BITMAP header) {
  kernel.verifier().Dereferenced(routine, header, "BitMapHeader");
  if (kernel.irql().Current() > APC_LEVEL &&
      (Pageable(kernel, header) || Pageable(kernel, header->Buffer))) {
    kemu::abi::AtMost(kernel, routine, APC_LEVEL);
  }
  return *header;
}

// The run routines' index pointer, which they write.
PULONG IndexOut(Kernel& kernel, const char* routine, PULONG index, const char* parameter) {
  kernel.verifier().Dereferenced(routine, index, parameter);
  return index;
}

// [start, start + count) must lie inside the bitmap.
void CheckRange(Kernel& kernel, const char* routine, const RTL_BITMAP& bitmap, ULONG start,
                std::uint64_t count) {
  if (std::uint64_t{start} + count > bitmap.SizeOfBitMap) {
    kernel.verifier().BitmapOutOfRange(routine, &bitmap, start, count);
  }
}

// The first index of `count` bits equal to `value` at or after `from` that end at or before
// `limit` (exclusive), or nullopt.
std::optional<ULONG> FindRun(const RTL_BITMAP& bitmap, ULONG count, bool value, ULONG from,
                             ULONG limit) {
  ULONG run = 0;
  for (ULONG i = from; i < limit; ++i) {
    run = Bit(bitmap, i) == value ? run + 1 : 0;
    if (run == count) return i + 1 - count;
  }
  return std::nullopt;
}

// RtlFind{Clear,Set}Bits: from the hint to the end, then from the start; a run never wraps.
ULONG Find(const RTL_BITMAP& bitmap, ULONG count, bool value, ULONG hint) {
  const ULONG size = bitmap.SizeOfBitMap;
  if (count > size) return kNotFound;
  // Nothing to find: the hint itself (UNCONFIRMED what Windows returns; documented for no case).
  if (count == 0) return hint < size ? hint : 0;
  if (hint >= size) hint = 0;
  if (const auto found = FindRun(bitmap, count, value, hint, size)) return *found;
  // Runs that start before the hint may run on past it.
  const ULONG limit =
      static_cast<ULONG>(std::min<std::uint64_t>(size, std::uint64_t{hint} + count));
  if (const auto found = FindRun(bitmap, count, value, 0, limit)) return *found;
  return kNotFound;
}

// RtlFind{Clear,Set}BitsAnd{Set,Clear}: the run found is flipped to the other value.
ULONG FindAndFlip(RTL_BITMAP& bitmap, ULONG count, bool value, ULONG hint) {
  const ULONG found = Find(bitmap, count, value, hint);
  if (found != kNotFound) WriteRange(bitmap, found, count, !value);
  return found;
}

// RtlAreBits{Clear,Set}: a zero length or a range not inside the bitmap is FALSE (their pages),
// not misuse.
BOOLEAN AreBits(const RTL_BITMAP& bitmap, ULONG start, ULONG length, bool value) {
  if (length == 0 || std::uint64_t{start} + length > bitmap.SizeOfBitMap) return FALSE;
  return RangeIs(bitmap, start, length, value) ? TRUE : FALSE;
}

ULONG Count(const RTL_BITMAP& bitmap, bool value) {
  ULONG count = 0;
  for (ULONG i = 0; i < bitmap.SizeOfBitMap; ++i) count += Bit(bitmap, i) == value ? 1 : 0;
  return count;
}

// The clear run at or after `from`: its length (0 when there is none) and first index.
ULONG ForwardRunClear(const RTL_BITMAP& bitmap, ULONG from, PULONG start) {
  ULONG i = from;
  while (i < bitmap.SizeOfBitMap && Bit(bitmap, i)) ++i;
  *start = i < bitmap.SizeOfBitMap ? i : bitmap.SizeOfBitMap;
  ULONG length = 0;
  while (i < bitmap.SizeOfBitMap && !Bit(bitmap, i)) {
    ++length;
    ++i;
  }
  return length;
}

}  // namespace

extern "C" {

VOID RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap) {
  static constexpr const char* kRoutine = "RtlInitializeBitMap";
  Kernel& kernel = KEMU_ENTER(RtlInitializeBitMap, KEMU_ARG(BitMapHeader), KEMU_ARG(BitMapBuffer),
                              KEMU_ARG(SizeOfBitMap));
  // The routine itself was pageable through Windows 7; from Windows 8 it runs at any IRQL when
  // the header is resident (its page).
  if (kernel.personality().os <= kemu::Os::kWindows7 || Pageable(kernel, BitMapHeader)) {
    kemu::abi::AtMost(kernel, kRoutine, APC_LEVEL);
  }
  kernel.verifier().Dereferenced(kRoutine, BitMapHeader, "BitMapHeader");
  const auto address = reinterpret_cast<std::uintptr_t>(BitMapBuffer);
  if (address % alignof(ULONG) != 0) {
    kernel.verifier().BitmapBufferMisaligned(kRoutine, BitMapHeader, BitMapBuffer);
  }
  // A buffer in a pool block must hold every ULONG the bitmap's bits touch.
  const std::uint64_t bytes =
      (std::uint64_t{SizeOfBitMap} + kBitsPerWord - 1) / kBitsPerWord * sizeof(ULONG);
  if (const auto extent = kernel.pool().ExtentOf(BitMapBuffer);
      extent.has_value() && address - extent->base + bytes > extent->bytes) {
    kernel.verifier().BitmapBufferTooSmall(kRoutine, BitMapHeader, SizeOfBitMap,
                                           extent->bytes - (address - extent->base));
  }
  // Only the header is written: the bits are left as they are (its page).
  BitMapHeader->SizeOfBitMap = SizeOfBitMap;
  BitMapHeader->Buffer = BitMapBuffer;
}

VOID RtlClearAllBits(PRTL_BITMAP BitMapHeader) {
  Kernel& kernel = KEMU_ENTER(RtlClearAllBits, KEMU_ARG(BitMapHeader));
  RTL_BITMAP& bitmap = Header(kernel, "RtlClearAllBits", BitMapHeader);
  WriteRange(bitmap, 0, bitmap.SizeOfBitMap, false);
}

VOID RtlSetAllBits(PRTL_BITMAP BitMapHeader) {
  Kernel& kernel = KEMU_ENTER(RtlSetAllBits, KEMU_ARG(BitMapHeader));
  RTL_BITMAP& bitmap = Header(kernel, "RtlSetAllBits", BitMapHeader);
  WriteRange(bitmap, 0, bitmap.SizeOfBitMap, true);
}

VOID RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear) {
  Kernel& kernel = KEMU_ENTER(RtlClearBits, KEMU_ARG(BitMapHeader), KEMU_ARG(StartingIndex),
                              KEMU_ARG(NumberToClear));
  RTL_BITMAP& bitmap = Header(kernel, "RtlClearBits", BitMapHeader);
  if (NumberToClear == 0) return;  // its page: nothing to clear
  CheckRange(kernel, "RtlClearBits", bitmap, StartingIndex, NumberToClear);
  WriteRange(bitmap, StartingIndex, NumberToClear, false);
}

VOID RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet) {
  Kernel& kernel = KEMU_ENTER(RtlSetBits, KEMU_ARG(BitMapHeader), KEMU_ARG(StartingIndex),
                              KEMU_ARG(NumberToSet));
  RTL_BITMAP& bitmap = Header(kernel, "RtlSetBits", BitMapHeader);
  if (NumberToSet == 0) return;
  CheckRange(kernel, "RtlSetBits", bitmap, StartingIndex, NumberToSet);
  WriteRange(bitmap, StartingIndex, NumberToSet, true);
}

VOID RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber) {
  Kernel& kernel = KEMU_ENTER(RtlClearBit, KEMU_ARG(BitMapHeader), KEMU_ARG(BitNumber));
  RTL_BITMAP& bitmap = Header(kernel, "RtlClearBit", BitMapHeader);
  CheckRange(kernel, "RtlClearBit", bitmap, BitNumber, 1);
  Write(bitmap, BitNumber, false);
}

VOID RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber) {
  Kernel& kernel = KEMU_ENTER(RtlSetBit, KEMU_ARG(BitMapHeader), KEMU_ARG(BitNumber));
  RTL_BITMAP& bitmap = Header(kernel, "RtlSetBit", BitMapHeader);
  CheckRange(kernel, "RtlSetBit", bitmap, BitNumber, 1);
  Write(bitmap, BitNumber, true);
}

BOOLEAN RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber) {
  Kernel& kernel = KEMU_ENTER(RtlTestBit, KEMU_ARG(BitMapHeader), KEMU_ARG(BitNumber));
  RTL_BITMAP& bitmap = Header(kernel, "RtlTestBit", BitMapHeader);
  CheckRange(kernel, "RtlTestBit", bitmap, BitNumber, 1);
  return Bit(bitmap, BitNumber) ? TRUE : FALSE;
}

BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length) {
  Kernel& kernel = KEMU_ENTER(RtlAreBitsClear, KEMU_ARG(BitMapHeader), KEMU_ARG(StartingIndex),
                              KEMU_ARG(Length));
  return AreBits(Header(kernel, "RtlAreBitsClear", BitMapHeader), StartingIndex, Length, false);
}

BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length) {
  Kernel& kernel =
      KEMU_ENTER(RtlAreBitsSet, KEMU_ARG(BitMapHeader), KEMU_ARG(StartingIndex), KEMU_ARG(Length));
  return AreBits(Header(kernel, "RtlAreBitsSet", BitMapHeader), StartingIndex, Length, true);
}

ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader) {
  Kernel& kernel = KEMU_ENTER(RtlNumberOfSetBits, KEMU_ARG(BitMapHeader));
  return Count(Header(kernel, "RtlNumberOfSetBits", BitMapHeader), true);
}

ULONG RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader) {
  Kernel& kernel = KEMU_ENTER(RtlNumberOfClearBits, KEMU_ARG(BitMapHeader));
  return Count(Header(kernel, "RtlNumberOfClearBits", BitMapHeader), false);
}

ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex) {
  Kernel& kernel = KEMU_ENTER(RtlFindClearBits, KEMU_ARG(BitMapHeader), KEMU_ARG(NumberToFind),
                              KEMU_ARG(HintIndex));
  return Find(Header(kernel, "RtlFindClearBits", BitMapHeader), NumberToFind, false, HintIndex);
}

ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex) {
  Kernel& kernel = KEMU_ENTER(RtlFindSetBits, KEMU_ARG(BitMapHeader), KEMU_ARG(NumberToFind),
                              KEMU_ARG(HintIndex));
  return Find(Header(kernel, "RtlFindSetBits", BitMapHeader), NumberToFind, true, HintIndex);
}

ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex) {
  Kernel& kernel = KEMU_ENTER(RtlFindClearBitsAndSet, KEMU_ARG(BitMapHeader),
                              KEMU_ARG(NumberToFind), KEMU_ARG(HintIndex));
  return FindAndFlip(Header(kernel, "RtlFindClearBitsAndSet", BitMapHeader), NumberToFind, false,
                     HintIndex);
}

ULONG RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex) {
  Kernel& kernel = KEMU_ENTER(RtlFindSetBitsAndClear, KEMU_ARG(BitMapHeader),
                              KEMU_ARG(NumberToFind), KEMU_ARG(HintIndex));
  return FindAndFlip(Header(kernel, "RtlFindSetBitsAndClear", BitMapHeader), NumberToFind, true,
                     HintIndex);
}

ULONG RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex) {
  Kernel& kernel =
      KEMU_ENTER(RtlFindFirstRunClear, KEMU_ARG(BitMapHeader), KEMU_ARG(StartingIndex));
  const RTL_BITMAP& bitmap = Header(kernel, "RtlFindFirstRunClear", BitMapHeader);
  return ForwardRunClear(bitmap, 0,
                         IndexOut(kernel, "RtlFindFirstRunClear", StartingIndex, "StartingIndex"));
}

ULONG RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex,
                                 PULONG StartingRunIndex) {
  Kernel& kernel = KEMU_ENTER(RtlFindNextForwardRunClear, KEMU_ARG(BitMapHeader),
                              KEMU_ARG(FromIndex), KEMU_ARG(StartingRunIndex));
  const RTL_BITMAP& bitmap = Header(kernel, "RtlFindNextForwardRunClear", BitMapHeader);
  // A FromIndex at or past the end finds nothing (UNCONFIRMED; documented for no such index).
  return ForwardRunClear(
      bitmap, FromIndex,
      IndexOut(kernel, "RtlFindNextForwardRunClear", StartingRunIndex, "StartingRunIndex"));
}

ULONG RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex,
                                  PULONG StartingRunIndex) {
  Kernel& kernel = KEMU_ENTER(RtlFindLastBackwardRunClear, KEMU_ARG(BitMapHeader),
                              KEMU_ARG(FromIndex), KEMU_ARG(StartingRunIndex));
  const RTL_BITMAP& bitmap = Header(kernel, "RtlFindLastBackwardRunClear", BitMapHeader);
  *IndexOut(kernel, "RtlFindLastBackwardRunClear", StartingRunIndex, "StartingRunIndex") = 0;
  if (bitmap.SizeOfBitMap == 0) return 0;
  // Backward from FromIndex (the last bit when it is past the end): skip set bits, then count
  // the clear run that ends there.
  std::int64_t i = std::min<std::int64_t>(FromIndex, bitmap.SizeOfBitMap - 1);
  while (i >= 0 && Bit(bitmap, static_cast<ULONG>(i))) --i;
  ULONG length = 0;
  while (i >= 0 && !Bit(bitmap, static_cast<ULONG>(i))) {
    ++length;
    --i;
  }
  *StartingRunIndex = static_cast<ULONG>(i + 1);
  return length;
}

ULONG RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex) {
  Kernel& kernel =
      KEMU_ENTER(RtlFindLongestRunClear, KEMU_ARG(BitMapHeader), KEMU_ARG(StartingIndex));
  const RTL_BITMAP& bitmap = Header(kernel, "RtlFindLongestRunClear", BitMapHeader);
  // The first of the longest runs; no clear bit: length 0 at index 0.
  ULONG best = 0;
  *IndexOut(kernel, "RtlFindLongestRunClear", StartingIndex, "StartingIndex") = 0;
  for (ULONG from = 0; from < bitmap.SizeOfBitMap;) {
    ULONG start = 0;
    const ULONG length = ForwardRunClear(bitmap, from, &start);
    if (length == 0) break;
    if (length > best) {
      best = length;
      *StartingIndex = start;
    }
    from = start + length;
  }
  return best;
}

ULONG RtlFindClearRuns(PRTL_BITMAP BitMapHeader, PRTL_BITMAP_RUN RunArray, ULONG SizeOfRunArray,
                       BOOLEAN LocateLongestRuns) {
  Kernel& kernel = KEMU_ENTER(RtlFindClearRuns, KEMU_ARG(BitMapHeader), KEMU_ARG(RunArray),
                              KEMU_ARG(SizeOfRunArray), KEMU_ARG(LocateLongestRuns));
  const RTL_BITMAP& bitmap = Header(kernel, "RtlFindClearRuns", BitMapHeader);
  if (SizeOfRunArray == 0) return 0;
  kernel.verifier().Dereferenced("RtlFindClearRuns", RunArray, "RunArray");
  // Every clear run in bitmap order; without LocateLongestRuns the first SizeOfRunArray of them.
  std::vector<RTL_BITMAP_RUN> runs;
  for (ULONG from = 0; from < bitmap.SizeOfBitMap;) {
    ULONG start = 0;
    const ULONG length = ForwardRunClear(bitmap, from, &start);
    if (length == 0) break;
    runs.push_back({.StartingIndex = start, .NumberOfBits = length});
    if (!LocateLongestRuns && runs.size() == SizeOfRunArray) break;
    from = start + length;
  }
  // Longest first, as the page says; among runs of one length the lower index first (UNCONFIRMED:
  // the page does not order them).
  if (LocateLongestRuns) {
    std::stable_sort(runs.begin(), runs.end(),
                     [](const RTL_BITMAP_RUN& a, const RTL_BITMAP_RUN& b) {
                       return a.NumberOfBits > b.NumberOfBits;
                     });
  }
  const auto found = static_cast<ULONG>(std::min<std::size_t>(runs.size(), SizeOfRunArray));
  std::copy_n(runs.begin(), found, RunArray);
  return found;
}

ULONG RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target) {
  KEMU_ENTER(RtlNumberOfSetBitsUlongPtr, KEMU_ARG(Target));
  return static_cast<ULONG>(std::popcount(static_cast<std::uint64_t>(Target)));
}

}  // extern "C"
