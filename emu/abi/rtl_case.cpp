// Case conversion: RtlUpcaseUnicodeChar and RtlDowncaseUnicodeChar for one character,
// RtlUpcaseUnicodeString for a counted string (into the caller's buffer or one it allocates),
// and RtlUpperChar and RtlUpperString for ANSI text. All map through kemu's one case table
// (model/unicode_case.hpp), so an upcased string compares equal, case-sensitively, to what a
// case-insensitive comparison matched. docs/kernel.md, "Strings"; docs/windows-facts.md §22.
#include <ntddk.h>

#include <algorithm>
#include <cstddef>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "abi/string_buffer.hpp"
#include "model/unicode_case.hpp"

namespace {

using kemu::abi::NotNull;
using kemu::model::Kernel;

constexpr std::size_t kWchar = sizeof(WCHAR);

// A letter whose capital is not one byte of the code page stays as it is, as the page says of a
// capital that needs two bytes.
CHAR UpperAnsi(CHAR c) {
  return static_cast<CHAR>(kemu::model::UpcaseLatin1(static_cast<UCHAR>(c)));
}

}  // namespace

extern "C" {

// IRQL <= APC_LEVEL.
WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter) {
  Kernel& kernel = KEMU_ENTER(RtlUpcaseUnicodeChar, KEMU_ARG(SourceCharacter));
  kemu::abi::AtMost(kernel, "RtlUpcaseUnicodeChar", APC_LEVEL);
  return kemu::model::UpcaseChar(SourceCharacter);
}

// Windows XP on; PASSIVE_LEVEL.
WCHAR RtlDowncaseUnicodeChar(WCHAR SourceCharacter) {
  Kernel& kernel = KEMU_ENTER(RtlDowncaseUnicodeChar, KEMU_ARG(SourceCharacter));
  kemu::abi::AtMost(kernel, "RtlDowncaseUnicodeChar", PASSIVE_LEVEL);
  return kemu::model::DowncaseChar(SourceCharacter);
}

// ntddk.h; IRQL <= APC_LEVEL. DestinationString may be SourceString: each character is read
// before it is written. Into the caller's buffer, nothing is written past Length: the string may
// be a piece of a longer one (a path component), whose next character a NUL would overwrite.
// The page names no failure status; kemu's choices are those of RtlAnsiStringToUnicodeString
// (UNCONFIRMED, docs/windows-facts.md §22).
NTSTATUS RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                BOOLEAN AllocateDestinationString) {
  static constexpr const char* kRoutine = "RtlUpcaseUnicodeString";
  Kernel& kernel = KEMU_ENTER(RtlUpcaseUnicodeString, KEMU_ARG(DestinationString),
                              KEMU_ARG(SourceString), KEMU_ARG(AllocateDestinationString));
  kemu::abi::AtMost(kernel, kRoutine, APC_LEVEL);
  NotNull(kernel, kRoutine, DestinationString, "DestinationString");
  kemu::abi::CheckReadable(kernel, kRoutine, SourceString, "SourceString");
  if (!AllocateDestinationString) {
    kemu::abi::CheckWritable(kernel, kRoutine, DestinationString, "DestinationString");
  }
  const std::size_t chars = SourceString->Length / kWchar;
  const std::size_t bytes = chars * kWchar;
  const PCWCH source = SourceString->Buffer;
  if (AllocateDestinationString) {
    // The characters and a NUL, as the other allocating conversions give; a string whose NUL a
    // USHORT MaximumLength cannot count gets none. Never 0 bytes, which the pool refuses.
    constexpr std::size_t kMostBytes = MAXUSHORT - MAXUSHORT % kWchar;
    const std::size_t room = std::min(bytes + kWchar, kMostBytes);
    void* block = kemu::abi::AllocateStringBuffer(
        kernel, kRoutine, kemu::abi::ExportId::kRtlUpcaseUnicodeString, room);
    if (block == nullptr) return STATUS_NO_MEMORY;
    DestinationString->Buffer = static_cast<PWCH>(block);
    DestinationString->MaximumLength = static_cast<USHORT>(room);
    if (room > bytes) DestinationString->Buffer[chars] = L'\0';
  } else if (bytes > DestinationString->MaximumLength) {
    return STATUS_BUFFER_OVERFLOW;  // nothing converted
  }
  for (std::size_t i = 0; i < chars; ++i) {
    DestinationString->Buffer[i] = kemu::model::UpcaseChar(source[i]);
  }
  DestinationString->Length = static_cast<USHORT>(bytes);
  return STATUS_SUCCESS;
}

// ntddk.h; IRQL <= APC_LEVEL.
CHAR RtlUpperChar(CHAR Character) {
  Kernel& kernel = KEMU_ENTER(RtlUpperChar, KEMU_ARG(Character));
  kemu::abi::AtMost(kernel, "RtlUpperChar", APC_LEVEL);
  return UpperAnsi(Character);
}

// ntddk.h; IRQL <= APC_LEVEL. Copies as much of the source as DestinationString->MaximumLength
// holds, upcased, and sets Length; Buffer and MaximumLength are the caller's and stay. No NUL is
// added (the page names none).
VOID RtlUpperString(PSTRING DestinationString, const STRING* SourceString) {
  static constexpr const char* kRoutine = "RtlUpperString";
  Kernel& kernel = KEMU_ENTER(RtlUpperString, KEMU_ARG(DestinationString), KEMU_ARG(SourceString));
  kemu::abi::AtMost(kernel, kRoutine, APC_LEVEL);
  kemu::abi::CheckWritable(kernel, kRoutine, DestinationString, "DestinationString");
  kemu::abi::CheckReadable(kernel, kRoutine, SourceString, "SourceString");
  const USHORT bytes = std::min(SourceString->Length, DestinationString->MaximumLength);
  for (USHORT i = 0; i < bytes; ++i) {
    DestinationString->Buffer[i] = UpperAnsi(SourceString->Buffer[i]);
  }
  DestinationString->Length = bytes;
}

}  // extern "C"
