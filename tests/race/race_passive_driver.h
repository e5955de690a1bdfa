// race_passive_driver.h — a GPIO-style driver (an edge line) whose passive-level ISR and whose
// EX_TIMER callback both count presses. With Plain set (the bug) both use a plain increment, which
// races (nothing orders the callback with the next ISR); without it both use InterlockedIncrement.
// Built with kemu_instrument_driver(), for the race report's names of the passive ISR's event
// and of the EX_TIMER callback.
#ifndef KEMU_TESTS_RACE_RACE_PASSIVE_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_PASSIVE_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RACE_PASSIVE {
  PKINTERRUPT Interrupt;
  PEX_TIMER Debounce;
  BOOLEAN Plain;
  LONG Presses;
} RACE_PASSIVE, *PRACE_PASSIVE;

NTSTATUS RacePassiveStart(PRACE_PASSIVE Driver, PDEVICE_OBJECT Pdo);
VOID RacePassiveStop(PRACE_PASSIVE Driver);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_PASSIVE_DRIVER_H_
