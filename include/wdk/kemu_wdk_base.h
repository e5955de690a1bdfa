// kemu_wdk_base.h — target versions, calling conventions and the basic WDK types.
//
// Every other kemu_wdk_*.h header builds on this one. It fixes the Windows x64 (LLP64) sizes on
// every host: ULONG and LONG are 32 bits even where `long` is 64, pointers and ULONG_PTR are 64.
// The one deliberate difference from Windows is WCHAR, which is the host's wchar_t so that L""
// literals keep working (4 bytes on Linux and macOS; structures holding WCHAR arrays grow).
//
//   #define NTDDI_VERSION NTDDI_WINXP   // optional: what the headers declare (default WIN10)
//   #include <wdm.h>
//   LIST_ENTRY head;
//   InitializeListHead(&head);
//   if (!NT_SUCCESS(status)) return status;
#ifndef KEMU_WDK_BASE_H_
#define KEMU_WDK_BASE_H_

#include <stddef.h>
#include <stdint.h>

#include "kemu_wdk_sal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kemu's WDK headers lay structures out as on little-endian Windows; this host is big-endian"
#endif

// ---------------------------------------------------------------------------------------------
// Language plumbing shared by all kemu_wdk headers.

#ifdef __cplusplus
#define KEMU_WDK_BEGIN_DECLS extern "C" {
#define KEMU_WDK_END_DECLS }
#define KEMU_WDK_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define KEMU_WDK_ALIGNOF(type) alignof(type)
#else
#define KEMU_WDK_BEGIN_DECLS
#define KEMU_WDK_END_DECLS
#define KEMU_WDK_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define KEMU_WDK_ALIGNOF(type) _Alignof(type)
#endif

// Anonymous structs inside unions are standard C11 but a GNU extension in C++; marking them keeps
// -Wpedantic quiet in C++ driver code.
#if defined(__GNUC__) || defined(__clang__)
#define KEMU_WDK_EXTENSION __extension__
#else
#define KEMU_WDK_EXTENSION
#endif

// Every WDK enum has the underlying type int in C++, as MSVC gives it. Without a fixed type a C++
// enum may only hold the values its enumerators span, so an integer a C driver legally passes
// (`(KINTERRUPT_MODE)7`) would be undefined behaviour wherever C++ code reads it; kemu validates
// such values instead. In C an enum object holds any int already.
#ifdef __cplusplus
#define KEMU_WDK_ENUM_INT : int
#else
#define KEMU_WDK_ENUM_INT
#endif

/// Marks a routine that never returns (a bug check, a failed ASSERT).
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 202311L)
#define KEMU_NORETURN [[noreturn]]
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define KEMU_NORETURN _Noreturn
#else
#define KEMU_NORETURN __attribute__((__noreturn__))
#endif

/// 1 when pointers are 8 bytes: only then do the Windows x64 layout assertions apply.
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define KEMU_WDK_PTR64 1
#else
#define KEMU_WDK_PTR64 0
#endif

// ---------------------------------------------------------------------------------------------
// Target version. NTDDI_VERSION selects what the headers declare, exactly as with the WDK; the
// behaviour at run time is chosen by the emulated machine's personality instead.

