// kemu_wdk_exlist.h — lists shared between IRQLs: the spin-lock guarded ExInterlocked*List
// routines and the lock-free sequenced lists (SLIST_HEADER).
//
// The ExInterlocked*List routines take the caller's KSPIN_LOCK without changing the IRQL, so they
// may be called at any IRQL; the lock must be used with these routines only. On x64 the SLIST
// routines ignore their Lock argument: the ExInterlocked*SList names are macros over the Exp*
// exports, as in the x64 WDK.
//
//   static KSPIN_LOCK lock;      // KeInitializeSpinLock(&lock) once
//   static LIST_ENTRY pending;   // InitializeListHead(&pending) once
//   ExInterlockedInsertTailList(&pending, &request->Link, &lock);      // from the ISR
//   PLIST_ENTRY next = ExInterlockedRemoveHeadList(&pending, &lock);  // from the DPC; NULL: empty
//
//   SLIST_HEADER free_list;      // 16-byte aligned, as are SLIST_ENTRY members
//   InitializeSListHead(&free_list);
//   InterlockedPushEntrySList(&free_list, &buffer->Entry);
#ifndef KEMU_WDK_EXLIST_H_
#define KEMU_WDK_EXLIST_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_interlocked.h"
#include "kemu_wdk_ke.h"

// ---------------------------------------------------------------------------------------------
// Sequenced singly linked lists. On x64 the header is two 64-bit words: Alignment holds Depth
// (bits 0-15) and Sequence (bits 16-63); Region holds the first entry's address (entries are
// 16-byte aligned, so its low four bits are zero).

typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
  struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
  KEMU_WDK_EXTENSION struct {
    ULONGLONG Alignment;
    ULONGLONG Region;
  };
  struct {
    ULONGLONG Alignment;
    ULONGLONG Region;
  } s;
} SLIST_HEADER, *PSLIST_HEADER;

KEMU_WDK_BEGIN_DECLS

/// An empty list: both words zero.
KEMU_WDK_INLINE VOID InitializeSListHead(PSLIST_HEADER SListHead) {
  SListHead->Alignment = 0;
  SListHead->Region = 0;
}

// ---------------------------------------------------------------------------------------------
// Routines.

/// Returns the list's previous first entry, or NULL when it was empty.
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedInsertHeadList(PLIST_ENTRY ListHead,
                                                             PLIST_ENTRY ListEntry,
                                                             PKSPIN_LOCK Lock);
/// Returns the list's previous last entry, or NULL when it was empty.
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedInsertTailList(PLIST_ENTRY ListHead,
                                                             PLIST_ENTRY ListEntry,
                                                             PKSPIN_LOCK Lock);
/// Returns the removed first entry, or NULL when the list is empty.
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead,
                                                             PKSPIN_LOCK Lock);
/// Returns the previous first entry, or NULL when the list was empty.
NTKERNELAPI PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                                   PSINGLE_LIST_ENTRY ListEntry,
                                                                   PKSPIN_LOCK Lock);
/// Returns the removed first entry, or NULL when the list is empty.
NTKERNELAPI PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                                  PKSPIN_LOCK Lock);

/// Adds under the lock; returns the value before the addition.
NTKERNELAPI ULONG NTAPI ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock);
/// Adds under the lock; returns the value before the addition.
NTKERNELAPI LARGE_INTEGER NTAPI ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend,
                                                             LARGE_INTEGER Increment,
                                                             PKSPIN_LOCK Lock);

/// Returns the previous first entry, or NULL when the list was empty.
NTKERNELAPI PSLIST_ENTRY NTAPI ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead,
                                                            PSLIST_ENTRY ListEntry);
/// Returns the removed first entry, or NULL when the list is empty.
NTKERNELAPI PSLIST_ENTRY NTAPI ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead);
/// Empties the list; returns the former first entry (the rest stay chained through Next).
NTKERNELAPI PSLIST_ENTRY NTAPI ExpInterlockedFlushSList(PSLIST_HEADER ListHead);
/// The number of entries (the header's Depth).
NTKERNELAPI USHORT NTAPI ExQueryDepthSList(PSLIST_HEADER SListHead);

KEMU_WDK_END_DECLS

// The x64 WDK spells every SLIST operation through the Exp* exports; the Lock is not used.
#define InterlockedPushEntrySList(Head, Entry) ExpInterlockedPushEntrySList((Head), (Entry))
#define InterlockedPopEntrySList(Head) ExpInterlockedPopEntrySList(Head)
#define InterlockedFlushSList(Head) ExpInterlockedFlushSList(Head)
#define ExInterlockedPushEntrySList(Head, Entry, Lock) \
  ((void)(Lock), ExpInterlockedPushEntrySList((Head), (Entry)))
#define ExInterlockedPopEntrySList(Head, Lock) ((void)(Lock), ExpInterlockedPopEntrySList(Head))
#define ExInterlockedFlushSList(Head) ExpInterlockedFlushSList(Head)
#define ExInitializeSListHead(Head) InitializeSListHead(Head)

// x64 needs no lock for 64-bit atomics: these two are macros over the Interlocked* intrinsics.
#define ExInterlockedAddLargeStatistic(Addend, Increment) \
  ((void)InterlockedExchangeAdd64(&(Addend)->QuadPart, (LONG64)(ULONG)(Increment)))
#define ExInterlockedCompareExchange64(Destination, Exchange, Comperand, Lock) \
  ((void)(Lock), InterlockedCompareExchange64((Destination), *(Exchange), *(Comperand)))

// ---------------------------------------------------------------------------------------------
// Layout checks (Windows x64 numbers).

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(SLIST_HEADER) == 16, "SLIST_HEADER is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_ALIGNOF(SLIST_HEADER) == 16, "SLIST_HEADER is 16-byte aligned");
KEMU_WDK_STATIC_ASSERT(offsetof(SLIST_HEADER, Region) == 8, "SLIST_HEADER.Region at 8");
KEMU_WDK_STATIC_ASSERT(sizeof(SLIST_ENTRY) == 16, "SLIST_ENTRY is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_ALIGNOF(SLIST_ENTRY) == 16, "SLIST_ENTRY is 16-byte aligned");
#endif

#endif  // KEMU_WDK_EXLIST_H_
