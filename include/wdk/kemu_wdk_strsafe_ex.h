// kemu_wdk_strsafe_ex.h — the part of <ntstrsafe.h> that limits and reports: RtlStringCb/Cch
// CopyN and CatN (at most N characters or bytes of the source), the Ex forms of Copy, CopyN, Cat,
// CatN, Printf and VPrintf (end pointer, room left, STRSAFE_* flags), and the counted-source
// routines RtlStringCb/CchCopyUnicodeString and CatUnicodeString with their Ex forms. Header
// inlines, as in the WDK; the Printf Ex forms call the RtlStringCb/CchVPrintfA/W exports. Drivers
// include <ntstrsafe.h>, which includes this header (and this header includes it, so it also
// compiles on its own).
//
// The Ex forms (docs/kernel.md, "Strings"):
//   STATUS_SUCCESS          *ppszDestEnd is the terminating NUL, *pcchRemaining the characters
//                           from it to the end of the buffer (the NUL included);
//   STATUS_BUFFER_OVERFLOW  the result was cut: *ppszDestEnd is the last character of the buffer
//                           and *pcchRemaining 1, unless a flag below rewrote the buffer;
//   STATUS_INVALID_PARAMETER an unknown flag, a destination over NTSTRSAFE_MAX_CCH, a NULL
//                           pointer without STRSAFE_IGNORE_NULLS, a NULL or empty destination for
//                           a non-empty result, or (Cat) a destination with no NUL inside it;
//                           the out-parameters are left as they were (UNCONFIRMED).
// Byte-counted W forms count whole characters (an odd tail of cbDest is never written) and report
// the room left in bytes (UNCONFIRMED for a cbDest that is not a multiple of sizeof(WCHAR)).
//
//   WCHAR path[64];
//   PWSTR end;
//   size_t left;
//   RtlStringCchCopyExW(path, 64, L"\\Registry\\Machine\\", &end, &left, 0);
//   RtlStringCchCatNExW(end, left, keyName, keyChars, NULL, NULL, STRSAFE_NO_TRUNCATION);
#ifndef KEMU_WDK_STRSAFE_EX_H_
#define KEMU_WDK_STRSAFE_EX_H_

#include "ntstrsafe.h"

// Flags of the Ex forms; the low byte of dwFlags is the fill byte.
/// A NULL source is an empty string; a NULL destination (cchDest 0) takes an empty result.
#define STRSAFE_IGNORE_NULLS 0x00000100u
/// On success, the bytes after the terminating NUL are set to the fill byte.
#define STRSAFE_FILL_BEHIND_NULL 0x00000200u
/// On failure, the whole buffer is set to the fill byte and its last character to NUL.
#define STRSAFE_FILL_ON_FAILURE 0x00000400u
/// On failure, the destination becomes an empty string.
#define STRSAFE_NULL_ON_FAILURE 0x00000800u
/// A result that does not fit is not written (STATUS_BUFFER_OVERFLOW).
#define STRSAFE_NO_TRUNCATION 0x00001000u
/// The UNICODE_STRING forms' names for two of them: fill after the string; Length 0 on failure.
#define STRSAFE_FILL_BEHIND STRSAFE_FILL_BEHIND_NULL
#define STRSAFE_ZERO_LENGTH_ON_FAILURE STRSAFE_NULL_ON_FAILURE
#define STRSAFE_FILL_BYTE(x) ((DWORD)(((x)&0xFF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x) ((DWORD)(((x)&0xFF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags)&0xFF))

KEMU_WDK_BEGIN_DECLS

// ---------------------------------------------------------------------------------------------
// Workers (kemu's own names). One body serves the A and W forms: Size is the character size (1
// or sizeof(wchar_t)) and positions are in characters.

#define KEMU_STRSAFE_VALID_FLAGS                                                       \
  (0xFFu | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL | STRSAFE_FILL_ON_FAILURE | \
   STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)
#define KEMU_STRSAFE_APPEND 0x1u   // Cat: the source goes after the destination's string
#define KEMU_STRSAFE_COUNTED 0x2u  // the source is CchToCopy characters, NULs included

KEMU_WDK_INLINE int KemuStrSafeIsNul(const void *String, size_t Size, size_t Index) {
  if (Size == 1) return ((const char *)String)[Index] == '\0';
  return ((const wchar_t *)String)[Index] == L'\0';
}

