// kemu_wdk_strsafe_ustr.h — the UNICODE_STRING part of <ntstrsafe.h>: RtlUnicodeStringInit(Ex),
// Validate(Ex), Copy, Cat, CopyString and CatString, the Cb/Cch CopyN, CatN, CopyStringN and
// CatStringN routines, all with their Ex forms, and PrintfEx and VPrintfEx (over the
// RtlUnicodeStringVPrintf export), as header inlines. Drivers include <ntstrsafe.h>.
//
// Counted strings: Length and MaximumLength are bytes (sizeof(WCHAR) per character), and these
// routines never add a NUL. A destination or source string is valid when both counts are
// multiples of sizeof(WCHAR), Length <= MaximumLength <= NTSTRSAFE_UNICODE_STRING_MAX_CCH *
// sizeof(WCHAR), and Buffer is non-NULL unless MaximumLength is 0.
//   STATUS_SUCCESS           the whole source was copied (appended); Length says how much;
//   STATUS_BUFFER_OVERFLOW   as much as fits was copied and Length is MaximumLength;
//   STATUS_INVALID_PARAMETER an invalid string, an unknown flag, a NULL pointer without
//                            STRSAFE_IGNORE_NULLS (the forms without Ex take a NULL source as
//                            empty, kemu's choice), a count over NTSTRSAFE_UNICODE_STRING_MAX_CCH,
//                            or a non-empty source with no room at all (MaximumLength 0, or a
//                            full destination for Cat).
// Ex flags: STRSAFE_IGNORE_NULLS; STRSAFE_FILL_BEHIND (the bytes after the string, up to
// MaximumLength, get the fill byte); STRSAFE_FILL_ON_FAILURE (the whole buffer gets it, and
// Length becomes MaximumLength, or 0 for a fill byte of 0: UNCONFIRMED); STRSAFE_ZERO_LENGTH_ON_
// FAILURE (= STRSAFE_NULL_ON_FAILURE: Length 0); STRSAFE_NO_TRUNCATION (a source that does not
// fit leaves the destination, Length included, unmodified; PrintfEx cannot: see there).
// RemainingString, when not NULL, describes the room after the string: Buffer at its end,
// Length 0, MaximumLength the bytes left.
//
//   UNICODE_STRING name;
//   WCHAR storage[32];
//   RtlInitEmptyUnicodeString(&name, storage, sizeof(storage));
//   RtlUnicodeStringCopyString(&name, L"\\Device\\");
//   RtlUnicodeStringCatString(&name, L"Nic0");  // Length is 11 * sizeof(WCHAR)
#ifndef KEMU_WDK_STRSAFE_USTR_H_
#define KEMU_WDK_STRSAFE_USTR_H_

#include "kemu_wdk_strsafe_ex.h"

KEMU_WDK_BEGIN_DECLS

// ---------------------------------------------------------------------------------------------
// Workers (kemu's own names).

/// The characters a UNICODE_STRING can count with room for a NUL: NTSTRSAFE_UNICODE_STRING_MAX_CCH
/// where WCHAR is 2 bytes, fewer where it is wider (16383 on Linux and macOS, where the USHORT
/// MaximumLength runs out first).
KEMU_WDK_INLINE size_t KemuUnicodeStringMaxCch(void) {
  const size_t fits = 0xFFFF / sizeof(WCHAR);
  return fits < NTSTRSAFE_UNICODE_STRING_MAX_CCH ? fits : NTSTRSAFE_UNICODE_STRING_MAX_CCH;
}

/// A byte count as the whole characters it holds; a count over NTSTRSAFE_UNICODE_STRING_MAX_CCH *
/// sizeof(WCHAR) bytes stays over NTSTRSAFE_UNICODE_STRING_MAX_CCH characters.
KEMU_WDK_INLINE size_t KemuUnicodeStringCbToCch(size_t Cb) {
  const size_t most = NTSTRSAFE_UNICODE_STRING_MAX_CCH;
  return Cb > most * sizeof(WCHAR) ? most + 1 : Cb / sizeof(WCHAR);
}

