// kemu_wdk_rtl.h — Rtl memory and string helpers, OS version queries, debug output, ASSERT. The
// string routines only <ntddk.h> declares are in kemu_wdk_ntddk_rtl.h.
//
// The memory helpers are macros over <string.h>. ASSERT and NT_ASSERT are active in every build
// (unlike a free WDK build): a failed assertion in driver code under test is a finding, so it stops
// the test through KemuAssertFailed. PAGED_CODE() checks at run time that the caller is at
// IRQL <= APC_LEVEL.
//
//   RTL_OSVERSIONINFOEXW info;
//   RtlZeroMemory(&info, sizeof(info));
//   info.dwOSVersionInfoSize = sizeof(info);
//   if (NT_SUCCESS(RtlGetVersion((PRTL_OSVERSIONINFOW)&info)) && info.dwMajorVersion >= 6) { ... }
#ifndef KEMU_WDK_RTL_H_
#define KEMU_WDK_RTL_H_

#include <stdarg.h>  // va_list, for vDbgPrintEx (a compiler header, as in the WDK)
#include <string.h>

#include "kemu_wdk_base.h"

// ---------------------------------------------------------------------------------------------
// Memory.

#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlEqualMemory(Source1, Source2, Length) (!memcmp((Source1), (Source2), (Length)))

KEMU_WDK_BEGIN_DECLS
/// Zeroes through a volatile pointer, so the compiler keeps the stores (secrets, keys) even when
/// the buffer is not read again.
KEMU_WDK_INLINE PVOID RtlSecureZeroMemory(PVOID Destination, SIZE_T Length) {
  volatile UCHAR *bytes = (volatile UCHAR *)Destination;
  while (Length-- != 0) *bytes++ = 0;
  return Destination;
}
KEMU_WDK_END_DECLS

// Byte order (network drivers): the kernel's routines are the compiler's byte swaps.
#define RtlUshortByteSwap(Source) ((USHORT)__builtin_bswap16((USHORT)(Source)))
#define RtlUlongByteSwap(Source) ((ULONG)__builtin_bswap32((ULONG)(Source)))
#define RtlUlonglongByteSwap(Source) ((ULONGLONG)__builtin_bswap64((ULONGLONG)(Source)))

/// Builds a counted-string initialiser from a string literal: a UNICODE_STRING from L"...", a
/// STRING or ANSI_STRING from "...". The buffer pointer keeps the literal's character type; the
/// literal's constness is dropped only because the structures' Buffer fields are not const.
#ifdef __cplusplus
extern "C++" {
constexpr PCHAR KemuWdkConstantBuffer(const CHAR *literal) { return const_cast<PCHAR>(literal); }
constexpr PWCH KemuWdkConstantBuffer(const WCHAR *literal) { return const_cast<PWCH>(literal); }
}
#define KEMU_WDK_CONSTANT_BUFFER(s) KemuWdkConstantBuffer(s)
#else
// In C a literal is not const: each branch converts the array to its own pointer type.
#define KEMU_WDK_CONSTANT_BUFFER(s) _Generic((s)[0], CHAR : (PCHAR)(s), default : (PWCH)(s))
#endif
#define RTL_CONSTANT_STRING(s) \
  { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), KEMU_WDK_CONSTANT_BUFFER(s) }