#define NTDDI_WIN2K 0x05000000
#define NTDDI_WIN2KSP1 0x05000100
#define NTDDI_WIN2KSP2 0x05000200
#define NTDDI_WIN2KSP3 0x05000300
#define NTDDI_WIN2KSP4 0x05000400
#define NTDDI_WINXP 0x05010000
#define NTDDI_WINXPSP1 0x05010100
#define NTDDI_WINXPSP2 0x05010200
#define NTDDI_WINXPSP3 0x05010300
#define NTDDI_WS03 0x05020000
#define NTDDI_WS03SP1 0x05020100
#define NTDDI_WS03SP2 0x05020200
#define NTDDI_WIN6 0x06000000
#define NTDDI_VISTA 0x06000000
#define NTDDI_LONGHORN 0x06000000
#define NTDDI_VISTASP1 0x06000100
#define NTDDI_VISTASP2 0x06000200
#define NTDDI_WS08 0x06000100
#define NTDDI_WIN6SP1 0x06000100
#define NTDDI_WIN6SP2 0x06000200
#define NTDDI_WIN6SP3 0x06000300
#define NTDDI_WIN6SP4 0x06000400
#define NTDDI_WS08SP2 0x06000200
#define NTDDI_WS08SP3 0x06000300
#define NTDDI_WS08SP4 0x06000400
#define NTDDI_WIN7 0x06010000
#define NTDDI_WIN8 0x06020000
#define NTDDI_WINBLUE 0x06030000
#define NTDDI_WINTHRESHOLD 0x0A000000
#define NTDDI_WIN10 0x0A000000
#define NTDDI_WIN10_TH2 0x0A000001
#define NTDDI_WIN10_RS1 0x0A000002
#define NTDDI_WIN10_RS2 0x0A000003
#define NTDDI_WIN10_RS3 0x0A000004
#define NTDDI_WIN10_RS4 0x0A000005
#define NTDDI_WIN10_RS5 0x0A000006
#define NTDDI_WIN10_19H1 0x0A000007
#define NTDDI_WIN10_VB 0x0A000008
#define NTDDI_WIN10_MN 0x0A000009
#define NTDDI_WIN10_FE 0x0A00000A
#define NTDDI_WIN10_CO 0x0A00000B
#define NTDDI_WIN11 NTDDI_WIN10_CO
#define NTDDI_WIN10_NI 0x0A00000C
#define NTDDI_WIN10_CU 0x0A00000D
#define NTDDI_WIN11_ZN 0x0A00000E
#define NTDDI_WIN11_GA 0x0A00000F
#define NTDDI_WIN11_GE 0x0A000010

#define _WIN32_WINNT_WIN2K 0x0500
#define _WIN32_WINNT_WINXP 0x0501
#define _WIN32_WINNT_WS03 0x0502
#define _WIN32_WINNT_VISTA 0x0600
#define _WIN32_WINNT_LONGHORN 0x0600
#define _WIN32_WINNT_WIN7 0x0601
#define _WIN32_WINNT_WIN8 0x0602
#define _WIN32_WINNT_WINBLUE 0x0603
#define _WIN32_WINNT_WIN10 0x0A00

/// Splits an NTDDI value into OS (high word), service pack and sub-version.
#define OSVER(Version) ((Version)&0xFFFF0000)
#define SPVER(Version) (((Version)&0x0000FF00) >> 8)
#define SUBVER(Version) ((Version)&0x000000FF)

// A driver may name its target through either macro; the other one is derived from it.
#if !defined(NTDDI_VERSION)
#if defined(_WIN32_WINNT)
#define NTDDI_VERSION ((_WIN32_WINNT)*0x10000)
#else
#define NTDDI_VERSION NTDDI_WIN10
#endif
#endif
#if !defined(_WIN32_WINNT)
#define _WIN32_WINNT (OSVER(NTDDI_VERSION) >> 16)
#endif
#if (OSVER(NTDDI_VERSION) >> 16) != (_WIN32_WINNT)
#error "NTDDI_VERSION and _WIN32_WINNT name different Windows versions"
#endif

// ---------------------------------------------------------------------------------------------
// Calling conventions and declaration decorations: all empty, there is one convention on x64.

#ifndef NTAPI
#define NTAPI
#endif
#ifndef NTAPI_INLINE
#define NTAPI_INLINE
#endif
#ifndef FASTCALL
#define FASTCALL
#endif
#ifndef DECLSPEC_IMPORT
#define DECLSPEC_IMPORT
#endif
#ifndef NTSYSAPI
#define NTSYSAPI
#endif
#ifndef NTSYSCALLAPI
#define NTSYSCALLAPI
#endif
#ifndef NTKERNELAPI
#define NTKERNELAPI
#endif
#ifndef NTHALAPI
#define NTHALAPI
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef DECLSPEC_ALIGN
#define DECLSPEC_ALIGN(x) __attribute__((__aligned__(x)))
#endif
/// The alignment of every pool allocation on x64, and what Microsoft asks of an SLIST_ENTRY:
/// `DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT)`.
#ifndef MEMORY_ALLOCATION_ALIGNMENT
#define MEMORY_ALLOCATION_ALIGNMENT 16
#endif
#ifndef DECLSPEC_NORETURN
#define DECLSPEC_NORETURN KEMU_NORETURN
#endif
// A global a header defines, one copy in the program however many translation units include it
// (MSVC's __declspec(selectany); a weak definition here).
#ifndef DECLSPEC_SELECTANY
#define DECLSPEC_SELECTANY __attribute__((__weak__))
#endif

