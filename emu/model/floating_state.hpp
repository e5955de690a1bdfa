// KeSaveFloatingPointState / KeRestoreFloatingPointState (docs/kernel.md, "Floating-point
// state"). On x64 the state a save protects stays with the thread, so kemu saves nothing: it keeps
// each vCPU's unrestored saves (Cpu::floating_saves) to check that every restore names the last
// save, at that save's IRQL, and that a nested save never runs below the one around it.
#ifndef KEMU_EMU_MODEL_FLOATING_STATE_HPP_
#define KEMU_EMU_MODEL_FLOATING_STATE_HPP_

#include <wdm.h>

namespace kemu::model {

class Kernel;

/// KeSaveFloatingPointState: STATUS_SUCCESS (x64 processors always have floating point).
NTSTATUS SaveFloatingState(Kernel& kernel, const char* routine, const void* buffer);
/// KeRestoreFloatingPointState: STATUS_SUCCESS, or a bug check for a restore that does not pair.
NTSTATUS RestoreFloatingState(Kernel& kernel, const char* routine, const void* buffer);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_FLOATING_STATE_HPP_