KEMU_WDK_INLINE void KemuStrSafePut(void *Dest, size_t Size, size_t Index, const void *Src,
                                    size_t From) {
  if (Size == 1) {
    ((char *)Dest)[Index] = ((const char *)Src)[From];
  } else {
    ((wchar_t *)Dest)[Index] = ((const wchar_t *)Src)[From];
  }
}

KEMU_WDK_INLINE void KemuStrSafeTerminate(void *Dest, size_t Size, size_t Index) {
  if (Size == 1) {
    ((char *)Dest)[Index] = '\0';
  } else {
    ((wchar_t *)Dest)[Index] = L'\0';
  }
}

/// Sets every byte of characters [From, To) to Byte.
KEMU_WDK_INLINE void KemuStrSafeFill(void *Dest, size_t Size, size_t From, size_t To,
                                     unsigned char Byte) {
  unsigned char *bytes = (unsigned char *)Dest;
  size_t i;
  for (i = From * Size; i < To * Size; ++i) bytes[i] = Byte;
}

/// What STRSAFE_FILL_ON_FAILURE and STRSAFE_NULL_ON_FAILURE do to a valid destination.
KEMU_WDK_INLINE void KemuStrSafeFailed(void *Dest, size_t Size, size_t Cch, DWORD Flags,
                                       size_t *End, size_t *Remaining) {
  const unsigned char fill = (unsigned char)(Flags & 0xFF);
  if ((Flags & STRSAFE_FILL_ON_FAILURE) != 0) {
    KemuStrSafeFill(Dest, Size, 0, Cch, fill);
    KemuStrSafeTerminate(Dest, Size, Cch - 1);
    *End = fill == 0 ? 0 : Cch - 1;
    *Remaining = fill == 0 ? Cch : 1;
  }
  // With both flags the buffer holds the fill bytes behind an empty string (UNCONFIRMED).
  if ((Flags & STRSAFE_NULL_ON_FAILURE) != 0) {
    KemuStrSafeTerminate(Dest, Size, 0);
    *End = 0;
    *Remaining = Cch;
  }
}