/// Defines `name`, a const UNICODE_STRING over a copy of the literal `s`. The copy is const in
/// C++ (where that keeps a file-scope one internal); in C it is not, so that pointing the
/// non-const Buffer at it needs no cast that drops a qualifier (-Wcast-qual).
#ifdef __cplusplus
#define KEMU_WDK_CONST_STRING_COPY const
#else
#define KEMU_WDK_CONST_STRING_COPY
#endif
#define DECLARE_CONST_UNICODE_STRING(name, s)                                          \
  KEMU_WDK_CONST_STRING_COPY WCHAR name##_buffer[] = s;                                \
  const UNICODE_STRING name = {(USHORT)(sizeof(s) - sizeof(WCHAR)), (USHORT)sizeof(s), \
                               KEMU_WDK_CONSTANT_BUFFER(name##_buffer)}
/// Defines `name`, an empty UNICODE_STRING over a local buffer of `size` WCHARs.
#define DECLARE_UNICODE_STRING_SIZE(name, size) \
  WCHAR name##_buffer[size];                    \
  UNICODE_STRING name = {0, (USHORT)((size) * sizeof(WCHAR)), name##_buffer}

KEMU_WDK_BEGIN_DECLS
/// An empty counted string over Buffer (BufferSize bytes); nothing is written to the buffer.
KEMU_WDK_INLINE VOID RtlInitEmptyUnicodeString(PUNICODE_STRING UnicodeString, PWCHAR Buffer,
                                               USHORT BufferSize) {
  UnicodeString->Length = 0;
  UnicodeString->MaximumLength = BufferSize;
  UnicodeString->Buffer = Buffer;
}
KEMU_WDK_INLINE VOID RtlInitEmptyAnsiString(PANSI_STRING AnsiString, PCHAR Buffer,
                                            USHORT BufferSize) {
  AnsiString->Length = 0;
  AnsiString->MaximumLength = BufferSize;
  AnsiString->Buffer = Buffer;
}
KEMU_WDK_END_DECLS

// ---------------------------------------------------------------------------------------------
// Version information.

#define VER_PLATFORM_WIN32_NT 2
#define VER_NT_WORKSTATION 1
#define VER_NT_DOMAIN_CONTROLLER 2
#define VER_NT_SERVER 3

// RtlVerifyVersionInfo: which members of the requirement to compare (TypeMask), and how each is
// compared, three bits per member in the ConditionMask VER_SET_CONDITION builds.
#define VER_MINORVERSION 0x0000001
#define VER_MAJORVERSION 0x0000002
#define VER_BUILDNUMBER 0x0000004
#define VER_PLATFORMID 0x0000008
#define VER_SERVICEPACKMINOR 0x0000010
#define VER_SERVICEPACKMAJOR 0x0000020
#define VER_SUITENAME 0x0000040
#define VER_PRODUCT_TYPE 0x0000080
#define VER_EQUAL 1
#define VER_GREATER 2
#define VER_GREATER_EQUAL 3
#define VER_LESS 4
#define VER_LESS_EQUAL 5
#define VER_AND 6 /* VER_SUITENAME: every suite in the requirement is present */
#define VER_OR 7  /* VER_SUITENAME: at least one is */
#define VER_CONDITION_MASK 7
#define VER_NUM_BITS_PER_CONDITION_MASK 3
#define VER_SET_CONDITION(ConditionMask, TypeBitMask, ComparisonType) \
  ((ConditionMask) = VerSetConditionMask((ConditionMask), (TypeBitMask), (ComparisonType)))

/// Filled by RtlGetVersion; the caller sets dwOSVersionInfoSize to say which form it passes.
typedef struct _OSVERSIONINFOW {
  ULONG dwOSVersionInfoSize;
  ULONG dwMajorVersion;
  ULONG dwMinorVersion;
  ULONG dwBuildNumber;
  ULONG dwPlatformId;
  WCHAR szCSDVersion[128];
} OSVERSIONINFOW, *POSVERSIONINFOW, *LPOSVERSIONINFOW, RTL_OSVERSIONINFOW, *PRTL_OSVERSIONINFOW;

typedef struct _OSVERSIONINFOEXW {
  ULONG dwOSVersionInfoSize;
  ULONG dwMajorVersion;
  ULONG dwMinorVersion;
  ULONG dwBuildNumber;
  ULONG dwPlatformId;
  WCHAR szCSDVersion[128];
  USHORT wServicePackMajor;
  USHORT wServicePackMinor;
  USHORT wSuiteMask;
  UCHAR wProductType;
  UCHAR wReserved;
} OSVERSIONINFOEXW, *POSVERSIONINFOEXW, *LPOSVERSIONINFOEXW, RTL_OSVERSIONINFOEXW,
    *PRTL_OSVERSIONINFOEXW;

// A time broken into calendar fields (RtlTimeToTimeFields, RtlTimeFieldsToTime). Weekday: 0 is
// Sunday.
typedef struct _TIME_FIELDS {
  CSHORT Year;         /* 1601 on */
  CSHORT Month;        /* 1-12 */
  CSHORT Day;          /* 1-31 */
  CSHORT Hour;         /* 0-23 */
  CSHORT Minute;       /* 0-59 */
  CSHORT Second;       /* 0-59 */
  CSHORT Milliseconds; /* 0-999 */
  CSHORT Weekday;      /* 0-6; ignored by RtlTimeFieldsToTime */
} TIME_FIELDS, *PTIME_FIELDS;

// ---------------------------------------------------------------------------------------------
// Routines.

KEMU_WDK_BEGIN_DECLS

/// A time (100 ns units since 1 January 1601) as calendar fields.
NTSYSAPI VOID NTAPI RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields);
/// FALSE, writing nothing to Time, when a field is out of range (a 30 February, a month 13).
NTSYSAPI BOOLEAN NTAPI RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time);

/// Number of leading bytes that are equal.
NTSYSAPI SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length);
NTSYSAPI VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);