// FORCEINLINE carries no storage class, because drivers write `static FORCEINLINE` as often as
// plain `FORCEINLINE`. always_inline lets a plain C99 `inline` definition (which emits no
// out-of-line copy) be called even in an unoptimised build.
#ifndef FORCEINLINE
#define FORCEINLINE __inline__ __attribute__((__always_inline__))
#endif
#ifndef __forceinline
#define __forceinline FORCEINLINE
#endif
// kemu's own inline routines in these headers: `static inline` in C, so every translation unit
// has its own copy whether or not it is inlined; `inline` in C++, where `static` would give each
// translation unit a different function.
#ifdef __cplusplus
#define KEMU_WDK_INLINE inline
#else
#define KEMU_WDK_INLINE static inline
#endif
// Inline routines whose body depends on the driver's build (its NTDDI_VERSION or an opt-in
// macro) are `static inline` in C++ too: a plain C++ inline function has one definition in the
// whole program, so a test built for Windows 10 and a driver built for XP linked together would
// share whichever copy the linker kept.
#define KEMU_WDK_BUILD_INLINE static inline

#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef CONST
#define CONST const
#endif

// ---------------------------------------------------------------------------------------------
// Basic types (Windows x64 sizes on every host).

#ifndef VOID
#define VOID void
#endif
typedef void *PVOID;
typedef void *HANDLE, **PHANDLE;

typedef char CHAR, *PCHAR, *PCH, *PSTR, *LPSTR;
typedef const char *PCCH, *PCSTR, *LPCSTR;
typedef char CCHAR, *PCCHAR;
typedef unsigned char UCHAR, *PUCHAR;
typedef int16_t SHORT, *PSHORT;
typedef int16_t CSHORT, *PCSHORT;
typedef uint16_t USHORT, *PUSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef int64_t LONGLONG, *PLONGLONG;
typedef uint64_t ULONGLONG, *PULONGLONG;
typedef int64_t LONG64, *PLONG64;
typedef uint64_t ULONG64, *PULONG64;
typedef intptr_t LONG_PTR, *PLONG_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef ULONG_PTR SIZE_T, *PSIZE_T;
typedef LONG_PTR SSIZE_T, *PSSIZE_T;
typedef ULONG LOGICAL, *PLOGICAL;
// The fixed-width names of the WDK's basetsd.h, which wdm.h includes.
typedef int8_t INT8, *PINT8;
typedef int16_t INT16, *PINT16;
typedef int32_t INT32, *PINT32;
typedef int64_t INT64, *PINT64;
typedef uint8_t UINT8, *PUINT8;
typedef uint16_t UINT16, *PUINT16;
typedef uint32_t UINT32, *PUINT32;
typedef uint64_t UINT64, *PUINT64;
typedef int32_t LONG32, *PLONG32;
typedef uint32_t ULONG32, *PULONG32;
typedef uint32_t DWORD32, *PDWORD32;
typedef uint64_t DWORD64, *PDWORD64;
typedef void *PVOID64;

/// Deviation: wchar_t rather than a 16-bit type, so L"..." literals can be passed as PCWSTR.
typedef wchar_t WCHAR, *PWCHAR, *PWCH, *PWSTR, *LPWSTR;
typedef const wchar_t *PCWCH, *PCWSTR, *LPCWSTR;

typedef UCHAR BOOLEAN, *PBOOLEAN;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef LONG NTSTATUS, *PNTSTATUS;
typedef LONG KPRIORITY, *PKPRIORITY;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef ULONG DEVICE_TYPE;
typedef ULONG ACCESS_MASK, *PACCESS_MASK;

typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE KEMU_WDK_ENUM_INT { KernelMode, UserMode, MaximumMode } MODE;

