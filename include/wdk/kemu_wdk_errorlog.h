// kemu_wdk_errorlog.h — error log entries: a packet a driver fills in and posts to the system
// event log (in kemu: to the machine's error log, Machine::error_log()).
//
//   PIO_ERROR_LOG_PACKET entry = (PIO_ERROR_LOG_PACKET)IoAllocateErrorLogEntry(
//       fdo, (UCHAR)(sizeof(IO_ERROR_LOG_PACKET) + sizeof(ULONG)));
//   if (entry != NULL) {                 // NULL is not fatal: carry on without logging
//     entry->ErrorCode = MY_DEVICE_TIMEOUT;
//     entry->FinalStatus = STATUS_IO_TIMEOUT;
//     entry->DumpDataSize = 2 * sizeof(ULONG);  // DumpData[0] is in the packet, [1] after it
//     entry->DumpData[0] = status_register;
//     entry->DumpData[1] = control_register;
//     IoWriteErrorLogEntry(entry);       // posts and frees it; never free it as well
//   }
#ifndef KEMU_WDK_ERRORLOG_H_
#define KEMU_WDK_ERRORLOG_H_

#include "kemu_wdk_base.h"

/// The header of an error log entry (Windows x64 layout, 48 bytes). DumpData runs on for
/// DumpDataSize bytes; NumberOfStrings NUL-terminated UTF-16 strings start at StringOffset.
typedef struct _IO_ERROR_LOG_PACKET {
  UCHAR MajorFunctionCode;
  UCHAR RetryCount;
  USHORT DumpDataSize;
  USHORT NumberOfStrings;
  USHORT StringOffset;
  USHORT EventCategory;
  NTSTATUS ErrorCode;
  ULONG UniqueErrorValue;
  NTSTATUS FinalStatus;
  ULONG SequenceNumber;
  ULONG IoControlCode;
  LARGE_INTEGER DeviceOffset;
  ULONG DumpData[1];
} IO_ERROR_LOG_PACKET, *PIO_ERROR_LOG_PACKET;

/// The largest EntrySize IoAllocateErrorLogEntry accepts on x64 (the WDK derives it from the
/// 512-byte LPC message limit; it comes to 240). Larger sizes get NULL.
#define ERROR_LOG_MAXIMUM_SIZE 240

KEMU_WDK_BEGIN_DECLS

/// An entry of EntrySize bytes for the device or driver object IoObject, or NULL.
/// IRQL <= DISPATCH_LEVEL.
NTKERNELAPI PVOID NTAPI IoAllocateErrorLogEntry(PVOID IoObject, UCHAR EntrySize);
/// Posts the entry and frees it. IRQL <= DISPATCH_LEVEL.
NTKERNELAPI VOID NTAPI IoWriteErrorLogEntry(PVOID ElEntry);
#if NTDDI_VERSION >= NTDDI_WINXP
/// Frees an entry that will not be written.
NTKERNELAPI VOID NTAPI IoFreeErrorLogEntry(PVOID ElEntry);
#endif

KEMU_WDK_END_DECLS

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(IO_ERROR_LOG_PACKET) == 48, "IO_ERROR_LOG_PACKET is 48 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_ERROR_LOG_PACKET, ErrorCode) == 12,
                       "IO_ERROR_LOG_PACKET.ErrorCode at 12");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_ERROR_LOG_PACKET, UniqueErrorValue) == 16,
                       "IO_ERROR_LOG_PACKET.UniqueErrorValue at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_ERROR_LOG_PACKET, FinalStatus) == 20,
                       "IO_ERROR_LOG_PACKET.FinalStatus at 20");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_ERROR_LOG_PACKET, DeviceOffset) == 32,
                       "IO_ERROR_LOG_PACKET.DeviceOffset at 32");
KEMU_WDK_STATIC_ASSERT(offsetof(IO_ERROR_LOG_PACKET, DumpData) == 40,
                       "IO_ERROR_LOG_PACKET.DumpData at 40");
#endif

#endif  // KEMU_WDK_ERRORLOG_H_