// Counted strings. Lengths are in bytes; a WCHAR is sizeof(wchar_t) bytes (see kemu_wdk_base.h).
typedef const char *PCSZ;
typedef const STRING *PCSTRING;
typedef const ANSI_STRING *PCANSI_STRING;
NTSYSAPI VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString);
/// RtlInitAnsiString under its STRING name: the counted string over SourceString's bytes.
NTSYSAPI VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString);
/// PASSIVE_LEVEL. Widens each byte to a WCHAR (kemu's system code page is Latin-1, so every
/// byte maps). AllocateDestinationString TRUE: the buffer comes from paged pool and is released
/// with RtlFreeUnicodeString; FALSE: STATUS_BUFFER_OVERFLOW, changing nothing, when the result
/// does not fit in DestinationString->MaximumLength. STATUS_INVALID_PARAMETER_2 when the result
/// would be longer than a UNICODE_STRING can count.
NTSYSAPI NTSTATUS NTAPI RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString,
                                                     PCANSI_STRING SourceString,
                                                     BOOLEAN AllocateDestinationString);
/// PASSIVE_LEVEL. Narrows each WCHAR to a byte (a character beyond Latin-1 becomes '?'), with a
/// terminating NUL. Allocation and short buffers as RtlAnsiStringToUnicodeString; an allocated
/// buffer is released with RtlFreeAnsiString.
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString,
                                                     PCUNICODE_STRING SourceString,
                                                     BOOLEAN AllocateDestinationString);
/// IRQL <= APC_LEVEL. Frees a buffer RtlAnsiStringToUnicodeString (or RtlQueryRegistryValues)
/// allocated and empties the string; a string whose Buffer is NULL is left as it is.
NTSYSAPI VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString);
/// IRQL <= APC_LEVEL. Frees a buffer RtlUnicodeStringToAnsiString allocated and empties the
/// string; a string whose Buffer is NULL is left as it is.
NTSYSAPI VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString);
/// Copies as much as fits in Destination->MaximumLength; NUL-terminates when there is room.
NTSYSAPI VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
                                         PCUNICODE_STRING SourceString);
/// < 0, 0 or > 0 as String1 sorts before, equal to or after String2.
NTSYSAPI LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                            BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                             BOOLEAN CaseInSensitive);
/// STATUS_BUFFER_TOO_SMALL, changing nothing, when the result would not fit.
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
                                                       PCUNICODE_STRING Source);
/// Base 0 reads a 0x / 0o / 0b prefix (else decimal); 2, 8, 10, 16 are fixed bases.
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base,
                                                  PULONG Value);
/// STATUS_BUFFER_OVERFLOW when the digits and a NUL do not fit in String->MaximumLength.
NTSYSAPI NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String);
/// PASSIVE_LEVEL. RtlIntegerToUnicodeString for a 64-bit value: base 0 or 10, 2, 8 or 16
/// (else STATUS_INVALID_PARAMETER); STATUS_BUFFER_OVERFLOW when the digits and a NUL do not fit.
NTSYSAPI NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base,
                                                PUNICODE_STRING String);

