// kemu_wdk_io.h — device objects, DpcForIsr, I/O timers and the Io* interrupt-connection
// routines.
//
// DEVICE_OBJECT has the Windows x64 layout, so driver code that reaches DeviceExtension, Flags or
// the embedded Dpc works unchanged. IRP and DRIVER_OBJECT stay opaque (the entry-point role types
// DRIVER_UNLOAD, DRIVER_DISPATCH ... are declared). The Vista+ connection
// routines and their parameter types (kemu_wdk_connect.h) appear only when NTDDI_VERSION says the
// target kernel exports them; older targets get them through <iointex.h>.
//
//   IoInitializeDpcRequest(fdo, MyDpcForIsr);             // in AddDevice
//   ...
//   BOOLEAN MyIsr(PKINTERRUPT interrupt, PVOID context) {  // in the ISR
//     PDEVICE_OBJECT fdo = (PDEVICE_OBJECT)context;
//     IoRequestDpc(fdo, fdo->CurrentIrp, NULL);
//     return TRUE;
//   }
#ifndef KEMU_WDK_IO_H_
#define KEMU_WDK_IO_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_dispatch.h"
#include "kemu_wdk_ke.h"

#if NTDDI_VERSION >= NTDDI_VISTA
#include "kemu_wdk_connect.h"
#endif

// ---------------------------------------------------------------------------------------------
// Objects embedded in DEVICE_OBJECT (KEVENT comes from kemu_wdk_dispatch.h).

/// Adapter-channel wait block. Opaque: kemu does not model DMA adapters.
typedef struct _WAIT_CONTEXT_BLOCK {
  PVOID Reserved[9];
} WAIT_CONTEXT_BLOCK, *PWAIT_CONTEXT_BLOCK;

typedef struct _IO_TIMER *PIO_TIMER;
typedef struct _VPB *PVPB;
typedef struct _DEVOBJ_EXTENSION *PDEVOBJ_EXTENSION;

// ---------------------------------------------------------------------------------------------
// DEVICE_OBJECT.

// DEVICE_OBJECT.Flags.
#define DO_VERIFY_VOLUME 0x00000002
#define DO_BUFFERED_IO 0x00000004
#define DO_EXCLUSIVE 0x00000008
#define DO_DIRECT_IO 0x00000010
#define DO_MAP_IO_BUFFER 0x00000020
#define DO_DEVICE_INITIALIZING 0x00000080
#define DO_SHUTDOWN_REGISTERED 0x00000800
#define DO_BUS_ENUMERATED_DEVICE 0x00001000
#define DO_POWER_PAGABLE 0x00002000
#define DO_POWER_INRUSH 0x00004000

/// Priority boost for IoCompleteRequest-style calls.
#define IO_NO_INCREMENT 0

struct DECLSPEC_ALIGN(16) _DEVICE_OBJECT {
  CSHORT Type;
  USHORT Size;
  LONG ReferenceCount;
  struct _DRIVER_OBJECT *DriverObject;
  struct _DEVICE_OBJECT *NextDevice;
  struct _DEVICE_OBJECT *AttachedDevice;
  struct _IRP *CurrentIrp;
  PIO_TIMER Timer;
  ULONG Flags;
  ULONG Characteristics;
  PVPB Vpb;
  PVOID DeviceExtension;
  DEVICE_TYPE DeviceType;
  CCHAR StackSize;
  union {
    LIST_ENTRY ListEntry;
    WAIT_CONTEXT_BLOCK Wcb;
  } Queue;
  ULONG AlignmentRequirement;
  KDEVICE_QUEUE DeviceQueue;
  KDPC Dpc;
  ULONG ActiveThreadCount;
  PVOID SecurityDescriptor;
  KEVENT DeviceLock;
  USHORT SectorSize;
  USHORT Spare1;
  PDEVOBJ_EXTENSION DeviceObjectExtension;
  PVOID Reserved;
};
typedef struct _DEVICE_OBJECT *PRDEVICE_OBJECT;

/// A DpcForIsr: a DPC routine whose arguments are the device, IRP and context of IoRequestDpc.
typedef VOID IO_DPC_ROUTINE(PKDPC Dpc, struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp,
                            PVOID Context);
