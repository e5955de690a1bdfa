#include "model/floating_state.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/kernel.hpp"
#include "verifier/verifier.hpp"

namespace kemu::model {

namespace {

// Every save and restore: IRQL <= DISPATCH_LEVEL (docs/kernel.md, "Floating-point state").
void CheckIrql(Kernel& kernel, const char* routine, const char* parameter, const void* buffer) {
  kernel.verifier().Dereferenced(routine, buffer, parameter);
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) kernel.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL);
}

struct Found {
  std::vector<FloatingSave>* saves = nullptr;
  std::size_t index = 0;
};

// The innermost unrestored save of `thread`. Saves nest per thread (a DPC or ISR nests in the
// thread it interrupted); a thread that waited, or moved, between its save and its restore may
// have left it on another vCPU, so this one is searched first, then the others.
Found LastSaveOf(Kernel& kernel, std::uintptr_t thread) {
  const unsigned current = kernel.current_processor();
  for (unsigned n = 0; n < kernel.processor_count(); ++n) {
    std::vector<FloatingSave>& saves =
        kernel.cpu((current + n) % kernel.processor_count()).floating_saves;
    for (std::size_t i = saves.size(); i-- > 0;) {
      if (saves[i].thread == thread) return {.saves = &saves, .index = i};
    }
  }
  return {};
}

// A save after CheckIrql: its nesting under the thread's last one, then it is the last.
void Save(Kernel& kernel, const char* routine, const void* buffer) {
  const std::uintptr_t thread = kernel.dispatcher().CurrentThread();
  const KIRQL irql = kernel.cpu().irql;
  if (const Found outer = LastSaveOf(kernel, thread); outer.saves != nullptr) {
    const FloatingSave& around = (*outer.saves)[outer.index];
    if (irql < around.irql) {
      kernel.verifier().FloatingIrqlMismatch(routine, buffer, irql, around.irql, /*nested=*/true);
    }
  }
  kernel.cpu().floating_saves.push_back(
      {.buffer = buffer, .thread = thread, .irql = irql, .sequence = kernel.trace().sequence()});
}

// A restore after CheckIrql: it must name the thread's last save, at that save's IRQL.
void Restore(Kernel& kernel, const char* routine, const void* buffer) {
  const Found last = LastSaveOf(kernel, kernel.dispatcher().CurrentThread());
  if (last.saves == nullptr || (*last.saves)[last.index].buffer != buffer) {
    const FloatingSave* save = last.saves == nullptr ? nullptr : &(*last.saves)[last.index];
    kernel.verifier().FloatingRestoreMismatch(routine, buffer,
                                              save == nullptr ? nullptr : save->buffer,
                                              save == nullptr ? 0 : save->sequence);
  }
  const KIRQL irql = kernel.cpu().irql;
  if (const KIRQL saved = (*last.saves)[last.index].irql; irql != saved) {
    kernel.verifier().FloatingIrqlMismatch(routine, buffer, irql, saved, /*nested=*/false);
  }
  last.saves->erase(last.saves->begin() + static_cast<std::ptrdiff_t>(last.index));
}

}  // namespace

NTSTATUS SaveFloatingState(Kernel& kernel, const char* routine, const void* buffer) {
  CheckIrql(kernel, routine, "FloatSave", buffer);
  Save(kernel, routine, buffer);
  return STATUS_SUCCESS;
}

NTSTATUS RestoreFloatingState(Kernel& kernel, const char* routine, const void* buffer) {
  CheckIrql(kernel, routine, "FloatSave", buffer);
  Restore(kernel, routine, buffer);
  return STATUS_SUCCESS;
}

NTSTATUS SaveExtendedState(Kernel& kernel, ULONG64 mask, const void* buffer) {
  constexpr const char* kRoutine = "KeSaveExtendedProcessorState";
  CheckIrql(kernel, kRoutine, "XStateSave", buffer);
  // Documented as a caller's rule; what Windows does with other bits is UNCONFIRMED.
  if ((mask & ~kEnabledXStateFeatures) != 0) {
    kernel.verifier().XStateFeatureNotEnabled(buffer, mask, kEnabledXStateFeatures);
  }
  Save(kernel, kRoutine, buffer);
  return STATUS_SUCCESS;
}

void RestoreExtendedState(Kernel& kernel, const void* buffer) {
  constexpr const char* kRoutine = "KeRestoreExtendedProcessorState";
  CheckIrql(kernel, kRoutine, "XStateSave", buffer);
  Restore(kernel, kRoutine, buffer);
}

void CheckSavesRestoredAtReturn(Kernel& kernel, const char* kind, const void* routine,
                                std::uint64_t since, KIRQL min_irql) {
  const std::uintptr_t thread = kernel.dispatcher().CurrentThread();
  const auto made_in_routine = [&](const FloatingSave& save) {
    return save.thread == thread && save.sequence > since && save.irql >= min_irql;
  };
  // A thread that waited in the routine may have left its saves on another vCPU.
  for (unsigned n = 0; n < kernel.processor_count(); ++n) {
    std::vector<FloatingSave>& saves = kernel.cpu(n).floating_saves;
    const auto open = std::find_if(saves.begin(), saves.end(), made_in_routine);
    if (open == saves.end()) continue;
    kernel.verifier().FloatingSaveOpenAtReturn(kind, reinterpret_cast<std::uintptr_t>(routine),
                                               open->buffer, open->irql, open->sequence);
    // kRecord: the routine's saves end with it; a later restore of one is a mismatch.
    std::erase_if(saves, made_in_routine);
  }
}

}  // namespace kemu::model
