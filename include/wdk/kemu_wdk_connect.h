// kemu_wdk_connect.h — parameter structures of IoConnectInterruptEx / IoDisconnectInterruptEx.
//
// Types only. <wdm.h> pulls this in when NTDDI_VERSION >= NTDDI_VISTA (the kernel exports the
// routines from Vista on); <iointex.h> pulls it in for every target, so that a driver built for
// 2000/XP/2003 can use the Iointex.lib entry points. Which fields exist follows NTDDI_VERSION as
// in the WDK: FullySpecified.Group exists only for Windows 7+ targets, which changes the sizes.
//
//   IO_CONNECT_INTERRUPT_PARAMETERS params;
//   RtlZeroMemory(&params, sizeof(params));
//   params.Version = CONNECT_MESSAGE_BASED;
//   params.MessageBased.PhysicalDeviceObject = pdo;
//   params.MessageBased.ConnectionContext.Generic = &ext->ConnectionContext;
//   params.MessageBased.MessageServiceRoutine = MyMessageIsr;
//   params.MessageBased.FallBackServiceRoutine = MyLineIsr;
//   status = IoConnectInterruptEx(&params);    // params.Version may come back as
//   CONNECT_LINE_BASED
#ifndef KEMU_WDK_CONNECT_H_
#define KEMU_WDK_CONNECT_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_ke.h"

// Values of IO_CONNECT_INTERRUPT_PARAMETERS.Version.
#define CONNECT_FULLY_SPECIFIED 0x1
#define CONNECT_LINE_BASED 0x2
#define CONNECT_MESSAGE_BASED 0x3
#define CONNECT_FULLY_SPECIFIED_GROUP 0x4
#define CONNECT_MESSAGE_BASED_PASSIVE 0x5

// The newest version the selected WDK generation knows; the kernel's behaviour keys on the OS, not
// on this macro.
#if NTDDI_VERSION < NTDDI_WIN7
#define CONNECT_CURRENT_VERSION 0x3
#elif NTDDI_VERSION < NTDDI_WIN8
#define CONNECT_CURRENT_VERSION 0x4
#else
#define CONNECT_CURRENT_VERSION 0x5
#endif

/// One message of a message-based connection.
typedef struct _IO_INTERRUPT_MESSAGE_INFO_ENTRY {
  PHYSICAL_ADDRESS MessageAddress;
  KAFFINITY TargetProcessorSet;
  PKINTERRUPT InterruptObject;
  ULONG MessageData;
  ULONG Vector;
  KIRQL Irql;
  KINTERRUPT_MODE Mode;
  KINTERRUPT_POLARITY Polarity;
} IO_INTERRUPT_MESSAGE_INFO_ENTRY, *PIO_INTERRUPT_MESSAGE_INFO_ENTRY;

/// System-owned table returned by a CONNECT_MESSAGE_BASED connection; MessageInfo has
/// MessageCount entries (allocated as 8 + MessageCount * sizeof(entry) bytes).
typedef struct _IO_INTERRUPT_MESSAGE_INFO {
  KIRQL UnifiedIrql;
  ULONG MessageCount;
  IO_INTERRUPT_MESSAGE_INFO_ENTRY MessageInfo[1];
} IO_INTERRUPT_MESSAGE_INFO, *PIO_INTERRUPT_MESSAGE_INFO;

/// CONNECT_FULLY_SPECIFIED (1) and CONNECT_FULLY_SPECIFIED_GROUP (4): the caller supplies every
/// value from its translated interrupt descriptor.
typedef struct _IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS {
  PDEVICE_OBJECT PhysicalDeviceObject;
  PKINTERRUPT *InterruptObject;
  PKSERVICE_ROUTINE ServiceRoutine;
  PVOID ServiceContext;
  PKSPIN_LOCK SpinLock;
  KIRQL SynchronizeIrql;
  BOOLEAN FloatingSave;
  BOOLEAN ShareVector;
  ULONG Vector;
  KIRQL Irql;
  KINTERRUPT_MODE InterruptMode;
  KAFFINITY ProcessorEnableMask;
#if NTDDI_VERSION >= NTDDI_WIN7
  /// Read only with CONNECT_FULLY_SPECIFIED_GROUP; absent from pre-Windows 7 targets.
  USHORT Group;
#endif
} IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS,
    *PIO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;

/// CONNECT_LINE_BASED (2): the system finds the device's line interrupts itself.
typedef struct _IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS {
  PDEVICE_OBJECT PhysicalDeviceObject;
  PKINTERRUPT *InterruptObject;
  PKSERVICE_ROUTINE ServiceRoutine;
  PVOID ServiceContext;
  PKSPIN_LOCK SpinLock;
  KIRQL SynchronizeIrql;
  BOOLEAN FloatingSave;
} IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS, *PIO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;

