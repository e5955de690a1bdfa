// race_driver.c — see race_driver.h. Compiled with kemu_instrument_driver(); the line of each
// access matters to the tests only through the function names in the report.
#include "race_driver.h"

#include <kemu_race.h>

static KSERVICE_ROUTINE RaceIsr;
static KDEFERRED_ROUTINE RaceDpc;
static KSYNCHRONIZE_ROUTINE RaceTakePending;
static KSYNCHRONIZE_ROUTINE RaceClearPendingRoutine;
static IO_WORKITEM_ROUTINE RaceWork;
static IO_WORKITEM_ROUTINE RaceResourceWork;

typedef struct _RACE_TAKE {
  PRACE_DEVICE Device;
  ULONG Pending;
  ULONG Scratch[8];
} RACE_TAKE, *PRACE_TAKE;

static BOOLEAN RaceIsr(PKINTERRUPT Interrupt, PVOID ServiceContext) {
  PRACE_DEVICE device = (PRACE_DEVICE)ServiceContext;
  UNREFERENCED_PARAMETER(Interrupt);
  device->Pending |= 1u;
  device->Handoff = device->Config + 1u;
  device->Diagnostics += 1u;
  (void)KeInsertQueueDpc(&device->Dpc, NULL, NULL);
  return TRUE;
}

static BOOLEAN RaceTakePending(PVOID SynchronizeContext) {
  PRACE_TAKE take = (PRACE_TAKE)SynchronizeContext;
  take->Pending = take->Device->Pending;
  take->Device->Pending = 0;
  // Under the interrupt lock: the DPC may run on two processors at once.
  take->Device->Taken = take->Pending;
  take->Scratch[take->Pending % 8u] += 1u;
  return TRUE;
}

static VOID RaceDpc(PKDPC Dpc, PVOID DeferredContext, PVOID Argument1, PVOID Argument2) {
  PRACE_DEVICE device = (PRACE_DEVICE)DeferredContext;
  RACE_TAKE take;
  KLOCK_QUEUE_HANDLE handle;
  KIRQL old_irql;
  ULONG i;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);

  take.Device = device;
  take.Pending = 0;
  for (i = 0; i < 8u; ++i) take.Scratch[i] = i;
  switch (device->DpcMode) {
    case RaceDpcUnsynchronized:
      device->Taken = device->Pending;
      device->Pending = 0;
      break;
    case RaceDpcSynchronizeExecution:
      (void)KeSynchronizeExecution(device->Interrupt, RaceTakePending, &take);
      break;
    case RaceDpcInterruptSpinLock:
      old_irql = KeAcquireInterruptSpinLock(device->Interrupt);
      device->Taken = device->Pending;
      device->Pending = 0;
      KeReleaseInterruptSpinLock(device->Interrupt, old_irql);
      break;
    case RaceDpcCounterLocked:
      KeAcquireSpinLockAtDpcLevel(&device->Lock);
      ++device->Counter;
      KeReleaseSpinLockFromDpcLevel(&device->Lock);
      break;
    case RaceDpcCounterQueued:
      KeAcquireInStackQueuedSpinLockAtDpcLevel(&device->Lock, &handle);
      ++device->Counter;
      KeReleaseInStackQueuedSpinLockFromDpcLevel(&handle);
      break;
    case RaceDpcCounterPlain:
      ++device->Counter;
      break;
    case RaceDpcAtomic:
      (void)InterlockedIncrement(&device->Atomic);
      break;
    case RaceDpcHandoff:
      device->Taken = device->Handoff;
      break;
    case RaceDpcStack:
      (void)KeSynchronizeExecution(device->Interrupt, RaceTakePending, &take);
      for (i = 0; i < 8u; ++i) take.Scratch[i] *= 2u;
      break;
    case RaceDpcBenign:
      device->Taken = KEMU_BENIGN_RACE(device->Pending);
      device->Diagnostics += 1u;
      break;
    case RaceDpcReferenceBlock:
      (void)InterlockedIncrement(&device->Block->References);
      ++device->Counter;
      break;
  }
}

