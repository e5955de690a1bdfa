// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// Semaphores: dispatcher objects kemu's waits do not know yet.
VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit) {
  (void)Semaphore;
  (void)Count;
  (void)Limit;
  KEMU_NOT_MODELLED(KeInitializeSemaphore);
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
                        BOOLEAN Wait) {
  (void)Semaphore;
  (void)Increment;
  (void)Adjustment;
  (void)Wait;
  KEMU_NOT_MODELLED(KeReleaseSemaphore);
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore) {
  (void)Semaphore;
  KEMU_NOT_MODELLED(KeReadStateSemaphore);
}

}  // extern "C"