typedef IO_DPC_ROUTINE *PIO_DPC_ROUTINE;

// The driver's entry points. DRIVER_OBJECT and IRP stay opaque (kemu does not dispatch IRPs), but
// nearly every driver source declares its routines with these role types (`DRIVER_UNLOAD
// MyUnload;`), so they exist for the code around the interrupt path to compile unchanged.
typedef NTSTATUS DRIVER_INITIALIZE(struct _DRIVER_OBJECT *DriverObject,
                                   PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
typedef VOID DRIVER_UNLOAD(struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
typedef NTSTATUS DRIVER_ADD_DEVICE(struct _DRIVER_OBJECT *DriverObject,
                                   struct _DEVICE_OBJECT *PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;
typedef NTSTATUS DRIVER_DISPATCH(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_PAGED;
typedef VOID DRIVER_STARTIO(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;

/// An IoTimer routine: called once a second at DISPATCH_LEVEL while its device's timer runs
/// (IoInitializeTimer, IoStartTimer, IoStopTimer).
typedef VOID IO_TIMER_ROUTINE(struct _DEVICE_OBJECT *DeviceObject, PVOID Context);
typedef IO_TIMER_ROUTINE *PIO_TIMER_ROUTINE;

// ---------------------------------------------------------------------------------------------
// Routines.

KEMU_WDK_BEGIN_DECLS

/// Initialises DeviceObject->Dpc to call DpcRoutine with the device object as its context.
/// The routine types differ only in pointer parameters, which the DPC dispatcher passes through
/// unchanged; the cast goes through a generic function pointer to say so.
KEMU_WDK_INLINE VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject,
                                            PIO_DPC_ROUTINE DpcRoutine) {
#ifdef __cplusplus
  KeInitializeDpc(&DeviceObject->Dpc, reinterpret_cast<PKDEFERRED_ROUTINE>(DpcRoutine),
                  DeviceObject);
#else
  KeInitializeDpc(&DeviceObject->Dpc, (PKDEFERRED_ROUTINE)(void (*)(void))DpcRoutine, DeviceObject);
#endif
}

/// Queues DeviceObject->Dpc from an ISR; the DpcForIsr receives Irp and Context.
KEMU_WDK_INLINE VOID IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  (void)KeInsertQueueDpc(&DeviceObject->Dpc, Irp, Context);
}

NTKERNELAPI NTSTATUS NTAPI IoConnectInterrupt(PKINTERRUPT *InterruptObject,
                                              PKSERVICE_ROUTINE ServiceRoutine,
                                              PVOID ServiceContext, PKSPIN_LOCK SpinLock,
                                              ULONG Vector, KIRQL Irql, KIRQL SynchronizeIrql,
                                              KINTERRUPT_MODE InterruptMode, BOOLEAN ShareVector,
                                              KAFFINITY ProcessorEnableMask, BOOLEAN FloatingSave);
NTKERNELAPI VOID NTAPI IoDisconnectInterrupt(PKINTERRUPT InterruptObject);

/// The WDM version of the headers a driver is built with, which IoIsWdmVersionAvailable compares
/// against the running system's. It follows the target, as each release's kit defined it: 1.10
/// for Windows 2000, 1.20 for XP, 1.30 for Server 2003, 6.00 from Vista on (docs/windows-facts.md
/// §10.6).
#if NTDDI_VERSION >= NTDDI_VISTA
#define WDM_MAJORVERSION 0x06
#define WDM_MINORVERSION 0x00
#elif NTDDI_VERSION >= NTDDI_WS03
#define WDM_MAJORVERSION 0x01
#define WDM_MINORVERSION 0x30
#elif NTDDI_VERSION >= NTDDI_WINXP
#define WDM_MAJORVERSION 0x01
#define WDM_MINORVERSION 0x20
#else
#define WDM_MAJORVERSION 0x01
#define WDM_MINORVERSION 0x10
#endif
NTKERNELAPI BOOLEAN NTAPI IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion);

/// Gives DeviceObject an I/O timer that calls TimerRoutine(DeviceObject, Context); it sets
/// DeviceObject->Timer. Once per device object, at PASSIVE_LEVEL.
NTKERNELAPI NTSTATUS NTAPI IoInitializeTimer(PDEVICE_OBJECT DeviceObject,
                                             PIO_TIMER_ROUTINE TimerRoutine, PVOID Context);
/// Starts (IoStartTimer) or stops (IoStopTimer) the device's timer, at DISPATCH_LEVEL or below.
/// The first call comes one second after IoStartTimer (kemu: see docs/kernel.md, "I/O timers").
NTKERNELAPI VOID NTAPI IoStartTimer(PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID NTAPI IoStopTimer(PDEVICE_OBJECT DeviceObject);

#if NTDDI_VERSION >= NTDDI_VISTA
NTKERNELAPI NTSTATUS NTAPI IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters);
NTKERNELAPI VOID NTAPI IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters);
#endif

#if NTDDI_VERSION >= NTDDI_WIN7
NTKERNELAPI NTSTATUS NTAPI IoGetAffinityInterrupt(PKINTERRUPT InterruptObject,
                                                  PGROUP_AFFINITY GroupAffinity);
#endif

#if NTDDI_VERSION >= NTDDI_WIN8
/// Names a connection for IoReportInterruptActive/Inactive, as for IoDisconnectInterruptEx.
typedef struct _IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS {
  ULONG Version;
  union {
    PVOID Generic;
    PKINTERRUPT InterruptObject;
    PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
  } ConnectionContext;
} IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS, *PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS;

NTKERNELAPI VOID NTAPI
IoReportInterruptActive(PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS Parameters);
NTKERNELAPI VOID NTAPI
IoReportInterruptInactive(PIO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS Parameters);
#endif

KEMU_WDK_END_DECLS

// ---------------------------------------------------------------------------------------------
// Layout checks (Windows x64 numbers).

#define KEMU_WDK_DO_OFFSET(field) offsetof(DEVICE_OBJECT, field)
KEMU_WDK_STATIC_ASSERT(sizeof(EVENT_TYPE) == 4, "EVENT_TYPE is a 4-byte enum");
#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(DISPATCHER_HEADER) == 24, "DISPATCHER_HEADER is 24 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(KEVENT) == 24, "KEVENT is 24 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(KDEVICE_QUEUE) == 40, "KDEVICE_QUEUE is 40 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(WAIT_CONTEXT_BLOCK) == 0x48, "WAIT_CONTEXT_BLOCK is 0x48 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(DEVICE_OBJECT) == 0x150, "DEVICE_OBJECT is 0x150 bytes");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_ALIGNOF(DEVICE_OBJECT) == 16, "DEVICE_OBJECT is 16-aligned");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Size) == 0x2, "Size");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(ReferenceCount) == 0x4, "ReferenceCount");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(DriverObject) == 0x8, "DriverObject");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(NextDevice) == 0x10, "NextDevice");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(AttachedDevice) == 0x18, "AttachedDevice");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(CurrentIrp) == 0x20, "CurrentIrp");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Timer) == 0x28, "Timer");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Flags) == 0x30, "Flags");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Characteristics) == 0x34, "Characteristics");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Vpb) == 0x38, "Vpb");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(DeviceExtension) == 0x40, "DeviceExtension");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(DeviceType) == 0x48, "DeviceType");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(StackSize) == 0x4C, "StackSize");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Queue) == 0x50, "Queue");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(AlignmentRequirement) == 0x98, "AlignmentRequirement");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(DeviceQueue) == 0xA0, "DeviceQueue");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Dpc) == 0xC8, "Dpc");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(ActiveThreadCount) == 0x108, "ActiveThreadCount");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(SecurityDescriptor) == 0x110, "SecurityDescriptor");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(DeviceLock) == 0x118, "DeviceLock");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(SectorSize) == 0x130, "SectorSize");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Spare1) == 0x132, "Spare1");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(DeviceObjectExtension) == 0x138, "DevObjExtension");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_DO_OFFSET(Reserved) == 0x140, "Reserved");
#if NTDDI_VERSION >= NTDDI_WIN8
KEMU_WDK_STATIC_ASSERT(sizeof(IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS) == 16,
                       "report-active parameters are 16 bytes");
#endif
#endif  // KEMU_WDK_PTR64
#undef KEMU_WDK_DO_OFFSET

#endif  // KEMU_WDK_IO_H_
