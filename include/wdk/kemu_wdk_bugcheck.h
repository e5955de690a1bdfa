// kemu_wdk_bugcheck.h — what a bug-check reason callback is handed for each reason other than
// KbCallbackSecondaryDumpData (whose KBUGCHECK_SECONDARY_DUMP_DATA is in kemu_wdk_ke.h, beside
// the record and the registration routines): the crash-dump write, pages to add to or remove
// from the dump, multipart secondary data and triage data. Windows x64 layouts; declared as the
// WDK does, by NTDDI_VERSION. kemu runs reason callbacks for KbCallbackSecondaryDumpData only:
// registering one for any of these reasons throws kemu::NotModelled naming the reason, so a
// driver that uses them compiles, and its test learns at once that the callback will not run.
//
//   VOID AddPages(KBUGCHECK_CALLBACK_REASON Reason, PKBUGCHECK_REASON_CALLBACK_RECORD Record,
//                 PVOID Data, ULONG Length) {
//     PKBUGCHECK_ADD_PAGES pages = (PKBUGCHECK_ADD_PAGES)Data;
//     pages->Flags = KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS;
//     pages->Address = (ULONG_PTR)g_TraceBuffer;
//     pages->Count = 1;
//   }
#ifndef KEMU_WDK_BUGCHECK_H_
#define KEMU_WDK_BUGCHECK_H_

#include "kemu_wdk_base.h"

// ---------------------------------------------------------------------------------------------
// KbCallbackDumpIo (Windows XP SP1 / Server 2003 on, with the reason callbacks themselves): the
// callback is told of each write to the crash dump file.

/// What a dump-file write carries.
typedef enum _KBUGCHECK_DUMP_IO_TYPE KEMU_WDK_ENUM_INT {
  KbDumpIoInvalid,  // reserved for the system
  KbDumpIoHeader,
  KbDumpIoBody,
  KbDumpIoSecondaryData,  // what the KbCallbackSecondaryDumpData callbacks supplied
  KbDumpIoComplete        // the dump has been written in full
} KBUGCHECK_DUMP_IO_TYPE;

/// One write to the dump file. Offset is -1 while the file is written sequentially.
typedef struct _KBUGCHECK_DUMP_IO {
  ULONG64 Offset;
  PVOID Buffer;
  ULONG BufferLength;
  KBUGCHECK_DUMP_IO_TYPE Type;
} KBUGCHECK_DUMP_IO, *PKBUGCHECK_DUMP_IO;

#if NTDDI_VERSION >= NTDDI_WS08

// ---------------------------------------------------------------------------------------------
// KbCallbackAddPages and KbCallbackSecondaryMultiPartDumpData (Windows Server 2008 on), and
// KbCallbackRemovePages (Microsoft names no first release; declared with the other page
// callbacks, UNCONFIRMED). The system zeroes Flags and, on the first call, Context; the callback
// sets Flags, and asks to be called again with the ..._ADDITIONAL_RANGES_EXIST bit.

#define KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS 0x00000001
#define KB_ADD_PAGES_FLAG_PHYSICAL_ADDRESS 0x00000002
#define KB_ADD_PAGES_FLAG_ADDITIONAL_RANGES_EXIST 0x80000000

#define KB_REMOVE_PAGES_FLAG_VIRTUAL_ADDRESS 0x00000001
#define KB_REMOVE_PAGES_FLAG_PHYSICAL_ADDRESS 0x00000002
#define KB_REMOVE_PAGES_FLAG_ADDITIONAL_RANGES_EXIST 0x80000000

/// Count pages from Address (virtual or physical, as Flags says) to add to the dump's primary
/// section; Count 0 adds none.
typedef struct _KBUGCHECK_ADD_PAGES {
  PVOID Context;
  ULONG Flags;
  ULONG BugCheckCode;
  ULONG_PTR Address;
  ULONG_PTR Count;
} KBUGCHECK_ADD_PAGES, *PKBUGCHECK_ADD_PAGES;

/// The same request the other way: Count pages from Address to leave out of the dump.
typedef struct _KBUGCHECK_REMOVE_PAGES {
  PVOID Context;
  ULONG Flags;
  ULONG BugCheckCode;
  ULONG_PTR Address;
  ULONG_PTR Count;
} KBUGCHECK_REMOVE_PAGES, *PKBUGCHECK_REMOVE_PAGES;

