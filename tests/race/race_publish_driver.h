// race_publish_driver.h — a DPC on vCPU 0 publishes Data behind a Ready flag and a DPC on vCPU 1
// reads Data once it sees the flag: with relaxed accesses alone (the bug: nothing orders Data),
// with WriteRelease / ReadAcquire, or with relaxed accesses and KeMemoryBarrier on both sides.
// Built with kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_PUBLISH_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_PUBLISH_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _PUBLISH_MODE {
  PublishNoFence,         // WriteNoFence / ReadNoFence: the missing barrier
  PublishReleaseAcquire,  // WriteRelease / ReadAcquire
  PublishFenced,          // KeMemoryBarrier, WriteNoFence / ReadNoFence, KeMemoryBarrier
} PUBLISH_MODE;

typedef struct _PUBLISH {
  KDPC Producer;  // vCPU 0
  KDPC Consumer;  // vCPU 1
  PUBLISH_MODE Mode;
  LONG Data;
  LONG Ready;
  LONG Seen;
} PUBLISH, *PPUBLISH;

VOID PublishInitialize(PPUBLISH Publish, PUBLISH_MODE Mode);
// Queues the producer, then the consumer.
VOID PublishRun(PPUBLISH Publish);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_PUBLISH_DRIVER_H_