/// The Ex forms' first checks: an unknown flag, a NULL destination without STRSAFE_IGNORE_NULLS
/// or an invalid one is STATUS_INVALID_PARAMETER, and nothing is written. With the flag a NULL
/// destination becomes *Nowhere, an empty string with no buffer, which takes only an empty result.
KEMU_WDK_INLINE NTSTATUS KemuUnicodeStringTarget(PUNICODE_STRING *Dest, PUNICODE_STRING Nowhere,
                                                 DWORD Flags) {
  if ((Flags & ~(DWORD)KEMU_STRSAFE_VALID_FLAGS) != 0) return STATUS_INVALID_PARAMETER;
  if (*Dest == NULL) {
    if ((Flags & STRSAFE_IGNORE_NULLS) == 0) return STATUS_INVALID_PARAMETER;
    Nowhere->Length = 0;
    Nowhere->MaximumLength = 0;
    Nowhere->Buffer = NULL;
    *Dest = Nowhere;
  }
  return KemuUnicodeStringIsValid(*Dest) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

/// The Ex forms' last step, once Dest holds what was written and Status says how it went: the
/// fill of STRSAFE_FILL_BEHIND on success, STRSAFE_FILL_ON_FAILURE and STRSAFE_ZERO_LENGTH_ON_
/// FAILURE on failure, and RemainingString on success and overflow.
KEMU_WDK_INLINE NTSTATUS KemuUnicodeStringDone(PUNICODE_STRING Dest, NTSTATUS Status, DWORD Flags,
                                               PUNICODE_STRING RemainingString) {
  const unsigned char fill = (unsigned char)(Flags & 0xFF);
  const size_t capacity = Dest->MaximumLength / sizeof(WCHAR);
  if (Status == STATUS_SUCCESS && (Flags & STRSAFE_FILL_BEHIND) != 0) {
    KemuStrSafeFill(Dest->Buffer, sizeof(WCHAR), Dest->Length / sizeof(WCHAR), capacity, fill);
  }
  if (Status != STATUS_SUCCESS) {
    if ((Flags & STRSAFE_FILL_ON_FAILURE) != 0) {
      KemuStrSafeFill(Dest->Buffer, sizeof(WCHAR), 0, capacity, fill);
      Dest->Length = fill == 0 ? 0 : Dest->MaximumLength;
    }
    if ((Flags & STRSAFE_ZERO_LENGTH_ON_FAILURE) != 0) Dest->Length = 0;
    if (Status == STATUS_INVALID_PARAMETER) return Status;
  }
  if (RemainingString != NULL) {
    RemainingString->Buffer =
        Dest->Buffer != NULL ? Dest->Buffer + Dest->Length / sizeof(WCHAR) : NULL;
    RemainingString->Length = 0;
    RemainingString->MaximumLength = (USHORT)(Dest->MaximumLength - Dest->Length);
  }
  return Status;
}

/// Copy (Append 0) or Cat (Append 1) of Src into the counted Dest. Src is at most SrcCch
/// characters, or up to its NUL when SrcCounted is 0; Src NULL is a NULL source pointer and
/// SrcInvalid an invalid source (a bad UNICODE_STRING, or a count over the limit).
KEMU_WDK_INLINE NTSTATUS KemuUnicodeStringCopyEx(PUNICODE_STRING Dest, const WCHAR *Src,
                                                 size_t SrcCch, int SrcCounted, int SrcInvalid,
                                                 int Append, PUNICODE_STRING RemainingString,
                                                 DWORD Flags) {
  UNICODE_STRING nowhere;
  size_t start = 0;
  size_t room = 0;
  size_t length = 0;
  size_t i;
  NTSTATUS status =
      SrcInvalid ? STATUS_INVALID_PARAMETER : KemuUnicodeStringTarget(&Dest, &nowhere, Flags);
  if (status != STATUS_SUCCESS) return status;
  if (Src == NULL && (Flags & STRSAFE_IGNORE_NULLS) == 0) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    start = Append ? Dest->Length / sizeof(WCHAR) : 0;
    room = Dest->MaximumLength / sizeof(WCHAR) - start;
    if (Src != NULL) {
      while (length < SrcCch && length <= room && (SrcCounted || Src[length] != L'\0')) ++length;
    }
    if (length > 0 && room == 0) {
      status = STATUS_INVALID_PARAMETER;  // no room at all: the destination is already full
    } else if (length > room) {
      status = STATUS_BUFFER_OVERFLOW;
      length = room;
    }
  }
  if (status == STATUS_SUCCESS || (status == STATUS_BUFFER_OVERFLOW &&
                                   (Flags & (STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE |
                                             STRSAFE_NO_TRUNCATION)) == 0)) {
    for (i = 0; i < length; ++i) Dest->Buffer[start + i] = Src[i];
    Dest->Length = (USHORT)((start + length) * sizeof(WCHAR));
  }
  return KemuUnicodeStringDone(Dest, status, Flags, RemainingString);
}

