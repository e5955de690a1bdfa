// kemu_wdk_fast_mutex.h — fast and guarded mutexes: locks for code at or below APC_LEVEL that may
// wait, never taken recursively. A fast mutex is held at APC_LEVEL (ExAcquireFastMutex); a guarded
// mutex inside a guarded region, where every APC is off. Executive resources (ERESOURCE) are
// reader/writer locks with shared and exclusive owners, both recursive.
//
//   ExInitializeFastMutex(&ext->ConfigLock);     // once, before any other thread uses it
//   ExAcquireFastMutex(&ext->ConfigLock);        // IRQL <= APC_LEVEL; now at APC_LEVEL
//   ext->Config = *new_config;
//   ExReleaseFastMutex(&ext->ConfigLock);        // back to the caller's IRQL
//
//   KeEnterCriticalRegion();                     // normal kernel APCs off while it is held
//   ExAcquireResourceSharedLite(&ext->TableLock, TRUE);
//   Lookup(ext->Table);
//   ExReleaseResourceLite(&ext->TableLock);
//   KeLeaveCriticalRegion();
#ifndef KEMU_WDK_FAST_MUTEX_H_
#define KEMU_WDK_FAST_MUTEX_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_dispatch.h"

/// A fast mutex (56 bytes on x64). Count is 1 while free; Owner is the owning thread; OldIrql is
/// the IRQL ExAcquireFastMutex raised from.
typedef struct _FAST_MUTEX {
  volatile LONG Count;
  PVOID Owner;
  ULONG Contention;
  KEVENT Event;
  ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX;

/// A guarded mutex (56 bytes on x64). Count is 1 while free; Owner is the owning thread.
typedef struct _KGUARDED_MUTEX {
  volatile LONG Count;
  PVOID Owner;
  ULONG Contention;
  DISPATCHER_HEADER Gate;
  ULONG CombinedApcDisable;
} KGUARDED_MUTEX, *PKGUARDED_MUTEX;

/// An executive resource (104 bytes, 8-byte aligned on x64, as Windows documents the storage
/// ExInitializeResourceLite needs). Its members are reserved for the system, so kemu keeps the
/// state beside it, keyed by its address, and never writes these bytes.
typedef struct _ERESOURCE {
  ULONGLONG Opaque[13];
} ERESOURCE, *PERESOURCE;

/// Identifies a thread to ExReleaseResourceForThreadLite.
typedef ULONG_PTR ERESOURCE_THREAD, *PERESOURCE_THREAD;
typedef struct _ETHREAD *PETHREAD;

KEMU_WDK_BEGIN_DECLS

/// The WDK makes this inline; kemu's is a routine, so kemu knows the mutex is initialized.
NTKERNELAPI VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex);
/// IRQL <= APC_LEVEL; returns at APC_LEVEL owning the mutex, waiting while another thread owns
/// it. Acquiring one the thread owns deadlocks (0xC4 / 0x1000 under Verifier).
NTKERNELAPI VOID FASTCALL ExAcquireFastMutex(PFAST_MUTEX FastMutex);
/// At APC_LEVEL, by the owner: restores the IRQL the acquire raised from.
NTKERNELAPI VOID FASTCALL ExReleaseFastMutex(PFAST_MUTEX FastMutex);
/// TRUE (at APC_LEVEL, owning it) when no thread owned the mutex; FALSE otherwise, never waiting.
NTKERNELAPI BOOLEAN FASTCALL ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex);
/// Without the IRQL change: the caller is at APC_LEVEL or inside a critical region.
NTKERNELAPI VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex);
NTKERNELAPI VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex);

#if NTDDI_VERSION >= NTDDI_WS03
// Guarded mutexes, IRQL <= APC_LEVEL. Acquiring one enters a guarded region (KeAreApcsDisabled is
// TRUE) until its release; the Unsafe variants expect the caller to be in one, or at APC_LEVEL.
NTKERNELAPI VOID FASTCALL KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex);
NTKERNELAPI VOID FASTCALL KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex);
NTKERNELAPI VOID NTAPI KeEnterGuardedRegion(VOID);
NTKERNELAPI VOID NTAPI KeLeaveGuardedRegion(VOID);
#endif

/// The running thread (kemu: the vCPU's thread, or a work item's worker thread stand-in).
NTKERNELAPI PETHREAD NTAPI PsGetCurrentThread(VOID);
#define ExGetCurrentResourceThread() ((ERESOURCE_THREAD)PsGetCurrentThread())

// Executive resources. Initialize, reinitialize and the queries: IRQL <= DISPATCH_LEVEL. Acquire,
// convert and delete: IRQL <= APC_LEVEL, and the acquire and release routines with normal kernel
// APCs disabled (KeEnterCriticalRegion) until the release.
NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource);
/// Resets a resource no thread holds, as ExDeleteResourceLite then ExInitializeResourceLite would.
NTKERNELAPI NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource);
/// Before the memory holding the resource is freed.
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource);
/// TRUE once the thread owns it exclusively (recursively, if it did already); FALSE without
/// waiting when Wait is FALSE and another thread holds it. A thread holding it shared only must
/// release it first: otherwise it waits for itself.
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait);
/// TRUE once the thread owns it shared (or, if it owns it already either way, recursively in that
/// way); a new shared owner waits while another thread owns it exclusively or waits to.
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait);
/// As ExAcquireResourceSharedLite, but a new thread joins shared owners even while another thread
/// waits for exclusive access.
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait);
/// The thread's exclusive ownership becomes shared; threads waiting for shared access get it.
NTKERNELAPI VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource);
/// Releases one acquisition by the current thread (IRQL <= DISPATCH_LEVEL). A thread that does not
/// own it: bug check 0xE3 RESOURCE_NOT_OWNED.
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource);
/// The same for the thread ResourceThreadId names (ExGetCurrentResourceThread()).
NTKERNELAPI VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource,
                                                      ERESOURCE_THREAD ResourceThreadId);
NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource);
/// How many times the current thread holds the resource, shared or exclusive (0: not at all).
NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource);
#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite
/// Threads waiting for exclusive (shared) access.
NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource);
/// Hands the resource to another owner: declared, not modelled (throws kemu::NotModelled).
NTKERNELAPI VOID NTAPI ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer);

KEMU_WDK_END_DECLS

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(FAST_MUTEX) == 56, "FAST_MUTEX is 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(FAST_MUTEX, Event) == 24, "Event");
KEMU_WDK_STATIC_ASSERT(offsetof(FAST_MUTEX, OldIrql) == 48, "OldIrql");
KEMU_WDK_STATIC_ASSERT(sizeof(KGUARDED_MUTEX) == 56, "KGUARDED_MUTEX is 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(KGUARDED_MUTEX, Gate) == 24, "Gate");
KEMU_WDK_STATIC_ASSERT(sizeof(ERESOURCE) == 104, "ERESOURCE is 104 bytes");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_ALIGNOF(ERESOURCE) == 8, "ERESOURCE is 8-byte aligned");
#endif

#endif  // KEMU_WDK_FAST_MUTEX_H_
