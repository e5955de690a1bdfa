// Kernel API fuzz target: the executive's newer building blocks around a driver's interrupt path.
// Run-down protection, executive spin locks, EX_TIMERs, device queues, caller-allocated and
// executive work items, IoCreateSystemThread, floating-point and extended state saves,
// KeGenericCallDpc, coalescable timers and interrupt active-state reports, called in
// fuzzer-chosen order from wherever the program happens to be. Misuse must end in a return
// value, a bug check or a kemu::Error.
#include "kernel_api_fuzzer.hpp"
// The WDK declares KeGenericCallDpc nowhere; drivers declare it, kemu in this header.
#include <kemu_wdk_generic_dpc.h>

namespace kemu_fuzz {
namespace {

VOID FuzzWorkItemEx(PVOID, PVOID, PIO_WORKITEM) { NestedOps(4); }
VOID FuzzExWorker(PVOID) { NestedOps(4); }
VOID FuzzExTimerCallback(PEX_TIMER, PVOID) { NestedOps(3); }
VOID FuzzIoThread(PVOID) {
  NestedOps(6);
  if (current != nullptr && current->in.Flag()) PsTerminateSystemThread(STATUS_SUCCESS);
}

// KeGenericCallDpc's routine: on every processor at DISPATCH_LEVEL; it usually says it has
// arrived and is done, as the documentation asks, and sometimes does neither.
VOID FuzzGenericCall(PKDPC, PVOID, PVOID argument1, PVOID argument2) {
  if (current == nullptr) return;
  Bytes& in = current->in;
  if (in.Pick(4) != 0) (void)KeSignalCallDpcSynchronize(argument2);
  NestedOps(2);
  if (in.Pick(4) != 0) KeSignalCallDpcDone(argument1);
}

void RundownOp(Run& run, std::size_t) {
  if (!AtLeast(run, kemu::Os::kWindowsXP)) return;
  Bytes& in = run.in;
  PEX_RUNDOWN_REF ref = &run.state.rundown;
  const ULONG count = in.Flag() ? 1 + in.Pick(3) : in.U32();
  switch (in.Pick(8)) {
    case 0:
      ExInitializeRundownProtection(ref);
      break;
    case 1:
      (void)ExAcquireRundownProtection(ref);
      break;
    case 2:
      ExReleaseRundownProtection(ref);
      break;
    case 3:  // the counted forms: Server 2003 on
      if (AtLeast(run, kemu::Os::kWindowsServer2003))
        (void)ExAcquireRundownProtectionEx(ref, count);
      break;
    case 4:
      if (AtLeast(run, kemu::Os::kWindowsServer2003)) ExReleaseRundownProtectionEx(ref, count);
      break;
    case 5:
      ExWaitForRundownProtectionRelease(ref);
      break;
    case 6:
      ExRundownCompleted(ref);
      break;
    default:
      ExReInitializeRundownProtection(ref);
      break;
  }
}

void ExSpinLockOp(Run& run, std::size_t i) {
  if (!AtLeast(run, kemu::Os::kWindowsVista)) return;
  Bytes& in = run.in;
  DriverState& s = run.state;
  PEX_SPIN_LOCK lock = &s.ex_locks[i];
  switch (in.Pick(10)) {
    case 0:
      s.ex_lock_irqls[i] = ExAcquireSpinLockShared(lock);
      break;
    case 1:
      ExReleaseSpinLockShared(lock, in.Flag() ? s.ex_lock_irqls[i] : in.Pick(16));
      break;
    case 2:
      s.ex_lock_irqls[i] = ExAcquireSpinLockExclusive(lock);
      break;
    case 3:
      ExReleaseSpinLockExclusive(lock, in.Flag() ? s.ex_lock_irqls[i] : in.Pick(16));
      break;
    case 4:
      ExAcquireSpinLockSharedAtDpcLevel(lock);
      break;
    case 5:
      ExReleaseSpinLockSharedFromDpcLevel(lock);
      break;
    case 6:
      ExAcquireSpinLockExclusiveAtDpcLevel(lock);
      break;
    case 7:
      ExReleaseSpinLockExclusiveFromDpcLevel(lock);
      break;
    case 8:
      (void)ExTryConvertSharedSpinLockExclusive(lock);
      break;
    default:
      *lock = in.Flag() ? 0 : static_cast<LONG>(in.U32());  // the driver's initialisation
      break;
  }
}

void ExTimerOp(Run& run, std::size_t i) {
  if (!AtLeast(run, kemu::Os::kWindows81)) return;
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(5)) {
    case 0: {
      static constexpr ULONG kAttributes[] = {0, EX_TIMER_HIGH_RESOLUTION, EX_TIMER_NO_WAKE};
      s.ex_timers[i] =
          ExAllocateTimer(&FuzzExTimerCallback, &s, in.Flag() ? kAttributes[in.Pick(3)] : in.U32());
      break;
    }
    case 1:
      if (s.ex_timers[i] != nullptr) {
        EXT_SET_PARAMETERS parameters;
        ExInitializeSetTimerParameters(&parameters);
        const LONGLONG period = in.Flag() ? 0 : static_cast<LONGLONG>(in.U32() % 100000);
        // Read last argument first: one input, one program, whatever order a compiler
        // evaluates arguments in (docs/fuzzing.md).
        PEXT_SET_PARAMETERS set = in.Flag() ? &parameters : nullptr;
        const LONGLONG signed_period = in.Flag() ? period : -period;
        (void)ExSetTimer(s.ex_timers[i], Timeout(in).QuadPart, signed_period, set);
      }
      break;
    case 2:
      if (s.ex_timers[i] != nullptr) (void)ExCancelTimer(s.ex_timers[i], nullptr);
      break;
    case 3:
      if (s.ex_timers[i] != nullptr) {
        EXT_DELETE_PARAMETERS parameters;
        ExInitializeDeleteTimerParameters(&parameters);
        PEXT_DELETE_PARAMETERS remove = in.Flag() ? &parameters : nullptr;
        const BOOLEAN wait = in.Flag();
        const BOOLEAN cancel = in.Flag();
        (void)ExDeleteTimer(s.ex_timers[i], cancel, wait, remove);
        if (in.Flag()) s.ex_timers[i] = nullptr;  // else use or delete it again
      }
      break;
    default: {
      // Windows 7's coalescable KTIMER, with or without a DPC.
      if (!AtLeast(run, kemu::Os::kWindows7)) break;
      const LARGE_INTEGER due = Timeout(in);
      PKDPC dpc = in.Flag() ? &s.dpcs[i] : nullptr;
      const ULONG tolerable = in.Flag() ? in.Pick(100) : in.U32();
      const LONG period = in.Flag() ? 0 : static_cast<LONG>(in.U32() % 1000);
      (void)KeSetCoalescableTimer(&s.timers[i], due, period, tolerable, dpc);
      break;
    }
  }
}

void DeviceQueueOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  PKDEVICE_QUEUE queue = &s.device_queue;
  PKDEVICE_QUEUE_ENTRY entry = &s.queue_entries[i];
  const ULONG key = in.Flag() ? in.Pick(4) : in.U32();
  switch (in.Pick(6)) {
    case 0:
      KeInitializeDeviceQueue(queue);
      break;
    case 1:
      (void)KeInsertDeviceQueue(queue, entry);
      break;
    case 2:
      (void)KeInsertByKeyDeviceQueue(queue, entry, key);
      break;
    case 3:
      (void)KeRemoveDeviceQueue(queue);
      break;
    case 4:
      (void)KeRemoveByKeyDeviceQueue(queue, key);
      break;
    default:
      (void)KeRemoveEntryDeviceQueue(queue, entry);
      break;
  }
}

void WorkItemOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(5)) {
    case 0:
      if (AtLeast(run, kemu::Os::kWindowsVista) && IoSizeofWorkItem() <= sizeof s.io_work_item) {
        IoInitializeWorkItem(in.Flag() ? static_cast<PVOID>(run.device.pdo()) : &s.events[i],
                             reinterpret_cast<PIO_WORKITEM>(s.io_work_item.data()));
      }
      break;
    case 1:
      if (AtLeast(run, kemu::Os::kWindowsVista)) {
        IoQueueWorkItemEx(reinterpret_cast<PIO_WORKITEM>(s.io_work_item.data()), &FuzzWorkItemEx,
                          in.Flag() ? DelayedWorkQueue : static_cast<WORK_QUEUE_TYPE>(in.U32()),
                          &s);
      }
      break;
    case 2:
      if (AtLeast(run, kemu::Os::kWindowsVista)) {
        IoUninitializeWorkItem(reinterpret_cast<PIO_WORKITEM>(s.io_work_item.data()));
      }
      break;
    case 3:
      ExInitializeWorkItem(&s.ex_work_items[i], &FuzzExWorker, &s);
      break;
    default:
      ExQueueWorkItem(&s.ex_work_items[i],
                      in.Flag() ? CriticalWorkQueue : static_cast<WORK_QUEUE_TYPE>(in.Pick(8)));
      break;
  }
}