NTSTATUS RaceConnect(PRACE_DEVICE Device, ULONG Vector, KIRQL Irql) {
  KeInitializeSpinLock(&Device->InterruptLock);
  KeInitializeSpinLock(&Device->Lock);
  KeInitializeDpc(&Device->Dpc, RaceDpc, Device);
  return IoConnectInterrupt(&Device->Interrupt, RaceIsr, Device, &Device->InterruptLock, Vector,
                            Irql, Irql, Latched, FALSE, (KAFFINITY)-1, FALSE);
}

VOID RaceDisconnect(PRACE_DEVICE Device) {
  IoDisconnectInterrupt(Device->Interrupt);
  // A DPC still queued or running on another processor reads Interrupt.
  KeFlushQueuedDpcs();
  Device->Interrupt = NULL;
}

VOID RaceWriteConfig(PRACE_DEVICE Device, ULONG Value) { Device->Config = Value; }

VOID RaceClearPendingPlain(PRACE_DEVICE Device) { Device->Pending = 0; }

VOID RaceClearPendingAt(PRACE_DEVICE Device, KIRQL Irql) {
  KIRQL old_irql;
  KeRaiseIrql(Irql, &old_irql);
  Device->Pending = 0;
  KeLowerIrql(old_irql);
}

static BOOLEAN RaceClearPendingRoutine(PVOID SynchronizeContext) {
  ((PRACE_DEVICE)SynchronizeContext)->Pending = 0;
  return TRUE;
}

VOID RaceClearPendingSynchronized(PRACE_DEVICE Device) {
  (void)KeSynchronizeExecution(Device->Interrupt, RaceClearPendingRoutine, Device);
}

ULONG RaceReadHandoff(PRACE_DEVICE Device) { return Device->Handoff; }

VOID RaceCounterLocked(PRACE_DEVICE Device) {
  KIRQL old_irql;
  KeAcquireSpinLock(&Device->Lock, &old_irql);
  ++Device->Counter;
  KeReleaseSpinLock(&Device->Lock, old_irql);
}

VOID RaceCounterQueued(PRACE_DEVICE Device) {
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&Device->Lock, &handle);
  ++Device->Counter;
  KeReleaseInStackQueuedSpinLock(&handle);
}

VOID RaceCounterPlain(PRACE_DEVICE Device) { ++Device->Counter; }

VOID RaceCounterAt(PRACE_DEVICE Device, KIRQL Irql) {
  KIRQL old_irql;
  KeRaiseIrql(Irql, &old_irql);
  ++Device->Counter;
  KeLowerIrql(old_irql);
}

VOID RaceAtomicIncrement(PRACE_DEVICE Device) { (void)InterlockedIncrement(&Device->Atomic); }

VOID RaceAtomicPlainWrite(PRACE_DEVICE Device) { Device->Atomic = 5; }

VOID RaceMarkDiagnosticsBenign(PRACE_DEVICE Device) {
  KemuBenignRace(&Device->Diagnostics, sizeof(Device->Diagnostics), "a debugging counter");
}

static VOID RaceWork(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  PRACE_DEVICE device = (PRACE_DEVICE)Context;
  UNREFERENCED_PARAMETER(DeviceObject);
  device->WorkResult = device->WorkInput * 2u;
  if (device->WorkPulses) {
    (void)KePulseEvent(&device->WorkDone, IO_NO_INCREMENT, FALSE);
  } else {
    (void)KeSetEvent(&device->WorkDone, IO_NO_INCREMENT, FALSE);
  }
}

VOID RaceQueueWork(PRACE_DEVICE Device, PDEVICE_OBJECT DeviceObject, ULONG Input) {
  KeInitializeEvent(&Device->WorkDone, NotificationEvent, FALSE);
  Device->WorkItem = IoAllocateWorkItem(DeviceObject);
  Device->WorkInput = Input;
  IoQueueWorkItem(Device->WorkItem, RaceWork, DelayedWorkQueue, Device);
}

ULONG RaceWaitForWork(PRACE_DEVICE Device) {
  (void)KeWaitForSingleObject(&Device->WorkDone, Executive, KernelMode, FALSE, NULL);
  return Device->WorkResult;
}

ULONG RaceReadWorkUnsynchronized(PRACE_DEVICE Device) { return Device->WorkResult; }

