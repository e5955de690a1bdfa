// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>
#include <iointex.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  (void)CurrentTime;
  KEMU_NOT_MODELLED(KeQuerySystemTime);
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  (void)PoolType, (void)NumberOfBytes, (void)Tag;
  KEMU_NOT_MODELLED(ExAllocatePoolWithTag);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) {
  (void)P, (void)Tag;
  KEMU_NOT_MODELLED(ExFreePoolWithTag);
}

VOID ExFreePool(PVOID P) {
  (void)P;
  KEMU_NOT_MODELLED(ExFreePool);
}

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType) {
  (void)PhysicalAddress, (void)NumberOfBytes, (void)CacheType;
  KEMU_NOT_MODELLED(MmMapIoSpace);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes) {
  (void)BaseAddress, (void)NumberOfBytes;
  KEMU_NOT_MODELLED(MmUnmapIoSpace);
}

NTSTATUS IoConnectInterrupt(PKINTERRUPT* InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql,
                            KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave) {
  (void)InterruptObject, (void)ServiceRoutine, (void)ServiceContext, (void)SpinLock,
      (void)Vector, (void)Irql, (void)SynchronizeIrql, (void)InterruptMode, (void)ShareVector,
      (void)ProcessorEnableMask, (void)FloatingSave;
  KEMU_NOT_MODELLED(IoConnectInterrupt);
}

VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject) {
  (void)InterruptObject;
  KEMU_NOT_MODELLED(IoDisconnectInterrupt);
}

NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters) {
  (void)Parameters;
  KEMU_NOT_MODELLED(IoConnectInterruptEx);
}

VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters) {
  (void)Parameters;
  KEMU_NOT_MODELLED(IoDisconnectInterruptEx);
}

NTSTATUS WdmlibIoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters) {
  (void)Parameters;
  KEMU_NOT_MODELLED(WdmlibIoConnectInterruptEx);
}

VOID WdmlibIoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters) {
  (void)Parameters;
  KEMU_NOT_MODELLED(WdmlibIoDisconnectInterruptEx);
}

NTSTATUS IoGetAffinityInterrupt(PKINTERRUPT InterruptObject, PGROUP_AFFINITY GroupAffinity) {
  (void)InterruptObject, (void)GroupAffinity;
  KEMU_NOT_MODELLED(IoGetAffinityInterrupt);
}

NTSTATUS WdmlibIoGetAffinityInterrupt(PKINTERRUPT InterruptObject, PGROUP_AFFINITY GroupAffinity) {
  (void)InterruptObject, (void)GroupAffinity;
  KEMU_NOT_MODELLED(WdmlibIoGetAffinityInterrupt);
}

VOID IoReportInterruptActive(PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS Parameters) {
  (void)Parameters;
  KEMU_NOT_MODELLED(IoReportInterruptActive);
}

VOID IoReportInterruptInactive(PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS Parameters) {
  (void)Parameters;
  KEMU_NOT_MODELLED(IoReportInterruptInactive);
}

BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext) {
  (void)Interrupt, (void)SynchronizeRoutine, (void)SynchronizeContext;
  KEMU_NOT_MODELLED(KeSynchronizeExecution);
}

KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt) {
  (void)Interrupt;
  KEMU_NOT_MODELLED(KeAcquireInterruptSpinLock);
}

VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql) {
  (void)Interrupt, (void)OldIrql;
  KEMU_NOT_MODELLED(KeReleaseInterruptSpinLock);
}

}  // extern "C"
