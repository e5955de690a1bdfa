// race_thread_driver.h — a driver's own system thread (PsCreateSystemThread) sharing the
// RACE_DEVICE of race_driver.h with its DPC and the test's thread, correctly and incorrectly.
// Built with kemu_instrument_driver() like race_driver.c.
#ifndef KEMU_TESTS_RACE_RACE_THREAD_DRIVER_H_
#define KEMU_TESTS_RACE_RACE_THREAD_DRIVER_H_

#include <wdm.h>

#include "race_driver.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _RACE_THREAD_MODE {
  RaceThreadCounterPlain,          // Counter++ with no lock
  RaceThreadCounterLocked,         // Counter++ under Lock (KeAcquireSpinLock)
  RaceThreadCounterAtDispatch,     // Counter++ at DISPATCH_LEVEL, no lock
  RaceThreadCounterResource,       // Counter++ under Resource, exclusively
  RaceThreadResult,                // writes Result, then sets Done
  RaceThreadPollsPending,          // reads Pending (the ISR's and DPC's) into Result, no lock
  RaceThreadCounterFastMutex,      // Counter++ under the thread's Mutex (ExAcquireFastMutex)
  RaceThreadEveryProcessor,        // on each processor in turn (its affinity): Counter++, no lock
  RaceThreadEveryProcessorLocked,  // the same under Lock
} RACE_THREAD_MODE;

typedef struct _RACE_THREAD {
  PRACE_DEVICE Device;
  RACE_THREAD_MODE Mode;
  KEVENT Done;   // set by the thread after it wrote Result (RaceThreadResult)
  ULONG Result;  // written by the thread
  PVOID Object;  // the thread object, referenced
  FAST_MUTEX Mutex;
} RACE_THREAD, *PRACE_THREAD;

// Creates the thread, references its object and closes the handle.
NTSTATUS RaceStartThread(PRACE_THREAD Thread, PRACE_DEVICE Device, RACE_THREAD_MODE Mode);
ULONG RaceWaitForThreadResult(PRACE_THREAD Thread);  // waits for Done, then reads Result
ULONG RaceReadThreadResult(PRACE_THREAD Thread);     // reads Result without waiting
// Waits on the thread object (the stop path), then drops the reference.
VOID RaceJoinThread(PRACE_THREAD Thread);
// Counter++ from the caller's thread under Thread's Mutex.
VOID RaceCounterUnderFastMutex(PRACE_THREAD Thread);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_RACE_THREAD_DRIVER_H_
