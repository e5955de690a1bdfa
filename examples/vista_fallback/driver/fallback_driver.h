// fallback_driver.h — a WDM driver core, built for Windows XP, that connects its interrupt the way
// Microsoft's "Using IoConnectInterruptEx Prior to Windows Vista" page recommends.
//
// The driver asks for message-signalled interrupts first (CONNECT_MESSAGE_BASED, with a line ISR as
// the fallback routine). On Vista and later the kernel grants messages, or registers the fallback
// line ISR and answers CONNECT_LINE_BASED. On 2000/XP/2003 the Iointex.lib routine refuses anything
// but CONNECT_FULLY_SPECIFIED and says so by rewriting Version; the driver then connects its line
// interrupt with the values from its translated resources (conformance EX-2, EX-4, EX-8).
//
// There is no IoCreateDevice in kemu yet, so the caller owns the extension:
//
//   FALLBACK_DEVICE_EXTENSION ext;
//   FallbackInitializeExtension(&ext, MyAcknowledge, my_hardware);    // stands in for AddDevice
//   status = FallbackStartDevice(&ext, pdo, translated_resources);    // IRP_MN_START_DEVICE
//   ...                                                               // interrupts, DPCs
//   FallbackStopDevice(&ext);                                         // IRP_MN_STOP/REMOVE
#ifndef KEMU_EXAMPLES_VISTA_FALLBACK_FALLBACK_DRIVER_H_
#define KEMU_EXAMPLES_VISTA_FALLBACK_FALLBACK_DRIVER_H_

#include <wdm.h>
// After wdm.h, as the Iointex.lib documentation asks; for an XP target it maps IoConnectInterruptEx
// to WdmlibIoConnectInterruptEx.
#include <iointex.h>

#ifdef __cplusplus
extern "C" {
#endif

/// MessageId passed to the acknowledge hook for the line interrupt.
#define FALLBACK_LINE_INTERRUPT ((ULONG)-1)

/// Reads and clears the device's interrupt status, as an ISR does with a read-to-clear register.
/// Returns TRUE when the device had raised the interrupt (and is now quiet), FALSE when it had
/// not, which on a shared line means the interrupt belongs to another device. Runs at DIRQL under
/// the interrupt lock. Until kemu has register doubles, tests supply it; for a level line it must
/// deassert the line, or the interrupt fires again and again (bug check 0xF2).
typedef BOOLEAN FALLBACK_ACKNOWLEDGE_ROUTINE(PVOID HardwareContext, ULONG MessageId);
typedef FALLBACK_ACKNOWLEDGE_ROUTINE *PFALLBACK_ACKNOWLEDGE_ROUTINE;

/// Per-device state, normally DEVICE_OBJECT.DeviceExtension. Must stay in non-paged memory and at
/// one address from FallbackInitializeExtension to FallbackStopDevice.
typedef struct _FALLBACK_DEVICE_EXTENSION {
  // The hardware, as the ISR sees it.
  PFALLBACK_ACKNOWLEDGE_ROUTINE AcknowledgeInterrupt;
  PVOID HardwareContext;

  // The connection.
  PDEVICE_OBJECT PhysicalDeviceObject;
  /// What IoConnectInterruptEx wrote back: a message table for CONNECT_MESSAGE_BASED, an interrupt
  /// object otherwise. Passed back unchanged to IoDisconnectInterruptEx.
  union {
    PVOID Generic;
    PKINTERRUPT InterruptObject;
    PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
  } ConnectionContext;
  /// The CONNECT_* version IoConnectInterruptEx *returned* (not the one asked for): disconnect
  /// must name it (EX-6). 0 while not connected.
  ULONG ConnectVersion;
  /// Status of the CONNECT_MESSAGE_BASED attempt: an error before Vista, where the retry follows.
  NTSTATUS FirstAttemptStatus;
  BOOLEAN MessageUsed;
  /// Given as the interrupt spin lock of every connection, so that all messages share one lock and
  /// KeSynchronizeExecution on any one message's interrupt object excludes every message's ISR.
  KSPIN_LOCK InterruptLock;
  KDPC Dpc;

  // Shared by the ISR and the DPC: touched only under the interrupt lock.
  ULONG PendingEvents;

  // Statistics, for tests and the runner.
  ULONG IsrCalls;           ///< service routine calls, claimed or not (ISR context only)
  ULONG InterruptsClaimed;  ///< calls that returned TRUE (ISR context only)
  // A KDPC can be queued again, and run on another processor, while its routine is still running,
  // so the DPC's own counters are interlocked.
  LONG volatile DpcCount;       ///< DPC routine runs
  LONG volatile EventsHandled;  ///< interrupts the DPC took over from the ISR
  KIRQL LastIsrIrql;            ///< KeGetCurrentIrql() inside the last ISR call
  KIRQL LastDpcIrql;            ///< KeGetCurrentIrql() inside the last DPC
  ULONG LastMessageId;  ///< MessageID of the last claimed interrupt, or FALLBACK_LINE_INTERRUPT
} FALLBACK_DEVICE_EXTENSION, *PFALLBACK_DEVICE_EXTENSION;

/// Clears Extension and records the hardware hook; stands in for AddDevice.
VOID FallbackInitializeExtension(PFALLBACK_DEVICE_EXTENSION Extension,
                                 PFALLBACK_ACKNOWLEDGE_ROUTINE AcknowledgeInterrupt,
                                 PVOID HardwareContext);

/// IRP_MN_START_DEVICE: finds the interrupt in the translated resources and connects it, falling
/// back to CONNECT_FULLY_SPECIFIED where the OS offers nothing newer. PASSIVE_LEVEL.
/// STATUS_INSUFFICIENT_RESOURCES when Translated is NULL or holds no interrupt (PNP-1).
NTSTATUS FallbackStartDevice(PFALLBACK_DEVICE_EXTENSION Extension, PDEVICE_OBJECT Pdo,
                             PCM_RESOURCE_LIST Translated);

/// IRP_MN_STOP_DEVICE / IRP_MN_REMOVE_DEVICE: disconnects with the version connect returned and
/// waits until no DPC of this device is queued or running. PASSIVE_LEVEL.
VOID FallbackStopDevice(PFALLBACK_DEVICE_EXTENSION Extension);

/// "CONNECT_FULLY_SPECIFIED", "CONNECT_LINE_BASED", ...; "none" for 0, "CONNECT_(unknown)" else.
const char *FallbackConnectVersionName(ULONG Version);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // KEMU_EXAMPLES_VISTA_FALLBACK_FALLBACK_DRIVER_H_
