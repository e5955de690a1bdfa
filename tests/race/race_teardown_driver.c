// race_teardown_driver.c — see race_teardown_driver.h.
#include "race_teardown_driver.h"

#define TEARDOWN_TAG 'draT'

static KDEFERRED_ROUTINE TouchDpc;
static VOID TouchDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PTEARDOWN teardown = (PTEARDOWN)Context;
  ULONG i;
  (void)Dpc;
  (void)Argument1;
  (void)Argument2;
  for (i = 0; i < 3; i++) {
    InterlockedIncrement(&teardown->Runs);
    if (teardown->Scratch != NULL) teardown->Scratch->Lba++;
  }
}

NTSTATUS TeardownStart(PTEARDOWN Teardown) {
  Teardown->Runs = 0;
  Teardown->Scratch = (PTEARDOWN_COMMAND)ExAllocatePoolWithTag(
      NonPagedPoolNx, sizeof(TEARDOWN_COMMAND), TEARDOWN_TAG);
  if (Teardown->Scratch == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  KeInitializeDpc(&Teardown->Dpc, TouchDpc, Teardown);
  KeSetTargetProcessorDpc(&Teardown->Dpc, 1);
  KeInsertQueueDpc(&Teardown->Dpc, NULL, NULL);
  return STATUS_SUCCESS;
}

VOID TeardownStopClearingFirst(PTEARDOWN Teardown) {
  PTEARDOWN_COMMAND scratch = Teardown->Scratch;
  Teardown->Scratch = NULL;  // the bug: the DPC may still be running and test-then-use it
  ExFreePoolWithTag(scratch, TEARDOWN_TAG);
  KeFlushQueuedDpcs();
}
