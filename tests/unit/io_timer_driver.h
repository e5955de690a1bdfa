// A legacy driver's lost-interrupt watchdog on the device's I/O timer (io_timer_driver.c).
#ifndef KEMU_TESTS_UNIT_IO_TIMER_DRIVER_H_
#define KEMU_TESTS_UNIT_IO_TIMER_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _WATCHDOG {
  PDEVICE_OBJECT Fdo;
  KSPIN_LOCK Lock;
  LONG SecondsLeft; /* 0: nothing outstanding */
  LONG TimedOut;    /* requests the device never answered */
  LONG Ticks;
} WATCHDOG, *PWATCHDOG;

/* At start: the timer ticks while the device runs. */
NTSTATUS WatchdogStart(PWATCHDOG Watchdog, PDEVICE_OBJECT Fdo);
/* A request went to the device: it must interrupt within Seconds. */
VOID WatchdogArm(PWATCHDOG Watchdog, LONG Seconds);
/* From the DpcForIsr: the device answered. */
VOID WatchdogAnswered(PWATCHDOG Watchdog);
/* At stop. */
VOID WatchdogStop(PWATCHDOG Watchdog);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_UNIT_IO_TIMER_DRIVER_H_
