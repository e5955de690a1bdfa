// kemu_wdk_generic_dpc.h — KeGenericCallDpc and its barrier routines.
//
// Windows exports these but the WDK does not declare them, so drivers declare them themselves
// and wdm.h does not include this header (a driver's own declaration stays the only one).
// Include it instead of writing the declarations:
//
//   static VOID PerCpu(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2) {
//     /* runs on every processor at DISPATCH_LEVEL */
//     KeSignalCallDpcSynchronize(Arg2);   // every processor gets here before any goes on
//     KeSignalCallDpcDone(Arg1);
//   }
//   KeGenericCallDpc(PerCpu, &state);     // IRQL <= APC_LEVEL; returns when all are done
#ifndef KEMU_WDK_GENERIC_DPC_H_
#define KEMU_WDK_GENERIC_DPC_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_ke.h"

KEMU_WDK_BEGIN_DECLS

/// Runs Routine as a DPC on every active processor (DeferredContext = Context) and returns when
/// each has called KeSignalCallDpcDone(SystemArgument1). IRQL <= APC_LEVEL.
NTKERNELAPI VOID NTAPI KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context);
/// Waits until every processor of the call has arrived; nonzero on exactly one of them per round.
/// At DISPATCH_LEVEL, from the call's routine, with its SystemArgument2.
NTKERNELAPI LOGICAL NTAPI KeSignalCallDpcSynchronize(PVOID SystemArgument2);
/// Says this processor's routine is done. At DISPATCH_LEVEL, with the routine's SystemArgument1.
NTKERNELAPI VOID NTAPI KeSignalCallDpcDone(PVOID SystemArgument1);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_GENERIC_DPC_H_