// Case. kemu maps case with one table, its approximation of Windows' NLS tables: ASCII, Latin-1,
// Latin Extended-A, Greek, basic Cyrillic and full-width Latin letters; any other character is
// its own case (docs/differences.md). The case-insensitive comparisons use the same table.
/// IRQL <= APC_LEVEL. The upper-case form of SourceCharacter.
NTSYSAPI WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter);
#if NTDDI_VERSION >= NTDDI_WINXP
/// PASSIVE_LEVEL; Windows XP on. The lower-case form of SourceCharacter.
NTSYSAPI WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter);
#endif

// RtlHashUnicodeString's algorithms. DEFAULT is X65599 today; INVALID is never accepted.
#define HASH_STRING_ALGORITHM_DEFAULT 0
#define HASH_STRING_ALGORITHM_X65599 1
#define HASH_STRING_ALGORITHM_INVALID 0xffffffff
#if NTDDI_VERSION >= NTDDI_WINXP
/// IRQL <= APC_LEVEL; Windows XP on. *HashValue = the x65599 hash of String's characters (each
/// upcased when CaseInSensitive). A NULL String or HashValue, or another algorithm, is
/// STATUS_INVALID_PARAMETER with nothing written.
NTSYSAPI NTSTATUS NTAPI RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive,
                                             ULONG HashAlgorithm, PULONG HashValue);
#endif

/// PASSIVE_LEVEL. Reads "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (either case of hex digit, at
/// exactly that length) into *Guid; anything else is STATUS_INVALID_PARAMETER, *Guid unchanged.
NTSYSAPI NTSTATUS NTAPI RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid);
/// PASSIVE_LEVEL. Writes *Guid in that form, upper case, into a buffer it allocates from paged
/// pool (released with RtlFreeUnicodeString); STATUS_NO_MEMORY, GuidString unchanged, when the
/// pool refuses.
NTSYSAPI NTSTATUS NTAPI RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString);

/// PASSIVE_LEVEL. The bytes RtlUnicodeStringToAnsiString's result and its NUL take: one a
/// character in kemu's Latin-1 code page, where every character converts.
NTSYSAPI ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString);
/// PASSIVE_LEVEL. The bytes RtlAnsiStringToUnicodeString's result and its NUL take:
/// sizeof(WCHAR) a byte. The result may not fit in a USHORT; check before storing it in one.
NTSYSAPI ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString);

NTSYSAPI NTSTATUS NTAPI RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation);
/// STATUS_SUCCESS when the running release meets every requirement TypeMask names,
/// STATUS_REVISION_MISMATCH when it does not, STATUS_INVALID_PARAMETER for a TypeMask or
/// ConditionMask of 0 or a member without a condition (docs/windows-facts.md §10.7).
NTSYSAPI NTSTATUS NTAPI RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW VersionInfo, ULONG TypeMask,
                                             ULONGLONG ConditionMask);
/// ConditionMask with Condition set for every member TypeMask names (VER_SET_CONDITION).
NTSYSAPI ULONGLONG NTAPI VerSetConditionMask(ULONGLONG ConditionMask, ULONG TypeMask,
                                             UCHAR Condition);
NTSYSAPI BOOLEAN NTAPI RtlIsNtDdiVersionAvailable(ULONG Version);
NTSYSAPI BOOLEAN NTAPI RtlIsServicePackVersionInstalled(ULONG Version);
NTKERNELAPI BOOLEAN NTAPI PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber,
                                       PUNICODE_STRING CSDVersion);

/// Kernel debug output, formatted as Windows does (%wZ, %Z, %ws, %S, %ld as 32 bits, %I64x, %p as
/// 16 hex digits; no floating point) and captured per machine (kemu::Machine::debug_output()).
/// No printf format checking: Windows conversions are not the host's. At most 512 bytes of one
/// call are kept.
ULONG __cdecl DbgPrint(PCSTR Format, ...);
#if NTDDI_VERSION >= NTDDI_WINXP
/// DbgPrint with a component (DPFLTR_IHVDRIVER_ID, ...) and a level (0..31, or a mask with
/// DPFLTR_MASK). kemu keeps every message whatever the component filter masks say. Windows XP
/// on, as in the WDK: a driver that also loads on Windows 2000 finds it with
/// MmGetSystemRoutineAddress.
ULONG __cdecl DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
ULONG NTAPI vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist);
#endif
/// Breaks into the kernel debugger. A test has none attached, so the breakpoint exception is
/// unhandled: bug check 0x1E (STATUS_BREAKPOINT), as on a Windows machine without a debugger.
KEMU_NORETURN VOID NTAPI DbgBreakPoint(VOID);

