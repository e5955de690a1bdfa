// tiny_driver.c — built for XP, as drivers that must also load on 2000/XP/2003 are.
#include "tiny_driver.h"

#include <iointex.h>

static BOOLEAN TinyIsr(PKINTERRUPT Interrupt, PVOID ServiceContext) {
  PTINY_EXTENSION extension = (PTINY_EXTENSION)ServiceContext;
  (void)Interrupt;
  ++extension->IsrCalls;
  return TRUE;
}

NTSTATUS TinyStartDevice(PTINY_EXTENSION Extension, PDEVICE_OBJECT Pdo,
                         PCM_RESOURCE_LIST Translated) {
  IO_CONNECT_INTERRUPT_PARAMETERS parameters;
  PCM_PARTIAL_RESOURCE_DESCRIPTOR line;
  NTSTATUS status;

  if (Translated == NULL || Translated->Count == 0 ||
      Translated->List[0].PartialResourceList.Count == 0) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  line = &Translated->List[0].PartialResourceList.PartialDescriptors[0];
  if (line->Type != CmResourceTypeInterrupt) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  KeInitializeSpinLock(&Extension->InterruptLock);

  RtlZeroMemory(&parameters, sizeof(parameters));
  parameters.Version = CONNECT_FULLY_SPECIFIED;
  parameters.FullySpecified.PhysicalDeviceObject = Pdo;
  parameters.FullySpecified.InterruptObject = &Extension->Interrupt;
  parameters.FullySpecified.ServiceRoutine = TinyIsr;
  parameters.FullySpecified.ServiceContext = Extension;
  parameters.FullySpecified.SpinLock = &Extension->InterruptLock;
  parameters.FullySpecified.SynchronizeIrql = (KIRQL)line->u.Interrupt.Level;
  parameters.FullySpecified.FloatingSave = FALSE;
  parameters.FullySpecified.ShareVector =
      (BOOLEAN)(line->ShareDisposition == CmResourceShareShared);
  parameters.FullySpecified.Vector = line->u.Interrupt.Vector;
  parameters.FullySpecified.Irql = (KIRQL)line->u.Interrupt.Level;
  parameters.FullySpecified.InterruptMode =
      (line->Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
  parameters.FullySpecified.ProcessorEnableMask = line->u.Interrupt.Affinity;
  status = IoConnectInterruptEx(&parameters);
  return status;
}

VOID TinyStopDevice(PTINY_EXTENSION Extension) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS parameters;

  if (Extension->Interrupt == NULL) {
    return;
  }
  RtlZeroMemory(&parameters, sizeof(parameters));
  parameters.Version = CONNECT_FULLY_SPECIFIED;
  parameters.ConnectionContext.InterruptObject = Extension->Interrupt;
  IoDisconnectInterruptEx(&parameters);
  Extension->Interrupt = NULL;
}