ULONG RaceReadWorkUnsynchronizedAt(PRACE_DEVICE Device, KIRQL Irql) {
  KIRQL old_irql;
  ULONG result;
  KeRaiseIrql(Irql, &old_irql);
  result = Device->WorkResult;
  KeLowerIrql(old_irql);
  return result;
}

VOID RaceFreeWork(PRACE_DEVICE Device) { IoFreeWorkItem(Device->WorkItem); }

static VOID RaceThreadedDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_DEVICE device = (PRACE_DEVICE)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  (void)KeInsertQueueDpc(&device->Dpc, NULL, NULL);
  if (device->ThreadedLocked) {
    KIRQL old_irql = KeAcquireSpinLockForDpc(&device->Lock);
    ++device->Counter;
    KeReleaseSpinLockForDpc(&device->Lock, old_irql);
  } else {
    ++device->Counter;
  }
}

static VOID RaceThreadedCount(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_DEVICE device = (PRACE_DEVICE)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  ++device->Counter;
}

VOID RaceQueueThreaded(PRACE_DEVICE Device, BOOLEAN Locked) {
  Device->ThreadedLocked = Locked;
  KeInitializeThreadedDpc(&Device->ThreadedDpc, RaceThreadedDpc, Device);
  (void)KeInsertQueueDpc(&Device->ThreadedDpc, NULL, NULL);
}

VOID RaceQueueTwoThreaded(PRACE_DEVICE Device) {
  KIRQL old_irql;
  KeInitializeThreadedDpc(&Device->ThreadedDpc, RaceThreadedCount, Device);
  KeInitializeThreadedDpc(&Device->SecondThreadedDpc, RaceThreadedCount, Device);
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  (void)KeInsertQueueDpc(&Device->ThreadedDpc, NULL, NULL);
  (void)KeInsertQueueDpc(&Device->SecondThreadedDpc, NULL, NULL);
  KeLowerIrql(old_irql);
}

#define RACE_POOL_TAG 'ecaR'

PRACE_BLOCK RaceAllocateBlock(VOID) {
  PRACE_BLOCK block =
      (PRACE_BLOCK)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(RACE_BLOCK), RACE_POOL_TAG);
  if (block != NULL) RtlZeroMemory(block, sizeof(*block));
  return block;
}

VOID RaceFreeBlock(PRACE_BLOCK Block) { ExFreePoolWithTag(Block, RACE_POOL_TAG); }

VOID RaceReferenceBlock(PRACE_BLOCK Block) { (void)InterlockedIncrement(&Block->References); }

VOID RaceCounterUnderResource(PRACE_DEVICE Device, BOOLEAN Exclusive) {
  KeEnterCriticalRegion();
  if (Exclusive) {
    (void)ExAcquireResourceExclusiveLite(&Device->Resource, TRUE);
  } else {
    (void)ExAcquireResourceSharedLite(&Device->Resource, TRUE);
  }
  ++Device->Counter;
  ExReleaseResourceLite(&Device->Resource);
  KeLeaveCriticalRegion();
}

VOID RaceCounterHoldingShared(PRACE_DEVICE Device) {
  KeEnterCriticalRegion();
  (void)ExAcquireResourceSharedLite(&Device->Resource, TRUE);
  ++Device->Counter;
}

VOID RaceReleaseResource(PRACE_DEVICE Device) {
  ExReleaseResourceLite(&Device->Resource);
  KeLeaveCriticalRegion();
}

static VOID RaceResourceWork(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  PRACE_DEVICE device = (PRACE_DEVICE)Context;
  UNREFERENCED_PARAMETER(DeviceObject);
  RaceCounterUnderResource(device, device->WorkExclusive);
  KeSetEvent(&device->WorkDone, IO_NO_INCREMENT, FALSE);
}

VOID RaceQueueResourceWork(PRACE_DEVICE Device, PDEVICE_OBJECT DeviceObject, BOOLEAN Exclusive) {
  KeInitializeEvent(&Device->WorkDone, NotificationEvent, FALSE);
  Device->WorkItem = IoAllocateWorkItem(DeviceObject);
  Device->WorkExclusive = Exclusive;
  IoQueueWorkItem(Device->WorkItem, RaceResourceWork, DelayedWorkQueue, Device);
}
