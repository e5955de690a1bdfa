// nic_driver.h — the core of a WDM driver for a small PCI network card (register map in nic_hw.h),
// built for Windows XP and run unchanged on every Windows from 2000 to 11.
//
// What it shows, in the order a real driver does it:
//  - IRP_MN_START_DEVICE (NicStartDevice): find the memory BAR and the interrupt in the translated
//    resources, map the BAR, initialise the DPC and spin locks *before* connecting (an interrupt
//    can arrive the moment the ISR is live), reset the device, connect with Microsoft's documented
//    Vista fallback (CONNECT_MESSAGE_BASED, retried as CONNECT_FULLY_SPECIFIED when Iointex.lib
//    rewrites Version), and only then enable interrupts in the device.
//  - The ISR reads the cause register, returns FALSE when none of its causes is set (the line is
//    shared), acknowledges by writing the causes back (write 1 to clear), records them for the DPC
//    and queues it.
//  - The DPC takes the recorded causes under the interrupt lock (KeSynchronizeExecution), then
//    drains the receive ring at DISPATCH_LEVEL under the driver's own spin lock, which it shares
//    with NicGetStatistics (PASSIVE_LEVEL).
//  - Start also allocates the receive buffers from non-paged pool (tag 'NicR': the DPC runs at
//    DISPATCH_LEVEL, where paged memory cannot be touched) and a work item: a link change is
//    reported at PASSIVE_LEVEL, where a real driver renegotiates the PHY or writes the event log.
//  - IRP_MN_STOP/REMOVE_DEVICE (NicStopDevice): disable interrupts in the device, disconnect with
//    the version connect returned, make sure no DPC is queued or running, wait on an event for a
//    link report still queued, free the work item and the buffers, unmap the BAR.
//
// There is no IoCreateDevice in kemu, so the caller owns the (zeroed) extension:
//
//   NIC_EXTENSION ext = {0};                     // DeviceExtension, zeroed as IoCreateDevice does
//   status = NicStartDevice(&ext, pdo, raw, translated);
//   ...                                          // frames arrive: ISR, DPC
//   NicGetStatistics(&ext, &stats);              // any IRQL <= DISPATCH_LEVEL
//   NicStopDevice(&ext);
//
// Deliberately buggy builds of the same sources (see examples/nic/CMakeLists.txt) are reachable
// through NIC_DRIVER tables, so one test program can hold every variant.
#ifndef KEMU_EXAMPLES_NIC_DRIVER_NIC_DRIVER_H_
#define KEMU_EXAMPLES_NIC_DRIVER_NIC_DRIVER_H_

#include <wdm.h>
// After wdm.h, as the Iointex.lib documentation asks; for an XP target it maps IoConnectInterruptEx
// to WdmlibIoConnectInterruptEx.
#include <iointex.h>

#include "nic_hw.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The pool tag of the receive buffers, as !pool and kemu's leak report show it: "NicR".
#define NIC_POOL_TAG 'RciN'

/// The driver's copy of a completed receive descriptor, taken before the slot goes back to the
/// card. NicStartDevice allocates NIC_RX_RING_SIZE of them from non-paged pool.
typedef struct _NIC_RX_BUFFER {
  ULONG Length;    ///< frame length in bytes
  ULONG Sequence;  ///< FramesReceived when it arrived, counting from 1
} NIC_RX_BUFFER, *PNIC_RX_BUFFER;

/// What NicGetStatistics reports. Updated by the DPC under NIC_EXTENSION::Lock.
typedef struct _NIC_STATISTICS {
  ULONG Interrupts;       ///< interrupts the ISR claimed, as accounted by the DPC
  ULONG Dpcs;             ///< DPC runs
  ULONG FramesReceived;   ///< frames taken from the receive ring
  ULONG64 BytesReceived;  ///< their total length
  ULONG RxMissed;         ///< frames the device dropped for want of ring space
  ULONG TxCompletions;    ///< TX_DONE causes seen
  ULONG LinkChanges;      ///< LINK causes seen
  BOOLEAN LinkUp;         ///< STATUS.LINK_UP when the last LINK cause was handled
  ULONG LinkReports;      ///< link changes the work item reported at PASSIVE_LEVEL
} NIC_STATISTICS, *PNIC_STATISTICS;

