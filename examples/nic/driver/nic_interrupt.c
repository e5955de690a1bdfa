// nic_interrupt.c — the example NIC's interrupt path: the ISR (line and message), the DPC that
// drains the receive ring, and the statistics the DPC shares with NicGetStatistics. This is where
// the NIC_BUG_* variants differ from the correct driver.
#include "nic_internal.h"

/// What the DPC hands to KeSynchronizeExecution, and gets back.
typedef struct _NIC_TAKE_CAUSES {
  PNIC_EXTENSION Extension;
  ULONG Causes;
  ULONG Interrupts;
} NIC_TAKE_CAUSES, *PNIC_TAKE_CAUSES;

#if !defined(NIC_BUG_UNSYNCHRONIZED_DPC)
static KSYNCHRONIZE_ROUTINE NicTakeCauses;
#endif

// Runs at DIRQL holding InterruptLock (every connection is made with it).
static BOOLEAN NicServiceInterrupt(PNIC_EXTENSION Extension, PKINTERRUPT Interrupt) {
  ULONG causes;

  ++Extension->IsrCalls;
  Extension->LastIsrIrql = KeGetCurrentIrql();
  Extension->LastIsrProcessor = KeGetCurrentProcessorNumber();
  causes = READ_REGISTER_ULONG(NicRegister(Extension, NIC_REG_ISR));
  // All ones: the card is gone (surprise removal) and the bus reads as ones.
  if (causes == 0xFFFFFFFFu) {
    return FALSE;
  }
  causes &= Extension->InterruptMask;
  if (causes == 0) {
    return FALSE;  // another device on the shared line; let its ISR run
  }
#if defined(NIC_BUG_NO_ACK)
  // The bug: no acknowledgement. The causes stay set, so a level line stays asserted and the ISR
  // is called again and again (an interrupt storm); with MSI the card sends no further message.
#else
  // Write 1 to clear: the device drops its level line (or may send its next message).
  WRITE_REGISTER_ULONG(NicRegister(Extension, NIC_REG_ISR), causes);
#endif
  Extension->PendingCauses |= causes;
#if defined(NIC_BUG_SPINLOCK_AT_DIRQL)
  {
    // The bug: Lock is a DISPATCH_LEVEL lock and this is DIRQL. KeAcquireSpinLock would lower the
    // IRQL (and NicGetStatistics may hold Lock on this very processor: a deadlock).
    KIRQL old_irql;
    KeAcquireSpinLock(&Extension->Lock, &old_irql);
    ++Extension->Statistics.Interrupts;
    KeReleaseSpinLock(&Extension->Lock, old_irql);
  }
#else
  ++Extension->PendingInterrupts;
#endif
  // The interrupt object rides along: the DPC may run before connect has returned and the driver
  // has stored the connection context. FALSE (already queued) is fine: that DPC will take these
  // causes too. Counted only when queued: each count is one run of the DPC to come. The DPC may
  // run on another processor and uncount itself first; the sum is right once this ISR returns,
  // and the stop path reads it only after synchronising with the ISR.
  if (KeInsertQueueDpc(&Extension->Dpc, Interrupt, NULL)) {
    (void)InterlockedIncrement(&Extension->DpcsOutstanding);
  }
  return TRUE;
}

BOOLEAN NicLineIsr(PKINTERRUPT Interrupt, PVOID ServiceContext) {
  return NicServiceInterrupt((PNIC_EXTENSION)ServiceContext, Interrupt);
}

// One cause register serves every message, so the message ID does not matter.
BOOLEAN NicMessageIsr(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG MessageID) {
  UNREFERENCED_PARAMETER(MessageID);
  return NicServiceInterrupt((PNIC_EXTENSION)ServiceContext, Interrupt);
}

#if !defined(NIC_BUG_UNSYNCHRONIZED_DPC)
// Under the interrupt lock at SynchronizeIrql: the ISR cannot be halfway through the cause word.
static BOOLEAN NicTakeCauses(PVOID SynchronizeContext) {
  PNIC_TAKE_CAUSES take = (PNIC_TAKE_CAUSES)SynchronizeContext;
  take->Extension->LastSynchronizeIrql = KeGetCurrentIrql();
  take->Causes = take->Extension->PendingCauses;
  take->Interrupts = take->Extension->PendingInterrupts;
  take->Extension->PendingCauses = 0;
  take->Extension->PendingInterrupts = 0;
  return TRUE;
}
#endif

// Called with Lock held. The counter clears when read, so two readers must not interleave.
static VOID NicFoldMissedFramesLocked(PNIC_EXTENSION Extension) {
  Extension->Statistics.RxMissed += READ_REGISTER_ULONG(NicRegister(Extension, NIC_REG_RX_MISSED));
}

