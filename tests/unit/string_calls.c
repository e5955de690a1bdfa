/* Driver-style C17 code for the Rtl string tests (rtl_string_test.cpp, rtl_string_convert_test.cpp,
 * rtl_case_test.cpp, rtl_ansi_string_test.cpp, rtl_string_hash_test.cpp,
 * rtl_integer_string_test.cpp, rtl_guid_test.cpp): ntstrsafe.h and the Rtl string routines of
 * <wdm.h> and <ntddk.h> compile as real C. */
#include <ntddk.h>
#include <ntstrsafe.h>
#include <wdm.h>

#ifdef __cplusplus
#error "string_calls.c must be compiled as C"
#endif

/* Builds "\Device\Nic<Index>" in Name (whose Buffer and MaximumLength the caller set). */
NTSTATUS StringCallsFormatName(ULONG Index, PUNICODE_STRING Name) {
  WCHAR digits[12];
  UNICODE_STRING number;
  NTSTATUS status;
  number.Buffer = digits;
  number.Length = 0;
  number.MaximumLength = sizeof(digits);
  status = RtlIntegerToUnicodeString(Index, 10, &number);
  if (!NT_SUCCESS(status)) return status;
  status = RtlStringCbPrintfW(Name->Buffer, Name->MaximumLength, L"\\Device\\Nic%wZ", &number);
  if (!NT_SUCCESS(status)) return status;
  Name->Length = 0;
  while (Name->Buffer[Name->Length / sizeof(WCHAR)] != L'\0') Name->Length += sizeof(WCHAR);
  return STATUS_SUCCESS;
}

/* Widens Name into Wide, whose buffer the routine allocates; the caller frees it with
 * RtlFreeUnicodeString. */
NTSTATUS StringCallsWidenName(PCSZ Name, PUNICODE_STRING Wide) {
  STRING narrow;
  RtlInitString(&narrow, Name);
  return RtlAnsiStringToUnicodeString(Wide, &narrow, TRUE);
}

/* Upcases Name into Upper, whose buffer the routine allocates; the caller frees it with
 * RtlFreeUnicodeString. */
NTSTATUS StringCallsUpcaseName(PCUNICODE_STRING Name, PUNICODE_STRING Upper) {
  return RtlUpcaseUnicodeString(Upper, Name, TRUE);
}

/* TRUE when the two C strings are the same name, ignoring case. */
BOOLEAN StringCallsSameAnsiName(PCSZ First, PCSZ Second) {
  STRING first;
  STRING second;
  RtlInitString(&first, First);
  RtlInitString(&second, Second);
  return RtlEqualString(&first, &second, TRUE);
}

/* The bucket key a driver's name table uses: the case-insensitive x65599 hash. */
NTSTATUS StringCallsHashName(PCUNICODE_STRING Name, PULONG Hash) {
  return RtlHashUnicodeString(Name, TRUE, HASH_STRING_ALGORITHM_DEFAULT, Hash);
}

/* A unit number from a configuration string, in any base its prefix says. */
NTSTATUS StringCallsParseUnit(PCSZ Text, PULONG Unit) { return RtlCharToInteger(Text, 0, Unit); }

/* Guid as registry text in Text, whose buffer the routine allocates; the caller frees it with
 * RtlFreeUnicodeString. */
NTSTATUS StringCallsGuidText(const GUID *Guid, PUNICODE_STRING Text) {
  return RtlStringFromGUID(Guid, Text);
}
