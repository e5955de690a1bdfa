// race_disconnect_driver.c — see race_disconnect_driver.h.
#include "race_disconnect_driver.h"

static KSERVICE_ROUTINE DisconnectIsr;

static BOOLEAN DisconnectIsr(PKINTERRUPT Interrupt, PVOID Context) {
  PDISCONNECT_DEVICE device = (PDISCONNECT_DEVICE)Context;
  UNREFERENCED_PARAMETER(Interrupt);
  device->Count += 1u;
  device->LastCause = 1u;
  return TRUE;
}

NTSTATUS DisconnectConnect(PDISCONNECT_DEVICE Device, ULONG Vector, KIRQL Irql,
                           KAFFINITY Affinity) {
  return IoConnectInterrupt(&Device->Interrupt, DisconnectIsr, Device, NULL, Vector, Irql, Irql,
                            Latched, FALSE, Affinity, FALSE);
}

static VOID Clear(PDISCONNECT_DEVICE Device) {
  Device->LastCause = 0;
  Device->Count = 0;
}

VOID DisconnectThenClear(PDISCONNECT_DEVICE Device) {
  IoDisconnectInterrupt(Device->Interrupt);
  Device->Interrupt = NULL;
  Clear(Device);
}

VOID ClearThenDisconnect(PDISCONNECT_DEVICE Device) {
  Clear(Device);
  IoDisconnectInterrupt(Device->Interrupt);
  Device->Interrupt = NULL;
}
