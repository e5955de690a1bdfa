// Counted-string routines: RtlInitAnsiString, RtlInitString, RtlCopyUnicodeString,
// RtlCompareUnicodeString, RtlEqualUnicodeString, RtlAppendUnicode(String)ToString,
// RtlUnicodeStringToInteger and RtlIntegerToUnicodeString. Lengths are bytes; a character is
// sizeof(WCHAR) bytes.
#include <wdm.h>

#include <cstring>
#include <cwchar>

#include "abi/entry.hpp"

namespace {

constexpr USHORT kWchar = sizeof(WCHAR);

// Case folding is ASCII only (UNCONFIRMED beyond ASCII: Windows folds with its NLS table).
WCHAR Upcase(WCHAR c) { return c >= L'a' && c <= L'z' ? static_cast<WCHAR>(c - L'a' + L'A') : c; }

void Check(kemu::model::Kernel& kernel, const char* routine, const void* pointer,
           const char* parameter) {
  if (pointer == nullptr) kernel.verifier().NullArgument(routine, parameter);
}

// Appends `bytes` bytes of `source` to `destination` (STATUS_BUFFER_TOO_SMALL if they do not fit).
NTSTATUS Append(PUNICODE_STRING destination, const WCHAR* source, std::size_t bytes) {
  if (bytes == 0) return STATUS_SUCCESS;
  if (destination->Length + bytes > destination->MaximumLength) return STATUS_BUFFER_TOO_SMALL;
  std::memmove(reinterpret_cast<char*>(destination->Buffer) + destination->Length, source, bytes);
  destination->Length = static_cast<USHORT>(destination->Length + bytes);
  if (destination->Length + kWchar <= destination->MaximumLength) {
    destination->Buffer[destination->Length / kWchar] = L'\0';
  }
  return STATUS_SUCCESS;
}

int DigitValue(WCHAR c) {
  if (c >= L'0' && c <= L'9') return static_cast<int>(c - L'0');
  if (c >= L'a' && c <= L'z') return static_cast<int>(c - L'a' + 10);
  if (c >= L'A' && c <= L'Z') return static_cast<int>(c - L'A' + 10);
  return 99;
}

// RtlInitAnsiString and RtlInitString (STRING and ANSI_STRING are one type): the destination
// describes `source` in place, or nothing for NULL.
void InitAnsi(kemu::model::Kernel& kernel, const char* routine, PSTRING destination, PCSZ source) {
  Check(kernel, routine, destination, "DestinationString");
  if (source == nullptr) {
    destination->Length = 0;
    destination->MaximumLength = 0;
    destination->Buffer = nullptr;
    return;
  }
  // Longer strings are cut to what a USHORT length can describe with its NUL.
  const std::size_t length = std::min<std::size_t>(std::strlen(source), MAXUSHORT - 1);
  destination->Length = static_cast<USHORT>(length);
  destination->MaximumLength = static_cast<USHORT>(length + 1);
  destination->Buffer = const_cast<PCHAR>(source);
}

}  // namespace

extern "C" {

VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlInitAnsiString, KEMU_ARG(DestinationString), KEMU_ARG(SourceString));
  InitAnsi(kernel, "RtlInitAnsiString", DestinationString, SourceString);
}

VOID RtlInitString(PSTRING DestinationString, PCSZ SourceString) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlInitString, KEMU_ARG(DestinationString), KEMU_ARG(SourceString));
  InitAnsi(kernel, "RtlInitString", DestinationString, SourceString);
}

VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlCopyUnicodeString, KEMU_ARG(DestinationString), KEMU_ARG(SourceString));
  Check(kernel, "RtlCopyUnicodeString", DestinationString, "DestinationString");
  if (SourceString == nullptr) {
    DestinationString->Length = 0;
    return;
  }
  const USHORT bytes = std::min(SourceString->Length, DestinationString->MaximumLength);
  const USHORT whole = static_cast<USHORT>(bytes - bytes % kWchar);
  if (whole > 0) std::memmove(DestinationString->Buffer, SourceString->Buffer, whole);
  DestinationString->Length = whole;
  if (whole + kWchar <= DestinationString->MaximumLength) {
    DestinationString->Buffer[whole / kWchar] = L'\0';
  }
}

LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                             BOOLEAN CaseInSensitive) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlCompareUnicodeString, KEMU_ARG(String1),
                                           KEMU_ARG(String2), KEMU_ARG(CaseInSensitive));
  Check(kernel, "RtlCompareUnicodeString", String1, "String1");
  Check(kernel, "RtlCompareUnicodeString", String2, "String2");
  const std::size_t chars = std::min(String1->Length, String2->Length) / kWchar;
  for (std::size_t i = 0; i < chars; ++i) {
    WCHAR a = String1->Buffer[i];
    WCHAR b = String2->Buffer[i];
    if (CaseInSensitive) {
      a = Upcase(a);
      b = Upcase(b);
    }
    if (a != b) return static_cast<LONG>(a) - static_cast<LONG>(b);
  }
  return static_cast<LONG>(String1->Length) - static_cast<LONG>(String2->Length);
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                              BOOLEAN CaseInSensitive) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlEqualUnicodeString, KEMU_ARG(String1),
                                           KEMU_ARG(String2), KEMU_ARG(CaseInSensitive));
  Check(kernel, "RtlEqualUnicodeString", String1, "String1");
  Check(kernel, "RtlEqualUnicodeString", String2, "String2");
  if (String1->Length != String2->Length) return FALSE;
  for (std::size_t i = 0; i < String1->Length / kWchar; ++i) {
    WCHAR a = String1->Buffer[i];
    WCHAR b = String2->Buffer[i];
    if (CaseInSensitive ? Upcase(a) != Upcase(b) : a != b) return FALSE;
  }
  return TRUE;
}

NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlAppendUnicodeToString, KEMU_ARG(Destination), KEMU_ARG(Source));
  Check(kernel, "RtlAppendUnicodeToString", Destination, "Destination");
  if (Source == nullptr) return STATUS_SUCCESS;
  return Append(Destination, Source, std::wcslen(Source) * kWchar);
}

NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlAppendUnicodeStringToString, KEMU_ARG(Destination), KEMU_ARG(Source));
  Check(kernel, "RtlAppendUnicodeStringToString", Destination, "Destination");
  Check(kernel, "RtlAppendUnicodeStringToString", Source, "Source");
  return Append(Destination, Source->Buffer, Source->Length);
}

NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlUnicodeStringToInteger, KEMU_ARG(String), KEMU_ARG(Base), KEMU_ARG(Value));
  Check(kernel, "RtlUnicodeStringToInteger", String, "String");
  Check(kernel, "RtlUnicodeStringToInteger", Value, "Value");
  if (Base != 0 && Base != 2 && Base != 8 && Base != 10 && Base != 16) {
    return STATUS_INVALID_PARAMETER;
  }
  const WCHAR* p = String->Buffer;
  std::size_t left = String->Length / kWchar;
  // "If the string is empty, the routine fails" (its page); one that only does not start with a
  // number is 0 and success.
  if (left == 0) return STATUS_INVALID_PARAMETER;
  while (left > 0 && *p <= L' ') ++p, --left;  // leading white space
  bool negative = false;
  if (left > 0 && (*p == L'+' || *p == L'-')) {
    negative = *p == L'-';
    ++p, --left;
  }
  if (Base == 0) {
    Base = 10;
    if (left >= 2 && p[0] == L'0') {
      const WCHAR marker = p[1];
      const ULONG prefixed = marker == L'x' ? 16 : marker == L'o' ? 8 : marker == L'b' ? 2 : 0;
      if (prefixed != 0) {
        Base = prefixed;
        p += 2, left -= 2;
      }
    }
  }
  ULONG result = 0;
  for (; left > 0; ++p, --left) {
    const int digit = DigitValue(*p);
    if (digit >= static_cast<int>(Base)) break;          // the number ends at the first non-digit
    result = result * Base + static_cast<ULONG>(digit);  // wraps, as Windows' does
  }
  *Value = negative ? 0u - result : result;
  return STATUS_SUCCESS;
}

NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlIntegerToUnicodeString, KEMU_ARG(Value), KEMU_ARG(Base), KEMU_ARG(String));
  Check(kernel, "RtlIntegerToUnicodeString", String, "String");
  if (Base == 0) Base = 10;
  if (Base != 2 && Base != 8 && Base != 10 && Base != 16) return STATUS_INVALID_PARAMETER;
  WCHAR digits[33];
  std::size_t count = 0;
  do {
    digits[count++] = L"0123456789ABCDEF"[Value % Base];
    Value /= Base;
  } while (Value != 0);
  if ((count + 1) * kWchar > String->MaximumLength) return STATUS_BUFFER_OVERFLOW;
  for (std::size_t i = 0; i < count; ++i) String->Buffer[i] = digits[count - 1 - i];
  String->Buffer[count] = L'\0';
  String->Length = static_cast<USHORT>(count * kWchar);
  return STATUS_SUCCESS;
}

}  // extern "C"
