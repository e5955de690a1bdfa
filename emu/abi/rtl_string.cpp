// Counted-string routines: RtlInitAnsiString, RtlInitString, RtlCopyUnicodeString,
// RtlCompareUnicodeString, RtlEqualUnicodeString, RtlPrefixUnicodeString and
// RtlAppendUnicode(String)ToString. Lengths are bytes; a character is sizeof(WCHAR) bytes.
#include <ntddk.h>

#include <cstring>
#include <cwchar>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "model/unicode_case.hpp"

namespace {

constexpr USHORT kWchar = sizeof(WCHAR);

// Case-insensitive routines compare the upper-case forms, through kemu's approximation of the
// NLS upcase table (model/unicode_case.hpp; UNCONFIRMED beyond ASCII, docs/differences.md).
WCHAR Upcase(WCHAR c) { return kemu::model::UpcaseChar(c); }

bool SameCharacters(const WCHAR* a, const WCHAR* b, std::size_t chars, BOOLEAN case_insensitive) {
  for (std::size_t i = 0; i < chars; ++i) {
    if (case_insensitive ? Upcase(a[i]) != Upcase(b[i]) : a[i] != b[i]) return false;
  }
  return true;
}

void Check(kemu::model::Kernel& kernel, const char* routine, const void* pointer,
           const char* parameter) {
  kernel.verifier().Dereferenced(routine, pointer, parameter);
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
  kemu::abi::CheckReadable(kernel, "RtlCopyUnicodeString", SourceString, "SourceString");
  kemu::abi::CheckWritable(kernel, "RtlCopyUnicodeString", DestinationString, "DestinationString");
  const USHORT bytes = std::min(SourceString->Length, DestinationString->MaximumLength);
  const USHORT whole = static_cast<USHORT>(bytes - bytes % kWchar);
  if (whole > 0) std::memmove(DestinationString->Buffer, SourceString->Buffer, whole);
  DestinationString->Length = whole;
  if (whole + kWchar <= DestinationString->MaximumLength) {
    DestinationString->Buffer[whole / kWchar] = L'\0';
  }
}

// PASSIVE_LEVEL, as Microsoft documents it (and RtlEqualUnicodeString).
LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                             BOOLEAN CaseInSensitive) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlCompareUnicodeString, KEMU_ARG(String1),
                                           KEMU_ARG(String2), KEMU_ARG(CaseInSensitive));
  kemu::abi::AtMost(kernel, "RtlCompareUnicodeString", PASSIVE_LEVEL);
  kemu::abi::CheckReadable(kernel, "RtlCompareUnicodeString", String1, "String1");
  kemu::abi::CheckReadable(kernel, "RtlCompareUnicodeString", String2, "String2");
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
  kemu::abi::AtMost(kernel, "RtlEqualUnicodeString", PASSIVE_LEVEL);
  kemu::abi::CheckReadable(kernel, "RtlEqualUnicodeString", String1, "String1");
  kemu::abi::CheckReadable(kernel, "RtlEqualUnicodeString", String2, "String2");
  if (String1->Length != String2->Length) return FALSE;
  return SameCharacters(String1->Buffer, String2->Buffer, String1->Length / kWchar,
                        CaseInSensitive);
}

// ntddk.h; PASSIVE_LEVEL. An empty String1 is a prefix of every string.
BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                               BOOLEAN CaseInSensitive) {
  static constexpr const char* kRoutine = "RtlPrefixUnicodeString";
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlPrefixUnicodeString, KEMU_ARG(String1),
                                           KEMU_ARG(String2), KEMU_ARG(CaseInSensitive));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::CheckReadable(kernel, kRoutine, String1, "String1");
  kemu::abi::CheckReadable(kernel, kRoutine, String2, "String2");
  if (String1->Length > String2->Length) return FALSE;
  return SameCharacters(String1->Buffer, String2->Buffer, String1->Length / kWchar,
                        CaseInSensitive);
}

NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlAppendUnicodeToString, KEMU_ARG(Destination), KEMU_ARG(Source));
  kemu::abi::CheckWritable(kernel, "RtlAppendUnicodeToString", Destination, "Destination");
  if (Source == nullptr) return STATUS_SUCCESS;
  return Append(Destination, Source, std::wcslen(Source) * kWchar);
}

NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlAppendUnicodeStringToString, KEMU_ARG(Destination), KEMU_ARG(Source));
  kemu::abi::CheckWritable(kernel, "RtlAppendUnicodeStringToString", Destination, "Destination");
  kemu::abi::CheckReadable(kernel, "RtlAppendUnicodeStringToString", Source, "Source");
  return Append(Destination, Source->Buffer, Source->Length);
}

}  // extern "C"
