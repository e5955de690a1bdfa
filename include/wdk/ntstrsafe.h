// ntstrsafe.h — kemu's bounded string routines: RtlStringCb*/RtlStringCch* Copy, Cat, Length
// (header inlines, as the WDK's are) and Printf (exports that format as DbgPrint does: %wZ, %ws,
// %I64x, ...). Cb routines count bytes, Cch routines characters (sizeof(wchar_t) bytes each for the
// W forms). Every routine NUL-terminates what it writes:
//   STATUS_SUCCESS          the whole result fitted;
//   STATUS_BUFFER_OVERFLOW  it was cut to fit (the cut result is NUL-terminated);
//   STATUS_INVALID_PARAMETER a zero or larger-than-NTSTRSAFE_MAX_CCH destination, or a NULL one,
//                           or (Cat) a destination with no NUL inside it; nothing is written.
// A NULL source string is treated as empty (kemu's choice; the WDK's default dereferences it).
// The CopyN/CatN routines, the Ex forms with their STRSAFE_* flags and the counted-source routines
// are in kemu_wdk_strsafe_ex.h, the UNICODE_STRING routines (RtlUnicodeStringInit, Copy, Cat, ...)
// in kemu_wdk_strsafe_ustr.h; this header includes both.
//
//   WCHAR name[32];
//   NTSTATUS status = RtlStringCbPrintfW(name, sizeof(name), L"\\Device\\Nic%u", index);
//   if (status == STATUS_BUFFER_OVERFLOW) { /* name holds the first 31 characters */ }
#ifndef KEMU_WDK_NTSTRSAFE_H_
#define KEMU_WDK_NTSTRSAFE_H_

#include <stdarg.h>  // va_list, for the V forms (a compiler header, as in the WDK)

#include "kemu_wdk_base.h"
#include "kemu_wdk_status.h"

#define NTSTRSAFE_MAX_CCH 2147483647
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
// The most characters a UNICODE_STRING holds (its byte counts are USHORTs).
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH 32767

// minwindef.h's DWORD (32 bits, as ULONG): the Ex forms take their flags in one.
typedef ULONG DWORD, *PDWORD;
typedef char *NTSTRSAFE_PSTR;
typedef const char *NTSTRSAFE_PCSTR;
typedef wchar_t *NTSTRSAFE_PWSTR;
typedef const wchar_t *NTSTRSAFE_PCWSTR;

KEMU_WDK_BEGIN_DECLS

// ---------------------------------------------------------------------------------------------
// Workers (kemu's own names; drivers call the documented routines below).

