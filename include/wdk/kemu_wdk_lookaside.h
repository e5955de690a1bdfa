// kemu_wdk_lookaside.h — lookaside lists: caches of fixed-size pool blocks.
//
// NPAGED_LOOKASIDE_LIST and PAGED_LOOKASIDE_LIST (every version) and LOOKASIDE_LIST_EX (Vista
// on) have their Windows x64 layouts. Entries come from the kemu pool (or the driver's own
// Allocate routine), so pool tracking, tags and fault injection see them; the x64 WDK makes the
// allocate and free routines inline, kemu makes them functions so the machine can check the
// IRQL and the list.
//
//   static NPAGED_LOOKASIDE_LIST requests;   // 16-byte aligned, in nonpaged memory
//   ExInitializeNPagedLookasideList(&requests, NULL, NULL, POOL_NX_ALLOCATION,
//                                   sizeof(struct request), 'qRcN', 0);
//   struct request *r = ExAllocateFromNPagedLookasideList(&requests);   // NULL: no memory
//   ExFreeToNPagedLookasideList(&requests, r);
//   ExDeleteNPagedLookasideList(&requests);   // frees the entries the list still holds
#ifndef KEMU_WDK_LOOKASIDE_H_
#define KEMU_WDK_LOOKASIDE_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_exlist.h"
#include "kemu_wdk_mm.h"

struct _LOOKASIDE_LIST_EX;

