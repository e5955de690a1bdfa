// Fast mutex exports (docs/kernel.md, "Semaphores and mutexes").
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExInitializeFastMutex, KEMU_ARG(FastMutex));
  kernel.verifier().Dereferenced("ExInitializeFastMutex", FastMutex, "FastMutex");
  kernel.pool().RequireNonpaged("ExInitializeFastMutex", "fast mutex", FastMutex);
  kernel.dispatcher().InitializeFastMutex(FastMutex);
}

VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex) {
  KEMU_ENTER(ExAcquireFastMutex, KEMU_ARG(FastMutex))
      .dispatcher()
      .AcquireFastMutex("ExAcquireFastMutex", FastMutex, /*raise=*/true);
}

VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex) {
  KEMU_ENTER(ExReleaseFastMutex, KEMU_ARG(FastMutex))
      .dispatcher()
      .ReleaseFastMutex("ExReleaseFastMutex", FastMutex, /*restore=*/true);
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex) {
  return KEMU_ENTER(ExTryToAcquireFastMutex, KEMU_ARG(FastMutex))
                 .dispatcher()
                 .TryToAcquireFastMutex("ExTryToAcquireFastMutex", FastMutex)
             ? TRUE
             : FALSE;
}

VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex) {
  KEMU_ENTER(ExAcquireFastMutexUnsafe, KEMU_ARG(FastMutex))
      .dispatcher()
      .AcquireFastMutex("ExAcquireFastMutexUnsafe", FastMutex, /*raise=*/false);
}

VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex) {
  KEMU_ENTER(ExReleaseFastMutexUnsafe, KEMU_ARG(FastMutex))
      .dispatcher()
      .ReleaseFastMutex("ExReleaseFastMutexUnsafe", FastMutex, /*restore=*/false);
}

}  // extern "C"
