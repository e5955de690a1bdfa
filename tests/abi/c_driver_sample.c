// A driver-style C file of the kind kemu exists for: an XP-targeted WDM driver that connects its
// interrupt with IoConnectInterruptEx through Iointex.lib and falls back to a fully specified
// connection, services it with an ISR and a DpcForIsr, and guards shared state with spin locks.
//
// Compiled only (it needs the emulator to link): the build checks that the WDK idioms below
// compile warning-free as C17 against kemu's headers, for NTDDI_WINXP and for the default target.
#include <wdm.h>
// After wdm.h, as the Iointex.lib documentation asks.
#include <iointex.h>

#if NTDDI_VERSION < NTDDI_VISTA && !defined(IoConnectInterruptEx)
#error "IoConnectInterruptEx must resolve to WdmlibIoConnectInterruptEx for pre-Vista targets"
#endif

#define SAMPLE_TAG 0x706D6153u  // "Samp" read as little-endian bytes

typedef struct _SAMPLE_EXTENSION {
  PDEVICE_OBJECT Self;
  PKINTERRUPT Interrupt;
  KSPIN_LOCK QueueLock;
  LIST_ENTRY Completed;
  LONG volatile InterruptCount;
  ULONG PendingStatus;
} SAMPLE_EXTENSION, *PSAMPLE_EXTENSION;

typedef struct _SAMPLE_REQUEST {
  LIST_ENTRY Link;
  ULONG Status;
} SAMPLE_REQUEST, *PSAMPLE_REQUEST;

KSERVICE_ROUTINE SampleIsr;
IO_DPC_ROUTINE SampleDpcForIsr;
KSYNCHRONIZE_ROUTINE SampleReadStatus;
NTSTATUS SampleStartDevice(PDEVICE_OBJECT Fdo, PDEVICE_OBJECT Pdo, PCM_RESOURCE_LIST Translated);
VOID SampleStopDevice(PDEVICE_OBJECT Fdo);

BOOLEAN SampleIsr(PKINTERRUPT Interrupt, PVOID ServiceContext) {
  PDEVICE_OBJECT fdo = (PDEVICE_OBJECT)ServiceContext;
  PSAMPLE_EXTENSION ext = (PSAMPLE_EXTENSION)fdo->DeviceExtension;
  UNREFERENCED_PARAMETER(Interrupt);
  InterlockedIncrement(&ext->InterruptCount);
  IoRequestDpc(fdo, fdo->CurrentIrp, ext);
  return TRUE;
}

BOOLEAN SampleReadStatus(PVOID SynchronizeContext) {
  PSAMPLE_EXTENSION ext = (PSAMPLE_EXTENSION)SynchronizeContext;
  ext->PendingStatus = 0;
  return TRUE;
}

VOID SampleDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  PSAMPLE_EXTENSION ext = (PSAMPLE_EXTENSION)Context;
  PSAMPLE_REQUEST request;
  KIRQL old_irql;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Irp);
  ASSERT(ext->Self == DeviceObject);

  KeSynchronizeExecution(ext->Interrupt, SampleReadStatus, ext);

  request = (PSAMPLE_REQUEST)ExAllocatePoolWithTag(NonPagedPool, sizeof(*request), SAMPLE_TAG);
  if (request == NULL) {
    return;
  }
  RtlZeroMemory(request, sizeof(*request));
  KeAcquireSpinLock(&ext->QueueLock, &old_irql);  // the macro form
  InsertTailList(&ext->Completed, &request->Link);
  KeReleaseSpinLock(&ext->QueueLock, old_irql);
}

static PCM_PARTIAL_RESOURCE_DESCRIPTOR FindInterrupt(PCM_RESOURCE_LIST Translated) {
  PCM_PARTIAL_RESOURCE_LIST list = &Translated->List[0].PartialResourceList;
  ULONG i;
  for (i = 0; i < list->Count; ++i) {
    if (list->PartialDescriptors[i].Type == CmResourceTypeInterrupt) {
      return &list->PartialDescriptors[i];
    }
  }
  return NULL;
}

