/* A legacy driver's lost-interrupt watchdog, as serial and storage drivers of the NT 4 era wrote
 * it: the device object's I/O timer ticks once a second, and a request the device has not
 * answered with an interrupt within its time is counted as timed out. For io_timer_test.cpp. */
#include "io_timer_driver.h"

#include <wdm.h>

#ifdef __cplusplus
#error "io_timer_driver.c must be compiled as C"
#endif

static IO_TIMER_ROUTINE WatchdogTick;

static VOID WatchdogTick(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  PWATCHDOG watchdog = (PWATCHDOG)Context;
  (void)DeviceObject;
  /* At DISPATCH_LEVEL already. */
  KeAcquireSpinLockAtDpcLevel(&watchdog->Lock);
  ++watchdog->Ticks;
  if (watchdog->SecondsLeft > 0 && --watchdog->SecondsLeft == 0) ++watchdog->TimedOut;
  KeReleaseSpinLockFromDpcLevel(&watchdog->Lock);
}

NTSTATUS WatchdogStart(PWATCHDOG Watchdog, PDEVICE_OBJECT Fdo) {
  NTSTATUS status;
  Watchdog->Fdo = Fdo;
  Watchdog->SecondsLeft = 0;
  Watchdog->TimedOut = 0;
  Watchdog->Ticks = 0;
  KeInitializeSpinLock(&Watchdog->Lock);
  status = IoInitializeTimer(Fdo, WatchdogTick, Watchdog);
  if (!NT_SUCCESS(status)) return status;
  IoStartTimer(Fdo);
  return STATUS_SUCCESS;
}

VOID WatchdogArm(PWATCHDOG Watchdog, LONG Seconds) {
  KIRQL old;
  KeAcquireSpinLock(&Watchdog->Lock, &old);
  Watchdog->SecondsLeft = Seconds;
  KeReleaseSpinLock(&Watchdog->Lock, old);
}

VOID WatchdogAnswered(PWATCHDOG Watchdog) {
  KeAcquireSpinLockAtDpcLevel(&Watchdog->Lock);
  Watchdog->SecondsLeft = 0;
  KeReleaseSpinLockFromDpcLevel(&Watchdog->Lock);
}

VOID WatchdogStop(PWATCHDOG Watchdog) { IoStopTimer(Watchdog->Fdo); }