// Called with Lock held. Takes every completed frame between RxHead and the device's RX_TAIL and
// hands the slots back by advancing RX_HEAD.
static VOID NicReceiveLocked(PNIC_EXTENSION Extension) {
  ULONG tail = READ_REGISTER_ULONG(NicRegister(Extension, NIC_REG_RX_TAIL)) % NIC_RX_RING_SIZE;
  ULONG head = Extension->RxHead;
  PNIC_RX_BUFFER buffer;

  while (head != tail) {
    ULONG flags =
        READ_REGISTER_ULONG(NicRegister(Extension, NIC_RX_DESC(head) + NIC_RX_DESC_FLAGS));
    if ((flags & NIC_RX_DESC_DONE) == 0) {
      break;  // the device has not finished writing this one
    }
    // Copy the descriptor out so the slot can go back to the card at once. A real driver would
    // indicate the frame to NDIS from this buffer.
    buffer = &Extension->RxBuffers[head];
    buffer->Length =
        READ_REGISTER_ULONG(NicRegister(Extension, NIC_RX_DESC(head) + NIC_RX_DESC_LENGTH));
    buffer->Sequence = ++Extension->Statistics.FramesReceived;
    Extension->Statistics.BytesReceived += buffer->Length;
    WRITE_REGISTER_ULONG(NicRegister(Extension, NIC_RX_DESC(head) + NIC_RX_DESC_FLAGS), 0);
    head = (head + 1) % NIC_RX_RING_SIZE;
  }
  Extension->RxHead = head;
  WRITE_REGISTER_ULONG(NicRegister(Extension, NIC_REG_RX_HEAD), head);
}

VOID NicDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2) {
  PNIC_EXTENSION extension = (PNIC_EXTENSION)DeferredContext;
  NIC_TAKE_CAUSES take;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument2);

  take.Extension = extension;
  take.Causes = 0;
  take.Interrupts = 0;
#if defined(NIC_BUG_UNSYNCHRONIZED_DPC)
  // The bug: the causes are read, then cleared under the driver's own spin lock. That lock is
  // taken at DISPATCH_LEVEL and never by the ISR, so an ISR on another processor can OR in a cause
  // (and count an interrupt) between the read and the clear, and both are lost.
  UNREFERENCED_PARAMETER(SystemArgument1);
  take.Causes = extension->PendingCauses;
  take.Interrupts = extension->PendingInterrupts;
  KeAcquireSpinLockAtDpcLevel(&extension->Lock);
  extension->PendingCauses = 0;
  extension->PendingInterrupts = 0;
#else
  (void)KeSynchronizeExecution((PKINTERRUPT)SystemArgument1, NicTakeCauses, &take);

  // Already at DISPATCH_LEVEL: the AtDpcLevel form takes the lock without touching the IRQL.
  KeAcquireSpinLockAtDpcLevel(&extension->Lock);
#endif
  // Under Lock: on a multiprocessor the DPC can run on two processors at once.
  extension->LastDpcIrql = KeGetCurrentIrql();
  extension->LastDpcProcessor = KeGetCurrentProcessorNumber();
  ++extension->Statistics.Dpcs;
  extension->Statistics.Interrupts += take.Interrupts;
  if ((take.Causes & NIC_INT_RX_DONE) != 0) {
    NicReceiveLocked(extension);
    NicFoldMissedFramesLocked(extension);
  }
  if ((take.Causes & NIC_INT_TX_DONE) != 0) {
    ++extension->Statistics.TxCompletions;
  }
  if ((take.Causes & NIC_INT_LINK) != 0) {
    ++extension->Statistics.LinkChanges;
    extension->Statistics.LinkUp =
        (BOOLEAN)((READ_REGISTER_ULONG(NicRegister(extension, NIC_REG_STATUS)) &
                   NIC_STATUS_LINK_UP) != 0);
    // One report covers every change up to the moment it runs: it reads LinkUp then.
    if (!extension->LinkReportQueued) {
      extension->LinkReportQueued = TRUE;
      KeClearEvent(&extension->LinkReportIdle);
      IoQueueWorkItem(extension->LinkWorkItem, NicLinkReport, DelayedWorkQueue, extension);
    }
  }
  KeReleaseSpinLockFromDpcLevel(&extension->Lock);
  // Last: once the count reaches 0 the stop path may disconnect the interrupt and unmap the
  // registers this DPC used.
  if (InterlockedDecrement(&extension->DpcsOutstanding) == 0) {
    (void)KeSetEvent(&extension->DpcIdle, IO_NO_INCREMENT, FALSE);
  }
}

// The link report, on a system worker thread at PASSIVE_LEVEL. The event is set under Lock,
// together with the flag, so that it never says "idle" while a report is queued.
VOID NicLinkReport(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  PNIC_EXTENSION extension = (PNIC_EXTENSION)Context;
  KIRQL old_irql;
  BOOLEAN link_up;
  UNREFERENCED_PARAMETER(DeviceObject);

  KeAcquireSpinLock(&extension->Lock, &old_irql);
  extension->LinkReportQueued = FALSE;
  link_up = extension->Statistics.LinkUp;
  ++extension->Statistics.LinkReports;
  extension->LastLinkReportIrql = old_irql;
  KeSetEvent(&extension->LinkReportIdle, IO_NO_INCREMENT, FALSE);
  KeReleaseSpinLock(&extension->Lock, old_irql);
  // What a real driver does here needs PASSIVE_LEVEL: renegotiate, or write the event log.
  // DbgPrint, not DbgPrintEx: Windows 2000 does not export DbgPrintEx, and this driver loads there
  // (kemu_check_imports in examples/nic/CMakeLists.txt keeps it so).
  (void)DbgPrint("nic: link %s\n", link_up ? "up" : "down");
}

VOID NicGetStatistics(PNIC_EXTENSION Extension, PNIC_STATISTICS Statistics) {
  KIRQL old_irql;

  // Raises to DISPATCH_LEVEL, so the DPC cannot run on this processor until the copy is done.
  KeAcquireSpinLock(&Extension->Lock, &old_irql);
  if (Extension->Registers != NULL) {
    NicFoldMissedFramesLocked(Extension);
  }
  *Statistics = Extension->Statistics;
  KeReleaseSpinLock(&Extension->Lock, old_irql);
}
