// nic_driver.c — start and stop the example NIC on every Windows from 2000 to 11 with one binary
// built for XP: resources, reset, the documented Vista fallback connect, enable, disable,
// disconnect. The ISR and DPC are in nic_interrupt.c; nic_driver.h has the walk-through.
#include "nic_internal.h"

/// A reset takes the device a few microseconds; give up after a millisecond.
#define NIC_RESET_POLLS 100
#define NIC_RESET_POLL_MICROSECONDS 10

/// The resources NicStartDevice needs, from one translated resource list.
typedef struct _NIC_RESOURCES {
  PHYSICAL_ADDRESS MemoryStart;
  ULONG MemoryLength;
  ULONG Vector;
  KIRQL Irql;
  KAFFINITY Affinity;
  KINTERRUPT_MODE Mode;
  BOOLEAN Shared;
} NIC_RESOURCES, *PNIC_RESOURCES;

/// KeFlushQueuedDpcs, resolved at run time: Windows 2000 does not export it.
typedef VOID NIC_FLUSH_QUEUED_DPCS(VOID);
typedef NIC_FLUSH_QUEUED_DPCS *PNIC_FLUSH_QUEUED_DPCS;

static KSYNCHRONIZE_ROUTINE NicEnableInterrupts;
static KSYNCHRONIZE_ROUTINE NicDisableInterrupts;

// ---------------------------------------------------------------------------------------------
// Resources and the device.