/// The routine a lookaside list calls when it is empty (default: ExAllocatePoolWithTag).
typedef PVOID NTAPI ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
/// The routine a lookaside list calls when it is full (default: ExFreePool).
typedef VOID NTAPI FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
typedef PVOID NTAPI ALLOCATE_FUNCTION_EX(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                         struct _LOOKASIDE_LIST_EX *Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef VOID NTAPI FREE_FUNCTION_EX(PVOID Buffer, struct _LOOKASIDE_LIST_EX *Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/// Nonpaged pool that is not executable: a POOL_TYPE modifier the lookaside Flags accept.
#ifndef POOL_NX_ALLOCATION
#define POOL_NX_ALLOCATION 512
#endif
/// ExInitializeLookasideListEx Flags (mutually exclusive).
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002UL
/// The smallest entry a list can hold: the link the list keeps in a free entry.
#define LOOKASIDE_MINIMUM_BLOCK_SIZE (sizeof(SLIST_ENTRY))

// The common body of every lookaside list: the cached entries, counters, what to allocate and
// how. Offsets (x64): ListHead 0, Depth 16, TotalAllocates 20, Type 36, Tag 40, Size 44,
// Allocate 48, Free 56, ListEntry 64; 96 bytes.
#define KEMU_WDK_GENERAL_LOOKASIDE_BODY \
  KEMU_WDK_EXTENSION union {            \
    SLIST_HEADER ListHead;              \
    SINGLE_LIST_ENTRY SingleListHead;   \
  };                                    \
  USHORT Depth;                         \
  USHORT MaximumDepth;                  \
  ULONG TotalAllocates;                 \
  KEMU_WDK_EXTENSION union {            \
    ULONG AllocateMisses;               \
    ULONG AllocateHits;                 \
  };                                    \
  ULONG TotalFrees;                     \
  KEMU_WDK_EXTENSION union {            \
    ULONG FreeMisses;                   \
    ULONG FreeHits;                     \
  };                                    \
  POOL_TYPE Type;                       \
  ULONG Tag;                            \
  ULONG Size;                           \
  KEMU_WDK_EXTENSION union {            \
    PALLOCATE_FUNCTION_EX AllocateEx;   \
    PALLOCATE_FUNCTION Allocate;        \
  };                                    \
  KEMU_WDK_EXTENSION union {            \
    PFREE_FUNCTION_EX FreeEx;           \
    PFREE_FUNCTION Free;                \
  };                                    \
  LIST_ENTRY ListEntry;                 \
  ULONG LastTotalAllocates;             \
  KEMU_WDK_EXTENSION union {            \
    ULONG LastAllocateMisses;           \
    ULONG LastAllocateHits;             \
  };                                    \
  ULONG Future[2];

/// The classic lists' body, cache-line aligned (128 bytes on x64).
typedef struct DECLSPEC_ALIGN(64) _GENERAL_LOOKASIDE {
  KEMU_WDK_GENERAL_LOOKASIDE_BODY
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

/// LOOKASIDE_LIST_EX's body: the same fields without the cache-line alignment (96 bytes).
typedef struct _GENERAL_LOOKASIDE_POOL {
  KEMU_WDK_GENERAL_LOOKASIDE_BODY
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct _NPAGED_LOOKASIDE_LIST {
  GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct _PAGED_LOOKASIDE_LIST {
  GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

typedef struct _LOOKASIDE_LIST_EX {
  GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX, *PLOOKASIDE_LIST_EX;

KEMU_WDK_BEGIN_DECLS

/// IRQL <= DISPATCH_LEVEL. Flags (Windows 8 on; OR-ed into the pool type):
/// POOL_RAISE_IF_ALLOCATION_FAILURE, POOL_NX_ALLOCATION. Depth is reserved (0).
NTKERNELAPI VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
                                                       PALLOCATE_FUNCTION Allocate,
                                                       PFREE_FUNCTION Free, ULONG Flags,
                                                       SIZE_T Size, ULONG Tag, USHORT Depth);
/// Frees the entries the list holds (IRQL <= DISPATCH_LEVEL).
NTKERNELAPI VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
/// A cached entry, else a new one from the Allocate routine (NULL when that fails).
NTKERNELAPI PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
/// Caches the entry, or hands it to the Free routine when the list is at its depth.
NTKERNELAPI VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

/// The paged list: every routine at IRQL <= APC_LEVEL.
NTKERNELAPI VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside,
                                                      PALLOCATE_FUNCTION Allocate,
                                                      PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size,
                                                      ULONG Tag, USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

#if NTDDI_VERSION >= NTDDI_VISTA
/// STATUS_SUCCESS, or STATUS_INVALID_PARAMETER_5 for an unknown flag or both flags.
NTKERNELAPI NTSTATUS NTAPI ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside,
                                                       PALLOCATE_FUNCTION_EX Allocate,
                                                       PFREE_FUNCTION_EX Free, POOL_TYPE PoolType,
                                                       ULONG Flags, SIZE_T Size, ULONG Tag,
                                                       USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
/// Frees every entry the list holds; the list stays usable.
NTKERNELAPI VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry);
#endif

KEMU_WDK_END_DECLS

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(GENERAL_LOOKASIDE_POOL) == 96, "GENERAL_LOOKASIDE_POOL is 0x60");
KEMU_WDK_STATIC_ASSERT(sizeof(GENERAL_LOOKASIDE) == 128, "GENERAL_LOOKASIDE is 0x80");
KEMU_WDK_STATIC_ASSERT(sizeof(NPAGED_LOOKASIDE_LIST) == 128, "NPAGED_LOOKASIDE_LIST is 0x80");
KEMU_WDK_STATIC_ASSERT(sizeof(PAGED_LOOKASIDE_LIST) == 128, "PAGED_LOOKASIDE_LIST is 0x80");
KEMU_WDK_STATIC_ASSERT(sizeof(LOOKASIDE_LIST_EX) == 96, "LOOKASIDE_LIST_EX is 0x60");
KEMU_WDK_STATIC_ASSERT(offsetof(GENERAL_LOOKASIDE, Depth) == 16, "Depth at 0x10");
KEMU_WDK_STATIC_ASSERT(offsetof(GENERAL_LOOKASIDE, Type) == 36, "Type at 0x24");
KEMU_WDK_STATIC_ASSERT(offsetof(GENERAL_LOOKASIDE, Allocate) == 48, "Allocate at 0x30");
KEMU_WDK_STATIC_ASSERT(offsetof(GENERAL_LOOKASIDE, ListEntry) == 64, "ListEntry at 0x40");
KEMU_WDK_STATIC_ASSERT(offsetof(GENERAL_LOOKASIDE_POOL, Future) == 88, "Future at 0x58");
#endif

#endif  // KEMU_WDK_LOOKASIDE_H_
