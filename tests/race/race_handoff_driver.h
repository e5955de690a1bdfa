// race_handoff_driver.h — packets handed from a producer (the test's thread) to a consumer (the
// driver's system thread, on any vCPU) through the queues drivers use: a LIST_ENTRY under the
// driver's spin lock, ExInterlocked…List, an S-list and a KDEVICE_QUEUE. The producer fills each
// packet before queueing it (correct: the queue orders the fill before the consumer's read) or
// after (the bug: nothing orders the late write). Built with kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_HANDOFF_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_HANDOFF_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _HANDOFF_QUEUE {
  HandoffOwnList,          // InsertTailList / RemoveHeadList under KeAcquireSpinLock
  HandoffInterlockedList,  // ExInterlockedInsertTailList / ExInterlockedRemoveHeadList
  HandoffSList,            // InterlockedPushEntrySList / InterlockedPopEntrySList
  HandoffDeviceQueue,      // KeInsertDeviceQueue / KeRemoveDeviceQueue at DISPATCH_LEVEL
} HANDOFF_QUEUE;

#define HANDOFF_PACKETS 4

typedef struct DECLSPEC_ALIGN(16) _HANDOFF_PACKET {
  SLIST_ENTRY SListEntry;  // first: S-list entries are 16-byte aligned
  LIST_ENTRY ListEntry;
  KDEVICE_QUEUE_ENTRY QueueEntry;
  ULONG Payload;
} HANDOFF_PACKET, *PHANDOFF_PACKET;

typedef struct DECLSPEC_ALIGN(16) _HANDOFF {
  SLIST_HEADER SList;
  LIST_ENTRY List;
  KSPIN_LOCK Lock;
  KDEVICE_QUEUE DeviceQueue;
  HANDOFF_QUEUE Queue;
  BOOLEAN FillLate;  // the bug: the payload is written after the packet is queued
  KEVENT Done;       // set by the consumer once it took every packet
  ULONG Sum;         // the consumer's sum of the payloads
  PVOID Thread;      // the consumer's thread object, referenced
  HANDOFF_PACKET Packets[HANDOFF_PACKETS];
} HANDOFF, *PHANDOFF;

// Initialises the queue and starts the consumer thread.
NTSTATUS HandoffStart(PHANDOFF Handoff, HANDOFF_QUEUE Queue, BOOLEAN FillLate);
// Queues every packet (payloads 1..HANDOFF_PACKETS), waits for the consumer, joins its thread
// and returns its sum.
ULONG HandoffRun(PHANDOFF Handoff);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_HANDOFF_DRIVER_H_
