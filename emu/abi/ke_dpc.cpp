// DPC exports (docs/windows-facts.md §7.2, conformance DPC-1..DPC-11).
#include <wdm.h>

#include "abi/entry.hpp"
#include "abi/processor_number.hpp"

namespace {

kemu::model::Kernel& Checked(kemu::model::Kernel& kernel, const char* routine, PKDPC dpc) {
  kernel.verifier().Dereferenced(routine, dpc, "Dpc");
  // DPC-7
  return kernel;
}

}  // namespace

extern "C" {

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeDpc, KEMU_ARG(Dpc),
                                           KEMU_ARG(DeferredRoutine), KEMU_ARG(DeferredContext));
  Checked(kernel, "KeInitializeDpc", Dpc)
      .dpcs()
      .Initialize(Dpc, DeferredRoutine, DeferredContext, /*threaded=*/false);
}

// kemu runs threaded DPCs as ordinary ones, as Windows does when threaded DPCs are disabled;
// a correct threaded DPC routine must work at DISPATCH_LEVEL too (docs/windows-facts.md §7.4).
VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                             PVOID DeferredContext) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeThreadedDpc, KEMU_ARG(Dpc),
                                           KEMU_ARG(DeferredRoutine), KEMU_ARG(DeferredContext));
  Checked(kernel, "KeInitializeThreadedDpc", Dpc)
      .dpcs()
      .Initialize(Dpc, DeferredRoutine, DeferredContext, /*threaded=*/true);
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInsertQueueDpc, KEMU_ARG(Dpc),
                                           KEMU_ARG(SystemArgument1), KEMU_ARG(SystemArgument2));
  return Checked(kernel, "KeInsertQueueDpc", Dpc)
      .dpcs()
      .Insert(Dpc, SystemArgument1, SystemArgument2);
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeRemoveQueueDpc, KEMU_ARG(Dpc));
  return Checked(kernel, "KeRemoveQueueDpc", Dpc).dpcs().Remove(Dpc);
}

VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeSetImportanceDpc, KEMU_ARG(Dpc), KEMU_ARG(Importance));
  Checked(kernel, "KeSetImportanceDpc", Dpc).dpcs().SetImportance(Dpc, Importance);
}

VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSetTargetProcessorDpc, KEMU_ARG(Dpc), KEMU_ARG(Number));
  Checked(kernel, "KeSetTargetProcessorDpc", Dpc)
      .dpcs()
      .SetTargetProcessor(Dpc, static_cast<unsigned char>(Number));
}

// A processor number naming no processor of the machine is STATUS_INVALID_PARAMETER and leaves
// the target as it was.
NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSetTargetProcessorDpcEx, KEMU_ARG(Dpc), KEMU_ARG(ProcNumber));
  Checked(kernel, "KeSetTargetProcessorDpcEx", Dpc);
  kernel.verifier().Dereferenced("KeSetTargetProcessorDpcEx", ProcNumber, "ProcNumber");
  const int index = kemu::abi::ProcessorIndex(*ProcNumber, kernel.processor_count());
  if (index < 0) return STATUS_INVALID_PARAMETER;
  kernel.dpcs().SetTargetProcessor(Dpc, static_cast<unsigned>(index), "KeSetTargetProcessorDpcEx");
  return STATUS_SUCCESS;
}

VOID KeFlushQueuedDpcs(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeFlushQueuedDpcs);
  const KIRQL irql = kernel.irql().Current();
  if (irql > PASSIVE_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("KeFlushQueuedDpcs", irql, PASSIVE_LEVEL);
  }
  kernel.dpcs().Flush();  // DPC-11
}

}  // extern "C"