/// A source UNICODE_STRING as the worker takes it, at most CchToCopy of its characters: NULL is
/// L"" when NullIsEmpty, else a NULL pointer (the Ex forms decide); a valid string becomes its
/// buffer (L"" when it has none) and length.
KEMU_WDK_INLINE NTSTATUS KemuUnicodeStringFrom(PUNICODE_STRING Dest, PCUNICODE_STRING Source,
                                               size_t CchToCopy, int NullIsEmpty, int Append,
                                               PUNICODE_STRING RemainingString, DWORD Flags) {
  const int too_many = CchToCopy > NTSTRSAFE_UNICODE_STRING_MAX_CCH;
  size_t chars;
  if (Source == NULL) {
    return KemuUnicodeStringCopyEx(Dest, NullIsEmpty ? L"" : NULL, 0, 1, too_many, Append,
                                   RemainingString, Flags);
  }
  if (!KemuUnicodeStringIsValid(Source)) {
    return KemuUnicodeStringCopyEx(Dest, NULL, 0, 1, 1, Append, RemainingString, Flags);
  }
  chars = Source->Length / sizeof(WCHAR);
  return KemuUnicodeStringCopyEx(Dest, Source->Buffer != NULL ? Source->Buffer : L"",
                                 chars < CchToCopy ? chars : CchToCopy, 1, too_many, Append,
                                 RemainingString, Flags);
}

// ---------------------------------------------------------------------------------------------
// Initialise and validate.

