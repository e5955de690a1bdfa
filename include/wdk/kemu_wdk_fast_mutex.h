// kemu_wdk_fast_mutex.h — fast and guarded mutexes: locks for code at or below APC_LEVEL that may
// wait, never taken recursively. A fast mutex is held at APC_LEVEL (ExAcquireFastMutex); a guarded
// mutex inside a guarded region, where every APC is off. Executive resources (ERESOURCE) are
// declared but not modelled (each routine throws kemu::NotModelled).
//
//   ExInitializeFastMutex(&ext->ConfigLock);     // once, before any other thread uses it
//   ExAcquireFastMutex(&ext->ConfigLock);        // IRQL <= APC_LEVEL; now at APC_LEVEL
//   ext->Config = *new_config;
//   ExReleaseFastMutex(&ext->ConfigLock);        // back to the caller's IRQL
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

/// An executive resource (104 bytes on x64): declared, not modelled. Drivers treat it as opaque.
typedef struct _ERESOURCE {
  ULONGLONG Opaque[13];
} ERESOURCE, *PERESOURCE;

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

// Executive resources: declared, not modelled (each throws kemu::NotModelled).
NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource);
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource);
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource);

KEMU_WDK_END_DECLS

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(FAST_MUTEX) == 56, "FAST_MUTEX is 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(FAST_MUTEX, Event) == 24, "Event");
KEMU_WDK_STATIC_ASSERT(offsetof(FAST_MUTEX, OldIrql) == 48, "OldIrql");
KEMU_WDK_STATIC_ASSERT(sizeof(KGUARDED_MUTEX) == 56, "KGUARDED_MUTEX is 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(KGUARDED_MUTEX, Gate) == 24, "Gate");
KEMU_WDK_STATIC_ASSERT(sizeof(ERESOURCE) == 104, "ERESOURCE is 104 bytes");
#endif

#endif  // KEMU_WDK_FAST_MUTEX_H_
