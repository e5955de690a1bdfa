// race_passive_driver.c — see race_passive_driver.h.
#include "race_passive_driver.h"

static VOID Count(PRACE_PASSIVE driver) {
  if (driver->Plain) {
    driver->Presses++;
  } else {
    InterlockedIncrement(&driver->Presses);
  }
}

static BOOLEAN PassiveIsr(PKINTERRUPT Interrupt, PVOID Context) {
  PRACE_PASSIVE driver = (PRACE_PASSIVE)Context;
  UNREFERENCED_PARAMETER(Interrupt);
  Count(driver);
  (void)ExSetTimer(driver->Debounce, -10 * 1000, 0, NULL);  // debounce: 1 ms
  return TRUE;
}

static VOID Debounced(PEX_TIMER Timer, PVOID Context) {
  UNREFERENCED_PARAMETER(Timer);
  Count((PRACE_PASSIVE)Context);
}

NTSTATUS RacePassiveStart(PRACE_PASSIVE Driver, PDEVICE_OBJECT Pdo) {
  IO_CONNECT_INTERRUPT_PARAMETERS p;
  NTSTATUS status;
  Driver->Debounce = ExAllocateTimer(Debounced, Driver, EX_TIMER_HIGH_RESOLUTION);
  if (Driver->Debounce == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  RtlZeroMemory(&p, sizeof p);
  p.Version = CONNECT_LINE_BASED;
  p.LineBased.PhysicalDeviceObject = Pdo;
  p.LineBased.InterruptObject = &Driver->Interrupt;
  p.LineBased.ServiceRoutine = PassiveIsr;
  p.LineBased.ServiceContext = Driver;
  p.LineBased.SynchronizeIrql = PASSIVE_LEVEL;
  status = IoConnectInterruptEx(&p);
  if (!NT_SUCCESS(status)) (void)ExDeleteTimer(Driver->Debounce, TRUE, TRUE, NULL);
  return status;
}

VOID RacePassiveStop(PRACE_PASSIVE Driver) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS d;
  d.Version = CONNECT_LINE_BASED;
  d.ConnectionContext.InterruptObject = Driver->Interrupt;
  IoDisconnectInterruptEx(&d);
  (void)ExDeleteTimer(Driver->Debounce, TRUE, TRUE, NULL);
}
