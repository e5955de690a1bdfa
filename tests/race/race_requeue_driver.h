// race_requeue_driver.h — a DPC that queues itself once more, on the other processor, from its
// own routine. Every run reads LastCpu; the first run writes it, after the re-queue (the bug:
// the second run may already be reading it on the other processor) or, with WriteFirst, before
// it (legal: the insert orders the write before the second run). Built with
// kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_REQUEUE_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_REQUEUE_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RACE_REQUEUE {
  KDPC Dpc;
  BOOLEAN WriteFirst;
  LONG Runs;
  ULONG LastCpu;
  ULONG Seen[2];
} RACE_REQUEUE, *PRACE_REQUEUE;

/// Initializes the DPC and queues it on processor 0.
VOID RaceRequeueStart(PRACE_REQUEUE State, BOOLEAN WriteFirst);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_REQUEUE_DRIVER_H_
