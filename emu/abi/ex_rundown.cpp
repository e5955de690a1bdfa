// Run-down protection exports (docs/kernel.md, "Run-down protection"). The state lives in the
// driver's EX_RUNDOWN_REF word as on Windows: bit 0 says run-down has begun, the rest counts the
// protection granted, two per reference. Acquires and releases are atomic operations on the word
// (they order their callers for the race detector, as Interlocked operations do); the wait blocks
// as a dispatcher wait does, so a wait nothing can end is the hang report.
#include <fmt/format.h>
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/scheduler.hpp"

namespace {

using kemu::model::Kernel;

constexpr ULONG_PTR kActive = 1;
constexpr ULONG_PTR kOne = 2;

PEX_RUNDOWN_REF Checked(Kernel& kernel, const char* routine, PEX_RUNDOWN_REF ref) {
  kernel.verifier().Dereferenced(routine, ref, "RunRef");
  return ref;
}

BOOLEAN Acquire(Kernel& kernel, const char* routine, PEX_RUNDOWN_REF ref, ULONG count) {
  kemu::abi::AtMost(kernel, routine, DISPATCH_LEVEL);
  Checked(kernel, routine, ref);
  kernel.race().Barrier(ref);
  if (ref->u.Count & kActive) return FALSE;
  ref->u.Count = ref->u.Count + kOne * count;
  return TRUE;
}

void Release(Kernel& kernel, const char* routine, PEX_RUNDOWN_REF ref, ULONG count) {
  kemu::abi::AtMost(kernel, routine, DISPATCH_LEVEL);
  Checked(kernel, routine, ref);
  const ULONG_PTR held = ref->u.Count / kOne;
  if (count > held) kernel.verifier().RundownReleaseNotAcquired(routine, ref, held, count);
  kernel.race().Barrier(ref);
  ref->u.Count = ref->u.Count - kOne * count;
}

}  // namespace

extern "C" {

VOID ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef) {
  Kernel& kernel = KEMU_ENTER(ExInitializeRundownProtection, KEMU_ARG(RunRef));
  Checked(kernel, "ExInitializeRundownProtection", RunRef)->u.Count = 0;
  kernel.race().ObjectInitialized(RunRef);
}

VOID ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef) {
  Kernel& kernel = KEMU_ENTER(ExReInitializeRundownProtection, KEMU_ARG(RunRef));
  Checked(kernel, "ExReInitializeRundownProtection", RunRef);
  kernel.race().Barrier(RunRef);
  RunRef->u.Count = 0;
}

BOOLEAN ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef) {
  Kernel& kernel = KEMU_ENTER(ExAcquireRundownProtection, KEMU_ARG(RunRef));
  return Acquire(kernel, "ExAcquireRundownProtection", RunRef, 1);
}

BOOLEAN ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count) {
  Kernel& kernel = KEMU_ENTER(ExAcquireRundownProtectionEx, KEMU_ARG(RunRef), KEMU_ARG(Count));
  return Acquire(kernel, "ExAcquireRundownProtectionEx", RunRef, Count);
}

VOID ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef) {
  Kernel& kernel = KEMU_ENTER(ExReleaseRundownProtection, KEMU_ARG(RunRef));
  Release(kernel, "ExReleaseRundownProtection", RunRef, 1);
}

VOID ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count) {
  Kernel& kernel = KEMU_ENTER(ExReleaseRundownProtectionEx, KEMU_ARG(RunRef), KEMU_ARG(Count));
  Release(kernel, "ExReleaseRundownProtectionEx", RunRef, Count);
}

VOID ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef) {
  Kernel& kernel = KEMU_ENTER(ExWaitForRundownProtectionRelease, KEMU_ARG(RunRef));
  kemu::abi::AtMost(kernel, "ExWaitForRundownProtectionRelease", APC_LEVEL);
  Checked(kernel, "ExWaitForRundownProtectionRelease", RunRef);
  kernel.race().Barrier(RunRef);
  RunRef->u.Count = RunRef->u.Count | kActive;  // no acquire succeeds from here on
  if (RunRef->u.Count != kActive) {
    kernel.dispatcher().BlockUntil(
        {.ready = [RunRef] { return RunRef->u.Count == kActive; },
         .what = fmt::format("the release of the run-down protection still held on {} "
                             "(ExWaitForRundownProtectionRelease)",
                             static_cast<void*>(RunRef))});
  }
  // What every holder did before its release happens before what follows the wait.
  kernel.race().Barrier(RunRef);
}

VOID ExRundownCompleted(PEX_RUNDOWN_REF RunRef) {
  Kernel& kernel = KEMU_ENTER(ExRundownCompleted, KEMU_ARG(RunRef));
  Checked(kernel, "ExRundownCompleted", RunRef);
  kernel.race().Barrier(RunRef);
  RunRef->u.Count = kActive;
}

}  // extern "C"
