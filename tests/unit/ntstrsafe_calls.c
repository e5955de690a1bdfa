/* Driver-style C17 code for ntstrsafe_ex_test.cpp, ntstrsafe_ustr_test.cpp and
 * ntstrsafe_ustr_n_test.cpp: the CopyN/CatN, Ex, Printf Ex and UNICODE_STRING routines of
 * ntstrsafe.h compile and run as real C. */
#include <ntstrsafe.h>
#include <wdm.h>

#ifdef __cplusplus
#error "ntstrsafe_calls.c must be compiled as C"
#endif

/* "\Registry\Machine\" then at most KeyChars characters of Key, all or nothing; End and Left
 * report where the path ends and the characters left. */
NTSTATUS NtStrCallsBuildPath(PWSTR Path, size_t PathChars, PCWSTR Key, size_t KeyChars, PWSTR *End,
                             size_t *Left) {
  PWSTR end = NULL;
  size_t left = 0;
  NTSTATUS status = RtlStringCchCopyExW(Path, PathChars, L"\\Registry\\Machine\\", &end, &left, 0);
  if (!NT_SUCCESS(status)) return status;
  status = RtlStringCchCatNExW(end, left, Key, KeyChars, End, Left, STRSAFE_NO_TRUNCATION);
  return status;
}

/* "nic<Index>:<Tag>" into a byte-counted narrow buffer with the caller's flags. */
NTSTATUS NtStrCallsFormat(char *Dest, size_t Bytes, char **End, size_t *Left, DWORD Flags,
                          unsigned Index, const char *Tag) {
  return RtlStringCbPrintfExA(Dest, Bytes, End, Left, Flags, "nic%u:%s", Index, Tag);
}

/* The first Chars characters of Name, then ".sys", into a narrow buffer. */
NTSTATUS NtStrCallsFileName(char *Dest, size_t Bytes, const char *Name, size_t Chars) {
  NTSTATUS status = RtlStringCbCopyNA(Dest, Bytes, Name, Chars);
  if (!NT_SUCCESS(status)) return status;
  return RtlStringCchCatNA(Dest, Bytes, ".sys", 4);
}

/* Prefix then Suffix into the counted Name; Rest receives the room after them. */
NTSTATUS NtStrCallsCountedName(PUNICODE_STRING Name, PCWSTR Prefix, PCUNICODE_STRING Suffix,
                               PUNICODE_STRING Rest) {
  NTSTATUS status = RtlUnicodeStringCopyString(Name, Prefix);
  if (!NT_SUCCESS(status)) return status;
  return RtlUnicodeStringCatEx(Name, Suffix, Rest, STRSAFE_NO_TRUNCATION);
}

/* Points Name at Text and checks it; then copies Name into Copy, NUL-terminated. */
NTSTATUS NtStrCallsInitAndCopy(PCWSTR Text, PUNICODE_STRING Name, PWSTR Copy, size_t CopyBytes) {
  NTSTATUS status = RtlUnicodeStringInitEx(Name, Text, STRSAFE_IGNORE_NULLS);
  if (!NT_SUCCESS(status)) return status;
  status = RtlUnicodeStringValidate(Name);
  if (!NT_SUCCESS(status)) return status;
  return RtlStringCbCopyUnicodeString(Copy, CopyBytes, Name);
}

/* The first Chars characters of First, then of Second, into the counted Name: the Cch forms, or
 * the Cb forms with Chars * sizeof(WCHAR) bytes. */
NTSTATUS NtStrCallsJoinN(PUNICODE_STRING Name, PCUNICODE_STRING First, PCUNICODE_STRING Second,
                         size_t Chars, BOOLEAN InBytes) {
  NTSTATUS status = InBytes ? RtlUnicodeStringCbCopyN(Name, First, Chars * sizeof(WCHAR))
                            : RtlUnicodeStringCchCopyN(Name, First, Chars);
  if (!NT_SUCCESS(status)) return status;
  return InBytes ? RtlUnicodeStringCbCatN(Name, Second, Chars * sizeof(WCHAR))
                 : RtlUnicodeStringCchCatN(Name, Second, Chars);
}

