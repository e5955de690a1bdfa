// In-stack queued spin-lock exports (docs/windows-facts.md §6.2, conformance SL-9, SL-10).
#include <wdm.h>

#include "abi/entry.hpp"

namespace {

kemu::model::Kernel& Checked(kemu::model::Kernel& kernel, const char* routine, PKSPIN_LOCK lock,
                             PKLOCK_QUEUE_HANDLE handle) {
  kernel.verifier().Dereferenced(routine, lock, "SpinLock");
  kernel.verifier().Dereferenced(routine, handle, "LockHandle");
  return kernel;
}

kemu::model::Kernel& Checked(kemu::model::Kernel& kernel, const char* routine,
                             PKLOCK_QUEUE_HANDLE handle) {
  kernel.verifier().Dereferenced(routine, handle, "LockHandle");
  return kernel;
}

}  // namespace

extern "C" {

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  static constexpr const char* kName = "KeAcquireInStackQueuedSpinLock";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeAcquireInStackQueuedSpinLock, KEMU_ARG(SpinLock), KEMU_ARG(LockHandle));
  Checked(kernel, kName, SpinLock, LockHandle)
      .spin_locks()
      .AcquireQueued(kName, SpinLock, LockHandle, DISPATCH_LEVEL);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle) {
  static constexpr const char* kName = "KeReleaseInStackQueuedSpinLock";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReleaseInStackQueuedSpinLock, KEMU_ARG(LockHandle));
  Checked(kernel, kName, LockHandle).spin_locks().ReleaseQueued(kName, LockHandle, true);
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
                                              PKLOCK_QUEUE_HANDLE LockHandle) {
  static constexpr const char* kName = "KeAcquireInStackQueuedSpinLockAtDpcLevel";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAcquireInStackQueuedSpinLockAtDpcLevel,
                                           KEMU_ARG(SpinLock), KEMU_ARG(LockHandle));
  Checked(kernel, kName, SpinLock, LockHandle)
      .spin_locks()
      .AcquireQueuedAtDpcLevel(kName, SpinLock, LockHandle);
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle) {
  static constexpr const char* kName = "KeReleaseInStackQueuedSpinLockFromDpcLevel";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeReleaseInStackQueuedSpinLockFromDpcLevel, KEMU_ARG(LockHandle));
  Checked(kernel, kName, LockHandle).spin_locks().ReleaseQueuedFromDpcLevel(kName, LockHandle);
}

VOID KeAcquireInStackQueuedSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock,
                                                PKLOCK_QUEUE_HANDLE LockHandle) {
  static constexpr const char* kName = "KeAcquireInStackQueuedSpinLockRaiseToSynch";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAcquireInStackQueuedSpinLockRaiseToSynch,
                                           KEMU_ARG(SpinLock), KEMU_ARG(LockHandle));
  Checked(kernel, kName, SpinLock, LockHandle)
      .spin_locks()
      .AcquireQueued(kName, SpinLock, LockHandle, kernel.personality().synch_level);
}

VOID KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeAcquireInStackQueuedSpinLockForDpc, KEMU_ARG(SpinLock), KEMU_ARG(LockHandle));
  Checked(kernel, "KeAcquireInStackQueuedSpinLockForDpc", SpinLock, LockHandle)
      .spin_locks()
      .AcquireQueuedForDpc(SpinLock, LockHandle);
}

VOID KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeReleaseInStackQueuedSpinLockForDpc, KEMU_ARG(LockHandle));
  Checked(kernel, "KeReleaseInStackQueuedSpinLockForDpc", LockHandle)
      .spin_locks()
      .ReleaseQueuedForDpc(LockHandle);
}

}  // extern "C"
