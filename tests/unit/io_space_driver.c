/* A small C17 driver core for io_space_test.cpp: a UART-like device with a memory BAR of
 * registers, an I/O port range and a level-triggered line. It does what a real start routine and
 * ISR do — walk the translated resources, MmMapIoSpace the BAR, connect the ISR, acknowledge
 * through a write-1-to-clear cause register — so the tests exercise kemu's register routing from
 * real C frames. */
#include "io_space_driver.h"

#ifdef __cplusplus
#error "io_space_driver.c must be compiled as C"
#endif

static volatile ULONG *Register(PIO_DRV_DEVICE Device, ULONG Offset) {
  return (volatile ULONG *)(Device->Registers + Offset);
}

static BOOLEAN IoDrvIsr(PKINTERRUPT Interrupt, PVOID ServiceContext) {
  PIO_DRV_DEVICE device = (PIO_DRV_DEVICE)ServiceContext;
  ULONG cause;
  UNREFERENCED_PARAMETER(Interrupt);
  cause = READ_REGISTER_ULONG(Register(device, IO_DRV_CAUSE));
  if (cause == 0) {
    return FALSE; /* not ours: a shared line */
  }
  device->LastCause = cause;
  device->IsrCalls++;
  if (device->Acknowledge) {
    WRITE_REGISTER_ULONG(Register(device, IO_DRV_CAUSE), cause); /* write 1 to clear */
  }
  return TRUE;
}

NTSTATUS IoDrvStart(PIO_DRV_DEVICE Device, PCM_RESOURCE_LIST Translated) {
  PCM_PARTIAL_RESOURCE_LIST list = &Translated->List[0].PartialResourceList;
  ULONG vector = 0;
  KIRQL irql = 0;
  KINTERRUPT_MODE mode = LevelSensitive;
  ULONG i;
  NTSTATUS status;
  for (i = 0; i < list->Count; ++i) {
    PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
    switch (d->Type) {
      case CmResourceTypeMemory:
        Device->Registers =
            (PUCHAR)MmMapIoSpace(d->u.Memory.Start, d->u.Memory.Length, MmNonCached);
        Device->RegistersLength = d->u.Memory.Length;
        break;
      case CmResourceTypePort:
        Device->Ports = (PUCHAR)(ULONG_PTR)d->u.Port.Start.LowPart;
        break;
      case CmResourceTypeInterrupt:
        vector = d->u.Interrupt.Vector;
        irql = (KIRQL)d->u.Interrupt.Level;
        mode = (d->Flags & CM_RESOURCE_INTERRUPT_LATCHED) ? Latched : LevelSensitive;
        break;
      default:
        break;
    }
  }
  if (Device->Registers == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  status = IoConnectInterrupt(&Device->Interrupt, IoDrvIsr, Device, NULL, vector, irql, irql, mode,
                              FALSE, (KAFFINITY)-1, FALSE);
  if (!NT_SUCCESS(status)) {
    MmUnmapIoSpace(Device->Registers, Device->RegistersLength);
    Device->Registers = NULL;
  }
  return status;
}

VOID IoDrvStop(PIO_DRV_DEVICE Device) {
  IoDisconnectInterrupt(Device->Interrupt);
  Device->Interrupt = NULL;
  MmUnmapIoSpace(Device->Registers, Device->RegistersLength);
  Device->Registers = NULL;
}

VOID IoDrvResetHardware(PIO_DRV_DEVICE Device) {
  WRITE_REGISTER_ULONG(Register(Device, IO_DRV_CONTROL), IO_DRV_CONTROL_RESET);
  /* The device clears the reset bit when it is done. A real driver would bound this loop. */
  while (READ_REGISTER_ULONG(Register(Device, IO_DRV_CONTROL)) & IO_DRV_CONTROL_RESET) {
  }
  WRITE_REGISTER_ULONG(Register(Device, IO_DRV_ENABLE), IO_DRV_CAUSE_RX);
}

UCHAR IoDrvReadLineStatus(PIO_DRV_DEVICE Device) {
  return READ_PORT_UCHAR(Device->Ports + IO_DRV_PORT_LINE_STATUS);
}

ULONG IoDrvReadUnmapped(PIO_DRV_DEVICE Device) {
  /* Bug: one register past the end of the mapping. */
  return READ_REGISTER_ULONG(Register(Device, Device->RegistersLength));
}
