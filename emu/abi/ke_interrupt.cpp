// Synchronising with ISRs: KeSynchronizeExecution and the interrupt spin lock
// (docs/windows-facts.md §4.1-4.2).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext) {
  return KEMU_ENTER(KeSynchronizeExecution, KEMU_ARG(Interrupt), KEMU_ARG(SynchronizeRoutine),
                    KEMU_ARG(SynchronizeContext))
      .interrupts()
      .Synchronize(Interrupt, SynchronizeRoutine, SynchronizeContext);
}

KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt) {
  return KEMU_ENTER(KeAcquireInterruptSpinLock, KEMU_ARG(Interrupt))
      .interrupts()
      .AcquireLock(Interrupt);
}

VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql) {
  KEMU_ENTER(KeReleaseInterruptSpinLock, KEMU_ARG(Interrupt), KEMU_ARG(OldIrql))
      .interrupts()
      .ReleaseLock(Interrupt, OldIrql);
}

}  // extern "C"