NTSTATUS SampleStartDevice(PDEVICE_OBJECT Fdo, PDEVICE_OBJECT Pdo, PCM_RESOURCE_LIST Translated) {
  PSAMPLE_EXTENSION ext = (PSAMPLE_EXTENSION)Fdo->DeviceExtension;
  PCM_PARTIAL_RESOURCE_DESCRIPTOR irq;
  IO_CONNECT_INTERRUPT_PARAMETERS params;
  NTSTATUS status;
  KIRQL old_irql;

  PAGED_CODE();
  ext->Self = Fdo;
  KeInitializeSpinLock(&ext->QueueLock);
  InitializeListHead(&ext->Completed);
  IoInitializeDpcRequest(Fdo, SampleDpcForIsr);

  // Both the macro and the parenthesised call reach the kernel: the latter the real function.
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  KeLowerIrql(old_irql);
  (KeRaiseIrql)(DISPATCH_LEVEL, &old_irql);
  KeLowerIrql(old_irql);

  RtlZeroMemory(&params, sizeof(params));
  params.Version = CONNECT_LINE_BASED;
  params.LineBased.PhysicalDeviceObject = Pdo;
  params.LineBased.InterruptObject = &ext->Interrupt;
  params.LineBased.ServiceRoutine = SampleIsr;
  params.LineBased.ServiceContext = Fdo;
  status = IoConnectInterruptEx(&params);
  if (NT_SUCCESS(status) || params.Version != CONNECT_FULLY_SPECIFIED) {
    return status;
  }

  // Pre-Vista: Iointex.lib rewrote Version to CONNECT_FULLY_SPECIFIED; retry with the resources.
  irq = FindInterrupt(Translated);
  if (irq == NULL) {
    return STATUS_NOT_FOUND;
  }
  RtlZeroMemory(&params, sizeof(params));
  params.Version = CONNECT_FULLY_SPECIFIED;
  params.FullySpecified.PhysicalDeviceObject = Pdo;
  params.FullySpecified.InterruptObject = &ext->Interrupt;
  params.FullySpecified.ServiceRoutine = SampleIsr;
  params.FullySpecified.ServiceContext = Fdo;
  params.FullySpecified.Vector = irq->u.Interrupt.Vector;
  params.FullySpecified.Irql = (KIRQL)irq->u.Interrupt.Level;
  params.FullySpecified.SynchronizeIrql = (KIRQL)irq->u.Interrupt.Level;
  params.FullySpecified.ProcessorEnableMask = irq->u.Interrupt.Affinity;
  params.FullySpecified.InterruptMode =
      (irq->Flags & CM_RESOURCE_INTERRUPT_LATCHED) ? Latched : LevelSensitive;
  params.FullySpecified.ShareVector = (BOOLEAN)(irq->ShareDisposition == CmResourceShareShared);
  return IoConnectInterruptEx(&params);
}

VOID SampleStopDevice(PDEVICE_OBJECT Fdo) {
  PSAMPLE_EXTENSION ext = (PSAMPLE_EXTENSION)Fdo->DeviceExtension;
  IO_DISCONNECT_INTERRUPT_PARAMETERS params;
  PAGED_CODE();
  RtlZeroMemory(&params, sizeof(params));
  params.Version = CONNECT_FULLY_SPECIFIED;
  params.ConnectionContext.InterruptObject = ext->Interrupt;
  IoDisconnectInterruptEx(&params);
  while (!IsListEmpty(&ext->Completed)) {
    PLIST_ENTRY entry = RemoveHeadList(&ext->Completed);
    ExFreePoolWithTag(CONTAINING_RECORD(entry, SAMPLE_REQUEST, Link), SAMPLE_TAG);
  }
}
