/* Driver-style C17 code for ntstrsafe_ex_test.cpp: the CopyN/CatN, Ex, Printf Ex and
 * UNICODE_STRING routines of ntstrsafe.h compile and run as real C. */
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