KEMU_WDK_INLINE NTSTATUS KemuStrSafeCopyA(char *Dest, size_t Cch, const char *Src) {
  size_t i = 0;
  if (Dest == NULL || Cch == 0 || Cch > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  if (Src == NULL) Src = "";
  while (i + 1 < Cch && Src[i] != '\0') {
    Dest[i] = Src[i];
    ++i;
  }
  Dest[i] = '\0';
  return Src[i] == '\0' ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

KEMU_WDK_INLINE NTSTATUS KemuStrSafeCopyW(wchar_t *Dest, size_t Cch, const wchar_t *Src) {
  size_t i = 0;
  if (Dest == NULL || Cch == 0 || Cch > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  if (Src == NULL) Src = L"";
  while (i + 1 < Cch && Src[i] != L'\0') {
    Dest[i] = Src[i];
    ++i;
  }
  Dest[i] = L'\0';
  return Src[i] == L'\0' ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

KEMU_WDK_INLINE NTSTATUS KemuStrSafeCatA(char *Dest, size_t Cch, const char *Src) {
  size_t length = 0;
  if (Dest == NULL || Cch == 0 || Cch > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  while (length < Cch && Dest[length] != '\0') ++length;
  if (length == Cch) return STATUS_INVALID_PARAMETER;
  return KemuStrSafeCopyA(Dest + length, Cch - length, Src);
}

KEMU_WDK_INLINE NTSTATUS KemuStrSafeCatW(wchar_t *Dest, size_t Cch, const wchar_t *Src) {
  size_t length = 0;
  if (Dest == NULL || Cch == 0 || Cch > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  while (length < Cch && Dest[length] != L'\0') ++length;
  if (length == Cch) return STATUS_INVALID_PARAMETER;
  return KemuStrSafeCopyW(Dest + length, Cch - length, Src);
}

// ---------------------------------------------------------------------------------------------
// Copy and concatenate.

KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                           NTSTRSAFE_PCSTR pszSrc) {
  return KemuStrSafeCopyA(pszDest, cchDest, pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                           NTSTRSAFE_PCWSTR pszSrc) {
  return KemuStrSafeCopyW(pszDest, cchDest, pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                          NTSTRSAFE_PCSTR pszSrc) {
  return KemuStrSafeCopyA(pszDest, cbDest, pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                          NTSTRSAFE_PCWSTR pszSrc) {
  return KemuStrSafeCopyW(pszDest, cbDest / sizeof(wchar_t), pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                          NTSTRSAFE_PCSTR pszSrc) {
  return KemuStrSafeCatA(pszDest, cchDest, pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                          NTSTRSAFE_PCWSTR pszSrc) {
  return KemuStrSafeCatW(pszDest, cchDest, pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                         NTSTRSAFE_PCSTR pszSrc) {
  return KemuStrSafeCatA(pszDest, cbDest, pszSrc);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                         NTSTRSAFE_PCWSTR pszSrc) {
  return KemuStrSafeCatW(pszDest, cbDest / sizeof(wchar_t), pszSrc);
}

// ---------------------------------------------------------------------------------------------
// Length: STATUS_INVALID_PARAMETER (and a length of 0) when no NUL lies within the maximum.

KEMU_WDK_INLINE NTSTATUS RtlStringCchLengthA(NTSTRSAFE_PCSTR psz, size_t cchMax,
                                             size_t *pcchLength) {
  size_t length = 0;
  NTSTATUS status = STATUS_INVALID_PARAMETER;
  if (psz != NULL && cchMax != 0 && cchMax <= NTSTRSAFE_MAX_CCH) {
    while (length < cchMax && psz[length] != '\0') ++length;
    if (length < cchMax) status = STATUS_SUCCESS;
  }
  if (pcchLength != NULL) *pcchLength = NT_SUCCESS(status) ? length : 0;
  return status;
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchLengthW(NTSTRSAFE_PCWSTR psz, size_t cchMax,
                                             size_t *pcchLength) {
  size_t length = 0;
  NTSTATUS status = STATUS_INVALID_PARAMETER;
  if (psz != NULL && cchMax != 0 && cchMax <= NTSTRSAFE_MAX_CCH) {
    while (length < cchMax && psz[length] != L'\0') ++length;
    if (length < cchMax) status = STATUS_SUCCESS;
  }
  if (pcchLength != NULL) *pcchLength = NT_SUCCESS(status) ? length : 0;
  return status;
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbLengthA(NTSTRSAFE_PCSTR psz, size_t cbMax, size_t *pcbLength) {
  return RtlStringCchLengthA(psz, cbMax, pcbLength);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbLengthW(NTSTRSAFE_PCWSTR psz, size_t cbMax, size_t *pcbLength) {
  size_t chars = 0;
  const NTSTATUS status = RtlStringCchLengthW(psz, cbMax / sizeof(wchar_t), &chars);
  if (pcbLength != NULL) *pcbLength = chars * sizeof(wchar_t);
  return status;
}

// ---------------------------------------------------------------------------------------------
// Formatted output, in DbgPrint's format language. In the W forms %s and %c are wide and %S and
// %C narrow, as in Windows' wide printf; %ws/%ls and %hs are explicit. Unicode conversions are for
// PASSIVE_LEVEL (the verifier reports them above it, as for DbgPrint).

NTSTATUS __cdecl RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                     NTSTRSAFE_PCSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                    NTSTRSAFE_PCSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                     NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTATUS __cdecl RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                    NTSTRSAFE_PCWSTR pszFormat, ...);
/// The va_list forms: the same formatting and statuses, with the arguments already gathered.
NTSTATUS NTAPI RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                    NTSTRSAFE_PCSTR pszFormat, va_list argList);
NTSTATUS NTAPI RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat,
                                   va_list argList);
NTSTATUS NTAPI RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                    NTSTRSAFE_PCWSTR pszFormat, va_list argList);
NTSTATUS NTAPI RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                   NTSTRSAFE_PCWSTR pszFormat, va_list argList);
/// Formats into a counted string from its start: sets Length, adds no NUL; cut to MaximumLength
/// with STATUS_BUFFER_OVERFLOW.
NTSTATUS __cdecl RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString,
                                        NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTATUS NTAPI RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString,
                                       NTSTRSAFE_PCWSTR pszFormat, va_list argList);

KEMU_WDK_END_DECLS

// The rest of <ntstrsafe.h>. It includes this header too, so it compiles on its own; included
// here, after everything it uses, that include does nothing.
#include "kemu_wdk_strsafe_ex.h"

#endif  // KEMU_WDK_NTSTRSAFE_H_
