// Reader/writer spin-lock exports (EX_SPIN_LOCK; docs/kernel.md, "Reader/writer spin locks").
#include <wdm.h>

#include "abi/entry.hpp"

namespace {

using kemu::model::ExHold;

kemu::model::ExSpinLocks& Checked(kemu::model::Kernel& kernel, const char* routine,
                                  PEX_SPIN_LOCK lock) {
  kernel.verifier().Dereferenced(routine, lock, "SpinLock");
  return kernel.ex_spin_locks();
}

}  // namespace

extern "C" {

KIRQL ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock) {
  static constexpr const char* kName = "ExAcquireSpinLockShared";
  kemu::model::Kernel& kernel = KEMU_ENTER(ExAcquireSpinLockShared, KEMU_ARG(SpinLock));
  return Checked(kernel, kName, SpinLock).AcquireRaising(kName, SpinLock, ExHold::kShared);
}

VOID ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql) {
  static constexpr const char* kName = "ExReleaseSpinLockShared";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExReleaseSpinLockShared, KEMU_ARG(SpinLock), KEMU_ARG(OldIrql));
  Checked(kernel, kName, SpinLock).ReleaseLowering(kName, SpinLock, ExHold::kShared, OldIrql);
}

KIRQL ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock) {
  static constexpr const char* kName = "ExAcquireSpinLockExclusive";
  kemu::model::Kernel& kernel = KEMU_ENTER(ExAcquireSpinLockExclusive, KEMU_ARG(SpinLock));
  return Checked(kernel, kName, SpinLock).AcquireRaising(kName, SpinLock, ExHold::kExclusive);
}

VOID ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql) {
  static constexpr const char* kName = "ExReleaseSpinLockExclusive";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExReleaseSpinLockExclusive, KEMU_ARG(SpinLock), KEMU_ARG(OldIrql));
  Checked(kernel, kName, SpinLock).ReleaseLowering(kName, SpinLock, ExHold::kExclusive, OldIrql);
}

VOID ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock) {
  static constexpr const char* kName = "ExAcquireSpinLockSharedAtDpcLevel";
  kemu::model::Kernel& kernel = KEMU_ENTER(ExAcquireSpinLockSharedAtDpcLevel, KEMU_ARG(SpinLock));
  Checked(kernel, kName, SpinLock).AcquireAtDpcLevel(kName, SpinLock, ExHold::kShared);
}

VOID ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock) {
  static constexpr const char* kName = "ExReleaseSpinLockSharedFromDpcLevel";
  kemu::model::Kernel& kernel = KEMU_ENTER(ExReleaseSpinLockSharedFromDpcLevel, KEMU_ARG(SpinLock));
  Checked(kernel, kName, SpinLock).ReleaseFromDpcLevel(kName, SpinLock, ExHold::kShared);
}

VOID ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock) {
  static constexpr const char* kName = "ExAcquireSpinLockExclusiveAtDpcLevel";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAcquireSpinLockExclusiveAtDpcLevel, KEMU_ARG(SpinLock));
  Checked(kernel, kName, SpinLock).AcquireAtDpcLevel(kName, SpinLock, ExHold::kExclusive);
}

VOID ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock) {
  static constexpr const char* kName = "ExReleaseSpinLockExclusiveFromDpcLevel";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExReleaseSpinLockExclusiveFromDpcLevel, KEMU_ARG(SpinLock));
  Checked(kernel, kName, SpinLock).ReleaseFromDpcLevel(kName, SpinLock, ExHold::kExclusive);
}

LOGICAL ExTryConvertSharedSpinLockExclusive(PEX_SPIN_LOCK SpinLock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExTryConvertSharedSpinLockExclusive, KEMU_ARG(SpinLock));
  return Checked(kernel, "ExTryConvertSharedSpinLockExclusive", SpinLock)
      .TryConvertSharedToExclusive(SpinLock);
}

}  // extern "C"
