// fallback_driver.c — connect, service and disconnect one device's interrupt on every Windows from
// 2000 to 11 with a single binary built for XP. See fallback_driver.h for the walk-through.
#include "fallback_driver.h"

#if NTDDI_VERSION < NTDDI_VISTA && !defined(IoConnectInterruptEx)
#error "an XP-targeted driver must reach IoConnectInterruptEx through Iointex.lib (iointex.h)"
#endif

/// The values a CONNECT_FULLY_SPECIFIED connection needs, taken from one translated descriptor.
typedef struct _FALLBACK_INTERRUPT_RESOURCE {
  ULONG Vector;
  KIRQL Irql;
  KAFFINITY Affinity;
  KINTERRUPT_MODE Mode;
  BOOLEAN Shared;
} FALLBACK_INTERRUPT_RESOURCE, *PFALLBACK_INTERRUPT_RESOURCE;

/// What the DPC hands to KeSynchronizeExecution, and gets back.
typedef struct _FALLBACK_TAKE_EVENTS_CONTEXT {
  PFALLBACK_DEVICE_EXTENSION Extension;
  ULONG Events;
} FALLBACK_TAKE_EVENTS_CONTEXT, *PFALLBACK_TAKE_EVENTS_CONTEXT;

/// KeFlushQueuedDpcs, resolved at run time: Windows 2000 does not export it.
typedef VOID FALLBACK_FLUSH_QUEUED_DPCS(VOID);
typedef FALLBACK_FLUSH_QUEUED_DPCS *PFALLBACK_FLUSH_QUEUED_DPCS;

static KSERVICE_ROUTINE FallbackLineIsr;
static KMESSAGE_SERVICE_ROUTINE FallbackMessageIsr;
static KDEFERRED_ROUTINE FallbackDpc;
static KSYNCHRONIZE_ROUTINE FallbackTakePendingEvents;

// ---------------------------------------------------------------------------------------------
// Resources.

