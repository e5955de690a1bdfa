// KeSaveFloatingPointState / KeRestoreFloatingPointState (docs/kernel.md, "Floating-point
// state"). On x64 the state a save protects stays with the thread, so kemu saves nothing: it keeps
// each vCPU's unrestored saves (Cpu::floating_saves) to check that every restore names the last
// save, at that save's IRQL, and that a nested save never runs below the one around it.
#ifndef KEMU_EMU_MODEL_FLOATING_STATE_HPP_
#define KEMU_EMU_MODEL_FLOATING_STATE_HPP_

#include <wdm.h>

#include <cstdint>

namespace kemu::model {

class Kernel;

/// KeSaveFloatingPointState: STATUS_SUCCESS (x64 processors always have floating point).
NTSTATUS SaveFloatingState(Kernel& kernel, const char* routine, const void* buffer);
/// KeRestoreFloatingPointState: STATUS_SUCCESS, or a bug check for a restore that does not pair.
NTSTATUS RestoreFloatingState(Kernel& kernel, const char* routine, const void* buffer);

/// The XSAVE features kemu's processors have and every personality that exports the extended
/// state routines enables: x87, SSE and AVX (docs/kernel.md, "Floating-point state").
inline constexpr ULONG64 kEnabledXStateFeatures = XSTATE_MASK_LEGACY | XSTATE_MASK_AVX;

/// KeSaveExtendedProcessorState: a save of `mask`'s features, in the same nesting as the
/// floating-point saves; `mask` must name enabled features only.
NTSTATUS SaveExtendedState(Kernel& kernel, ULONG64 mask, const void* buffer);
/// KeRestoreExtendedProcessorState: pairs as RestoreFloatingState does.
void RestoreExtendedState(Kernel& kernel, const void* buffer);

/// A routine the kernel called (`kind`: "DPC routine", "ISR", "work item routine", "system
/// thread") at `routine` returns: a save the running thread made in it and did not restore is
/// 0xC4 / kemu 0x4B45001E. The routine's saves are those made after trace event `since` at an
/// IRQL of at least `min_irql`. Under kRecord they are dropped after the report.
void CheckSavesRestoredAtReturn(Kernel& kernel, const char* kind, const void* routine,
                                std::uint64_t since, KIRQL min_irql = PASSIVE_LEVEL);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_FLOATING_STATE_HPP_
