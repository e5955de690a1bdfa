// kemu_wdk_ntddk_rtl.h — the run-time library's string routines that Microsoft documents in
// <ntddk.h> only (<ntddk.h> includes it; a WDM driver's <wdm.h> does not): counted 8-bit strings
// (compare, test, copy, upcase), upcasing a Unicode string, a Unicode prefix test and reading a
// number from a C string.
//
// Lengths are bytes. Case-insensitive routines map case with kemu's one table (see
// kemu_wdk_rtl.h); an 8-bit string is in kemu's ANSI code page, Latin-1.
//
//   UNICODE_STRING upper;
//   if (NT_SUCCESS(RtlUpcaseUnicodeString(&upper, &name, TRUE))) {
//     ...
//     RtlFreeUnicodeString(&upper);
//   }
#ifndef KEMU_WDK_NTDDK_RTL_H_
#define KEMU_WDK_NTDDK_RTL_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_rtl.h"

KEMU_WDK_BEGIN_DECLS

/// PASSIVE_LEVEL. < 0, 0 or > 0 as String1 sorts before, equal to or after String2: the first
/// differing bytes (unsigned, upcased when CaseInSensitive), else the lengths.
NTSYSAPI LONG NTAPI RtlCompareString(const STRING *String1, const STRING *String2,
                                     BOOLEAN CaseInSensitive);
/// PASSIVE_LEVEL. TRUE when the strings have the same length and bytes.
NTSYSAPI BOOLEAN NTAPI RtlEqualString(const STRING *String1, const STRING *String2,
                                      BOOLEAN CaseInSensitive);
/// Any IRQL. Copies as much as DestinationString->MaximumLength holds and NUL-terminates when
/// room is left; a NULL SourceString sets Length to 0.
NTSYSAPI VOID NTAPI RtlCopyString(PSTRING DestinationString, const STRING *SourceString);
/// IRQL <= APC_LEVEL. The upper case of Character, or Character itself when its capital is not
/// one byte of the code page.
NTSYSAPI CHAR NTAPI RtlUpperChar(CHAR Character);
/// IRQL <= APC_LEVEL. Copies SourceString, upcased, into DestinationString's buffer, as much as
/// its MaximumLength holds; sets Length only (no NUL).
NTSYSAPI VOID NTAPI RtlUpperString(PSTRING DestinationString, const STRING *SourceString);

/// IRQL <= APC_LEVEL. SourceString upcased into DestinationString, which may be the same string.
/// AllocateDestinationString TRUE: the buffer comes from paged pool (the characters and a NUL)
/// and is released with RtlFreeUnicodeString; STATUS_NO_MEMORY when the pool refuses. FALSE: the
/// caller's buffer, written up to Length only; STATUS_BUFFER_OVERFLOW, nothing written, when the
/// characters do not fit in its MaximumLength.
NTSYSAPI NTSTATUS NTAPI RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString,
                                               PCUNICODE_STRING SourceString,
                                               BOOLEAN AllocateDestinationString);
/// PASSIVE_LEVEL. TRUE when String1 is a prefix of String2 (an empty String1 always is).
NTSYSAPI BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                              BOOLEAN CaseInSensitive);

/// PASSIVE_LEVEL. RtlUnicodeStringToInteger for a NUL-terminated 8-bit string: white space, a
/// sign, with Base 0 a 0x / 0o / 0b prefix, then digits up to the first non-digit. Bases other
/// than 0, 2, 8, 10 and 16 are STATUS_INVALID_PARAMETER.
NTSYSAPI NTSTATUS NTAPI RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_NTDDK_RTL_H_