/// Per-device state, normally DEVICE_OBJECT.DeviceExtension: non-paged, zeroed before the first
/// NicStartDevice, at one address until NicStopDevice has returned.
typedef struct _NIC_EXTENSION {
  // The device's registers: the memory BAR, mapped.
  PUCHAR Registers;
  ULONG RegisterLength;

  // The interrupt connection.
  PDEVICE_OBJECT PhysicalDeviceObject;
  /// What IoConnectInterruptEx wrote back: a message table for CONNECT_MESSAGE_BASED, an interrupt
  /// object otherwise. Passed back unchanged to IoDisconnectInterruptEx.
  union {
    PVOID Generic;
    PKINTERRUPT InterruptObject;
    PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
  } ConnectionContext;
  /// The CONNECT_* version connect *returned*; disconnect must name it. 0 while not connected.
  ULONG ConnectVersion;
  /// Status of the CONNECT_MESSAGE_BASED attempt: an error before Vista, where the retry follows.
  NTSTATUS FirstAttemptStatus;
  BOOLEAN MessageUsed;
  /// The interrupt spin lock of every message (or of the line), so that KeSynchronizeExecution on
  /// any one interrupt object excludes all of the device's ISRs.
  KSPIN_LOCK InterruptLock;
  KDPC Dpc;
  /// DPC runs still to come or in progress: the ISR counts each KeInsertQueueDpc that queued the
  /// DPC, the DPC uncounts itself as its last step and sets DpcIdle when none is left. The stop
  /// path waits on it, before it disconnects, because the DPC uses the interrupt object.
  LONG DpcsOutstanding;
  KEVENT DpcIdle;

  // Shared by the ISR and the rest of the driver: touched only under InterruptLock (the ISR holds
  // it; everyone else goes through KeSynchronizeExecution).
  ULONG InterruptMask;      ///< causes the driver enabled in IMR; 0 while stopped
  ULONG PendingCauses;      ///< causes acknowledged by the ISR, not yet taken by the DPC
  ULONG PendingInterrupts;  ///< interrupts claimed by the ISR, not yet taken by the DPC

  // Shared by the DPC and NicGetStatistics: touched only under Lock.
  KSPIN_LOCK Lock;
  ULONG RxHead;  ///< next ring slot the driver will look at
  NIC_STATISTICS Statistics;
  /// Non-paged pool, NIC_RX_RING_SIZE entries, one per ring slot; NULL while stopped.
  PNIC_RX_BUFFER RxBuffers;

  // The link report: the DPC queues LinkWorkItem at most once at a time (LinkReportQueued, under
  // Lock) and clears LinkReportIdle; the work item sets it again. NicStopDevice waits on it.
  PIO_WORKITEM LinkWorkItem;
  BOOLEAN LinkReportQueued;
  KEVENT LinkReportIdle;

  // Observations for tests: where the ISR, the DPC and the DPC's synchronised routine last ran.
  // Written without further locking; read them while the device is quiet.
  ULONG IsrCalls;  ///< ISR calls, claimed or not
  KIRQL LastIsrIrql;
  KIRQL LastDpcIrql;
  KIRQL LastSynchronizeIrql;
  ULONG LastIsrProcessor;
  ULONG LastDpcProcessor;
  KIRQL LastLinkReportIrql;
} NIC_EXTENSION, *PNIC_EXTENSION;

/// IRP_MN_START_DEVICE, at PASSIVE_LEVEL. Raw and Translated are AllocatedResources and
/// AllocatedResourcesTranslated. STATUS_INSUFFICIENT_RESOURCES when they lack a large enough
/// memory BAR or an interrupt, or the BAR cannot be mapped, or pool or the work item cannot be
/// allocated; STATUS_DEVICE_NOT_READY when the reset
/// does not complete; otherwise what IoConnectInterruptEx returned. On failure nothing is left
/// mapped or connected.
NTSTATUS NicStartDevice(PNIC_EXTENSION Extension, PDEVICE_OBJECT Pdo, PCM_RESOURCE_LIST Raw,
                        PCM_RESOURCE_LIST Translated);

/// IRP_MN_STOP_DEVICE / IRP_MN_REMOVE_DEVICE, at PASSIVE_LEVEL. Does nothing when not started.
VOID NicStopDevice(PNIC_EXTENSION Extension);

/// Copies the statistics, first folding in the device's read-to-clear missed-frame counter. Any
/// IRQL up to DISPATCH_LEVEL.
VOID NicGetStatistics(PNIC_EXTENSION Extension, PNIC_STATISTICS Statistics);

/// "CONNECT_FULLY_SPECIFIED", "CONNECT_LINE_BASED", ...; "none" for 0, "CONNECT_(unknown)" else.
const char *NicConnectVersionName(ULONG Version);

/// One build of nic_driver.c: the correct one, or a deliberately buggy variant.
typedef struct _NIC_DRIVER {
  const char *Name;  ///< "nic_driver", or the NIC_BUG_* define the variant was built with
  NTSTATUS(*StartDevice)
  (PNIC_EXTENSION Extension, PDEVICE_OBJECT Pdo, PCM_RESOURCE_LIST Raw,
   PCM_RESOURCE_LIST Translated);
  VOID (*StopDevice)(PNIC_EXTENSION Extension);
  VOID (*GetStatistics)(PNIC_EXTENSION Extension, PNIC_STATISTICS Statistics);
} NIC_DRIVER;

/// The correct driver (library kemu_example_nic_driver): the functions above.
extern const NIC_DRIVER NicDriver;
/// NIC_BUG_SPINLOCK_AT_DIRQL (kemu_example_nic_driver_bug_spinlock_at_dirql): the ISR counts the
/// interrupt in the statistics itself, taking Lock with KeAcquireSpinLock at DIRQL.
extern const NIC_DRIVER NicDriverBugSpinLockAtDirql;
/// NIC_BUG_NO_ACK (kemu_example_nic_driver_bug_no_ack): the ISR never writes the causes back, so
/// a level line stays asserted.
extern const NIC_DRIVER NicDriverBugNoAck;
/// NIC_BUG_LEAK_RX_BUFFERS (kemu_example_nic_driver_bug_leak_rx_buffers): NicStopDevice never
/// frees the receive buffers, so every start leaks a pool block tagged 'NicR'.
extern const NIC_DRIVER NicDriverBugLeakRxBuffers;
/// NIC_BUG_WAIT_AT_DISPATCH (kemu_example_nic_driver_bug_wait_at_dispatch): NicStopDevice waits
/// for the link report while holding Lock, at DISPATCH_LEVEL.
extern const NIC_DRIVER NicDriverBugWaitAtDispatch;
/// NIC_BUG_UNSYNCHRONIZED_DPC (kemu_example_nic_driver_bug_unsynchronized_dpc): the DPC takes
/// the ISR's accumulated causes under the driver's spin lock instead of KeSynchronizeExecution,
/// so an ISR on another processor between its read and its clear is lost. Only concurrent vCPUs
/// show it (KEMU_SCHEDULES).
extern const NIC_DRIVER NicDriverBugUnsynchronizedDpc;

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // KEMU_EXAMPLES_NIC_DRIVER_NIC_DRIVER_H_