/// 64-bit value with 32-bit halves; `u` names the halves where the anonymous form is unavailable.
typedef union _LARGE_INTEGER {
  KEMU_WDK_EXTENSION struct {
    ULONG LowPart;
    LONG HighPart;
  };
  struct {
    ULONG LowPart;
    LONG HighPart;
  } u;
  LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
  KEMU_WDK_EXTENSION struct {
    ULONG LowPart;
    ULONG HighPart;
  };
  struct {
    ULONG LowPart;
    ULONG HighPart;
  } u;
  ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY *Flink;
  struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *PRLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
  struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

/// Counted UTF string; Length and MaximumLength are in bytes (sizeof(WCHAR) per character).
typedef struct _UNICODE_STRING {
  USHORT Length;
  USHORT MaximumLength;
  PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
  USHORT Length;
  USHORT MaximumLength;
  PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING;

/// Processors a KAFFINITY can name on x64: one group's worth (more are in other groups, Windows
/// 7+).
#define MAXIMUM_PROC_PER_GROUP 64
#define MAXIMUM_PROCESSORS MAXIMUM_PROC_PER_GROUP

/// A processor group and the processors of it (Windows 7+ interrupt affinity).
typedef struct _GROUP_AFFINITY {
  KAFFINITY Mask;
  USHORT Group;
  USHORT Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;

typedef struct _PROCESSOR_NUMBER {
  USHORT Group;
  UCHAR Number;
  UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;

// Kernel objects that several sections refer to; each is defined (or left opaque) by its own
// header.
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _IRP IRP, *PIRP;

// ---------------------------------------------------------------------------------------------
// Helper macros.

#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define CONTAINING_RECORD(address, type, field) \
  ((type *)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#ifndef ARRAYSIZE
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#endif

// Windows expands these to the bare name; GCC would then warn that the statement has no effect.
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))

#define C_ASSERT(e) KEMU_WDK_STATIC_ASSERT(e, #e)

/// TRUE when an optional pointer argument was passed (is not NULL).
#define ARGUMENT_PRESENT(ArgumentPointer) ((ArgumentPointer) != NULL)

#define PtrToUlong(p) ((ULONG)(ULONG_PTR)(p))
#define PtrToLong(p) ((LONG)(LONG_PTR)(p))
#define UlongToPtr(u) ((PVOID)(ULONG_PTR)(ULONG)(u))
#define ULongToPtr(u) UlongToPtr(u)
#define LongToPtr(l) ((PVOID)(LONG_PTR)(LONG)(l))

#define MAXULONG 0xFFFFFFFFu
#define MAXLONG 0x7FFFFFFF
#define MAXUSHORT 0xFFFFu
#define MAXUCHAR 0xFFu
#define MINLONG (-MAXLONG - 1)
#define MAXLONGLONG 0x7FFFFFFFFFFFFFFFLL
#define MAXULONG64 0xFFFFFFFFFFFFFFFFull
#define MAXLONG64 MAXLONGLONG
#define MAXULONG_PTR (~(ULONG_PTR)0)
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))

#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
  (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define TYPE_ALIGNMENT(t) KEMU_WDK_ALIGNOF(t)
// Round Length up or down to a multiple of Alignment (a power of two), as ntdef.h does.
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment)-1))
#define ALIGN_UP_BY(length, alignment) \
  (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment)-1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment) ((PVOID)ALIGN_DOWN_BY(address, alignment))
#define ALIGN_UP_POINTER_BY(address, alignment) ((PVOID)ALIGN_UP_BY(address, alignment))
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))
#define Int32x32To64(a, b) (((LONGLONG)((LONG)(a))) * ((LONGLONG)((LONG)(b))))
#define UInt32x32To64(a, b) (((ULONGLONG)((ULONG)(a))) * ((ULONGLONG)((ULONG)(b))))

// ---------------------------------------------------------------------------------------------
// Doubly and singly linked list helpers (header-only, as in the WDK).

KEMU_WDK_BEGIN_DECLS

KEMU_WDK_INLINE VOID InitializeListHead(PLIST_ENTRY ListHead) {
  ListHead->Flink = ListHead;
  ListHead->Blink = ListHead;
}

KEMU_WDK_INLINE BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead) {
  return ListHead->Flink == ListHead;
}

// Drivers built for Windows 8 and later check the links a list routine is about to change, as the
// WDK compiles its inline routines (unless the driver defines NO_KERNEL_LIST_ENTRY_CHECKS): a
// neighbour that does not link back is a corrupted list (an entry removed twice, or used after
// its removal), and the routine fails fast: bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE / 3.
// Older targets change the links unchecked. FatalListEntryError is kemu's export: its report
// names the entry, the neighbour and the neighbour's link.
#define FAST_FAIL_CORRUPT_LIST_ENTRY 3
#if NTDDI_VERSION >= NTDDI_WIN8 && !defined(NO_KERNEL_LIST_ENTRY_CHECKS)
#define KEMU_WDK_LIST_ENTRY_CHECKS 1
#else
#define KEMU_WDK_LIST_ENTRY_CHECKS 0
#endif

/// Fails fast with Code (bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE, Code).
DECLSPEC_NORETURN NTSYSAPI VOID NTAPI RtlFailFast(ULONG Code);
/// Fails fast with FAST_FAIL_CORRUPT_LIST_ENTRY: Entry's neighbour Neighbour links to Link, not
/// back to Entry.
DECLSPEC_NORETURN NTSYSAPI VOID NTAPI FatalListEntryError(PVOID Entry, PVOID Neighbour, PVOID Link);

