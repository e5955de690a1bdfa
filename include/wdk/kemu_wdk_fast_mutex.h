// kemu_wdk_fast_mutex.h — fast mutexes: a lock for PASSIVE_LEVEL code that may wait, held at
// APC_LEVEL (ExAcquireFastMutex) or inside a critical region (the Unsafe variants), never
// recursively. Guarded mutexes are declared but not modelled (each throws kemu::NotModelled).
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

/// A guarded mutex (56 bytes on x64): declared, not modelled.
typedef struct _KGUARDED_MUTEX {
  volatile LONG Count;
  PVOID Owner;
  ULONG Contention;
  DISPATCHER_HEADER Gate;
  ULONG CombinedApcDisable;
} KGUARDED_MUTEX, *PKGUARDED_MUTEX;

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
// Guarded mutexes: declared, not modelled (each throws kemu::NotModelled).
NTKERNELAPI VOID FASTCALL KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
#endif

KEMU_WDK_END_DECLS

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(FAST_MUTEX) == 56, "FAST_MUTEX is 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(FAST_MUTEX, Event) == 24, "Event");
KEMU_WDK_STATIC_ASSERT(offsetof(FAST_MUTEX, OldIrql) == 48, "OldIrql");
KEMU_WDK_STATIC_ASSERT(sizeof(KGUARDED_MUTEX) == 56, "KGUARDED_MUTEX is 56 bytes");
#endif

#endif  // KEMU_WDK_FAST_MUTEX_H_
