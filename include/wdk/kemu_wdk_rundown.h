// kemu_wdk_rundown.h — run-down protection (Windows XP on): a count of the users of a shared
// object that its owner waits to drain before it deletes the object, and that refuses new users
// from the moment the owner starts waiting. The usual guard of a driver's unload against its own
// timer DPCs, work items and callbacks.
//
//   static EX_RUNDOWN_REF rundown;                 // ExInitializeRundownProtection(&rundown)
//   if (ExAcquireRundownProtection(&rundown)) {    // in the DPC: FALSE once unload began
//     ... use the extension ...
//     ExReleaseRundownProtection(&rundown);
//   }
//   ExWaitForRundownProtectionRelease(&rundown);   // in unload: every user has released
#ifndef KEMU_WDK_RUNDOWN_H_
#define KEMU_WDK_RUNDOWN_H_

#include "kemu_wdk_base.h"

KEMU_WDK_BEGIN_DECLS

/// Opaque to drivers: one pointer-sized word, zero when initialised.
typedef struct _EX_RUNDOWN_REF {
  union {
    volatile ULONG_PTR Count;
    volatile PVOID Ptr;
  } u;
} EX_RUNDOWN_REF, *PEX_RUNDOWN_REF;
KEMU_WDK_STATIC_ASSERT(sizeof(EX_RUNDOWN_REF) == sizeof(void *), "EX_RUNDOWN_REF is one word");

/// Any IRQL (the block must be nonpaged above APC_LEVEL).
NTKERNELAPI VOID NTAPI ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef);
/// After a completed run-down: makes the object usable again.
NTKERNELAPI VOID NTAPI ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef);
/// IRQL <= DISPATCH_LEVEL. TRUE: protection acquired; FALSE: run-down has begun.
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef);
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count);
/// IRQL <= DISPATCH_LEVEL.
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef);
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count);
/// IRQL <= APC_LEVEL. Refuses new acquires, then waits until every acquire was released.
NTKERNELAPI VOID NTAPI ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef);
/// Marks the run-down complete without waiting (the caller knows nobody holds protection).
NTKERNELAPI VOID NTAPI ExRundownCompleted(PEX_RUNDOWN_REF RunRef);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_RUNDOWN_H_