// A PCI function's resources arrive in one full descriptor, so List[0] is the only one examined.
// A line descriptor wins over message descriptors because the only caller of these values is the
// CONNECT_FULLY_SPECIFIED retry, which happens on systems that grant lines only; a message
// descriptor is still accepted so that a message-only device is not refused before the kernel has
// had its say.
static BOOLEAN FallbackFindInterrupt(PCM_RESOURCE_LIST Translated,
                                     PFALLBACK_INTERRUPT_RESOURCE Resource) {
  PCM_PARTIAL_RESOURCE_LIST list;
  PCM_PARTIAL_RESOURCE_DESCRIPTOR found = NULL;
  ULONG i;

  // PNP-1: a device started without resources gets NULL lists.
  if (Translated == NULL || Translated->Count == 0) {
    return FALSE;
  }
  list = &Translated->List[0].PartialResourceList;
  for (i = 0; i < list->Count; ++i) {
    PCM_PARTIAL_RESOURCE_DESCRIPTOR descriptor = &list->PartialDescriptors[i];
    if (descriptor->Type != CmResourceTypeInterrupt) {
      continue;
    }
    if ((descriptor->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) == 0) {
      found = descriptor;
      break;
    }
    if (found == NULL) {
      found = descriptor;
    }
  }
  if (found == NULL) {
    return FALSE;
  }

  if ((found->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) != 0) {
    Resource->Vector = found->u.MessageInterrupt.Translated.Vector;
    Resource->Irql = (KIRQL)found->u.MessageInterrupt.Translated.Level;
    Resource->Affinity = found->u.MessageInterrupt.Translated.Affinity;
  } else {
    Resource->Vector = found->u.Interrupt.Vector;
    Resource->Irql = (KIRQL)found->u.Interrupt.Level;
    Resource->Affinity = found->u.Interrupt.Affinity;
  }
  Resource->Mode = (found->Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
  Resource->Shared = (BOOLEAN)(found->ShareDisposition == CmResourceShareShared);
  return TRUE;
}

// ---------------------------------------------------------------------------------------------
// Connecting.

static VOID FallbackPrepareMessageBased(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters,
                                        PFALLBACK_DEVICE_EXTENSION Extension, PDEVICE_OBJECT Pdo) {
  PIO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS message = &Parameters->MessageBased;

  RtlZeroMemory(Parameters, sizeof(*Parameters));
  Parameters->Version = CONNECT_MESSAGE_BASED;
  message->PhysicalDeviceObject = Pdo;
  // The kernel writes the message table, or the line's interrupt object after a fallback, here.
  message->ConnectionContext.Generic = &Extension->ConnectionContext.Generic;
  message->MessageServiceRoutine = FallbackMessageIsr;
  message->ServiceContext = Extension;
  message->SpinLock = &Extension->InterruptLock;
  // A minimum: the kernel raises it to the highest DIRQL among the messages (UnifiedIrql).
  message->SynchronizeIrql = PASSIVE_LEVEL;
  message->FloatingSave = FALSE;
  // Registered as a line ISR when the device was granted no messages; Version then comes back as
  // CONNECT_LINE_BASED (EX-4).
  message->FallBackServiceRoutine = FallbackLineIsr;
}

static VOID FallbackPrepareFullySpecified(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters,
                                          PFALLBACK_DEVICE_EXTENSION Extension, PDEVICE_OBJECT Pdo,
                                          const FALLBACK_INTERRUPT_RESOURCE *Resource) {
  PIO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS fully = &Parameters->FullySpecified;

  // The refused request left MessageBased values in the union; start the retry from a clean slate.
  RtlZeroMemory(Parameters, sizeof(*Parameters));
  Parameters->Version = CONNECT_FULLY_SPECIFIED;
  fully->PhysicalDeviceObject = Pdo;
  fully->InterruptObject = &Extension->ConnectionContext.InterruptObject;
  fully->ServiceRoutine = FallbackLineIsr;
  fully->ServiceContext = Extension;
  fully->SpinLock = &Extension->InterruptLock;
  // One interrupt behind this lock, so its own DIRQL is the synchronisation IRQL.
  fully->SynchronizeIrql = Resource->Irql;
  fully->FloatingSave = FALSE;
  fully->ShareVector = Resource->Shared;
  fully->Vector = Resource->Vector;
  fully->Irql = Resource->Irql;
  fully->InterruptMode = Resource->Mode;
  fully->ProcessorEnableMask = Resource->Affinity;
}

VOID FallbackInitializeExtension(PFALLBACK_DEVICE_EXTENSION Extension,
                                 PFALLBACK_ACKNOWLEDGE_ROUTINE AcknowledgeInterrupt,
                                 PVOID HardwareContext) {
  RtlZeroMemory(Extension, sizeof(*Extension));
  Extension->AcknowledgeInterrupt = AcknowledgeInterrupt;
  Extension->HardwareContext = HardwareContext;
  Extension->LastMessageId = FALLBACK_LINE_INTERRUPT;
}

NTSTATUS FallbackStartDevice(PFALLBACK_DEVICE_EXTENSION Extension, PDEVICE_OBJECT Pdo,
                             PCM_RESOURCE_LIST Translated) {
  IO_CONNECT_INTERRUPT_PARAMETERS parameters;
  FALLBACK_INTERRUPT_RESOURCE resource;
  NTSTATUS status;

  PAGED_CODE();
  if (!FallbackFindInterrupt(Translated, &resource)) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  Extension->PhysicalDeviceObject = Pdo;
  Extension->ConnectionContext.Generic = NULL;
  Extension->ConnectVersion = 0;
  Extension->MessageUsed = FALSE;
  // DPC-12: the ISR can run, and queue this DPC, before IoConnectInterruptEx has even returned
  // (an interrupt already pending on the line is delivered the moment the ISR is live).
  KeInitializeDpc(&Extension->Dpc, FallbackDpc, Extension);
  KeInitializeSpinLock(&Extension->InterruptLock);

  FallbackPrepareMessageBased(&parameters, Extension, Pdo);
  status = IoConnectInterruptEx(&parameters);
  Extension->FirstAttemptStatus = status;
  if (!NT_SUCCESS(status)) {
    // Before Vista, Iointex.lib refuses every version but CONNECT_FULLY_SPECIFIED and says so by
    // rewriting Version (EX-2, EX-8). The page's prose has the test backwards ("!="); its sample
    // and docs/windows-facts.md §2.7 agree on "==". Any other failure is a real one: retrying would
    // hide it.
    if (parameters.Version != CONNECT_FULLY_SPECIFIED) {
      return status;
    }
    FallbackPrepareFullySpecified(&parameters, Extension, Pdo, &resource);
    status = IoConnectInterruptEx(&parameters);
    if (!NT_SUCCESS(status)) {
      return status;
    }
  }
  // The version in effect, which may differ from the one requested; disconnect needs it (EX-6).
  Extension->ConnectVersion = parameters.Version;
  Extension->MessageUsed = (BOOLEAN)(parameters.Version == CONNECT_MESSAGE_BASED);
  return STATUS_SUCCESS;
}

// ---------------------------------------------------------------------------------------------
// Servicing.

// Both ISRs run at DIRQL holding InterruptLock (every connection is made with it), so the
// extension's ISR fields need no further synchronisation.
static BOOLEAN FallbackServiceInterrupt(PFALLBACK_DEVICE_EXTENSION Extension, PKINTERRUPT Interrupt,
                                        ULONG MessageId) {
  ++Extension->IsrCalls;
  Extension->LastIsrIrql = KeGetCurrentIrql();
  if (!Extension->AcknowledgeInterrupt(Extension->HardwareContext, MessageId)) {
    // Not ours: return at once so the other ISRs on a shared line get their turn
    // (docs/windows-facts.md §9.3).
    return FALSE;
  }
  ++Extension->InterruptsClaimed;
  Extension->LastMessageId = MessageId;
  ++Extension->PendingEvents;
  // The ISR passes its own interrupt object rather than the DPC reading ConnectionContext: the
  // DPC may run before IoConnectInterruptEx has returned and the driver has stored anything.
  // FALSE (already queued) is fine: that DPC has not yet taken the events and will take this one.
  (void)KeInsertQueueDpc(&Extension->Dpc, Interrupt, NULL);
  return TRUE;
}

static BOOLEAN FallbackLineIsr(PKINTERRUPT Interrupt, PVOID ServiceContext) {
  return FallbackServiceInterrupt((PFALLBACK_DEVICE_EXTENSION)ServiceContext, Interrupt,
                                  FALLBACK_LINE_INTERRUPT);
}

// A message ISR can be called when its message was not sent (messages may be shared) and several
// identical messages can arrive as one call, so it checks the device like the line ISR does.
static BOOLEAN FallbackMessageIsr(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG MessageID) {
  return FallbackServiceInterrupt((PFALLBACK_DEVICE_EXTENSION)ServiceContext, Interrupt, MessageID);
}

// Runs under the interrupt lock at its SynchronizeIrql, so the ISR cannot be halfway through
// PendingEvents on any processor.
static BOOLEAN FallbackTakePendingEvents(PVOID SynchronizeContext) {
  PFALLBACK_TAKE_EVENTS_CONTEXT take = (PFALLBACK_TAKE_EVENTS_CONTEXT)SynchronizeContext;
  take->Events = take->Extension->PendingEvents;
  take->Extension->PendingEvents = 0;
  return TRUE;
}

static VOID FallbackDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                        PVOID SystemArgument2) {
  PFALLBACK_DEVICE_EXTENSION extension = (PFALLBACK_DEVICE_EXTENSION)DeferredContext;
  // Any of the connection's interrupt objects will do: they all share InterruptLock. For a
  // message connection this is MessageInfo[MessageID].InterruptObject of the message that fired.
  PKINTERRUPT interrupt = (PKINTERRUPT)SystemArgument1;
  FALLBACK_TAKE_EVENTS_CONTEXT take;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument2);

  extension->LastDpcIrql = KeGetCurrentIrql();
  take.Extension = extension;
  take.Events = 0;
  (void)KeSynchronizeExecution(interrupt, FallbackTakePendingEvents, &take);
  // A real driver would complete requests for these events here, at DISPATCH_LEVEL.
  (void)InterlockedExchangeAdd(&extension->EventsHandled, (LONG)take.Events);
  (void)InterlockedIncrement(&extension->DpcCount);
}

