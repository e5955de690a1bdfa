// KeSaveFloatingPointState / KeRestoreFloatingPointState (docs/kernel.md, "Floating-point
// state"). Inline in the x64 WDK; kemu's are functions so the machine checks their pairing.
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

}  // extern "C"
