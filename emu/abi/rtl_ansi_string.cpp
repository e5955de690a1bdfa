// Counted 8-bit strings (STRING, ANSI_STRING), as RtlCompareUnicodeString, RtlEqualUnicodeString
// and RtlCopyUnicodeString treat Unicode ones: RtlCompareString, RtlEqualString and RtlCopyString
// (all <ntddk.h>). Lengths are bytes. Ignoring case upcases both sides as RtlUpperChar does, in
// kemu's Latin-1 code page. docs/kernel.md, "Strings"; docs/windows-facts.md §22.
#include <ntddk.h>

#include <algorithm>
#include <cstring>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "model/unicode_case.hpp"

namespace {

using kemu::abi::NotNull;
using kemu::model::Kernel;

// Bytes compare as unsigned values, the order of their Latin-1 characters (UNCONFIRMED above
// 0x7F: the page gives only the sign of the result, docs/windows-facts.md §22).
LONG Byte(CHAR c, BOOLEAN case_insensitive) {
  const auto byte = static_cast<UCHAR>(c);
  return case_insensitive ? kemu::model::UpcaseLatin1(byte) : byte;
}

// The first difference of the strings' bytes, or of their lengths when one is a prefix of the
// other.
LONG Compare(const STRING* string1, const STRING* string2, BOOLEAN case_insensitive) {
  const USHORT bytes = std::min(string1->Length, string2->Length);
  for (USHORT i = 0; i < bytes; ++i) {
    const LONG a = Byte(string1->Buffer[i], case_insensitive);
    const LONG b = Byte(string2->Buffer[i], case_insensitive);
    if (a != b) return a - b;
  }
  return static_cast<LONG>(string1->Length) - static_cast<LONG>(string2->Length);
}

}  // namespace

extern "C" {

// PASSIVE_LEVEL.
LONG RtlCompareString(const STRING* String1, const STRING* String2, BOOLEAN CaseInSensitive) {
  static constexpr const char* kRoutine = "RtlCompareString";
  Kernel& kernel =
      KEMU_ENTER(RtlCompareString, KEMU_ARG(String1), KEMU_ARG(String2), KEMU_ARG(CaseInSensitive));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::CheckReadable(kernel, kRoutine, String1, "String1");
  kemu::abi::CheckReadable(kernel, kRoutine, String2, "String2");
  return Compare(String1, String2, CaseInSensitive);
}

// PASSIVE_LEVEL.
BOOLEAN RtlEqualString(const STRING* String1, const STRING* String2, BOOLEAN CaseInSensitive) {
  static constexpr const char* kRoutine = "RtlEqualString";
  Kernel& kernel =
      KEMU_ENTER(RtlEqualString, KEMU_ARG(String1), KEMU_ARG(String2), KEMU_ARG(CaseInSensitive));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::CheckReadable(kernel, kRoutine, String1, "String1");
  kemu::abi::CheckReadable(kernel, kRoutine, String2, "String2");
  if (String1->Length != String2->Length) return FALSE;
  return Compare(String1, String2, CaseInSensitive) == 0 ? TRUE : FALSE;
}

// Any IRQL (the buffers must then be resident, which kemu's always are). A NULL source empties
// the destination. The copy is cut to DestinationString->MaximumLength and NUL-terminated only
// when room is left, as RtlCopyUnicodeString's (UNCONFIRMED: the page does not mention a NUL).
VOID RtlCopyString(PSTRING DestinationString, const STRING* SourceString) {
  Kernel& kernel = KEMU_ENTER(RtlCopyString, KEMU_ARG(DestinationString), KEMU_ARG(SourceString));
  NotNull(kernel, "RtlCopyString", DestinationString, "DestinationString");
  if (SourceString == nullptr) {
    DestinationString->Length = 0;
    return;
  }
  kemu::abi::CheckReadable(kernel, "RtlCopyString", SourceString, "SourceString");
  kemu::abi::CheckWritable(kernel, "RtlCopyString", DestinationString, "DestinationString");
  const USHORT bytes = std::min(SourceString->Length, DestinationString->MaximumLength);
  if (bytes > 0) std::memmove(DestinationString->Buffer, SourceString->Buffer, bytes);
  DestinationString->Length = bytes;
  if (bytes < DestinationString->MaximumLength) DestinationString->Buffer[bytes] = '\0';
}

}  // extern "C"