/// CONNECT_MESSAGE_BASED (3): the system finds the device's messages; ConnectionContext points at
/// the caller's variable that receives the message table (or, after a fallback to a line
/// interrupt, the interrupt object).
typedef struct _IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS {
  PDEVICE_OBJECT PhysicalDeviceObject;
  union {
    PVOID *Generic;
    PIO_INTERRUPT_MESSAGE_INFO *InterruptMessageTable;
    PKINTERRUPT *InterruptObject;
  } ConnectionContext;
  PKMESSAGE_SERVICE_ROUTINE MessageServiceRoutine;
  PVOID ServiceContext;
  PKSPIN_LOCK SpinLock;
  KIRQL SynchronizeIrql;
  BOOLEAN FloatingSave;
  PKSERVICE_ROUTINE FallBackServiceRoutine;
} IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, *PIO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;

/// Input and output of IoConnectInterruptEx; Version selects the union member.
typedef struct _IO_CONNECT_INTERRUPT_PARAMETERS {
  ULONG Version;
  union {
    IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS FullySpecified;
    IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS LineBased;
    IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS MessageBased;
  };
} IO_CONNECT_INTERRUPT_PARAMETERS, *PIO_CONNECT_INTERRUPT_PARAMETERS;

/// Input of IoDisconnectInterruptEx: the Version that connect returned and what it wrote back.
typedef struct _IO_DISCONNECT_INTERRUPT_PARAMETERS {
  ULONG Version;
  union {
    PVOID Generic;
    PKINTERRUPT InterruptObject;
    PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
  } ConnectionContext;
} IO_DISCONNECT_INTERRUPT_PARAMETERS, *PIO_DISCONNECT_INTERRUPT_PARAMETERS;

// ---------------------------------------------------------------------------------------------
// Layout checks (Windows x64 numbers; offsets of the parameters are from the start of
// IO_CONNECT_INTERRUPT_PARAMETERS).

#define KEMU_WDK_CONNECT_OFFSET(field) offsetof(IO_CONNECT_INTERRUPT_PARAMETERS, field)
#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY) == 48, "message entry is 48 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_INTERRUPT_MESSAGE_INFO_ENTRY, MessageData) == 24,
                       "MessageData at 24");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_INTERRUPT_MESSAGE_INFO_ENTRY, Polarity) == 40, "Polarity at 40");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_INTERRUPT_MESSAGE_INFO, MessageInfo) == 8,
                       "MessageInfo array at 8");
KEMU_WDK_STATIC_ASSERT(sizeof(IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS) == 48,
                       "LINE_BASED parameters are 48 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS) == 56,
                       "MESSAGE_BASED parameters are 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, ConnectionContext) ==
                           8,
                       "ConnectionContext at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, SynchronizeIrql) ==
                           40,
                       "MessageBased.SynchronizeIrql at 40");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS,
                                FallBackServiceRoutine) == 48,
                       "FallBackServiceRoutine at 48");
KEMU_WDK_STATIC_ASSERT(sizeof(IO_DISCONNECT_INTERRUPT_PARAMETERS) == 16,
                       "disconnect parameters are 16 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_DISCONNECT_INTERRUPT_PARAMETERS, ConnectionContext) == 8,
                       "disconnect ConnectionContext at 8");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified) == 8, "union at 8");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.PhysicalDeviceObject) == 8, "PDO");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.InterruptObject) == 16, "object");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.ServiceRoutine) == 24, "ISR");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.ServiceContext) == 32, "context");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.SpinLock) == 40, "SpinLock");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.SynchronizeIrql) == 48, "SyncIrql");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.FloatingSave) == 49, "FloatSave");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.ShareVector) == 50, "ShareVector");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.Vector) == 52, "Vector");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.Irql) == 56, "Irql");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.InterruptMode) == 60, "Mode");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.ProcessorEnableMask) == 64, "Mask");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(LineBased.SynchronizeIrql) == 48, "Line SyncIrql");
#if NTDDI_VERSION >= NTDDI_WIN7
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_CONNECT_OFFSET(FullySpecified.Group) == 72, "Group");
KEMU_WDK_STATIC_ASSERT(sizeof(IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS) == 72,
                       "FULLY_SPECIFIED parameters are 72 bytes with Group");
KEMU_WDK_STATIC_ASSERT(sizeof(IO_CONNECT_INTERRUPT_PARAMETERS) == 80,
                       "IO_CONNECT_INTERRUPT_PARAMETERS is 80 bytes with Group");
#else
KEMU_WDK_STATIC_ASSERT(sizeof(IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS) == 64,
                       "FULLY_SPECIFIED parameters are 64 bytes without Group");
KEMU_WDK_STATIC_ASSERT(sizeof(IO_CONNECT_INTERRUPT_PARAMETERS) == 72,
                       "IO_CONNECT_INTERRUPT_PARAMETERS is 72 bytes without Group");
#endif
#endif  // KEMU_WDK_PTR64
#undef KEMU_WDK_CONNECT_OFFSET

#endif  // KEMU_WDK_CONNECT_H_
