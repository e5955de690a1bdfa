// Ordinary spin-lock exports (docs/windows-facts.md §6.2).
#include <wdm.h>

#include "abi/entry.hpp"

namespace {

kemu::model::Kernel& Checked(kemu::model::Kernel& kernel, const char* routine, PKSPIN_LOCK lock) {
  kernel.verifier().Dereferenced(routine, lock, "SpinLock");
  return kernel;
}

}  // namespace

extern "C" {

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeSpinLock, KEMU_ARG(SpinLock));
  Checked(kernel, "KeInitializeSpinLock", SpinLock).spin_locks().Initialize(SpinLock);
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  static constexpr const char* kName = "KeAcquireSpinLockRaiseToDpc";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAcquireSpinLockRaiseToDpc, KEMU_ARG(SpinLock));
  return Checked(kernel, kName, SpinLock)
      .spin_locks()
      .AcquireRaiseTo(kName, SpinLock, DISPATCH_LEVEL);
}

// Reached by (KeAcquireSpinLock)(Lock, &Old); the macro form goes to KeAcquireSpinLockRaiseToDpc.
VOID(KeAcquireSpinLock)(PKSPIN_LOCK SpinLock, PKIRQL OldIrql) {
  static constexpr const char* kName = "KeAcquireSpinLock";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeAcquireSpinLock, KEMU_ARG(SpinLock), KEMU_ARG(OldIrql));
  kernel.verifier().Dereferenced(kName, OldIrql, "OldIrql");
  // Windows stores the old IRQL only after the lock is taken.
  *OldIrql =
      Checked(kernel, kName, SpinLock).spin_locks().AcquireRaiseTo(kName, SpinLock, DISPATCH_LEVEL);
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
  static constexpr const char* kName = "KeReleaseSpinLock";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeReleaseSpinLock, KEMU_ARG(SpinLock), KEMU_ARG(NewIrql));
  Checked(kernel, kName, SpinLock).spin_locks().Release(kName, SpinLock, NewIrql);
}

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  static constexpr const char* kName = "KeAcquireSpinLockAtDpcLevel";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAcquireSpinLockAtDpcLevel, KEMU_ARG(SpinLock));
  Checked(kernel, kName, SpinLock).spin_locks().AcquireAtDpcLevel(kName, SpinLock);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
  static constexpr const char* kName = "KeReleaseSpinLockFromDpcLevel";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReleaseSpinLockFromDpcLevel, KEMU_ARG(SpinLock));
  Checked(kernel, kName, SpinLock).spin_locks().ReleaseFromDpcLevel(kName, SpinLock);
}

KIRQL KeAcquireSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock) {
  static constexpr const char* kName = "KeAcquireSpinLockRaiseToSynch";
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAcquireSpinLockRaiseToSynch, KEMU_ARG(SpinLock));
  return Checked(kernel, kName, SpinLock)
      .spin_locks()
      .AcquireRaiseTo(kName, SpinLock, kernel.personality().synch_level);
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeTryToAcquireSpinLockAtDpcLevel, KEMU_ARG(SpinLock));
  return Checked(kernel, "KeTryToAcquireSpinLockAtDpcLevel", SpinLock)
      .spin_locks()
      .TryAcquireAtDpcLevel(SpinLock);
}

// For DPC routines, threaded ones included (conformance SL-10, as for the in-stack queued
// ...ForDpc pair): in an ordinary DPC the IRQL stays at DISPATCH_LEVEL; in a threaded DPC run at
// PASSIVE_LEVEL the acquire raises to DISPATCH_LEVEL and the release lowers back to OldIrql.
KIRQL KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAcquireSpinLockForDpc, KEMU_ARG(SpinLock));
  return Checked(kernel, "KeAcquireSpinLockForDpc", SpinLock).spin_locks().AcquireForDpc(SpinLock);
}

VOID KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeReleaseSpinLockForDpc, KEMU_ARG(SpinLock), KEMU_ARG(OldIrql));
  Checked(kernel, "KeReleaseSpinLockForDpc", SpinLock)
      .spin_locks()
      .ReleaseForDpc(SpinLock, OldIrql);
}

BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeTestSpinLock, KEMU_ARG(SpinLock));
  return Checked(kernel, "KeTestSpinLock", SpinLock).spin_locks().Test(SpinLock);
}

}  // extern "C"
