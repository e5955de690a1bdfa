// kemu_wdk_ex_timer.h — system-allocated timers (EX_TIMER), Windows 8.1 on: the system owns the
// timer object, calls an optional callback at DISPATCH_LEVEL when it expires, and deletes it in
// ExDeleteTimer (kemu: docs/kernel.md "EX_TIMER").
//
//   ext->Poll = ExAllocateTimer(MyPollCallback, ext, EX_TIMER_HIGH_RESOLUTION);
//   ExSetTimer(ext->Poll, -10 * 1000, 10 * 1000, NULL);   // in 1 ms, then every 1 ms
//   ...                                                    // stop path:
//   ExDeleteTimer(ext->Poll, TRUE, TRUE, NULL);            // cancel, wait for a running callback
#ifndef KEMU_WDK_EX_TIMER_H_
#define KEMU_WDK_EX_TIMER_H_

#include "kemu_wdk_base.h"

#if NTDDI_VERSION >= NTDDI_WINBLUE

/// Opaque: ExAllocateTimer returns one. It is a dispatcher object: KeWaitForSingleObject waits
/// for it to expire.
typedef struct _EX_TIMER *PEX_TIMER;

/// Runs at DISPATCH_LEVEL each time the timer expires.
typedef VOID EXT_CALLBACK(PEX_TIMER Timer, PVOID Context);
typedef EXT_CALLBACK *PEXT_CALLBACK;
/// Runs once the deleted timer can no longer expire (EXT_DELETE_PARAMETERS.DeleteCallback).
typedef VOID EXT_DELETE_CALLBACK(PVOID Context);
typedef EXT_DELETE_CALLBACK *PEXT_DELETE_CALLBACK;
/// ExCancelTimer's Parameters: drivers pass NULL.
typedef struct _EXT_CANCEL_PARAMETERS *PEXT_CANCEL_PARAMETERS;

/// ExAllocateTimer attributes. HIGH_RESOLUTION and NO_WAKE exclude each other.
#define EX_TIMER_HIGH_RESOLUTION 0x4
#define EX_TIMER_NO_WAKE 0x8
#define EX_TIMER_NOTIFICATION (1UL << 31)
/// EXT_SET_PARAMETERS.NoWakeTolerance of a timer that never wakes the processor.
#define EX_TIMER_UNLIMITED_TOLERANCE ((LONGLONG)-1)

typedef struct _EXT_SET_PARAMETERS_V0 {
  ULONG Version;
  ULONG Reserved;
  LONGLONG NoWakeTolerance;
} EXT_SET_PARAMETERS, *PEXT_SET_PARAMETERS;

typedef struct _EXT_DELETE_PARAMETERS {
  ULONG Version;
  ULONG Reserved;
  PEXT_DELETE_CALLBACK DeleteCallback;
  PVOID DeleteContext;
} EXT_DELETE_PARAMETERS, *PEXT_DELETE_PARAMETERS;

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(EXT_SET_PARAMETERS) == 16, "EXT_SET_PARAMETERS is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(EXT_SET_PARAMETERS, NoWakeTolerance) == 8,
                       "EXT_SET_PARAMETERS.NoWakeTolerance at 8");
KEMU_WDK_STATIC_ASSERT(sizeof(EXT_DELETE_PARAMETERS) == 24,
                       "EXT_DELETE_PARAMETERS is 24 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(EXT_DELETE_PARAMETERS, DeleteCallback) == 8,
                       "EXT_DELETE_PARAMETERS.DeleteCallback at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(EXT_DELETE_PARAMETERS, DeleteContext) == 16,
                       "EXT_DELETE_PARAMETERS.DeleteContext at 16");
#endif

/// Version 0, no tolerance: a no-wake timer wakes the processor at its due time.
KEMU_WDK_INLINE VOID ExInitializeSetTimerParameters(PEXT_SET_PARAMETERS Parameters) {
  Parameters->Version = 0;
  Parameters->Reserved = 0;
  Parameters->NoWakeTolerance = 0;
}

/// Version 0, no delete callback.
KEMU_WDK_INLINE VOID ExInitializeDeleteTimerParameters(PEXT_DELETE_PARAMETERS Parameters) {
  Parameters->Version = 0;
  Parameters->Reserved = 0;
  Parameters->DeleteCallback = NULL;
  Parameters->DeleteContext = NULL;
}

KEMU_WDK_BEGIN_DECLS

/// IRQL <= DISPATCH_LEVEL. NULL when the system is out of memory.
NTKERNELAPI PEX_TIMER NTAPI ExAllocateTimer(PEXT_CALLBACK Callback, PVOID CallbackContext,
                                            ULONG Attributes);
/// IRQL <= DISPATCH_LEVEL. DueTime and Period in 100 ns units (DueTime negative: relative);
/// TRUE when it cancelled a pending expiry.
NTKERNELAPI BOOLEAN NTAPI ExSetTimer(PEX_TIMER Timer, LONGLONG DueTime, LONGLONG Period,
                                     PEXT_SET_PARAMETERS Parameters);
/// IRQL <= DISPATCH_LEVEL. TRUE when the timer was set (it no longer is).
NTKERNELAPI BOOLEAN NTAPI ExCancelTimer(PEX_TIMER Timer, PEXT_CANCEL_PARAMETERS Parameters);
/// IRQL <= DISPATCH_LEVEL, or <= APC_LEVEL with Wait (which needs Cancel). TRUE when Cancel
/// cancelled a pending expiry.
NTKERNELAPI BOOLEAN NTAPI ExDeleteTimer(PEX_TIMER Timer, BOOLEAN Cancel, BOOLEAN Wait,
                                        PEXT_DELETE_PARAMETERS Parameters);

KEMU_WDK_END_DECLS

#endif  // NTDDI_VERSION >= NTDDI_WINBLUE

#endif  // KEMU_WDK_EX_TIMER_H_