/* NtStrCallsJoinN with the Ex forms: Rest receives the room after the string. */
NTSTATUS NtStrCallsJoinNEx(PUNICODE_STRING Name, PCUNICODE_STRING First, PCUNICODE_STRING Second,
                           size_t Chars, BOOLEAN InBytes, PUNICODE_STRING Rest, DWORD Flags) {
  const size_t bytes = Chars * sizeof(WCHAR);
  NTSTATUS status = InBytes ? RtlUnicodeStringCbCopyNEx(Name, First, bytes, Rest, Flags)
                            : RtlUnicodeStringCchCopyNEx(Name, First, Chars, Rest, Flags);
  if (!NT_SUCCESS(status)) return status;
  return InBytes ? RtlUnicodeStringCbCatNEx(Name, Second, bytes, Rest, Flags)
                 : RtlUnicodeStringCchCatNEx(Name, Second, Chars, Rest, Flags);
}

/* The same from NUL-terminated strings (the StringN Ex forms). */
NTSTATUS NtStrCallsJoinStringNEx(PUNICODE_STRING Name, PCWSTR First, PCWSTR Second, size_t Chars,
                                 BOOLEAN InBytes, PUNICODE_STRING Rest, DWORD Flags) {
  const size_t bytes = Chars * sizeof(WCHAR);
  NTSTATUS status = InBytes ? RtlUnicodeStringCbCopyStringNEx(Name, First, bytes, Rest, Flags)
                            : RtlUnicodeStringCchCopyStringNEx(Name, First, Chars, Rest, Flags);
  if (!NT_SUCCESS(status)) return status;
  return InBytes ? RtlUnicodeStringCbCatStringNEx(Name, Second, bytes, Rest, Flags)
                 : RtlUnicodeStringCchCatStringNEx(Name, Second, Chars, Rest, Flags);
}

/* "\Device\Nic<Index>" into the counted Name. */
NTSTATUS NtStrCallsPrintName(PUNICODE_STRING Name, PUNICODE_STRING Rest, DWORD Flags,
                             unsigned Index) {
  return RtlUnicodeStringPrintfEx(Name, Rest, Flags, L"\\Device\\Nic%u", Index);
}

/* A driver's own variadic helper over RtlUnicodeStringVPrintfEx. */
NTSTATUS NtStrCallsVPrintName(PUNICODE_STRING Name, PUNICODE_STRING Rest, DWORD Flags,
                              PCWSTR Format, ...) {
  NTSTATUS status;
  va_list args;
  va_start(args, Format);
  status = RtlUnicodeStringVPrintfEx(Name, Rest, Flags, Format, args);
  va_end(args);
  return status;
}

/* First then Second into the NUL-terminated Dest of Chars characters (Cch forms) or Chars *
 * sizeof(WCHAR) bytes (Cb forms); the Cat starts at the end the Copy reports. */
NTSTATUS NtStrCallsTerminate(PWSTR Dest, size_t Chars, PCUNICODE_STRING First,
                             PCUNICODE_STRING Second, BOOLEAN InBytes, PWSTR *End, size_t *Left,
                             DWORD Flags) {
  PWSTR end = NULL;
  size_t left = 0;
  NTSTATUS status =
      InBytes
          ? RtlStringCbCopyUnicodeStringEx(Dest, Chars * sizeof(WCHAR), First, &end, &left, Flags)
          : RtlStringCchCopyUnicodeStringEx(Dest, Chars, First, &end, &left, Flags);
  if (!NT_SUCCESS(status)) return status;
  return InBytes ? RtlStringCbCatUnicodeStringEx(end, left, Second, End, Left, Flags)
                 : RtlStringCchCatUnicodeStringEx(end, left, Second, End, Left, Flags);
}
