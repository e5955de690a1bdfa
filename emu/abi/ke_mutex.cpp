// Kernel mutex exports (docs/kernel.md, "Semaphores and mutexes"). A mutex is acquired by a wait
// (KeWaitForMutexObject is KeWaitForSingleObject).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeMutex, KEMU_ARG(Mutex), KEMU_ARG(Level));
  kernel.verifier().Dereferenced("KeInitializeMutex", Mutex, "Mutex");
  kernel.pool().RequireNonpaged("KeInitializeMutex", "kernel mutex", Mutex);
  kernel.dispatcher().InitializeMutex(Mutex);  // Level is ignored, as on Windows
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReleaseMutex, KEMU_ARG(Mutex), KEMU_ARG(Wait));
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("KeReleaseMutex", irql, DISPATCH_LEVEL);
  }
  const LONG previous = kernel.dispatcher().ReleaseMutex("KeReleaseMutex", Mutex);
  if (Wait) kernel.dispatcher().HoldForNextWait(irql);
  return previous;
}

LONG KeReadStateMutex(PRKMUTEX Mutex) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReadStateMutex, KEMU_ARG(Mutex));
  kernel.dispatcher().CheckObject("KeReadStateMutex", Mutex, kemu::model::Dispatcher::kMutexes);
  return Mutex->Header.SignalState;
}

}  // extern "C"
