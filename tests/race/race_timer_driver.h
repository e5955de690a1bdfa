// race_timer_driver.h — a timer with a DPC that updates the driver's state. Writing the state
// before KeSetTimer is ordered before the DPC; writing it after KeSetTimer, unlocked, is a race
// with the DPC whichever context later moves the clock to the due time. Built with
// kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_TIMER_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_TIMER_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RACE_TIMER {
  KTIMER Timer;
  KDPC Dpc;
  ULONG State;
} RACE_TIMER, *PRACE_TIMER;

/// Initialises the timer and its DPC, writes State, then sets the timer `DueTime` (100 ns units,
/// negative: relative) from now.
VOID RaceTimerWriteThenSet(PRACE_TIMER Timer, LONGLONG DueTime);
/// Sets the timer first, then writes State (the bug).
VOID RaceTimerSetThenWrite(PRACE_TIMER Timer, LONGLONG DueTime);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_TIMER_DRIVER_H_
