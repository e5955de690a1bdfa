// race_timer_driver.c — see race_timer_driver.h.
#include "race_timer_driver.h"

static VOID TimerDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_TIMER timer = (PRACE_TIMER)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  timer->State += 10;
}

static VOID Initialize(PRACE_TIMER Timer) {
  KeInitializeDpc(&Timer->Dpc, TimerDpc, Timer);
  KeInitializeTimer(&Timer->Timer);
}

VOID RaceTimerWriteThenSet(PRACE_TIMER Timer, LONGLONG DueTime) {
  LARGE_INTEGER due;
  Initialize(Timer);
  Timer->State = 1;
  due.QuadPart = DueTime;
  (void)KeSetTimer(&Timer->Timer, due, &Timer->Dpc);
}

VOID RaceTimerSetThenWrite(PRACE_TIMER Timer, LONGLONG DueTime) {
  LARGE_INTEGER due;
  Initialize(Timer);
  due.QuadPart = DueTime;
  (void)KeSetTimer(&Timer->Timer, due, &Timer->Dpc);
  Timer->State = 1;  // the DPC may already run on another processor
}
