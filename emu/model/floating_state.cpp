#include "model/floating_state.hpp"

#include <cstdint>
#include <vector>

#include "model/kernel.hpp"
#include "verifier/verifier.hpp"

namespace kemu::model {

namespace {

// Both routines: IRQL <= DISPATCH_LEVEL (docs/kernel.md, "Floating-point state").
void CheckIrql(Kernel& kernel, const char* routine, const void* buffer) {
  if (buffer == nullptr) kernel.verifier().NullArgument(routine, "FloatSave");
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

}  // namespace

NTSTATUS SaveFloatingState(Kernel& kernel, const char* routine, const void* buffer) {
  CheckIrql(kernel, routine, buffer);
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
  return STATUS_SUCCESS;
}

NTSTATUS RestoreFloatingState(Kernel& kernel, const char* routine, const void* buffer) {
  CheckIrql(kernel, routine, buffer);
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
  return STATUS_SUCCESS;
}

}  // namespace kemu::model
