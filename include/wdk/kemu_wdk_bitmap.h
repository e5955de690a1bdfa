// kemu_wdk_bitmap.h — bitmap variables (RTL_BITMAP): a driver's own array of bits, described by
// a header that points at it, for tracking reusable items such as queue tags or buffer slots.
//
// Bit i lives in Buffer[i / 32] at bit i % 32. The buffer belongs to the driver, which
// synchronises access to it; the routines only read and write it. kemu checks each index against
// SizeOfBitMap, so a range past the bitmap is a report, never a write into the memory after it
// (docs/kernel.md, "Bitmaps").
//
//   static ULONG tag_bits[2];                      // 64 queue tags
//   static RTL_BITMAP tags;
//   RtlInitializeBitMap(&tags, tag_bits, 64);
//   RtlClearAllBits(&tags);
//   ULONG tag = RtlFindClearBitsAndSet(&tags, 1, 0);  // 0xFFFFFFFF when every tag is in use
//   ...
//   RtlClearBits(&tags, tag, 1);                   // the request completed
#ifndef KEMU_WDK_BITMAP_H_
#define KEMU_WDK_BITMAP_H_

#include "kemu_wdk_base.h"

typedef struct _RTL_BITMAP {
  ULONG SizeOfBitMap;  ///< bits in the bitmap
  PULONG Buffer;       ///< the driver's ULONG-aligned bits
} RTL_BITMAP, *PRTL_BITMAP;

/// A run of clear bits, as RtlFindClearRuns reports each.
typedef struct _RTL_BITMAP_RUN {
  ULONG StartingIndex;
  ULONG NumberOfBits;
} RTL_BITMAP_RUN, *PRTL_BITMAP_RUN;

KEMU_WDK_BEGIN_DECLS

NTSYSAPI VOID NTAPI RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer,
                                        ULONG SizeOfBitMap);
NTSYSAPI VOID NTAPI RtlClearAllBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI VOID NTAPI RtlSetAllBits(PRTL_BITMAP BitMapHeader);
/// StartingIndex + NumberToClear may not exceed SizeOfBitMap; zero bits is nothing to do.
NTSYSAPI VOID NTAPI RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex,
                                 ULONG NumberToClear);
NTSYSAPI VOID NTAPI RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet);
/// Windows XP and later.
NTSYSAPI VOID NTAPI RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
NTSYSAPI VOID NTAPI RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
NTSYSAPI BOOLEAN NTAPI RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
/// FALSE also for a zero Length or a range that is not inside the bitmap.
NTSYSAPI BOOLEAN NTAPI RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length);
NTSYSAPI BOOLEAN NTAPI RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length);
NTSYSAPI ULONG NTAPI RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI ULONG NTAPI RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader);
/// The first index of NumberToFind clear (set) bits, searched from HintIndex to the end and then
/// from the start; 0xFFFFFFFF when there is no such run. The AndSet (AndClear) forms flip it.
NTSYSAPI ULONG NTAPI RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                                      ULONG HintIndex);
NTSYSAPI ULONG NTAPI RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
NTSYSAPI ULONG NTAPI RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                                            ULONG HintIndex);
NTSYSAPI ULONG NTAPI RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                                            ULONG HintIndex);
/// Runs of clear bits: each returns the run's length (0: none) and stores its first index.
NTSYSAPI ULONG NTAPI RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex);
NTSYSAPI ULONG NTAPI RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex,
                                                PULONG StartingRunIndex);
NTSYSAPI ULONG NTAPI RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex,
                                                 PULONG StartingRunIndex);
NTSYSAPI ULONG NTAPI RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex);
/// Up to SizeOfRunArray runs of clear bits written to RunArray: the first ones from the start of
/// the bitmap, or (LocateLongestRuns) the longest ones, longest first. Returns how many it wrote.
NTSYSAPI ULONG NTAPI RtlFindClearRuns(PRTL_BITMAP BitMapHeader, PRTL_BITMAP_RUN RunArray,
                                      ULONG SizeOfRunArray, BOOLEAN LocateLongestRuns);
#if NTDDI_VERSION >= NTDDI_WIN7
/// The set bits of one ULONG_PTR (Windows 7 and later).
NTSYSAPI ULONG NTAPI RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target);
#endif

KEMU_WDK_END_DECLS

/// The bit's value, read in place as the WDK's macro does (no kernel call, so no check either:
/// RtlTestBit is the checked form).
#define RtlCheckBit(BMH, BP) ((ULONG)(((BMH)->Buffer[(BP) / 32] >> ((BP) % 32)) & 1))

#endif  // KEMU_WDK_BITMAP_H_
