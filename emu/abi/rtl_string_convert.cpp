// Counted strings that own pool: RtlAnsiStringToUnicodeString and RtlUnicodeStringToAnsiString
// (which allocate when asked), RtlFreeUnicodeString and RtlFreeAnsiString (which give the buffer
// back). docs/kernel.md, "Strings that own pool"; docs/windows-facts.md §18.
//
// kemu's system ANSI code page is Latin-1: a byte widens to the WCHAR of the same value, and a
// WCHAR above 0xFF narrows to '?' (UNCONFIRMED beyond ASCII: Windows converts through the code
// page the machine's locale installs, docs/differences.md).
#include <wdm.h>

#include <cstddef>
#include <optional>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "abi/string_buffer.hpp"

namespace {

using kemu::abi::AllocateStringBuffer;
using kemu::model::Kernel;

constexpr std::size_t kWchar = sizeof(WCHAR);

void Check(Kernel& kernel, const char* routine, const void* pointer, const char* parameter) {
  kernel.verifier().Dereferenced(routine, pointer, parameter);
}

// RtlFreeUnicodeString and RtlFreeAnsiString: the buffer goes back to the pool, which reports a
// buffer it never gave out as ExFreePool would; a NULL Buffer is a string with nothing to free.
template <typename String>
void FreeString(Kernel& kernel, const char* routine, const char* parameter, String* string,
                const void* call_site) {
  kemu::abi::AtMost(kernel, routine, APC_LEVEL);
  Check(kernel, routine, string, parameter);
  if (string->Buffer == nullptr) return;
  kernel.pool().Free(routine, string->Buffer, std::nullopt, call_site);
  string->Buffer = nullptr;
  string->Length = 0;
  string->MaximumLength = 0;
}

}  // namespace

extern "C" {

NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                      BOOLEAN AllocateDestinationString) {
  static constexpr const char* kRoutine = "RtlAnsiStringToUnicodeString";
  Kernel& kernel = KEMU_ENTER(RtlAnsiStringToUnicodeString, KEMU_ARG(DestinationString),
                              KEMU_ARG(SourceString), KEMU_ARG(AllocateDestinationString));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  Check(kernel, kRoutine, DestinationString, "DestinationString");
  kemu::abi::CheckReadable(kernel, kRoutine, SourceString, "SourceString");
  if (!AllocateDestinationString) {
    kemu::abi::CheckWritable(kernel, kRoutine, DestinationString, "DestinationString");
  }
  const std::size_t chars = SourceString->Length;
  const std::size_t bytes = chars * kWchar;
  // The result and its NUL must be countable by a UNICODE_STRING (docs/windows-facts.md §18).
  if (bytes + kWchar > MAXUSHORT) return STATUS_INVALID_PARAMETER_2;
  if (AllocateDestinationString) {
    void* block = AllocateStringBuffer(
        kernel, kRoutine, kemu::abi::ExportId::kRtlAnsiStringToUnicodeString, bytes + kWchar);
    if (block == nullptr) return STATUS_NO_MEMORY;
    DestinationString->Buffer = static_cast<PWCH>(block);
    DestinationString->MaximumLength = static_cast<USHORT>(bytes + kWchar);
  } else if (bytes + kWchar > DestinationString->MaximumLength) {
    return STATUS_BUFFER_OVERFLOW;  // nothing converted (docs/windows-facts.md §18)
  }
  for (std::size_t i = 0; i < chars; ++i) {
    DestinationString->Buffer[i] = static_cast<WCHAR>(static_cast<UCHAR>(SourceString->Buffer[i]));
  }
  DestinationString->Buffer[chars] = L'\0';
  DestinationString->Length = static_cast<USHORT>(bytes);
  return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString) {
  static constexpr const char* kRoutine = "RtlUnicodeStringToAnsiString";
  Kernel& kernel = KEMU_ENTER(RtlUnicodeStringToAnsiString, KEMU_ARG(DestinationString),
                              KEMU_ARG(SourceString), KEMU_ARG(AllocateDestinationString));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  Check(kernel, kRoutine, DestinationString, "DestinationString");
  kemu::abi::CheckReadable(kernel, kRoutine, SourceString, "SourceString");
  if (!AllocateDestinationString) {
    kemu::abi::CheckWritable(kernel, kRoutine, DestinationString, "DestinationString");
  }
  // One byte a character: a UNICODE_STRING's characters and a NUL always fit in a USHORT.
  const std::size_t chars = SourceString->Length / kWchar;
  if (AllocateDestinationString) {
    void* block = AllocateStringBuffer(
        kernel, kRoutine, kemu::abi::ExportId::kRtlUnicodeStringToAnsiString, chars + 1);
    if (block == nullptr) return STATUS_NO_MEMORY;
    DestinationString->Buffer = static_cast<PCHAR>(block);
    DestinationString->MaximumLength = static_cast<USHORT>(chars + 1);
  } else if (chars + 1 > DestinationString->MaximumLength) {
    return STATUS_BUFFER_OVERFLOW;  // nothing converted (docs/windows-facts.md §18)
  }
  for (std::size_t i = 0; i < chars; ++i) {
    const WCHAR c = SourceString->Buffer[i];
    DestinationString->Buffer[i] = c <= 0xFF ? static_cast<CHAR>(c) : '?';
  }
  DestinationString->Buffer[chars] = '\0';
  DestinationString->Length = static_cast<USHORT>(chars);
  return STATUS_SUCCESS;
}

VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString) {
  Kernel& kernel = KEMU_ENTER(RtlFreeUnicodeString, KEMU_ARG(UnicodeString));
  FreeString(kernel, "RtlFreeUnicodeString", "UnicodeString", UnicodeString,
             __builtin_return_address(0));
}

VOID RtlFreeAnsiString(PANSI_STRING AnsiString) {
  Kernel& kernel = KEMU_ENTER(RtlFreeAnsiString, KEMU_ARG(AnsiString));
  FreeString(kernel, "RtlFreeAnsiString", "AnsiString", AnsiString, __builtin_return_address(0));
}

}  // extern "C"
