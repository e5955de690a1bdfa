/* Driver-style C17 code for interlocked_list_test.cpp and device_queue_test.cpp: the list, SLIST
 * and device-queue declarations compile as real C, macros included. */
#include <wdm.h>

#ifdef __cplusplus
#error "queue_calls.c must be compiled as C"
#endif

_Static_assert(sizeof(SLIST_HEADER) == 16 && _Alignof(SLIST_HEADER) == 16,
               "SLIST_HEADER is 16 bytes, 16-aligned on x64");
_Static_assert(sizeof(KDEVICE_QUEUE) == 40, "KDEVICE_QUEUE is 40 bytes on x64");
_Static_assert(sizeof(KDEVICE_QUEUE_ENTRY) == 24, "KDEVICE_QUEUE_ENTRY is 24 bytes on x64");

typedef struct _QUEUE_CALLS_REQUEST {
  LIST_ENTRY Link;
  SLIST_ENTRY FreeLink;
  KDEVICE_QUEUE_ENTRY QueueEntry;
  ULONG Id;
} QUEUE_CALLS_REQUEST, *PQUEUE_CALLS_REQUEST;

/* Queues three requests on a locked list; returns their ids in removal order, a hex digit each. */
ULONG QueueCallsInterlockedOrder(void) {
  KSPIN_LOCK lock;
  LIST_ENTRY head;
  QUEUE_CALLS_REQUEST r1, r2, r3;
  ULONG order = 0;
  PLIST_ENTRY link;
  KeInitializeSpinLock(&lock);
  InitializeListHead(&head);
  r1.Id = 1;
  r2.Id = 2;
  r3.Id = 3;
  ExInterlockedInsertTailList(&head, &r1.Link, &lock);
  ExInterlockedInsertHeadList(&head, &r2.Link, &lock);
  ExInterlockedInsertTailList(&head, &r3.Link, &lock);
  while ((link = ExInterlockedRemoveHeadList(&head, &lock)) != NULL) {
    order = (order << 4) | CONTAINING_RECORD(link, QUEUE_CALLS_REQUEST, Link)->Id;
  }
  return order;
}

/* Pushes two requests on an SLIST, returns depth * 0x100 + id of the first pop. */
ULONG QueueCallsSList(void) {
  SLIST_HEADER free_list;
  KSPIN_LOCK unused = 0;
  QUEUE_CALLS_REQUEST r1, r2;
  USHORT depth;
  PSLIST_ENTRY first;
  InitializeSListHead(&free_list);
  r1.Id = 1;
  r2.Id = 2;
  InterlockedPushEntrySList(&free_list, &r1.FreeLink);
  ExInterlockedPushEntrySList(&free_list, &r2.FreeLink, &unused);
  depth = ExQueryDepthSList(&free_list);
  first = InterlockedPopEntrySList(&free_list);
  (void)InterlockedFlushSList(&free_list);
  return (ULONG)depth * 0x100u + CONTAINING_RECORD(first, QUEUE_CALLS_REQUEST, FreeLink)->Id;
}

/* A StartIo-style device queue at DISPATCH_LEVEL: returns what each call returned, packed. */
ULONG QueueCallsDeviceQueue(void) {
  KDEVICE_QUEUE queue;
  QUEUE_CALLS_REQUEST r1, r2;
  PKDEVICE_QUEUE_ENTRY next;
  ULONG result;
  KIRQL oldIrql;
  KeInitializeDeviceQueue(&queue);
  r2.Id = 2;
  KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
  result = KeInsertDeviceQueue(&queue, &r1.QueueEntry); /* 0: start it now */
  result = (result << 4) | KeInsertByKeyDeviceQueue(&queue, &r2.QueueEntry, 7); /* 1 */
  next = KeRemoveDeviceQueue(&queue);
  result = (result << 4) | CONTAINING_RECORD(next, QUEUE_CALLS_REQUEST, QueueEntry)->Id; /* 2 */
  result = (result << 4) | (KeRemoveDeviceQueue(&queue) == NULL);                        /* 1 */
  result = (result << 4) | KeRemoveEntryDeviceQueue(&queue, &r2.QueueEntry);             /* 0 */
  KeLowerIrql(oldIrql);
  return result;
}
