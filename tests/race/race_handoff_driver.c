// race_handoff_driver.c — see race_handoff_driver.h.
#include "race_handoff_driver.h"

static VOID Put(PHANDOFF Handoff, PHANDOFF_PACKET Packet) {
  KIRQL old;
  switch (Handoff->Queue) {
    case HandoffOwnList:
      KeAcquireSpinLock(&Handoff->Lock, &old);
      InsertTailList(&Handoff->List, &Packet->ListEntry);
      KeReleaseSpinLock(&Handoff->Lock, old);
      break;
    case HandoffInterlockedList:
      (void)ExInterlockedInsertTailList(&Handoff->List, &Packet->ListEntry, &Handoff->Lock);
      break;
    case HandoffSList:
      (void)InterlockedPushEntrySList(&Handoff->SList, &Packet->SListEntry);
      break;
    case HandoffDeviceQueue:
      KeRaiseIrql(DISPATCH_LEVEL, &old);
      // An idle queue only becomes busy (the caller would start the request itself), and the
      // consumer's remove from an empty queue makes it idle again: insert until it is queued.
      while (!KeInsertDeviceQueue(&Handoff->DeviceQueue, &Packet->QueueEntry)) {
      }
      KeLowerIrql(old);
      break;
  }
}

static PHANDOFF_PACKET Take(PHANDOFF Handoff) {
  KIRQL old;
  PLIST_ENTRY link;
  PSLIST_ENTRY entry;
  PKDEVICE_QUEUE_ENTRY queued;
  switch (Handoff->Queue) {
    case HandoffOwnList:
      KeAcquireSpinLock(&Handoff->Lock, &old);
      link = IsListEmpty(&Handoff->List) ? NULL : RemoveHeadList(&Handoff->List);
      KeReleaseSpinLock(&Handoff->Lock, old);
      return link == NULL ? NULL : CONTAINING_RECORD(link, HANDOFF_PACKET, ListEntry);
    case HandoffInterlockedList:
      link = ExInterlockedRemoveHeadList(&Handoff->List, &Handoff->Lock);
      return link == NULL ? NULL : CONTAINING_RECORD(link, HANDOFF_PACKET, ListEntry);
    case HandoffSList:
      entry = InterlockedPopEntrySList(&Handoff->SList);
      return entry == NULL ? NULL : CONTAINING_RECORD(entry, HANDOFF_PACKET, SListEntry);
    case HandoffDeviceQueue:
      KeRaiseIrql(DISPATCH_LEVEL, &old);
      queued = KeRemoveDeviceQueue(&Handoff->DeviceQueue);
      KeLowerIrql(old);
      return queued == NULL ? NULL : CONTAINING_RECORD(queued, HANDOFF_PACKET, QueueEntry);
  }
  return NULL;
}

static VOID Consumer(PVOID Context) {
  PHANDOFF handoff = (PHANDOFF)Context;
  ULONG taken = 0;
  LARGE_INTEGER interval;
  interval.QuadPart = -10;  // 1 us: let the producer run
  while (taken < HANDOFF_PACKETS) {
    PHANDOFF_PACKET packet = Take(handoff);
    if (packet == NULL) {
      (void)KeDelayExecutionThread(KernelMode, FALSE, &interval);
      continue;
    }
    handoff->Sum += packet->Payload;  // the hand-off: written by the producer
    ++taken;
  }
  KeSetEvent(&handoff->Done, IO_NO_INCREMENT, FALSE);
}

NTSTATUS HandoffStart(PHANDOFF Handoff, HANDOFF_QUEUE Queue, BOOLEAN FillLate) {
  HANDLE handle;
  NTSTATUS status;
  Handoff->Queue = Queue;
  Handoff->FillLate = FillLate;
  Handoff->Sum = 0;
  InitializeSListHead(&Handoff->SList);
  InitializeListHead(&Handoff->List);
  KeInitializeSpinLock(&Handoff->Lock);
  KeInitializeDeviceQueue(&Handoff->DeviceQueue);
  KeInitializeEvent(&Handoff->Done, NotificationEvent, FALSE);
  status = PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Consumer, Handoff);
  if (!NT_SUCCESS(status)) return status;
  status = ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                     &Handoff->Thread, NULL);
  (void)ZwClose(handle);
  return status;
}

ULONG HandoffRun(PHANDOFF Handoff) {
  ULONG i;
  for (i = 0; i < HANDOFF_PACKETS; ++i) {
    PHANDOFF_PACKET packet = &Handoff->Packets[i];
    if (!Handoff->FillLate) packet->Payload = i + 1;
    Put(Handoff, packet);
    if (Handoff->FillLate) packet->Payload = i + 1;  // the bug: the consumer may have it already
  }
  (void)KeWaitForSingleObject(&Handoff->Done, Executive, KernelMode, FALSE, NULL);
  (void)KeWaitForSingleObject(Handoff->Thread, Executive, KernelMode, FALSE, NULL);
  ObDereferenceObject(Handoff->Thread);
  return Handoff->Sum;
}
