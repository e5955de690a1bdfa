// race_per_cpu_driver.h — per-processor counters, the way NIC and storage drivers keep
// statistics without a lock: a DPC (or code raised to DISPATCH_LEVEL) asks which processor it is
// on and updates only that processor's slot. With CountShared set (the bug), each DPC also bumps
// one counter shared by every processor, unlocked. Built with kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_PER_CPU_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_PER_CPU_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RACE_PER_CPU {
  KDPC Dpc[2];
  BOOLEAN CountShared;
  ULONG Slot[MAXIMUM_PROCESSORS];
  ULONG Shared;
} RACE_PER_CPU, *PRACE_PER_CPU;

VOID RacePerCpuInitialize(PRACE_PER_CPU State);
/// Queues DPC `Which` (0 or 1) on the current processor.
VOID RacePerCpuQueue(PRACE_PER_CPU State, ULONG Which);
/// Raises to DISPATCH_LEVEL, counts in the current processor's slot, lowers.
VOID RacePerCpuCountAtDispatch(PRACE_PER_CPU State);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_PER_CPU_DRIVER_H_
