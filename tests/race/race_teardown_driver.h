// race_teardown_driver.h — a DPC on vCPU 1 that touches a pool block through a pointer the stop
// path clears and frees before flushing the DPC (the bug), so the race detector's report ends
// the machine while the DPC is stopped inside instrumented code. Built with
// kemu_instrument_driver().
#ifndef KEMU_TESTS_RACE_RACE_TEARDOWN_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_TEARDOWN_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _TEARDOWN_COMMAND {
  ULONG Flags[4];
  ULONG Lba;  // at offset 0x10, where a NULL command faults
} TEARDOWN_COMMAND, *PTEARDOWN_COMMAND;

typedef struct _TEARDOWN {
  KDPC Dpc;
  PTEARDOWN_COMMAND Scratch;
  LONG Runs;
} TEARDOWN, *PTEARDOWN;

// Allocates the scratch command and queues the DPC on vCPU 1.
NTSTATUS TeardownStart(PTEARDOWN Teardown);
// Clears and frees the scratch command, then flushes the DPC: the order is the bug.
VOID TeardownStopClearingFirst(PTEARDOWN Teardown);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_TEARDOWN_DRIVER_H_