// ---------------------------------------------------------------------------------------------
// Disconnecting.

VOID FallbackStopDevice(PFALLBACK_DEVICE_EXTENSION Extension) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS parameters;
  UNICODE_STRING flush_name = RTL_CONSTANT_STRING(L"KeFlushQueuedDpcs");
  PFALLBACK_FLUSH_QUEUED_DPCS flush_queued_dpcs;

  PAGED_CODE();
  if (Extension->ConnectVersion == 0) {
    return;  // never started, or start failed: nothing is connected
  }
  // On real hardware the driver masks interrupts at the device first (docs/windows-facts.md §3), so
  // that nothing on a shared line keeps firing for it; kemu has no register model for that yet.

  // EX-6: the version connect *returned*, with the matching member of what it wrote back.
  RtlZeroMemory(&parameters, sizeof(parameters));
  parameters.Version = Extension->ConnectVersion;
  if (Extension->ConnectVersion == CONNECT_MESSAGE_BASED) {
    parameters.ConnectionContext.InterruptMessageTable =
        Extension->ConnectionContext.InterruptMessageTable;
  } else {
    parameters.ConnectionContext.InterruptObject = Extension->ConnectionContext.InterruptObject;
  }
  IoDisconnectInterruptEx(&parameters);
  Extension->ConnectionContext.Generic = NULL;
  Extension->ConnectVersion = 0;
  Extension->MessageUsed = FALSE;

  // DPC-11: with the ISR gone nothing queues the DPC again; drop a queued one, then wait for one
  // still running elsewhere. KeFlushQueuedDpcs exists from XP on: calling it directly would make
  // the driver fail to load on Windows 2000, so it is looked up at run time. (There, a driver
  // would wait by other means; KeRemoveQueueDpc is all this example does.)
  (void)KeRemoveQueueDpc(&Extension->Dpc);
  // Through ULONG_PTR: ISO C has no object-to-function pointer conversion (MSVC does not mind).
  flush_queued_dpcs =
      (PFALLBACK_FLUSH_QUEUED_DPCS)(ULONG_PTR)MmGetSystemRoutineAddress(&flush_name);
  if (flush_queued_dpcs != NULL) {
    flush_queued_dpcs();
  }
}

const char *FallbackConnectVersionName(ULONG Version) {
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