/// Points DestinationString at pszSrc: Length its bytes, MaximumLength one WCHAR more, Buffer
/// pszSrc (a NULL pszSrc gives 0, 0, NULL). STATUS_INVALID_PARAMETER for a string with no NUL
/// within KemuUnicodeStringMaxCch() characters (the string is then set empty: UNCONFIRMED), a NULL
/// DestinationString (unless pszSrc is NULL and STRSAFE_IGNORE_NULLS is set), or a flag other
/// than STRSAFE_IGNORE_NULLS.
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringInitEx(PUNICODE_STRING DestinationString,
                                                NTSTRSAFE_PCWSTR pszSrc, DWORD dwFlags) {
  const size_t most = KemuUnicodeStringMaxCch();
  size_t length = 0;
  if ((dwFlags & ~(DWORD)STRSAFE_IGNORE_NULLS) != 0) return STATUS_INVALID_PARAMETER;
  if (DestinationString == NULL) {
    return pszSrc == NULL && (dwFlags & STRSAFE_IGNORE_NULLS) != 0 ? STATUS_SUCCESS
                                                                   : STATUS_INVALID_PARAMETER;
  }
  DestinationString->Length = 0;
  DestinationString->MaximumLength = 0;
  DestinationString->Buffer = NULL;
  if (pszSrc == NULL) return STATUS_SUCCESS;
  while (length < most && pszSrc[length] != L'\0') ++length;
  if (length == most) return STATUS_INVALID_PARAMETER;
  DestinationString->Length = (USHORT)(length * sizeof(WCHAR));
  DestinationString->MaximumLength = (USHORT)((length + 1) * sizeof(WCHAR));
  // The counted string does not own its buffer; the integer step drops the const without a
  // -Wcast-qual warning in the driver's build.
  DestinationString->Buffer = (PWCH)(uintptr_t)pszSrc;
  return STATUS_SUCCESS;
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringInit(PUNICODE_STRING DestinationString,
                                              NTSTRSAFE_PCWSTR pszSrc) {
  return RtlUnicodeStringInitEx(DestinationString, pszSrc, 0);
}

/// STATUS_SUCCESS for a valid string (see the top of this header), or a NULL one with
/// STRSAFE_IGNORE_NULLS; the checks apply with the flag too (UNCONFIRMED).
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringValidateEx(PCUNICODE_STRING SourceString, DWORD dwFlags) {
  if ((dwFlags & ~(DWORD)STRSAFE_IGNORE_NULLS) != 0) return STATUS_INVALID_PARAMETER;
  if (SourceString == NULL) {
    return (dwFlags & STRSAFE_IGNORE_NULLS) != 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
  }
  return KemuUnicodeStringIsValid(SourceString) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringValidate(PCUNICODE_STRING SourceString) {
  return RtlUnicodeStringValidateEx(SourceString, 0);
}

// ---------------------------------------------------------------------------------------------
// Copy and concatenate. RemainingString is optional in every Ex form (the pages say "only with
// STRSAFE_IGNORE_NULLS"; kemu accepts NULL always: UNCONFIRMED).

KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCopy(PUNICODE_STRING DestinationString,
                                              PCUNICODE_STRING SourceString) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 1,
                               0, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCat(PUNICODE_STRING DestinationString,
                                             PCUNICODE_STRING SourceString) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 1,
                               1, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCopyEx(PUNICODE_STRING DestinationString,
                                                PCUNICODE_STRING SourceString,
                                                PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0,
                               0, RemainingString, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCatEx(PUNICODE_STRING DestinationString,
                                               PCUNICODE_STRING SourceString,
                                               PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0,
                               1, RemainingString, dwFlags);
}

KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString,
                                                    NTSTRSAFE_PCWSTR pszSrc) {
  return KemuUnicodeStringCopyEx(DestinationString, pszSrc != NULL ? pszSrc : L"",
                                 NTSTRSAFE_MAX_CCH, 0, 0, 0, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCatString(PUNICODE_STRING DestinationString,
                                                   NTSTRSAFE_PCWSTR pszSrc) {
  return KemuUnicodeStringCopyEx(DestinationString, pszSrc != NULL ? pszSrc : L"",
                                 NTSTRSAFE_MAX_CCH, 0, 0, 1, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCopyStringEx(PUNICODE_STRING DestinationString,
                                                      NTSTRSAFE_PCWSTR pszSrc,
                                                      PUNICODE_STRING RemainingString,
                                                      DWORD dwFlags) {
  return KemuUnicodeStringCopyEx(DestinationString, pszSrc, NTSTRSAFE_MAX_CCH, 0, 0, 0,
                                 RemainingString, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCatStringEx(PUNICODE_STRING DestinationString,
                                                     NTSTRSAFE_PCWSTR pszSrc,
                                                     PUNICODE_STRING RemainingString,
                                                     DWORD dwFlags) {
  return KemuUnicodeStringCopyEx(DestinationString, pszSrc, NTSTRSAFE_MAX_CCH, 0, 0, 1,
                                 RemainingString, dwFlags);
}

// The N forms: at most cchToCopy characters (cbToCopy bytes, whole characters) of the source.
// CopyN and CatN take a UNICODE_STRING, CopyStringN and CatStringN a string that need not be
// NUL-terminated within the count. A count over NTSTRSAFE_UNICODE_STRING_MAX_CCH characters
// (NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR) bytes) is STATUS_INVALID_PARAMETER. The Ex
// forms take the flags and RemainingString as RtlUnicodeStringCopyEx does; an invalid string or
// count is refused before anything is written, whatever the failure flags (UNCONFIRMED). The
// forms without Ex take a NULL source as empty (kemu's choice, as above; the pages say
// STATUS_INVALID_PARAMETER).

KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCopyNEx(PUNICODE_STRING DestinationString,
                                                    PCUNICODE_STRING SourceString, size_t cchToCopy,
                                                    PUNICODE_STRING RemainingString,
                                                    DWORD dwFlags) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, cchToCopy, 0, 0, RemainingString,
                               dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCopyNEx(PUNICODE_STRING DestinationString,
                                                   PCUNICODE_STRING SourceString, size_t cbToCopy,
                                                   PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return RtlUnicodeStringCchCopyNEx(DestinationString, SourceString,
                                    KemuUnicodeStringCbToCch(cbToCopy), RemainingString, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCatNEx(PUNICODE_STRING DestinationString,
                                                   PCUNICODE_STRING SourceString,
                                                   size_t cchToAppend,
                                                   PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, cchToAppend, 0, 1, RemainingString,
                               dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCatNEx(PUNICODE_STRING DestinationString,
                                                  PCUNICODE_STRING SourceString, size_t cbToAppend,
                                                  PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return RtlUnicodeStringCchCatNEx(DestinationString, SourceString,
                                   KemuUnicodeStringCbToCch(cbToAppend), RemainingString, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCopyN(PUNICODE_STRING DestinationString,
                                                  PCUNICODE_STRING SourceString, size_t cchToCopy) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, cchToCopy, 1, 0, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCopyN(PUNICODE_STRING DestinationString,
                                                 PCUNICODE_STRING SourceString, size_t cbToCopy) {
  return RtlUnicodeStringCchCopyN(DestinationString, SourceString,
                                  KemuUnicodeStringCbToCch(cbToCopy));
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCatN(PUNICODE_STRING DestinationString,
                                                 PCUNICODE_STRING SourceString,
                                                 size_t cchToAppend) {
  return KemuUnicodeStringFrom(DestinationString, SourceString, cchToAppend, 1, 1, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCatN(PUNICODE_STRING DestinationString,
                                                PCUNICODE_STRING SourceString, size_t cbToAppend) {
  return RtlUnicodeStringCchCatN(DestinationString, SourceString,
                                 KemuUnicodeStringCbToCch(cbToAppend));
}

KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCopyStringNEx(PUNICODE_STRING DestinationString,
                                                          NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy,
                                                          PUNICODE_STRING RemainingString,
                                                          DWORD dwFlags) {
  return KemuUnicodeStringCopyEx(DestinationString, pszSrc, cchToCopy, 0,
                                 cchToCopy > NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0, RemainingString,
                                 dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCopyStringNEx(PUNICODE_STRING DestinationString,
                                                         NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy,
                                                         PUNICODE_STRING RemainingString,
                                                         DWORD dwFlags) {
  return RtlUnicodeStringCchCopyStringNEx(
      DestinationString, pszSrc, KemuUnicodeStringCbToCch(cbToCopy), RemainingString, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCatStringNEx(PUNICODE_STRING DestinationString,
                                                         NTSTRSAFE_PCWSTR pszSrc,
                                                         size_t cchToAppend,
                                                         PUNICODE_STRING RemainingString,
                                                         DWORD dwFlags) {
  return KemuUnicodeStringCopyEx(DestinationString, pszSrc, cchToAppend, 0,
                                 cchToAppend > NTSTRSAFE_UNICODE_STRING_MAX_CCH, 1, RemainingString,
                                 dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCatStringNEx(PUNICODE_STRING DestinationString,
                                                        NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend,
                                                        PUNICODE_STRING RemainingString,
                                                        DWORD dwFlags) {
  return RtlUnicodeStringCchCatStringNEx(
      DestinationString, pszSrc, KemuUnicodeStringCbToCch(cbToAppend), RemainingString, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCopyStringN(PUNICODE_STRING DestinationString,
                                                        NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy) {
  return RtlUnicodeStringCchCopyStringNEx(DestinationString, pszSrc != NULL ? pszSrc : L"",
                                          cchToCopy, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCopyStringN(PUNICODE_STRING DestinationString,
                                                       NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy) {
  return RtlUnicodeStringCchCopyStringN(DestinationString, pszSrc,
                                        KemuUnicodeStringCbToCch(cbToCopy));
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCchCatStringN(PUNICODE_STRING DestinationString,
                                                       NTSTRSAFE_PCWSTR pszSrc,
                                                       size_t cchToAppend) {
  return RtlUnicodeStringCchCatStringNEx(DestinationString, pszSrc != NULL ? pszSrc : L"",
                                         cchToAppend, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringCbCatStringN(PUNICODE_STRING DestinationString,
                                                      NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend) {
  return RtlUnicodeStringCchCatStringN(DestinationString, pszSrc,
                                       KemuUnicodeStringCbToCch(cbToAppend));
}

// ---------------------------------------------------------------------------------------------
// Printf Ex: the RtlUnicodeStringVPrintf export formats, then the flags apply as in the other Ex
// forms. With STRSAFE_IGNORE_NULLS a NULL format is an empty one, and a NULL destination is
// formatted as an empty string with no buffer: the export accepts only an empty result there
// (STATUS_SUCCESS, RemainingString NULL, 0, 0) and refuses any other (STATUS_INVALID_PARAMETER;
// the pages ask for a NULL or empty format, kemu for an empty result: UNCONFIRMED).
// A NULL format without the flag is STATUS_INVALID_PARAMETER with the failure flags applied, as
// for RtlStringCb/CchPrintfEx. Under STRSAFE_NO_TRUNCATION the export has already written the
// cut result when it reports STATUS_BUFFER_OVERFLOW, so the string becomes empty (Length 0; the
// buffer keeps the cut text) rather than staying unmodified (UNCONFIRMED, as RtlStringCb/Cch
// PrintfEx leave an empty string; Windows documents the destination as unmodified).

KEMU_WDK_INLINE NTSTATUS RtlUnicodeStringVPrintfEx(PUNICODE_STRING DestinationString,
                                                   PUNICODE_STRING RemainingString, DWORD dwFlags,
                                                   NTSTRSAFE_PCWSTR pszFormat, va_list argList) {
  UNICODE_STRING nowhere;
  NTSTATUS status = KemuUnicodeStringTarget(&DestinationString, &nowhere, dwFlags);
  if (status != STATUS_SUCCESS) return status;
  if (pszFormat == NULL && (dwFlags & STRSAFE_IGNORE_NULLS) == 0) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    status =
        RtlUnicodeStringVPrintf(DestinationString, pszFormat != NULL ? pszFormat : L"", argList);
    if (status == STATUS_BUFFER_OVERFLOW && (dwFlags & STRSAFE_NO_TRUNCATION) != 0) {
      DestinationString->Length = 0;
    }
  }
  return KemuUnicodeStringDone(DestinationString, status, dwFlags, RemainingString);
}
KEMU_WDK_INLINE NTSTATUS __cdecl RtlUnicodeStringPrintfEx(PUNICODE_STRING DestinationString,
                                                          PUNICODE_STRING RemainingString,
                                                          DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat,
                                                          ...) {
  NTSTATUS status;
  va_list args;
  va_start(args, pszFormat);
  status = RtlUnicodeStringVPrintfEx(DestinationString, RemainingString, dwFlags, pszFormat, args);
  va_end(args);
  return status;
}

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_STRSAFE_USTR_H_
