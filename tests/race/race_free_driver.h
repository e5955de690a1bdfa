// race_free_driver.h — a DPC on vCPU 1 writes into a pool block the driver's stop path frees,
// with or without KeFlushQueuedDpcs first: to the race detector the free is a write to the whole
// block (audit round 19, C2). Built with kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_FREE_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_FREE_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RACE_FREE {
  KDPC Dpc;
  PLONG Counters;  // a pool block of RACE_FREE_COUNTERS counters the DPC counts in
} RACE_FREE, *PRACE_FREE;

#define RACE_FREE_COUNTERS 4
#define RACE_FREE_TAG 'erFR'

// Allocates the counters and queues the DPC on vCPU 1.
NTSTATUS RaceFreeStart(PRACE_FREE Free);
// Frees the counters; flushes the DPCs first when FlushFirst (the correct order).
VOID RaceFreeStop(PRACE_FREE Free, BOOLEAN FlushFirst);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_FREE_DRIVER_H_
