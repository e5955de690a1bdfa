// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// Guarded mutexes: kemu models fast mutexes, not the guarded regions these enter.
VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex) {
  (void)Mutex;
  KEMU_NOT_MODELLED(KeInitializeGuardedMutex);
}

VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  (void)Mutex;
  KEMU_NOT_MODELLED(KeAcquireGuardedMutex);
}

VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex) {
  (void)Mutex;
  KEMU_NOT_MODELLED(KeReleaseGuardedMutex);
}

BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  (void)Mutex;
  KEMU_NOT_MODELLED(KeTryToAcquireGuardedMutex);
}

}  // extern "C"
