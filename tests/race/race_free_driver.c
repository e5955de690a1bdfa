// race_free_driver.c — see race_free_driver.h.
#include "race_free_driver.h"

static KDEFERRED_ROUTINE CountDpc;
static VOID CountDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_FREE free = (PRACE_FREE)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  free->Counters[2]++;
}

NTSTATUS RaceFreeStart(PRACE_FREE Free) {
  Free->Counters = (PLONG)ExAllocatePoolWithTag(NonPagedPoolNx, RACE_FREE_COUNTERS * sizeof(LONG),
                                                RACE_FREE_TAG);
  if (Free->Counters == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  RtlZeroMemory(Free->Counters, RACE_FREE_COUNTERS * sizeof(LONG));
  KeInitializeDpc(&Free->Dpc, CountDpc, Free);
  KeSetTargetProcessorDpc(&Free->Dpc, 1);
  KeInsertQueueDpc(&Free->Dpc, NULL, NULL);
  return STATUS_SUCCESS;
}

VOID RaceFreeStop(PRACE_FREE Free, BOOLEAN FlushFirst) {
  if (FlushFirst) KeFlushQueuedDpcs();
  ExFreePoolWithTag(Free->Counters, RACE_FREE_TAG);
}
