// Semaphore exports (docs/kernel.md, "Semaphores and mutexes").
#include <fmt/format.h>
#include <wdm.h>

#include "abi/entry.hpp"
#include "kemu/error.hpp"

extern "C" {

VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeInitializeSemaphore, KEMU_ARG(Semaphore), KEMU_ARG(Count), KEMU_ARG(Limit));
  kernel.verifier().Dereferenced("KeInitializeSemaphore", Semaphore, "Semaphore");
  kernel.pool().RequireNonpaged("KeInitializeSemaphore", "semaphore", Semaphore);
  // The page: Count and Limit "must be positive" (Count 0, a semaphore not yet signalled, is what
  // drivers pass), and Count is at most the Limit the semaphore "can attain". It names no
  // outcome, so kemu stops the test rather than build a semaphore no release could keep
  // consistent (audit round 19, B-S6).
  if (Count < 0 || Limit <= 0 || Count > Limit) {
    throw kemu::Error(fmt::format(
        "kemu: KeInitializeSemaphore was given Count {} and Limit {}: the count must be 0 or "
        "more and at most the limit, and the limit positive",
        Count, Limit));
  }
  kernel.dispatcher().InitializeSemaphore(Semaphore, Count, Limit);
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
                        BOOLEAN Wait) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeReleaseSemaphore, KEMU_ARG(Semaphore), KEMU_ARG(Increment), KEMU_ARG(Adjustment),
                 KEMU_ARG(Wait));
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("KeReleaseSemaphore", irql, DISPATCH_LEVEL);
  }
  const LONG previous =
      kernel.dispatcher().ReleaseSemaphore("KeReleaseSemaphore", Semaphore, Adjustment);
  if (Wait) kernel.dispatcher().HoldForNextWait(irql);
  return previous;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReadStateSemaphore, KEMU_ARG(Semaphore));
  kernel.dispatcher().CheckObject("KeReadStateSemaphore", Semaphore,
                                  kemu::model::Dispatcher::kSemaphores);
  return Semaphore->Header.SignalState;
}

}  // extern "C"