/// KBUGCHECK_SECONDARY_DUMP_DATA's fields first, then the callback's Context and Flags, the kind
/// of dump and the bug check itself. (Microsoft's page names no values for these Flags, so kemu
/// declares none.)
typedef struct _KBUGCHECK_SECONDARY_DUMP_DATA_EX {
  PVOID InBuffer;
  ULONG InBufferLength;
  ULONG MaximumAllowed;
  GUID Guid;
  PVOID OutBuffer;
  ULONG OutBufferLength;
  PVOID Context;
  ULONG Flags;
  ULONG DumpType;
  ULONG BugCheckCode;
  ULONG_PTR BugCheckParameter1;
  ULONG_PTR BugCheckParameter2;
  ULONG_PTR BugCheckParameter3;
  ULONG_PTR BugCheckParameter4;
} KBUGCHECK_SECONDARY_DUMP_DATA_EX, *PKBUGCHECK_SECONDARY_DUMP_DATA_EX;

#endif  // NTDDI_VERSION >= NTDDI_WS08

#if NTDDI_VERSION >= NTDDI_WIN10_RS4

// ---------------------------------------------------------------------------------------------
// Triage dump data: the array of memory ranges a driver asks to keep in a carved minidump
// (Windows 10 1803 on), and what KbCallbackTriageDumpData passes (Windows 10 1809 on).

/// One range of virtual memory.
typedef struct _KADDRESS_RANGE {
  PVOID Address;
  SIZE_T Size;
} KADDRESS_RANGE, *PKADDRESS_RANGE;

/// A list of ranges, filled in place; Blocks runs on for NumBlocksTotal entries.
typedef struct _KTRIAGE_DUMP_DATA_ARRAY {
  LIST_ENTRY List;
  ULONG NumBlocksUsed;
  ULONG NumBlocksTotal;
  ULONG DataSize;
  ULONG MaxDataSize;
  ULONG ComponentNameBufferLength;
  PUCHAR ComponentName;
  KADDRESS_RANGE Blocks[1];
} KTRIAGE_DUMP_DATA_ARRAY, *PKTRIAGE_DUMP_DATA_ARRAY;

#endif  // NTDDI_VERSION >= NTDDI_WIN10_RS4

#if NTDDI_VERSION >= NTDDI_WIN10_RS5

/// Set in KBUGCHECK_TRIAGE_DUMP_DATA.Flags when the callback runs during a bug check (always, as
/// Microsoft documents it today).
#define KB_TRIAGE_DUMP_DATA_FLAG_BUGCHECK_ACTIVE 0x00000001

/// The callback hands back its array in DataArray; the ranges may add up to MaxVirtMemSize.
typedef struct _KBUGCHECK_TRIAGE_DUMP_DATA {
  PKTRIAGE_DUMP_DATA_ARRAY DataArray;
  ULONG Flags;
  ULONG MaxVirtMemSize;
  ULONG BugCheckCode;
  ULONG_PTR BugCheckParameter1;
  ULONG_PTR BugCheckParameter2;
  ULONG_PTR BugCheckParameter3;
  ULONG_PTR BugCheckParameter4;
} KBUGCHECK_TRIAGE_DUMP_DATA, *PKBUGCHECK_TRIAGE_DUMP_DATA;

#endif  // NTDDI_VERSION >= NTDDI_WIN10_RS5

// ---------------------------------------------------------------------------------------------
// Layout checks (Windows x64 numbers).

KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_DUMP_IO_TYPE) == 4,
                       "KBUGCHECK_DUMP_IO_TYPE is a 4-byte enum");
#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_DUMP_IO) == 24, "KBUGCHECK_DUMP_IO is 24 bytes on x64");
#if NTDDI_VERSION >= NTDDI_WS08
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_ADD_PAGES) == 32, "KBUGCHECK_ADD_PAGES is 32 bytes on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_REMOVE_PAGES) == 32,
                       "KBUGCHECK_REMOVE_PAGES is 32 bytes on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_SECONDARY_DUMP_DATA_EX) == 104,
                       "KBUGCHECK_SECONDARY_DUMP_DATA_EX is 104 bytes on x64");
#endif
#if NTDDI_VERSION >= NTDDI_WIN10_RS4
KEMU_WDK_STATIC_ASSERT(sizeof(KTRIAGE_DUMP_DATA_ARRAY) == 64,
                       "KTRIAGE_DUMP_DATA_ARRAY with one block is 64 bytes on x64");
#endif
#if NTDDI_VERSION >= NTDDI_WIN10_RS5
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_TRIAGE_DUMP_DATA) == 56,
                       "KBUGCHECK_TRIAGE_DUMP_DATA is 56 bytes on x64");
#endif
#endif  // KEMU_WDK_PTR64

#endif  // KEMU_WDK_BUGCHECK_H_