/// Copy, CopyN, Cat and CatN with or without Ex: the status, and in *End and *Remaining the
/// position of the terminating NUL and the characters from it to the end of the buffer (for
/// STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW; the callers publish them only then).
KEMU_WDK_INLINE NTSTATUS KemuStrSafeCopyEx(void *Dest, size_t Size, size_t Cch, const void *Src,
                                           size_t CchToCopy, ULONG Mode, DWORD Flags, size_t *End,
                                           size_t *Remaining) {
  const int ignore_nulls = (Flags & STRSAFE_IGNORE_NULLS) != 0;
  size_t start = 0;
  size_t length = 0;
  size_t room = 0;
  size_t i;
  NTSTATUS status = STATUS_SUCCESS;
  *End = 0;
  *Remaining = 0;
  if ((Flags & ~(DWORD)KEMU_STRSAFE_VALID_FLAGS) != 0 || Cch > NTSTRSAFE_MAX_CCH ||
      (Dest == NULL && Cch != 0)) {
    return STATUS_INVALID_PARAMETER;
  }
  if (Dest == NULL || Cch == 0) {
    // Nowhere to write: only STRSAFE_IGNORE_NULLS allows it, and only for an empty result
    // (a zero-sized non-NULL buffer included: UNCONFIRMED).
    if (!ignore_nulls || CchToCopy > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
    if (Src != NULL && CchToCopy != 0 &&
        ((Mode & KEMU_STRSAFE_COUNTED) != 0 || !KemuStrSafeIsNul(Src, Size, 0))) {
      return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
  }
  if ((Src == NULL && !ignore_nulls) || CchToCopy > NTSTRSAFE_MAX_CCH) {
    status = STATUS_INVALID_PARAMETER;
  } else if ((Mode & KEMU_STRSAFE_APPEND) != 0) {
    while (start < Cch && !KemuStrSafeIsNul(Dest, Size, start)) ++start;
    if (start == Cch) status = STATUS_INVALID_PARAMETER;  // no NUL: the buffer is already full
  }
  if (status == STATUS_SUCCESS) {
    room = Cch - start - 1;
    // Count at most one character past the room: enough to know the result is cut.
    if (Src != NULL) {
      while (length < CchToCopy && length <= room &&
             ((Mode & KEMU_STRSAFE_COUNTED) != 0 || !KemuStrSafeIsNul(Src, Size, length))) {
        ++length;
      }
    }
    if (length > room) {
      status = STATUS_BUFFER_OVERFLOW;
      length = room;
    }
    if (status == STATUS_SUCCESS || (Flags & (STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE |
                                              STRSAFE_NO_TRUNCATION)) == 0) {
      for (i = 0; i < length; ++i) KemuStrSafePut(Dest, Size, start + i, Src, i);
      KemuStrSafeTerminate(Dest, Size, start + length);
    }
    *End = start + length;
    *Remaining = Cch - start - length;
    if (status == STATUS_SUCCESS) {
      if ((Flags & STRSAFE_FILL_BEHIND_NULL) != 0) {
        KemuStrSafeFill(Dest, Size, start + length + 1, Cch, (unsigned char)(Flags & 0xFF));
      }
      return status;
    }
    if ((Flags & STRSAFE_NO_TRUNCATION) != 0) {
      // Nothing was written: the end is where the destination's string ended before the call
      // (its start, for Copy: UNCONFIRMED).
      *End = start;
      *Remaining = Cch - start;
    }
  }
  KemuStrSafeFailed(Dest, Size, Cch, Flags, End, Remaining);
  return status;
}

/// The Printf Ex forms before formatting. Returns 1 to format into Dest, 0 when nothing is to be
/// formatted (*Status says why: STATUS_INVALID_PARAMETER with Dest untouched, or with the
/// failure flags applied through *Apply), 2 to check the format only (no destination: STRSAFE_
/// IGNORE_NULLS with a NULL or zero-sized one).
KEMU_WDK_INLINE int KemuStrSafePrintfCheck(const void *Dest, size_t Cch, int NullFormat,
                                           DWORD Flags, NTSTATUS *Status, int *Apply) {
  const int ignore_nulls = (Flags & STRSAFE_IGNORE_NULLS) != 0;
  *Status = STATUS_INVALID_PARAMETER;
  *Apply = 0;
  if ((Flags & ~(DWORD)KEMU_STRSAFE_VALID_FLAGS) != 0 || Cch > NTSTRSAFE_MAX_CCH ||
      (Dest == NULL && Cch != 0)) {
    return 0;
  }
  if (Dest == NULL || Cch == 0) return ignore_nulls ? 2 : 0;
  if (NullFormat && !ignore_nulls) {
    *Apply = 1;
    return 0;
  }
  return 1;
}

/// The Printf Ex forms after formatting into a valid destination with the V export's Status.
KEMU_WDK_INLINE NTSTATUS KemuStrSafePrintfDone(void *Dest, size_t Size, size_t Cch, NTSTATUS Status,
                                               DWORD Flags, size_t *End, size_t *Remaining) {
  size_t length = 0;
  if (Status == STATUS_SUCCESS) {
    // The end is the first NUL: a %c of 0 ends the string early (UNCONFIRMED).
    while (length + 1 < Cch && !KemuStrSafeIsNul(Dest, Size, length)) ++length;
    *End = length;
    *Remaining = Cch - length;
    if ((Flags & STRSAFE_FILL_BEHIND_NULL) != 0) {
      KemuStrSafeFill(Dest, Size, length + 1, Cch, (unsigned char)(Flags & 0xFF));
    }
    return Status;
  }
  *End = Cch - 1;
  *Remaining = 1;
  if (Status == STATUS_BUFFER_OVERFLOW && (Flags & STRSAFE_NO_TRUNCATION) != 0) {
    // The formatter has already written the cut result and kemu keeps no copy of what was
    // there, so the destination becomes an empty string rather than staying unmodified
    // (UNCONFIRMED; Copy and Cat do leave it unmodified).
    KemuStrSafeTerminate(Dest, Size, 0);
    *End = 0;
    *Remaining = Cch;
  }
  KemuStrSafeFailed(Dest, Size, Cch, Flags, End, Remaining);
  return Status;
}

/// Stores the Ex out-parameters for STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW. Unit is 1 for
/// remaining characters, the character size for remaining bytes.
KEMU_WDK_INLINE void KemuStrSafeOutA(NTSTATUS Status, char *Dest, size_t End, size_t Remaining,
                                     size_t Unit, char **DestEnd, size_t *RemainingOut) {
  if (Status != STATUS_SUCCESS && Status != STATUS_BUFFER_OVERFLOW) return;
  if (DestEnd != NULL) *DestEnd = Dest != NULL ? Dest + End : NULL;
  if (RemainingOut != NULL) *RemainingOut = Remaining * Unit;
}
KEMU_WDK_INLINE void KemuStrSafeOutW(NTSTATUS Status, wchar_t *Dest, size_t End, size_t Remaining,
                                     size_t Unit, wchar_t **DestEnd, size_t *RemainingOut) {
  if (Status != STATUS_SUCCESS && Status != STATUS_BUFFER_OVERFLOW) return;
  if (DestEnd != NULL) *DestEnd = Dest != NULL ? Dest + End : NULL;
  if (RemainingOut != NULL) *RemainingOut = Remaining * Unit;
}

KEMU_WDK_INLINE NTSTATUS KemuStrSafeExA(char *Dest, size_t Cch, const char *Src, size_t CchToCopy,
                                        ULONG Mode, char **DestEnd, size_t *RemainingOut,
                                        DWORD Flags) {
  size_t end = 0;
  size_t remaining = 0;
  const NTSTATUS status =
      KemuStrSafeCopyEx(Dest, 1, Cch, Src, CchToCopy, Mode, Flags, &end, &remaining);
  KemuStrSafeOutA(status, Dest, end, remaining, 1, DestEnd, RemainingOut);
  return status;
}
/// Unit: 1 for the Cch forms, sizeof(wchar_t) for the Cb forms' byte counts.
KEMU_WDK_INLINE NTSTATUS KemuStrSafeExW(wchar_t *Dest, size_t Cch, const wchar_t *Src,
                                        size_t CchToCopy, ULONG Mode, wchar_t **DestEnd,
                                        size_t *RemainingOut, size_t Unit, DWORD Flags) {
  size_t end = 0;
  size_t remaining = 0;
  const NTSTATUS status =
      KemuStrSafeCopyEx(Dest, sizeof(wchar_t), Cch, Src, CchToCopy, Mode, Flags, &end, &remaining);
  KemuStrSafeOutW(status, Dest, end, remaining, Unit, DestEnd, RemainingOut);
  return status;
}

// ---------------------------------------------------------------------------------------------
// CopyN and CatN: at most cchToCopy characters (cbToCopy bytes) of the source, which need not be
// NUL-terminated within them. As for Copy and Cat, a NULL source is an empty string; a count
// above NTSTRSAFE_MAX_CCH characters is STATUS_INVALID_PARAMETER (UNCONFIRMED).

KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyNA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                            NTSTRSAFE_PCSTR pszSrc, size_t cchToCopy) {
  return KemuStrSafeExA(pszDest, cchDest, pszSrc != NULL ? pszSrc : "", cchToCopy, 0, NULL, NULL,
                        0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                            NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy) {
  return KemuStrSafeExW(pszDest, cchDest, pszSrc != NULL ? pszSrc : L"", cchToCopy, 0, NULL, NULL,
                        1, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyNA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                           NTSTRSAFE_PCSTR pszSrc, size_t cbToCopy) {
  return RtlStringCchCopyNA(pszDest, cbDest, pszSrc, cbToCopy);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                           NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy) {
  return RtlStringCchCopyNW(pszDest, cbDest / sizeof(wchar_t), pszSrc, cbToCopy / sizeof(wchar_t));
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatNA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                           NTSTRSAFE_PCSTR pszSrc, size_t cchToAppend) {
  return KemuStrSafeExA(pszDest, cchDest, pszSrc != NULL ? pszSrc : "", cchToAppend,
                        KEMU_STRSAFE_APPEND, NULL, NULL, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                           NTSTRSAFE_PCWSTR pszSrc, size_t cchToAppend) {
  return KemuStrSafeExW(pszDest, cchDest, pszSrc != NULL ? pszSrc : L"", cchToAppend,
                        KEMU_STRSAFE_APPEND, NULL, NULL, 1, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatNA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                          NTSTRSAFE_PCSTR pszSrc, size_t cbToAppend) {
  return RtlStringCchCatNA(pszDest, cbDest, pszSrc, cbToAppend);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                          NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend) {
  return RtlStringCchCatNW(pszDest, cbDest / sizeof(wchar_t), pszSrc, cbToAppend / sizeof(wchar_t));
}

// ---------------------------------------------------------------------------------------------
// The Ex forms of Copy, CopyN, Cat and CatN. Without STRSAFE_IGNORE_NULLS a NULL source is
// STATUS_INVALID_PARAMETER, as documented for them.

KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                             NTSTRSAFE_PCSTR pszSrc, NTSTRSAFE_PSTR *ppszDestEnd,
                                             size_t *pcchRemaining, DWORD dwFlags) {
  return KemuStrSafeExA(pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, 0, ppszDestEnd, pcchRemaining,
                        dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                             NTSTRSAFE_PCWSTR pszSrc, NTSTRSAFE_PWSTR *ppszDestEnd,
                                             size_t *pcchRemaining, DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, 0, ppszDestEnd, pcchRemaining,
                        1, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                            NTSTRSAFE_PCSTR pszSrc, NTSTRSAFE_PSTR *ppszDestEnd,
                                            size_t *pcbRemaining, DWORD dwFlags) {
  return RtlStringCchCopyExA(pszDest, cbDest, pszSrc, ppszDestEnd, pcbRemaining, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                            NTSTRSAFE_PCWSTR pszSrc, NTSTRSAFE_PWSTR *ppszDestEnd,
                                            size_t *pcbRemaining, DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cbDest / sizeof(wchar_t), pszSrc, NTSTRSAFE_MAX_CCH, 0,
                        ppszDestEnd, pcbRemaining, sizeof(wchar_t), dwFlags);
}

KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                              NTSTRSAFE_PCSTR pszSrc, size_t cchToCopy,
                                              NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining,
                                              DWORD dwFlags) {
  return KemuStrSafeExA(pszDest, cchDest, pszSrc, cchToCopy, 0, ppszDestEnd, pcchRemaining,
                        dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                              NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy,
                                              NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
                                              DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cchDest, pszSrc, cchToCopy, 0, ppszDestEnd, pcchRemaining, 1,
                        dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                             NTSTRSAFE_PCSTR pszSrc, size_t cbToCopy,
                                             NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining,
                                             DWORD dwFlags) {
  return RtlStringCchCopyNExA(pszDest, cbDest, pszSrc, cbToCopy, ppszDestEnd, pcbRemaining,
                              dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                             NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy,
                                             NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining,
                                             DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cbDest / sizeof(wchar_t), pszSrc, cbToCopy / sizeof(wchar_t), 0,
                        ppszDestEnd, pcbRemaining, sizeof(wchar_t), dwFlags);
}

KEMU_WDK_INLINE NTSTATUS RtlStringCchCatExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                            NTSTRSAFE_PCSTR pszSrc, NTSTRSAFE_PSTR *ppszDestEnd,
                                            size_t *pcchRemaining, DWORD dwFlags) {
  return KemuStrSafeExA(pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, KEMU_STRSAFE_APPEND,
                        ppszDestEnd, pcchRemaining, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                            NTSTRSAFE_PCWSTR pszSrc, NTSTRSAFE_PWSTR *ppszDestEnd,
                                            size_t *pcchRemaining, DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, KEMU_STRSAFE_APPEND,
                        ppszDestEnd, pcchRemaining, 1, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                           NTSTRSAFE_PCSTR pszSrc, NTSTRSAFE_PSTR *ppszDestEnd,
                                           size_t *pcbRemaining, DWORD dwFlags) {
  return RtlStringCchCatExA(pszDest, cbDest, pszSrc, ppszDestEnd, pcbRemaining, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                           NTSTRSAFE_PCWSTR pszSrc, NTSTRSAFE_PWSTR *ppszDestEnd,
                                           size_t *pcbRemaining, DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cbDest / sizeof(wchar_t), pszSrc, NTSTRSAFE_MAX_CCH,
                        KEMU_STRSAFE_APPEND, ppszDestEnd, pcbRemaining, sizeof(wchar_t), dwFlags);
}

KEMU_WDK_INLINE NTSTATUS RtlStringCchCatNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                             NTSTRSAFE_PCSTR pszSrc, size_t cchToAppend,
                                             NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining,
                                             DWORD dwFlags) {
  return KemuStrSafeExA(pszDest, cchDest, pszSrc, cchToAppend, KEMU_STRSAFE_APPEND, ppszDestEnd,
                        pcchRemaining, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                             NTSTRSAFE_PCWSTR pszSrc, size_t cchToAppend,
                                             NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
                                             DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cchDest, pszSrc, cchToAppend, KEMU_STRSAFE_APPEND, ppszDestEnd,
                        pcchRemaining, 1, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                            NTSTRSAFE_PCSTR pszSrc, size_t cbToAppend,
                                            NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining,
                                            DWORD dwFlags) {
  return RtlStringCchCatNExA(pszDest, cbDest, pszSrc, cbToAppend, ppszDestEnd, pcbRemaining,
                             dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                            NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend,
                                            NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining,
                                            DWORD dwFlags) {
  return KemuStrSafeExW(pszDest, cbDest / sizeof(wchar_t), pszSrc, cbToAppend / sizeof(wchar_t),
                        KEMU_STRSAFE_APPEND, ppszDestEnd, pcbRemaining, sizeof(wchar_t), dwFlags);
}

// ---------------------------------------------------------------------------------------------
// Printf Ex: the V exports format, then the flags apply. With STRSAFE_IGNORE_NULLS a NULL format
// is an empty one, and a NULL or zero-sized destination is formatted into a one-character probe
// to learn whether the result is empty (STATUS_SUCCESS) or not (STATUS_INVALID_PARAMETER).

KEMU_WDK_INLINE NTSTATUS RtlStringCchVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                                NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining,
                                                DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat,
                                                va_list argList) {
  size_t end = 0;
  size_t remaining = 0;
  int apply = 0;
  NTSTATUS status = STATUS_INVALID_PARAMETER;
  const int step =
      KemuStrSafePrintfCheck(pszDest, cchDest, pszFormat == NULL, dwFlags, &status, &apply);
  const NTSTRSAFE_PCSTR format = pszFormat != NULL ? pszFormat : "";
  if (step == 2) {
    char probe[1];
    status = RtlStringCchVPrintfA(probe, 1, format, argList);
    if (status == STATUS_BUFFER_OVERFLOW) status = STATUS_INVALID_PARAMETER;
  } else if (step == 1 || apply) {
    if (step == 1) status = RtlStringCchVPrintfA(pszDest, cchDest, format, argList);
    status = KemuStrSafePrintfDone(pszDest, 1, cchDest, status, dwFlags, &end, &remaining);
  }
  KemuStrSafeOutA(status, pszDest, end, remaining, 1, ppszDestEnd, pcchRemaining);
  return status;
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                                NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
                                                DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat,
                                                va_list argList) {
  size_t end = 0;
  size_t remaining = 0;
  int apply = 0;
  NTSTATUS status = STATUS_INVALID_PARAMETER;
  const int step =
      KemuStrSafePrintfCheck(pszDest, cchDest, pszFormat == NULL, dwFlags, &status, &apply);
  const NTSTRSAFE_PCWSTR format = pszFormat != NULL ? pszFormat : L"";
  if (step == 2) {
    wchar_t probe[1];
    status = RtlStringCchVPrintfW(probe, 1, format, argList);
    if (status == STATUS_BUFFER_OVERFLOW) status = STATUS_INVALID_PARAMETER;
  } else if (step == 1 || apply) {
    if (step == 1) status = RtlStringCchVPrintfW(pszDest, cchDest, format, argList);
    status =
        KemuStrSafePrintfDone(pszDest, sizeof(wchar_t), cchDest, status, dwFlags, &end, &remaining);
  }
  KemuStrSafeOutW(status, pszDest, end, remaining, 1, ppszDestEnd, pcchRemaining);
  return status;
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                               NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining,
                                               DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat,
                                               va_list argList) {
  return RtlStringCchVPrintfExA(pszDest, cbDest, ppszDestEnd, pcbRemaining, dwFlags, pszFormat,
                                argList);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                               NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining,
                                               DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat,
                                               va_list argList) {
  size_t chars = 0;
  const NTSTATUS status = RtlStringCchVPrintfExW(pszDest, cbDest / sizeof(wchar_t), ppszDestEnd,
                                                 &chars, dwFlags, pszFormat, argList);
  if (pcbRemaining != NULL && (status == STATUS_SUCCESS || status == STATUS_BUFFER_OVERFLOW)) {
    *pcbRemaining = chars * sizeof(wchar_t);
  }
  return status;
}

KEMU_WDK_INLINE NTSTATUS __cdecl RtlStringCchPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                                       NTSTRSAFE_PSTR *ppszDestEnd,
                                                       size_t *pcchRemaining, DWORD dwFlags,
                                                       NTSTRSAFE_PCSTR pszFormat, ...) {
  NTSTATUS status;
  va_list args;
  va_start(args, pszFormat);
  status = RtlStringCchVPrintfExA(pszDest, cchDest, ppszDestEnd, pcchRemaining, dwFlags, pszFormat,
                                  args);
  va_end(args);
  return status;
}
KEMU_WDK_INLINE NTSTATUS __cdecl RtlStringCchPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                                       NTSTRSAFE_PWSTR *ppszDestEnd,
                                                       size_t *pcchRemaining, DWORD dwFlags,
                                                       NTSTRSAFE_PCWSTR pszFormat, ...) {
  NTSTATUS status;
  va_list args;
  va_start(args, pszFormat);
  status = RtlStringCchVPrintfExW(pszDest, cchDest, ppszDestEnd, pcchRemaining, dwFlags, pszFormat,
                                  args);
  va_end(args);
  return status;
}
KEMU_WDK_INLINE NTSTATUS __cdecl RtlStringCbPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                                      NTSTRSAFE_PSTR *ppszDestEnd,
                                                      size_t *pcbRemaining, DWORD dwFlags,
                                                      NTSTRSAFE_PCSTR pszFormat, ...) {
  NTSTATUS status;
  va_list args;
  va_start(args, pszFormat);
  status =
      RtlStringCbVPrintfExA(pszDest, cbDest, ppszDestEnd, pcbRemaining, dwFlags, pszFormat, args);
  va_end(args);
  return status;
}
KEMU_WDK_INLINE NTSTATUS __cdecl RtlStringCbPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                                      NTSTRSAFE_PWSTR *ppszDestEnd,
                                                      size_t *pcbRemaining, DWORD dwFlags,
                                                      NTSTRSAFE_PCWSTR pszFormat, ...) {
  NTSTATUS status;
  va_list args;
  va_start(args, pszFormat);
  status =
      RtlStringCbVPrintfExW(pszDest, cbDest, ppszDestEnd, pcbRemaining, dwFlags, pszFormat, args);
  va_end(args);
  return status;
}

// ---------------------------------------------------------------------------------------------
// A counted source into a NUL-terminated buffer: its Length / sizeof(WCHAR) characters are copied
// or appended (NULs inside it included), then a NUL. One whose Length or MaximumLength is odd,
// whose Length passes MaximumLength or whose Buffer is NULL for a non-zero size is
// STATUS_INVALID_PARAMETER. The forms without Ex take a NULL source as an empty string; the Ex
// forms only with STRSAFE_IGNORE_NULLS, and otherwise behave as RtlStringCb/CchCopyExW and
// CatExW (end pointer, room left, flags). Microsoft documents RtlStringCb/CchCopyUnicodeString(Ex);
// the Cat forms follow them and RtlStringCb/CchCatW / CatExW (UNCONFIRMED).

KEMU_WDK_INLINE int KemuUnicodeStringIsValid(PCUNICODE_STRING String) {
  const size_t most_bytes = (size_t)NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR);
  const size_t length = String->Length;
  const size_t maximum = String->MaximumLength;
  return length % sizeof(WCHAR) == 0 && maximum % sizeof(WCHAR) == 0 && length <= maximum &&
         maximum <= most_bytes && (String->Buffer != NULL || maximum == 0);
}

