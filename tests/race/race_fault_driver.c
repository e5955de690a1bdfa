// race_fault_driver.c — see race_fault_driver.h.
#include "race_fault_driver.h"

static KSERVICE_ROUTINE RetireIsr;
static BOOLEAN RetireIsr(PKINTERRUPT Interrupt, PVOID Context) {
  PFAULT fault = (PFAULT)Context;
  (void)Interrupt;
  fault->Current = NULL;
  return TRUE;
}

NTSTATUS FaultConnect(PFAULT Fault, ULONG Vector, KIRQL Irql) {
  Fault->Current = &Fault->Request;
  return IoConnectInterrupt(&Fault->Interrupt, RetireIsr, Fault, NULL, Vector, Irql, Irql, Latched,
                            FALSE, 1, FALSE);
}

LONG FaultCompleteUnlocked(PFAULT Fault) { return ++Fault->Current->Done; }
