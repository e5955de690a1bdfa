// race_device_driver.c — see race_device_driver.h.
#include "race_device_driver.h"

static BOOLEAN RaceDeviceIsr(PKINTERRUPT Interrupt, PVOID Context) {
  PRACE_DEVICE device = (PRACE_DEVICE)Context;
  ULONG cause = READ_REGISTER_ULONG((volatile ULONG*)(device->Registers + RACE_DEVICE_CAUSE));
  UNREFERENCED_PARAMETER(Interrupt);
  if (cause == 0) return FALSE;
  WRITE_REGISTER_ULONG((volatile ULONG*)(device->Registers + RACE_DEVICE_CAUSE), cause);
  KeInsertQueueDpc(&device->Dpc, NULL, NULL);
  return TRUE;
}

static VOID RaceDeviceDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_DEVICE device = (PRACE_DEVICE)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  device->Seen = device->Configuration;
}

static VOID Enable(PRACE_DEVICE Device) {
  WRITE_REGISTER_ULONG((volatile ULONG*)(Device->Registers + RACE_DEVICE_ENABLE), 1);
}

NTSTATUS RaceDeviceStart(PRACE_DEVICE Device, PCM_RESOURCE_LIST Translated,
                         BOOLEAN ConfigureFirst) {
  PCM_PARTIAL_RESOURCE_LIST list = &Translated->List[0].PartialResourceList;
  ULONG vector = 0;
  KIRQL irql = 0;
  ULONG i;
  NTSTATUS status;
  for (i = 0; i < list->Count; ++i) {
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
    if (d->Type == CmResourceTypeMemory) {
      Device->Registers = (PUCHAR)MmMapIoSpace(d->u.Memory.Start, d->u.Memory.Length, MmNonCached);
      Device->RegistersLength = d->u.Memory.Length;
    } else if (d->Type == CmResourceTypeInterrupt) {
      vector = d->u.Interrupt.Vector;
      irql = (KIRQL)d->u.Interrupt.Level;
    }
  }
  if (Device->Registers == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  KeInitializeDpc(&Device->Dpc, RaceDeviceDpc, Device);
  status = IoConnectInterrupt(&Device->Interrupt, RaceDeviceIsr, Device, NULL, vector, irql, irql,
                              LevelSensitive, TRUE, (KAFFINITY)-1, FALSE);
  if (!NT_SUCCESS(status)) return status;
  if (ConfigureFirst) {
    Device->Configuration = 42;
    Enable(Device);
  } else {
    Enable(Device);
    Device->Configuration = 42;  // the bug: the device may interrupt before this store
  }
  return STATUS_SUCCESS;
}

VOID RaceDeviceStop(PRACE_DEVICE Device) {
  WRITE_REGISTER_ULONG((volatile ULONG*)(Device->Registers + RACE_DEVICE_ENABLE), 0);
  IoDisconnectInterrupt(Device->Interrupt);
  KeFlushQueuedDpcs();
  MmUnmapIoSpace(Device->Registers, Device->RegistersLength);
}