/// Source into Dest as KemuStrSafeExW does for a NUL-terminated one (Mode KEMU_STRSAFE_APPEND for
/// Cat). IfNull is what a NULL Source stands for: L"" (an empty string) or NULL (a NULL pointer,
/// which the Ex forms refuse without STRSAFE_IGNORE_NULLS).
KEMU_WDK_INLINE NTSTATUS KemuStrSafeFromCounted(NTSTRSAFE_PWSTR Dest, size_t Cch,
                                                PCUNICODE_STRING Source, const wchar_t *IfNull,
                                                ULONG Mode, NTSTRSAFE_PWSTR *DestEnd,
                                                size_t *RemainingOut, size_t Unit, DWORD Flags) {
  if (Source == NULL) {
    return KemuStrSafeExW(Dest, Cch, IfNull, 0, Mode, DestEnd, RemainingOut, Unit, Flags);
  }
  if (!KemuUnicodeStringIsValid(Source)) {
    // An invalid source fails as a count over NTSTRSAFE_MAX_CCH does: STATUS_INVALID_PARAMETER,
    // with the failure flags applied to a usable destination (UNCONFIRMED).
    return KemuStrSafeExW(Dest, Cch, L"", (size_t)NTSTRSAFE_MAX_CCH + 1, Mode, DestEnd,
                          RemainingOut, Unit, Flags);
  }
  if (Source->Buffer == NULL) {
    return KemuStrSafeExW(Dest, Cch, L"", 0, Mode, DestEnd, RemainingOut, Unit, Flags);
  }
  return KemuStrSafeExW(Dest, Cch, Source->Buffer, Source->Length / sizeof(WCHAR),
                        Mode | KEMU_STRSAFE_COUNTED, DestEnd, RemainingOut, Unit, Flags);
}

KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                                       PCUNICODE_STRING SourceString) {
  return KemuStrSafeFromCounted(pszDest, cchDest, SourceString, L"", 0, NULL, NULL, 1, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                                      PCUNICODE_STRING SourceString) {
  return KemuStrSafeFromCounted(pszDest, cbDest / sizeof(wchar_t), SourceString, L"", 0, NULL, NULL,
                                sizeof(wchar_t), 0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                                      PCUNICODE_STRING SourceString) {
  return KemuStrSafeFromCounted(pszDest, cchDest, SourceString, L"", KEMU_STRSAFE_APPEND, NULL,
                                NULL, 1, 0);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                                     PCUNICODE_STRING SourceString) {
  return KemuStrSafeFromCounted(pszDest, cbDest / sizeof(wchar_t), SourceString, L"",
                                KEMU_STRSAFE_APPEND, NULL, NULL, sizeof(wchar_t), 0);
}

KEMU_WDK_INLINE NTSTATUS RtlStringCchCopyUnicodeStringEx(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                                         PCUNICODE_STRING SourceString,
                                                         NTSTRSAFE_PWSTR *ppszDestEnd,
                                                         size_t *pcchRemaining, DWORD dwFlags) {
  return KemuStrSafeFromCounted(pszDest, cchDest, SourceString, NULL, 0, ppszDestEnd, pcchRemaining,
                                1, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCopyUnicodeStringEx(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                                        PCUNICODE_STRING SourceString,
                                                        NTSTRSAFE_PWSTR *ppszDestEnd,
                                                        size_t *pcbRemaining, DWORD dwFlags) {
  return KemuStrSafeFromCounted(pszDest, cbDest / sizeof(wchar_t), SourceString, NULL, 0,
                                ppszDestEnd, pcbRemaining, sizeof(wchar_t), dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCchCatUnicodeStringEx(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                                        PCUNICODE_STRING SourceString,
                                                        NTSTRSAFE_PWSTR *ppszDestEnd,
                                                        size_t *pcchRemaining, DWORD dwFlags) {
  return KemuStrSafeFromCounted(pszDest, cchDest, SourceString, NULL, KEMU_STRSAFE_APPEND,
                                ppszDestEnd, pcchRemaining, 1, dwFlags);
}
KEMU_WDK_INLINE NTSTATUS RtlStringCbCatUnicodeStringEx(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                                       PCUNICODE_STRING SourceString,
                                                       NTSTRSAFE_PWSTR *ppszDestEnd,
                                                       size_t *pcbRemaining, DWORD dwFlags) {
  return KemuStrSafeFromCounted(pszDest, cbDest / sizeof(wchar_t), SourceString, NULL,
                                KEMU_STRSAFE_APPEND, ppszDestEnd, pcbRemaining, sizeof(wchar_t),
                                dwFlags);
}

KEMU_WDK_END_DECLS

#include "kemu_wdk_strsafe_ustr.h"  // the UNICODE_STRING routines, which use the workers above

#endif  // KEMU_WDK_STRSAFE_EX_H_
