// Interrupt connection exports: IoConnectInterrupt(Ex), IoDisconnectInterrupt(Ex), the Iointex.lib
// Wdmlib* entry points, IoGetAffinityInterrupt, IoReportInterruptActive/Inactive.
#include <iointex.h>
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

NTSTATUS IoConnectInterrupt(PKINTERRUPT* InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql,
                            KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoConnectInterrupt, KEMU_ARG(Vector), KEMU_ARG(Irql), KEMU_ARG(SynchronizeIrql),
                 KEMU_ARG(ProcessorEnableMask));
  KEMU_FAULT_POINT(kernel, IoConnectInterrupt);
  return kernel.interrupts().ConnectLegacy(InterruptObject, ServiceRoutine, ServiceContext,
                                           SpinLock, Vector, Irql, SynchronizeIrql, InterruptMode,
                                           ShareVector, ProcessorEnableMask, FloatingSave);
}

VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject) {
  KEMU_ENTER(IoDisconnectInterrupt, KEMU_ARG(InterruptObject))
      .interrupts()
      .Disconnect("IoDisconnectInterrupt", InterruptObject);
}

NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoConnectInterruptEx, KEMU_ARG(Parameters),
                 {"Version", Parameters != nullptr ? Parameters->Version : 0u});
  KEMU_FAULT_POINT(kernel, IoConnectInterruptEx);
  return kernel.interrupts().ConnectEx("IoConnectInterruptEx", Parameters);
}

VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters) {
  KEMU_ENTER(IoDisconnectInterruptEx, KEMU_ARG(Parameters))
      .interrupts()
      .DisconnectEx("IoDisconnectInterruptEx", Parameters);
}

// Iointex.lib: the library version before Vista, the kernel's routine from Vista on
// (docs/windows-facts.md §2.7).
NTSTATUS WdmlibIoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(WdmlibIoConnectInterruptEx, KEMU_ARG(Parameters),
                 {"Version", Parameters != nullptr ? Parameters->Version : 0u});
  KEMU_FAULT_POINT(kernel, WdmlibIoConnectInterruptEx);
  if (kernel.personality().kernel_exports_connect_ex) {
    // From Vista on the library forwards to the kernel routine, so its faults apply too.
    KEMU_FAULT_POINT(kernel, IoConnectInterruptEx);
    return kernel.interrupts().ConnectEx("WdmlibIoConnectInterruptEx", Parameters);
  }
  return kernel.interrupts().ConnectIointex(Parameters);
}

VOID WdmlibIoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters) {
  KEMU_ENTER(WdmlibIoDisconnectInterruptEx, KEMU_ARG(Parameters))
      .interrupts()
      .DisconnectEx("WdmlibIoDisconnectInterruptEx", Parameters);
}

NTSTATUS IoGetAffinityInterrupt(PKINTERRUPT InterruptObject, PGROUP_AFFINITY GroupAffinity) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoGetAffinityInterrupt, KEMU_ARG(InterruptObject), KEMU_ARG(GroupAffinity));
  KEMU_FAULT_POINT(kernel, IoGetAffinityInterrupt);
  return kernel.interrupts().GetAffinity(InterruptObject, GroupAffinity);
}

NTSTATUS WdmlibIoGetAffinityInterrupt(PKINTERRUPT InterruptObject, PGROUP_AFFINITY GroupAffinity) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(WdmlibIoGetAffinityInterrupt, KEMU_ARG(InterruptObject), KEMU_ARG(GroupAffinity));
  KEMU_FAULT_POINT(kernel, WdmlibIoGetAffinityInterrupt);
  return kernel.interrupts().GetAffinity(InterruptObject, GroupAffinity);
}

VOID IoReportInterruptActive(PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS Parameters) {
  KEMU_ENTER(IoReportInterruptActive, KEMU_ARG(Parameters))
      .interrupts()
      .ReportActive("IoReportInterruptActive", Parameters, true);
}

VOID IoReportInterruptInactive(PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS Parameters) {
  KEMU_ENTER(IoReportInterruptInactive, KEMU_ARG(Parameters))
      .interrupts()
      .ReportActive("IoReportInterruptInactive", Parameters, false);
}

}  // extern "C"
