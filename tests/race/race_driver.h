// race_driver.h — a small driver built with kemu_instrument_driver(), whose ISR, DPC and
// test-called routines share state correctly and incorrectly in every way the race detector must
// tell apart. One field per synchronisation rule; the DPC's behaviour is chosen per test.
#ifndef KEMU_TESTS_RACE_RACE_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _RACE_DPC_MODE {
  RaceDpcUnsynchronized,        // reads Pending, then clears it, without the interrupt lock
  RaceDpcSynchronizeExecution,  // takes Pending inside KeSynchronizeExecution
  RaceDpcInterruptSpinLock,     // takes Pending under KeAcquireInterruptSpinLock
  RaceDpcCounterLocked,         // Counter++ under Lock
  RaceDpcCounterQueued,         // Counter++ under Lock, in-stack queued
  RaceDpcCounterPlain,          // Counter++ with no lock
  RaceDpcAtomic,                // InterlockedIncrement(&Atomic)
  RaceDpcHandoff,               // reads what the ISR wrote before queueing the DPC
  RaceDpcStack,                 // works on its own stack, shared with a synchronize routine
  RaceDpcBenign,                // the unsynchronized read, marked benign
  RaceDpcReferenceBlock,        // InterlockedIncrement(&Block->References), then Counter++
} RACE_DPC_MODE;

// A pool block with an Interlocked reference count, which orders its users' accesses.
typedef struct _RACE_BLOCK {
  LONG References;
  ULONG Payload[47];
} RACE_BLOCK, *PRACE_BLOCK;

typedef struct _RACE_DEVICE {
  KSPIN_LOCK InterruptLock;
  KSPIN_LOCK Lock;
  PKINTERRUPT Interrupt;
  KDPC Dpc;
  RACE_DPC_MODE DpcMode;
  ULONG Config;   // written before connect, read by the ISR
  ULONG Pending;  // set by the ISR under its interrupt lock
  ULONG Taken;    // what the DPC took
  ULONG Handoff;  // written by the ISR, then read only by the DPC it queues
  ULONG Counter;  // the DPC's and the test thread's
  LONG Atomic;
  ULONG Diagnostics;  // written by the ISR and the DPC; declared a benign race
  PIO_WORKITEM WorkItem;
  KEVENT WorkDone;        // the work item's routine sets it when done
  ULONG WorkInput;        // written before the work item is queued, read by its routine
  ULONG WorkResult;       // written by the routine, read by the test's thread
  PRACE_BLOCK Block;      // set by the test (uninstrumented) for RaceDpcReferenceBlock
  BOOLEAN WorkPulses;     // set by the test: the work item's routine pulses WorkDone, not sets it
  ERESOURCE Resource;     // initialised by the test; the Counter's, in the resource functions
  BOOLEAN WorkExclusive;  // how RaceQueueResourceWork's routine takes Resource
  KDPC ThreadedDpc;       // threaded DPCs (Vista and later), RaceQueueThreaded's
  KDPC SecondThreadedDpc;
  BOOLEAN ThreadedLocked;  // the threaded DPC counts under Lock (KeAcquireSpinLockForDpc)
} RACE_DEVICE, *PRACE_DEVICE;

NTSTATUS RaceConnect(PRACE_DEVICE Device, ULONG Vector, KIRQL Irql);
VOID RaceDisconnect(PRACE_DEVICE Device);

// Test-thread routines (PASSIVE_LEVEL unless named otherwise).
VOID RaceWriteConfig(PRACE_DEVICE Device, ULONG Value);
VOID RaceClearPendingPlain(PRACE_DEVICE Device);
VOID RaceClearPendingAt(PRACE_DEVICE Device, KIRQL Irql);
VOID RaceClearPendingSynchronized(PRACE_DEVICE Device);
ULONG RaceReadHandoff(PRACE_DEVICE Device);
VOID RaceCounterLocked(PRACE_DEVICE Device);
VOID RaceCounterQueued(PRACE_DEVICE Device);
VOID RaceCounterPlain(PRACE_DEVICE Device);
VOID RaceCounterAt(PRACE_DEVICE Device, KIRQL Irql);
VOID RaceAtomicIncrement(PRACE_DEVICE Device);
VOID RaceAtomicPlainWrite(PRACE_DEVICE Device);
VOID RaceMarkDiagnosticsBenign(PRACE_DEVICE Device);
// Work item and event: the routine doubles WorkInput into WorkResult, then sets WorkDone.
VOID RaceQueueWork(PRACE_DEVICE Device, PDEVICE_OBJECT DeviceObject, ULONG Input);
ULONG RaceWaitForWork(PRACE_DEVICE Device);             // waits for WorkDone, then reads the result
ULONG RaceReadWorkUnsynchronized(PRACE_DEVICE Device);  // reads it without waiting
ULONG RaceReadWorkUnsynchronizedAt(PRACE_DEVICE Device, KIRQL Irql);  // the same, raised to Irql
VOID RaceFreeWork(PRACE_DEVICE Device);
// Threaded DPCs: the routine queues Dpc (an ordinary DPC doing what DpcMode says), then counts
// Counter, under Lock when Locked. Queued at PASSIVE_LEVEL, it runs at once.
VOID RaceQueueThreaded(PRACE_DEVICE Device, BOOLEAN Locked);
// Two threaded DPCs that count Counter without a lock, queued together at DISPATCH_LEVEL.
VOID RaceQueueTwoThreaded(PRACE_DEVICE Device);
// Pool blocks (ExAllocatePoolWithTag, ExFreePoolWithTag).
PRACE_BLOCK RaceAllocateBlock(VOID);
VOID RaceFreeBlock(PRACE_BLOCK Block);
VOID RaceReferenceBlock(PRACE_BLOCK Block);  // InterlockedIncrement(&Block->References)

// Counter++ under Resource (in a critical region): a whole section, or (HoldingShared) one that
// keeps the resource shared until RaceReleaseResource; the work item's routine does a section.
VOID RaceCounterUnderResource(PRACE_DEVICE Device, BOOLEAN Exclusive);
VOID RaceCounterHoldingShared(PRACE_DEVICE Device);
VOID RaceReleaseResource(PRACE_DEVICE Device);
VOID RaceQueueResourceWork(PRACE_DEVICE Device, PDEVICE_OBJECT DeviceObject, BOOLEAN Exclusive);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_DRIVER_H_