void IoThreadOp(Run& run, std::size_t i) {
  if (!AtLeast(run, kemu::Os::kWindows8)) return;
  Bytes& in = run.in;
  DriverState& s = run.state;
  // The device's PDO, or an object that is no I/O object at all.
  PVOID io_object = in.Pick(4) != 0 ? static_cast<PVOID>(run.device.pdo()) : &s.events[i];
  (void)IoCreateSystemThread(io_object, &s.thread_handles[i], THREAD_ALL_ACCESS, nullptr, nullptr,
                             nullptr, &FuzzIoThread, &s);
}

void ProcessorStateOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(4)) {
    case 0:
      (void)KeSaveFloatingPointState(&s.float_saves[i]);
      break;
    case 1:
      (void)KeRestoreFloatingPointState(&s.float_saves[i]);
      break;
    case 2:
      if (AtLeast(run, kemu::Os::kWindows7)) {
        (void)KeSaveExtendedProcessorState(in.Flag() ? XSTATE_MASK_LEGACY : in.U64(),
                                           &s.xstate_saves[i]);
      }
      break;
    default:
      if (AtLeast(run, kemu::Os::kWindows7)) KeRestoreExtendedProcessorState(&s.xstate_saves[i]);
      break;
  }
}

void CallAndReportOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  if (in.Flag()) {
    if (AtLeast(run, kemu::Os::kWindowsVista)) KeGenericCallDpc(&FuzzGenericCall, &s);
    return;
  }
  if (!AtLeast(run, kemu::Os::kWindows8)) return;
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS parameters{};
  parameters.Version = in.Flag() ? CONNECT_LINE_BASED : in.Pick(8);
  parameters.ConnectionContext.InterruptObject = s.interrupts[i];
  if (in.Flag()) {
    IoReportInterruptActive(&parameters);
  } else {
    IoReportInterruptInactive(&parameters);
  }
}

}  // namespace

void ExecOp(Run& run, std::size_t i) {
  switch (run.in.Pick(8)) {
    case 0:
      RundownOp(run, i);
      break;
    case 1:
      ExSpinLockOp(run, i);
      break;
    case 2:
      ExTimerOp(run, i);
      break;
    case 3:
      DeviceQueueOp(run, i);
      break;
    case 4:
      WorkItemOp(run, i);
      break;
    case 5:
      IoThreadOp(run, i);
      break;
    case 6:
      ProcessorStateOp(run, i);
      break;
    default:
      CallAndReportOp(run, i);
      break;
  }
}

}  // namespace kemu_fuzz
