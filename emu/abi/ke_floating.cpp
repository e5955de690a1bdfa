// KeSaveFloatingPointState / KeRestoreFloatingPointState (inline in the x64 WDK; kemu's are
// functions so the machine checks their pairing) and, from Windows 7, the extended processor
// state routines (docs/kernel.md, "Floating-point state").
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/floating_state.hpp"

extern "C" {

NTSTATUS KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeSaveFloatingPointState, KEMU_ARG(FloatSave));
  return kemu::model::SaveFloatingState(kernel, "KeSaveFloatingPointState", FloatSave);
}

NTSTATUS KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeRestoreFloatingPointState, KEMU_ARG(FloatSave));
  return kemu::model::RestoreFloatingState(kernel, "KeRestoreFloatingPointState", FloatSave);
}

NTSTATUS KeSaveExtendedProcessorState(ULONG64 Mask, PXSTATE_SAVE XStateSave) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSaveExtendedProcessorState, KEMU_ARG(Mask), KEMU_ARG(XStateSave));
  return kemu::model::SaveExtendedState(kernel, Mask, XStateSave);
}

VOID KeRestoreExtendedProcessorState(PXSTATE_SAVE XStateSave) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeRestoreExtendedProcessorState, KEMU_ARG(XStateSave));
  kemu::model::RestoreExtendedState(kernel, XStateSave);
}

ULONG64 RtlGetEnabledExtendedFeatures(ULONG64 FeatureMask) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlGetEnabledExtendedFeatures, KEMU_ARG(FeatureMask));
  if (const KIRQL irql = kernel.irql().Current(); irql > PASSIVE_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("RtlGetEnabledExtendedFeatures", irql, PASSIVE_LEVEL);
  }
  return FeatureMask & kemu::model::kEnabledXStateFeatures;
}

}  // extern "C"
