// race_per_cpu_driver.c — see race_per_cpu_driver.h.
#include "race_per_cpu_driver.h"

static VOID CountOnThisProcessor(PRACE_PER_CPU State) {
  const ULONG processor = KeGetCurrentProcessorNumber();
  ++State->Slot[processor];
}

static VOID PerCpuDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PRACE_PER_CPU state = (PRACE_PER_CPU)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  CountOnThisProcessor(state);
  if (state->CountShared) ++state->Shared;  // every processor's: needs a lock
}

VOID RacePerCpuInitialize(PRACE_PER_CPU State) {
  KeInitializeDpc(&State->Dpc[0], PerCpuDpc, State);
  KeInitializeDpc(&State->Dpc[1], PerCpuDpc, State);
}

VOID RacePerCpuQueue(PRACE_PER_CPU State, ULONG Which) {
  (void)KeInsertQueueDpc(&State->Dpc[Which & 1], NULL, NULL);
}

VOID RacePerCpuCountAtDispatch(PRACE_PER_CPU State) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  CountOnThisProcessor(State);
  KeLowerIrql(old);
}
