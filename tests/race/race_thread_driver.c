// race_thread_driver.c — see race_thread_driver.h.
#include "race_thread_driver.h"

static KSTART_ROUTINE RaceCounterThread;

// The per-processor loop drivers write: visits each processor with KeSetSystemAffinityThreadEx.
static VOID RaceCountOnEveryProcessor(PRACE_DEVICE Device, BOOLEAN Locked) {
  ULONG cpu;
  KIRQL old_irql;
  for (cpu = 0; cpu < KeQueryActiveProcessorCount(NULL); ++cpu) {
    KAFFINITY previous = KeSetSystemAffinityThreadEx((KAFFINITY)1 << cpu);
    if (Locked) KeAcquireSpinLock(&Device->Lock, &old_irql);
    ++Device->Counter;
    if (Locked) KeReleaseSpinLock(&Device->Lock, old_irql);
    KeRevertToUserAffinityThreadEx(previous);
  }
}

static VOID RaceCounterThread(PVOID StartContext) {
  PRACE_THREAD thread = (PRACE_THREAD)StartContext;
  PRACE_DEVICE device = thread->Device;
  KIRQL old_irql;
  switch (thread->Mode) {
    case RaceThreadCounterPlain:
      ++device->Counter;
      break;
    case RaceThreadCounterLocked:
      KeAcquireSpinLock(&device->Lock, &old_irql);
      ++device->Counter;
      KeReleaseSpinLock(&device->Lock, old_irql);
      break;
    case RaceThreadCounterAtDispatch:
      KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
      ++device->Counter;
      KeLowerIrql(old_irql);
      break;
    case RaceThreadCounterResource:
      RaceCounterUnderResource(device, TRUE);
      break;
    case RaceThreadResult:
      thread->Result = 42u;
      (void)KeSetEvent(&thread->Done, IO_NO_INCREMENT, FALSE);
      break;
    case RaceThreadPollsPending:
      thread->Result = device->Pending;
      break;
    case RaceThreadCounterFastMutex:
      RaceCounterUnderFastMutex(thread);
      break;
    case RaceThreadEveryProcessor:
      RaceCountOnEveryProcessor(device, FALSE);
      break;
    case RaceThreadEveryProcessorLocked:
      RaceCountOnEveryProcessor(device, TRUE);
      break;
  }
}

VOID RaceCounterUnderFastMutex(PRACE_THREAD Thread) {
  ExAcquireFastMutex(&Thread->Mutex);
  ++Thread->Device->Counter;
  ExReleaseFastMutex(&Thread->Mutex);
}

NTSTATUS RaceStartThread(PRACE_THREAD Thread, PRACE_DEVICE Device, RACE_THREAD_MODE Mode) {
  HANDLE handle = NULL;
  NTSTATUS status;
  Thread->Device = Device;
  Thread->Mode = Mode;
  KeInitializeEvent(&Thread->Done, NotificationEvent, FALSE);
  ExInitializeFastMutex(&Thread->Mutex);
  status =
      PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, RaceCounterThread, Thread);
  if (!NT_SUCCESS(status)) return status;
  status = ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                     &Thread->Object, NULL);
  (void)ZwClose(handle);
  return status;
}

ULONG RaceWaitForThreadResult(PRACE_THREAD Thread) {
  (void)KeWaitForSingleObject(&Thread->Done, Executive, KernelMode, FALSE, NULL);
  return Thread->Result;
}

ULONG RaceReadThreadResult(PRACE_THREAD Thread) { return Thread->Result; }

VOID RaceJoinThread(PRACE_THREAD Thread) {
  (void)KeWaitForSingleObject(Thread->Object, Executive, KernelMode, FALSE, NULL);
  ObDereferenceObject(Thread->Object);
  Thread->Object = NULL;
}
