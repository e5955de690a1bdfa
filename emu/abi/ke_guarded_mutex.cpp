// Guarded mutex and guarded region exports (docs/kernel.md, "Semaphores and mutexes").
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeGuardedMutex, KEMU_ARG(Mutex));
  kernel.verifier().Dereferenced("KeInitializeGuardedMutex", Mutex, "Mutex");
  kernel.dispatcher().InitializeGuardedMutex(Mutex);
}

VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  KEMU_ENTER(KeAcquireGuardedMutex, KEMU_ARG(Mutex))
      .dispatcher()
      .AcquireGuardedMutex("KeAcquireGuardedMutex", Mutex, /*region=*/true);
}

VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex) {
  KEMU_ENTER(KeReleaseGuardedMutex, KEMU_ARG(Mutex))
      .dispatcher()
      .ReleaseGuardedMutex("KeReleaseGuardedMutex", Mutex, /*region=*/true);
}

BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  return KEMU_ENTER(KeTryToAcquireGuardedMutex, KEMU_ARG(Mutex))
                 .dispatcher()
                 .TryToAcquireGuardedMutex("KeTryToAcquireGuardedMutex", Mutex)
             ? TRUE
             : FALSE;
}

VOID KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex) {
  KEMU_ENTER(KeAcquireGuardedMutexUnsafe, KEMU_ARG(FastMutex))
      .dispatcher()
      .AcquireGuardedMutex("KeAcquireGuardedMutexUnsafe", FastMutex, /*region=*/false);
}

VOID KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex) {
  KEMU_ENTER(KeReleaseGuardedMutexUnsafe, KEMU_ARG(FastMutex))
      .dispatcher()
      .ReleaseGuardedMutex("KeReleaseGuardedMutexUnsafe", FastMutex, /*region=*/false);
}

VOID KeEnterGuardedRegion(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeEnterGuardedRegion);
  const KIRQL irql = kernel.irql().Current();
  if (irql > APC_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("KeEnterGuardedRegion", irql, APC_LEVEL);
  }
  kernel.dispatcher().EnterGuardedRegion();
}

VOID KeLeaveGuardedRegion(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeLeaveGuardedRegion);
  const KIRQL irql = kernel.irql().Current();
  if (irql > APC_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("KeLeaveGuardedRegion", irql, APC_LEVEL);
  }
  kernel.dispatcher().LeaveGuardedRegion("KeLeaveGuardedRegion");
}

}  // extern "C"