// The link changes alone, the same in every build: the checked routines below call them after
// their checks, and kemu's own model (which checks links per release itself) calls them directly.
KEMU_WDK_INLINE VOID KemuListLinkHead(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
  PLIST_ENTRY next = ListHead->Flink;
  Entry->Flink = next;
  Entry->Blink = ListHead;
  next->Blink = Entry;
  ListHead->Flink = Entry;
}

KEMU_WDK_INLINE VOID KemuListLinkTail(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
  PLIST_ENTRY previous = ListHead->Blink;
  Entry->Flink = ListHead;
  Entry->Blink = previous;
  previous->Flink = Entry;
  ListHead->Blink = Entry;
}

/// Unlinks Entry; TRUE when the list it was on is now empty.
KEMU_WDK_INLINE BOOLEAN KemuListUnlink(PLIST_ENTRY Entry) {
  PLIST_ENTRY next = Entry->Flink;
  PLIST_ENTRY previous = Entry->Blink;
  previous->Flink = next;
  next->Blink = previous;
  return next == previous;
}

/// The first entry, unlinked (ListHead itself when the list is empty).
KEMU_WDK_INLINE PLIST_ENTRY KemuListUnlinkHead(PLIST_ENTRY ListHead) {
  PLIST_ENTRY entry = ListHead->Flink;
  PLIST_ENTRY next = entry->Flink;
  ListHead->Flink = next;
  next->Blink = ListHead;
  return entry;
}

/// The last entry, unlinked (ListHead itself when the list is empty).
KEMU_WDK_INLINE PLIST_ENTRY KemuListUnlinkTail(PLIST_ENTRY ListHead) {
  PLIST_ENTRY entry = ListHead->Blink;
  PLIST_ENTRY previous = entry->Blink;
  ListHead->Blink = previous;
  previous->Flink = ListHead;
  return entry;
}

/// Unlinks Entry; returns TRUE when the list it was on is now empty.
KEMU_WDK_BUILD_INLINE BOOLEAN RemoveEntryList(PLIST_ENTRY Entry) {
  if (KEMU_WDK_LIST_ENTRY_CHECKS) {
    PLIST_ENTRY next = Entry->Flink;
    PLIST_ENTRY previous = Entry->Blink;
    if (next->Blink != Entry) FatalListEntryError(Entry, next, next->Blink);
    if (previous->Flink != Entry) FatalListEntryError(Entry, previous, previous->Flink);
  }
  return KemuListUnlink(Entry);
}

/// Unlinks and returns the first entry; on an empty list this is ListHead itself.
KEMU_WDK_BUILD_INLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead) {
  if (KEMU_WDK_LIST_ENTRY_CHECKS) {
    PLIST_ENTRY entry = ListHead->Flink;
    PLIST_ENTRY next = entry->Flink;
    if (entry->Blink != ListHead) FatalListEntryError(ListHead, entry, entry->Blink);
    if (next->Blink != entry) FatalListEntryError(entry, next, next->Blink);
  }
  return KemuListUnlinkHead(ListHead);
}

/// Unlinks and returns the last entry; on an empty list this is ListHead itself.
KEMU_WDK_BUILD_INLINE PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead) {
  if (KEMU_WDK_LIST_ENTRY_CHECKS) {
    PLIST_ENTRY entry = ListHead->Blink;
    PLIST_ENTRY previous = entry->Blink;
    if (entry->Flink != ListHead) FatalListEntryError(ListHead, entry, entry->Flink);
    if (previous->Flink != entry) FatalListEntryError(entry, previous, previous->Flink);
  }
  return KemuListUnlinkTail(ListHead);
}

KEMU_WDK_BUILD_INLINE VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
  if (KEMU_WDK_LIST_ENTRY_CHECKS) {
    PLIST_ENTRY next = ListHead->Flink;
    if (next->Blink != ListHead) FatalListEntryError(ListHead, next, next->Blink);
  }
  KemuListLinkHead(ListHead, Entry);
}

KEMU_WDK_BUILD_INLINE VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
  if (KEMU_WDK_LIST_ENTRY_CHECKS) {
    PLIST_ENTRY previous = ListHead->Blink;
    if (previous->Flink != ListHead) FatalListEntryError(ListHead, previous, previous->Flink);
  }
  KemuListLinkTail(ListHead, Entry);
}