// A PCI function's resources come in one full descriptor. Raw (bus-relative) resources are not
// needed: MmMapIoSpace and the connect call both take translated values. A line descriptor wins
// over message descriptors because only the CONNECT_FULLY_SPECIFIED retry reads these values,
// and it happens on systems that grant lines only.
static BOOLEAN NicFindResources(PCM_RESOURCE_LIST Translated, PNIC_RESOURCES Resources) {
  PCM_PARTIAL_RESOURCE_LIST list;
  PCM_PARTIAL_RESOURCE_DESCRIPTOR interrupt = NULL;
  BOOLEAN memory_found = FALSE;
  ULONG i;

  if (Translated == NULL || Translated->Count == 0) {
    return FALSE;  // PNP-1: started without resources
  }
  list = &Translated->List[0].PartialResourceList;
  for (i = 0; i < list->Count; ++i) {
    PCM_PARTIAL_RESOURCE_DESCRIPTOR descriptor = &list->PartialDescriptors[i];
    if (descriptor->Type == CmResourceTypeMemory && !memory_found) {
      Resources->MemoryStart = descriptor->u.Memory.Start;
      Resources->MemoryLength = descriptor->u.Memory.Length;
      memory_found = TRUE;
    } else if (descriptor->Type == CmResourceTypeInterrupt &&
               (interrupt == NULL || (descriptor->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) == 0)) {
      interrupt = descriptor;
    }
  }
  if (!memory_found || Resources->MemoryLength < NIC_BAR_BYTES || interrupt == NULL) {
    return FALSE;
  }
  if ((interrupt->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) != 0) {
    Resources->Vector = interrupt->u.MessageInterrupt.Translated.Vector;
    Resources->Irql = (KIRQL)interrupt->u.MessageInterrupt.Translated.Level;
    Resources->Affinity = interrupt->u.MessageInterrupt.Translated.Affinity;
  } else {
    Resources->Vector = interrupt->u.Interrupt.Vector;
    Resources->Irql = (KIRQL)interrupt->u.Interrupt.Level;
    Resources->Affinity = interrupt->u.Interrupt.Affinity;
  }
  Resources->Mode =
      (interrupt->Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
  Resources->Shared = (BOOLEAN)(interrupt->ShareDisposition == CmResourceShareShared);
  return TRUE;
}

// Leaves the device with interrupts and the receiver off, no causes pending, and the ring empty.
static NTSTATUS NicResetDevice(PNIC_EXTENSION Extension) {
  ULONG poll;

  WRITE_REGISTER_ULONG(NicRegister(Extension, NIC_REG_CTRL), NIC_CTRL_RESET);
  for (poll = 0;; ++poll) {
    if ((READ_REGISTER_ULONG(NicRegister(Extension, NIC_REG_CTRL)) & NIC_CTRL_RESET) == 0) {
      break;
    }
    if (poll == NIC_RESET_POLLS) {
      return STATUS_DEVICE_NOT_READY;
    }
    KeStallExecutionProcessor(NIC_RESET_POLL_MICROSECONDS);
  }
  // The ring starts empty wherever the device's producer index is.
  Extension->RxHead = READ_REGISTER_ULONG(NicRegister(Extension, NIC_REG_RX_TAIL));
  WRITE_REGISTER_ULONG(NicRegister(Extension, NIC_REG_RX_HEAD), Extension->RxHead);
  return STATUS_SUCCESS;
}

// Both run under the interrupt lock, so the ISR never sees InterruptMask disagree with IMR.
static BOOLEAN NicEnableInterrupts(PVOID SynchronizeContext) {
  PNIC_EXTENSION extension = (PNIC_EXTENSION)SynchronizeContext;
  extension->InterruptMask = NIC_INT_ALL;
  WRITE_REGISTER_ULONG(NicRegister(extension, NIC_REG_IMR), NIC_INT_ALL);
  WRITE_REGISTER_ULONG(NicRegister(extension, NIC_REG_CTRL),
                       NIC_CTRL_INT_ENABLE | NIC_CTRL_RX_ENABLE);
  return TRUE;
}

static BOOLEAN NicDisableInterrupts(PVOID SynchronizeContext) {
  PNIC_EXTENSION extension = (PNIC_EXTENSION)SynchronizeContext;
  WRITE_REGISTER_ULONG(NicRegister(extension, NIC_REG_CTRL), 0);
  WRITE_REGISTER_ULONG(NicRegister(extension, NIC_REG_IMR), 0);
  extension->InterruptMask = 0;
  return TRUE;
}

// ---------------------------------------------------------------------------------------------
// Connecting: "Using IoConnectInterruptEx Prior to Windows Vista".

static NTSTATUS NicConnect(PNIC_EXTENSION Extension, PDEVICE_OBJECT Pdo,
                           const NIC_RESOURCES *Resources) {
  IO_CONNECT_INTERRUPT_PARAMETERS parameters;
  NTSTATUS status;

  RtlZeroMemory(&parameters, sizeof(parameters));
  parameters.Version = CONNECT_MESSAGE_BASED;
  parameters.MessageBased.PhysicalDeviceObject = Pdo;
  parameters.MessageBased.ConnectionContext.Generic = &Extension->ConnectionContext.Generic;
  parameters.MessageBased.MessageServiceRoutine = NicMessageIsr;
  parameters.MessageBased.ServiceContext = Extension;
  parameters.MessageBased.SpinLock = &Extension->InterruptLock;
  // A minimum: the kernel uses the highest DIRQL among the messages (UnifiedIrql).
  parameters.MessageBased.SynchronizeIrql = PASSIVE_LEVEL;
  // Registered as a line ISR when the device got no messages; Version comes back LINE_BASED.
  parameters.MessageBased.FallBackServiceRoutine = NicLineIsr;
  status = IoConnectInterruptEx(&parameters);
  Extension->FirstAttemptStatus = status;
  // Before Vista, Iointex.lib refuses every version but CONNECT_FULLY_SPECIFIED and says so by
  // rewriting Version. Any other failure is real: retrying would hide it.
  if (!NT_SUCCESS(status) && parameters.Version == CONNECT_FULLY_SPECIFIED) {
    // Start the retry from a clean slate: the union still holds MessageBased values.
    RtlZeroMemory(&parameters, sizeof(parameters));
    parameters.Version = CONNECT_FULLY_SPECIFIED;
    parameters.FullySpecified.PhysicalDeviceObject = Pdo;
    parameters.FullySpecified.InterruptObject = &Extension->ConnectionContext.InterruptObject;
    parameters.FullySpecified.ServiceRoutine = NicLineIsr;
    parameters.FullySpecified.ServiceContext = Extension;
    parameters.FullySpecified.SpinLock = &Extension->InterruptLock;
    parameters.FullySpecified.SynchronizeIrql = Resources->Irql;  // one interrupt on this lock
    parameters.FullySpecified.ShareVector = Resources->Shared;
    parameters.FullySpecified.Vector = Resources->Vector;
    parameters.FullySpecified.Irql = Resources->Irql;
    parameters.FullySpecified.InterruptMode = Resources->Mode;
    parameters.FullySpecified.ProcessorEnableMask = Resources->Affinity;
    status = IoConnectInterruptEx(&parameters);
  }
  if (!NT_SUCCESS(status)) {
    Extension->ConnectionContext.Generic = NULL;
    return status;
  }
  // The version in effect, which may differ from the one requested; disconnect needs it.
  Extension->ConnectVersion = parameters.Version;
  Extension->MessageUsed = (BOOLEAN)(parameters.Version == CONNECT_MESSAGE_BASED);
  return STATUS_SUCCESS;
}

// Every message shares InterruptLock, so any interrupt object of the connection will do.
static PKINTERRUPT NicAnyInterruptObject(PNIC_EXTENSION Extension) {
  return Extension->MessageUsed
             ? Extension->ConnectionContext.InterruptMessageTable->MessageInfo[0].InterruptObject
             : Extension->ConnectionContext.InterruptObject;
}

static VOID NicUnmapRegisters(PNIC_EXTENSION Extension) {
  MmUnmapIoSpace(Extension->Registers, Extension->RegisterLength);
  Extension->Registers = NULL;
  Extension->RegisterLength = 0;
}

// The receive buffers and the link-report work item. Non-paged: the DPC fills the buffers at
// DISPATCH_LEVEL. ExAllocatePoolWithTag rather than ExAllocatePool2, which Windows before 10
// (2004) does not export: this driver loads on Windows 2000.
static NTSTATUS NicAllocateResources(PNIC_EXTENSION Extension, PDEVICE_OBJECT Pdo) {
  Extension->RxBuffers = (PNIC_RX_BUFFER)ExAllocatePoolWithTag(
      NonPagedPool, NIC_RX_RING_SIZE * sizeof(NIC_RX_BUFFER), NIC_POOL_TAG);
  if (Extension->RxBuffers == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlZeroMemory(Extension->RxBuffers, NIC_RX_RING_SIZE * sizeof(NIC_RX_BUFFER));
  // A real driver names its own device object (the FDO); this example's caller has only the PDO.
  Extension->LinkWorkItem = IoAllocateWorkItem(Pdo);
  if (Extension->LinkWorkItem == NULL) {
    ExFreePoolWithTag(Extension->RxBuffers, NIC_POOL_TAG);
    Extension->RxBuffers = NULL;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  Extension->LinkReportQueued = FALSE;
  KeInitializeEvent(&Extension->LinkReportIdle, NotificationEvent, TRUE);
  return STATUS_SUCCESS;
}

static VOID NicFreeResources(PNIC_EXTENSION Extension) {
  IoFreeWorkItem(Extension->LinkWorkItem);
  Extension->LinkWorkItem = NULL;
#if defined(NIC_BUG_LEAK_RX_BUFFERS)
  // The bug: the buffers are forgotten, not freed. Each start leaks NIC_RX_RING_SIZE entries.
#else
  ExFreePoolWithTag(Extension->RxBuffers, NIC_POOL_TAG);
#endif
  Extension->RxBuffers = NULL;
}

// The DPC queues at most one link report at a time and clears LinkReportIdle when it does; the
// report sets it again. Called once nothing can queue the DPC, so nothing queues a report after.
static VOID NicWaitForLinkReport(PNIC_EXTENSION Extension) {
#if defined(NIC_BUG_WAIT_AT_DISPATCH)
  // The bug: "the flag is under Lock, so wait under Lock". KeAcquireSpinLock raises to
  // DISPATCH_LEVEL, where a thread cannot block; and the report itself needs Lock to finish.
  KIRQL old_irql;
  KeAcquireSpinLock(&Extension->Lock, &old_irql);
  (void)KeWaitForSingleObject(&Extension->LinkReportIdle, Executive, KernelMode, FALSE, NULL);
  KeReleaseSpinLock(&Extension->Lock, old_irql);
#else
  (void)KeWaitForSingleObject(&Extension->LinkReportIdle, Executive, KernelMode, FALSE, NULL);
#endif
}

NTSTATUS NicStartDevice(PNIC_EXTENSION Extension, PDEVICE_OBJECT Pdo, PCM_RESOURCE_LIST Raw,
                        PCM_RESOURCE_LIST Translated) {
  NIC_RESOURCES resources;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(Raw);

  PAGED_CODE();
  RtlZeroMemory(&resources, sizeof(resources));
  if (!NicFindResources(Translated, &resources)) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  Extension->Registers =
      (PUCHAR)MmMapIoSpace(resources.MemoryStart, resources.MemoryLength, MmNonCached);
  if (Extension->Registers == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  Extension->RegisterLength = resources.MemoryLength;
  Extension->PhysicalDeviceObject = Pdo;
  status = NicAllocateResources(Extension, Pdo);
  if (!NT_SUCCESS(status)) {
    NicUnmapRegisters(Extension);
    return status;
  }
  // DPC-12: the ISR can run, and queue the DPC, before IoConnectInterruptEx has returned.
  KeInitializeDpc(&Extension->Dpc, NicDpc, Extension);
  Extension->DpcsOutstanding = 0;
  KeInitializeEvent(&Extension->DpcIdle, NotificationEvent, TRUE);
  KeInitializeSpinLock(&Extension->InterruptLock);
  KeInitializeSpinLock(&Extension->Lock);
  // Left by a DPC that the last NicStopDevice removed from the queue before it ran.
  Extension->PendingCauses = 0;
  Extension->PendingInterrupts = 0;

  status = NicResetDevice(Extension);
  if (NT_SUCCESS(status)) {
    status = NicConnect(Extension, Pdo, &resources);
  }
  if (!NT_SUCCESS(status)) {
    NicFreeResources(Extension);
    NicUnmapRegisters(Extension);
    return status;
  }
  // Only now may the device interrupt: an ISR must be connected before the device can raise it.
  (void)KeSynchronizeExecution(NicAnyInterruptObject(Extension), NicEnableInterrupts, Extension);
  return STATUS_SUCCESS;
}

// ---------------------------------------------------------------------------------------------
// Stopping.

VOID NicStopDevice(PNIC_EXTENSION Extension) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS parameters;
  UNICODE_STRING flush_name = RTL_CONSTANT_STRING(L"KeFlushQueuedDpcs");
  PNIC_FLUSH_QUEUED_DPCS flush_queued_dpcs;

  PAGED_CODE();
  if (Extension->ConnectVersion == 0) {
    return;  // never started, or start failed and cleaned up
  }
  // Quiet the device first, so that nothing keeps firing on a shared line once the ISR is gone.
  // With InterruptMask 0 the ISR claims nothing and queues no DPC from here on.
  (void)KeSynchronizeExecution(NicAnyInterruptObject(Extension), NicDisableInterrupts, Extension);

  // DPC-11: the DPC takes its causes through KeSynchronizeExecution on the interrupt object, so
  // it must be finished before the interrupt is disconnected. Drop a queued run, then wait for one
  // still running on another processor. The count works on every release; KeFlushQueuedDpcs
  // (XP on) also waits out the DPC's last instructions after it set the event. Calling it
  // directly would keep the driver from loading on Windows 2000, which lacks it, so it is looked
  // up at run time. Through ULONG_PTR: ISO C has no object-to-function pointer conversion.
  if (KeRemoveQueueDpc(&Extension->Dpc)) {
    (void)InterlockedDecrement(&Extension->DpcsOutstanding);
  }
  KeClearEvent(&Extension->DpcIdle);
  if (InterlockedCompareExchange(&Extension->DpcsOutstanding, 0, 0) != 0) {
    (void)KeWaitForSingleObject(&Extension->DpcIdle, Executive, KernelMode, FALSE, NULL);
  }
  flush_queued_dpcs = (PNIC_FLUSH_QUEUED_DPCS)(ULONG_PTR)MmGetSystemRoutineAddress(&flush_name);
  if (flush_queued_dpcs != NULL) {
    flush_queued_dpcs();
  }

  // The version connect *returned*, with the matching member of what it wrote back.
  RtlZeroMemory(&parameters, sizeof(parameters));
  parameters.Version = Extension->ConnectVersion;
  parameters.ConnectionContext.Generic = Extension->ConnectionContext.Generic;
  IoDisconnectInterruptEx(&parameters);
  Extension->ConnectionContext.Generic = NULL;
  Extension->ConnectVersion = 0;
  Extension->MessageUsed = FALSE;

  // No DPC is left to queue a link report; one already queued may not have run yet, and its
  // work item and the extension must outlive it.
  NicWaitForLinkReport(Extension);
  NicFreeResources(Extension);
  NicUnmapRegisters(Extension);
}

const char *NicConnectVersionName(ULONG Version) {
  switch (Version) {
    case 0:
      return "none";
    case CONNECT_FULLY_SPECIFIED:
      return "CONNECT_FULLY_SPECIFIED";
    case CONNECT_LINE_BASED:
      return "CONNECT_LINE_BASED";
    case CONNECT_MESSAGE_BASED:
      return "CONNECT_MESSAGE_BASED";
    case CONNECT_FULLY_SPECIFIED_GROUP:
      return "CONNECT_FULLY_SPECIFIED_GROUP";
    case CONNECT_MESSAGE_BASED_PASSIVE:
      return "CONNECT_MESSAGE_BASED_PASSIVE";
    default:
      return "CONNECT_(unknown)";
  }
}

const NIC_DRIVER NIC_VARIANT = {
    NIC_VARIANT_NAME,
    NicStartDevice,
    NicStopDevice,
    NicGetStatistics,
};
