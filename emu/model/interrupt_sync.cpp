// Synchronising with an ISR and interrupt queries: KeSynchronizeExecution,
// KeAcquire/ReleaseInterruptSpinLock, IoGetAffinityInterrupt, IoReportInterruptActive/Inactive
// (docs/windows-facts.md §4; conformance INT-1, INT-2, INT-4, INT-5, INT-11).
#include "model/interrupts.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

BOOLEAN Interrupts::Synchronize(PKINTERRUPT interrupt, PKSYNCHRONIZE_ROUTINE routine,
                                PVOID context) {
  static constexpr const char* kRoutine = "KeSynchronizeExecution";
  const InterruptObject& object = Lookup(kRoutine, interrupt);
  ConnectionRecord& record = *object.record;
  const RecordPin pin(record);  // the routine may reach a point where another vCPU disconnects
  kernel_.verifier().Dereferenced(kRoutine, routine, "SynchronizeRoutine");
  Cpu& cpu = kernel_.cpu();
  const KIRQL old = cpu.irql;
  if (old > record.synchronize_irql) {
    kernel_.verifier().IrqlAboveMaximum(kRoutine, old, record.synchronize_irql);
  }
  BOOLEAN result;
  if (record.passive) {
    // INT-4: a Windows 8+ passive-level ISR is serialised by an event, at PASSIVE_LEVEL: wait
    // while the ISR (or another KeSynchronizeExecution) runs on another vCPU.
    if (record.passive_busy) {
      kernel_.scheduler().WaitUntil(
          {.ready = [&record] { return !record.passive_busy; },
           .what = "the passive-level interrupt's event in KeSynchronizeExecution"});
    }
    record.passive_busy = true;
    kernel_.race().LockAcquired(&record.passive_busy);
    ++cpu.sync_depth;
    result = routine(context);
    --cpu.sync_depth;
    record.passive_busy = false;
    kernel_.race().LockReleased(&record.passive_busy);
  } else {
    if (record.synchronize_irql > old) kernel_.WriteIrql(cpu, record.synchronize_irql);
    kernel_.spin_locks().Take(kRoutine, object.lock, LockKind::kOrdinary, nullptr);
    ++cpu.sync_depth;
    result = routine(context);  // INT-2: passed through verbatim, not normalised to TRUE
    --cpu.sync_depth;
    kernel_.spin_locks().Drop(kRoutine, object.lock, LockKind::kOrdinary);
  }
  if (kernel_.race().pending()) kernel_.race().RaisePending();
  // Lowering back delivers whatever the held lock or the raised IRQL kept pending.
  if (cpu.irql > old) {
    kernel_.irql().Set(old);
  } else {
    DeliverPending();
  }
  return result;
}

KIRQL Interrupts::AcquireLock(PKINTERRUPT interrupt) {
  static constexpr const char* kRoutine = "KeAcquireInterruptSpinLock";
  const InterruptObject& object = Lookup(kRoutine, interrupt);
  ConnectionRecord& record = *object.record;
  if (record.passive) kernel_.verifier().InterruptLockOnPassiveIsr(kRoutine, *interrupt);
  Cpu& cpu = kernel_.cpu();
  const KIRQL old = cpu.irql;
  if (old > record.synchronize_irql) {
    kernel_.verifier().IrqlAboveMaximum(kRoutine, old, record.synchronize_irql);
  }
  if (record.synchronize_irql > old) kernel_.WriteIrql(cpu, record.synchronize_irql);
  kernel_.spin_locks().Take(kRoutine, object.lock, LockKind::kOrdinary, nullptr);
  return old;  // INT-5
}

void Interrupts::ReleaseLock(PKINTERRUPT interrupt, KIRQL old_irql) {
  static constexpr const char* kRoutine = "KeReleaseInterruptSpinLock";
  const InterruptObject& object = Lookup(kRoutine, interrupt);
  if (object.record->passive) kernel_.verifier().InterruptLockOnPassiveIsr(kRoutine, *interrupt);
  kernel_.spin_locks().Drop(kRoutine, object.lock, LockKind::kOrdinary);
  kernel_.irql().Lower(old_irql);
  DeliverPending();
}

NTSTATUS Interrupts::GetAffinity(PKINTERRUPT interrupt, PGROUP_AFFINITY affinity) {
  auto it = objects_.find(interrupt);
  // docs/windows-facts.md §4.4: a pointer that is not an interrupt object is a status, not a crash.
  if (it == objects_.end() || !it->second->record->connected) return STATUS_INVALID_PARAMETER;
  kernel_.verifier().Dereferenced("IoGetAffinityInterrupt", affinity, "GroupAffinity");
  affinity->Mask = it->second->record->affinity;
  affinity->Group = 0;
  affinity->Reserved[0] = affinity->Reserved[1] = affinity->Reserved[2] = 0;
  return STATUS_SUCCESS;
}

void Interrupts::ReportActive(const char* routine,
                              PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS parameters,
                              bool active) {
  const KIRQL irql = kernel_.irql().Current();
  if (irql > DISPATCH_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL);
  kernel_.verifier().Dereferenced(routine, parameters, "Parameters");
  ConnectionRecord& record =
      Identify(routine, parameters->Version, parameters->ConnectionContext.Generic);
  record.stats.active = active;
  if (active) DeliverPending();
}

}  // namespace kemu::model