/// Splices the list that starts at ListToAppend (its first entry, not a separate head) onto the
/// tail of ListHead.
KEMU_WDK_INLINE VOID AppendTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListToAppend) {
  PLIST_ENTRY tail = ListHead->Blink;
  ListHead->Blink->Flink = ListToAppend;
  ListHead->Blink = ListToAppend->Blink;
  ListToAppend->Blink->Flink = ListHead;
  ListToAppend->Blink = tail;
}

KEMU_WDK_INLINE VOID PushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY Entry) {
  Entry->Next = ListHead->Next;
  ListHead->Next = Entry;
}

/// Returns the first entry, or NULL when the list is empty.
KEMU_WDK_INLINE PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY ListHead) {
  PSINGLE_LIST_ENTRY first = ListHead->Next;
  if (first) {
    ListHead->Next = first->Next;
  }
  return first;
}

KEMU_WDK_END_DECLS

// ---------------------------------------------------------------------------------------------
// Layout checks. The x64 numbers are Windows'; they hold on any 64-bit little-endian host.

KEMU_WDK_STATIC_ASSERT(sizeof(UCHAR) == 1 && sizeof(BOOLEAN) == 1, "BOOLEAN is one byte");
KEMU_WDK_STATIC_ASSERT(sizeof(USHORT) == 2 && sizeof(CSHORT) == 2, "USHORT is two bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(ULONG) == 4, "ULONG is 32-bit (LLP64), never the host's long");
KEMU_WDK_STATIC_ASSERT(sizeof(LONG) == 4, "LONG is 32-bit (LLP64), never the host's long");
KEMU_WDK_STATIC_ASSERT(sizeof(NTSTATUS) == 4, "NTSTATUS is 32-bit");
KEMU_WDK_STATIC_ASSERT(sizeof(LONGLONG) == 8 && sizeof(ULONG64) == 8, "64-bit integers");
KEMU_WDK_STATIC_ASSERT(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER is 8 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(LARGE_INTEGER, HighPart) == 4, "HighPart is the upper half");
KEMU_WDK_STATIC_ASSERT(sizeof(ULONG_PTR) == sizeof(PVOID), "ULONG_PTR is pointer-sized");
KEMU_WDK_STATIC_ASSERT(sizeof(MODE) == 4, "enums are 4 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(PROCESSOR_NUMBER) == 4, "PROCESSOR_NUMBER is 4 bytes");
#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(UNICODE_STRING) == 16, "UNICODE_STRING is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(UNICODE_STRING, Buffer) == 8, "UNICODE_STRING.Buffer at 8");
KEMU_WDK_STATIC_ASSERT(sizeof(LIST_ENTRY) == 16, "LIST_ENTRY is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(GROUP_AFFINITY) == 16, "GROUP_AFFINITY is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(GROUP_AFFINITY, Group) == 8, "GROUP_AFFINITY.Group at 8");
#endif

// ---------------------------------------------------------------------------------------------
// GUIDs. DEFINE_GUID declares the name; in the one translation unit that includes <initguid.h>
// first, it also defines it.

typedef struct _GUID {
  ULONG Data1;
  USHORT Data2;
  USHORT Data3;
  UCHAR Data4[8];
} GUID, *PGUID, *LPGUID;
typedef const GUID *LPCGUID, *REFGUID;

// A const object has external linkage in C, internal linkage in C++ unless declared extern.
#ifdef __cplusplus
#define KEMU_WDK_GUID_EXTERN extern "C"
#define KEMU_WDK_GUID_DEFINITION extern "C"
#else
#define KEMU_WDK_GUID_EXTERN extern
#define KEMU_WDK_GUID_DEFINITION
#endif
#undef DEFINE_GUID
#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  KEMU_WDK_GUID_DEFINITION const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  KEMU_WDK_GUID_EXTERN const GUID name
#endif

KEMU_WDK_INLINE BOOLEAN IsEqualGUID(const GUID *a, const GUID *b) {
  ULONG i;
  if (a->Data1 != b->Data1 || a->Data2 != b->Data2 || a->Data3 != b->Data3) return FALSE;
  for (i = 0; i < 8; ++i) {
    if (a->Data4[i] != b->Data4[i]) return FALSE;
  }
  return TRUE;
}
#define InlineIsEqualGUID IsEqualGUID

#endif  // KEMU_WDK_BASE_H_
