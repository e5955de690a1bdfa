/* Driver-style C17 code for rtl_string_test.cpp: ntstrsafe.h and the Rtl string routines compile
 * as real C. */
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
