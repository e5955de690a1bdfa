/* race_requeue_driver.c — see race_requeue_driver.h. */
#include "race_requeue_driver.h"

static VOID RequeueDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_REQUEUE state = (PRACE_REQUEUE)Context;
  const ULONG cpu = KeGetCurrentProcessorNumberEx(NULL);
  (void)Argument1;
  (void)Argument2;
  state->Seen[cpu & 1] = state->LastCpu; /* every run reads it */
  if (InterlockedIncrement(&state->Runs) == 1) {
    if (state->WriteFirst) state->LastCpu = cpu + 100;
    KeSetTargetProcessorDpc(Dpc, (CCHAR)(cpu ^ 1));
    KeInsertQueueDpc(Dpc, NULL, NULL);
    if (!state->WriteFirst) state->LastCpu = cpu + 100; /* after the re-queue: a race */
  }
}

VOID RaceRequeueStart(PRACE_REQUEUE State, BOOLEAN WriteFirst) {
  RtlZeroMemory(State, sizeof(*State));
  State->WriteFirst = WriteFirst;
  KeInitializeDpc(&State->Dpc, RequeueDpc, State);
  KeSetTargetProcessorDpc(&State->Dpc, 0);
  KeInsertQueueDpc(&State->Dpc, NULL, NULL);
}
