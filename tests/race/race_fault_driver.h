// race_fault_driver.h — an ISR retires the current request (Current = NULL) under its interrupt
// lock, and the completion path dereferences Current without the lock: the read races with the
// ISR's write and then faults on the NULL it read, before any kernel call could raise the race.
// Built with kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_FAULT_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_FAULT_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _FAULT_REQUEST {
  LONG Flags[4];
  LONG Done;  // at offset 0x10, where a NULL request faults
} FAULT_REQUEST, *PFAULT_REQUEST;

typedef struct _FAULT {
  PKINTERRUPT Interrupt;
  PFAULT_REQUEST Current;
  FAULT_REQUEST Request;
} FAULT, *PFAULT;

NTSTATUS FaultConnect(PFAULT Fault, ULONG Vector, KIRQL Irql);
// The bug: no interrupt lock around the read of Current.
LONG FaultCompleteUnlocked(PFAULT Fault);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_FAULT_DRIVER_H_