/// Called by a failed ASSERT/NT_ASSERT; reports the expression and location and never returns.
KEMU_NORETURN void KemuAssertFailed(const char *Expression, const char *File, int Line);
/// Called by PAGED_CODE(); reports a call from IRQL > APC_LEVEL.
void KemuPagedCode(const char *File, int Line);

KEMU_WDK_END_DECLS

// The WDK's names for the conversion sizes: with no multibyte code page (kemu has none), the same
// as the Rtlx routines.
#define RtlUnicodeStringToAnsiSize(String) RtlxUnicodeStringToAnsiSize(String)
#define RtlAnsiStringToUnicodeSize(String) RtlxAnsiStringToUnicodeSize(String)

// ---------------------------------------------------------------------------------------------
// Debug macros.

#define KdPrint(x) DbgPrint x
#define KdPrintEx(x) DbgPrintEx x
// Like KdPrint, active in every kemu build (a checked driver's breakpoints are findings too).
#define KdBreakPoint() DbgBreakPoint()

// DbgPrintEx levels and the components drivers outside Windows use.
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82
#define DPFLTR_DEFAULT_ID 101

#define ASSERT(e) ((e) ? (void)0 : KemuAssertFailed(#e, __FILE__, __LINE__))
#define NT_ASSERT(e) ASSERT(e)
#define ASSERTMSG(msg, e) ((e) ? (void)0 : KemuAssertFailed((msg), __FILE__, __LINE__))
#define NT_ASSERTMSG(msg, e) ASSERTMSG(msg, e)
// NT_VERIFY evaluates its expression in every build and yields its truth; kemu checks it too.
#define NT_VERIFY(e) ((e) ? TRUE : (KemuAssertFailed(#e, __FILE__, __LINE__), FALSE))
#define NT_VERIFYMSG(msg, e) ((e) ? TRUE : (KemuAssertFailed((msg), __FILE__, __LINE__), FALSE))

#define PAGED_CODE() KemuPagedCode(__FILE__, __LINE__)
#define PAGED_CODE_LOCKED() ((void)0)

// ---------------------------------------------------------------------------------------------
// Layout checks. Windows' sizes (276 and 284 bytes) assume a 2-byte WCHAR; with kemu's wchar_t
// they hold where wchar_t is 2 bytes, and the general form holds everywhere.

KEMU_WDK_STATIC_ASSERT(offsetof(RTL_OSVERSIONINFOW, szCSDVersion) == 20, "szCSDVersion at 20");
KEMU_WDK_STATIC_ASSERT(sizeof(RTL_OSVERSIONINFOW) == 20 + 128 * sizeof(WCHAR),
                       "RTL_OSVERSIONINFOW is five ULONGs and 128 WCHARs");
KEMU_WDK_STATIC_ASSERT(sizeof(RTL_OSVERSIONINFOEXW) == sizeof(RTL_OSVERSIONINFOW) + 8,
                       "RTL_OSVERSIONINFOEXW adds 8 bytes of service-pack and product fields");
KEMU_WDK_STATIC_ASSERT(offsetof(RTL_OSVERSIONINFOEXW, wServicePackMajor) ==
                           sizeof(RTL_OSVERSIONINFOW),
                       "the Ex fields follow the base structure");
KEMU_WDK_STATIC_ASSERT(sizeof(TIME_FIELDS) == 16, "TIME_FIELDS is eight CSHORTs");
KEMU_WDK_STATIC_ASSERT(offsetof(TIME_FIELDS, Milliseconds) == 12, "Milliseconds at 12");
KEMU_WDK_STATIC_ASSERT(offsetof(TIME_FIELDS, Weekday) == 14, "Weekday at 14");
#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
KEMU_WDK_STATIC_ASSERT(sizeof(RTL_OSVERSIONINFOW) == 276, "RTL_OSVERSIONINFOW is 276 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(RTL_OSVERSIONINFOEXW) == 284, "RTL_OSVERSIONINFOEXW is 284 bytes");
#endif

#endif  // KEMU_WDK_RTL_H_
