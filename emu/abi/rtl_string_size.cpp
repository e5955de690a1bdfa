// The sizes a conversion between ANSI and Unicode strings needs, NUL included:
// RtlxUnicodeStringToAnsiSize and RtlxAnsiStringToUnicodeSize, which the WDK's
// RtlUnicodeStringToAnsiSize and RtlAnsiStringToUnicodeSize macros call. They answer for the
// conversions of rtl_string_convert.cpp: kemu's ANSI code page is Latin-1, one byte a character,
// and every character converts (one beyond Latin-1 becomes '?'), so the size is never the 0 the
// pages give for a string that cannot be translated. docs/kernel.md, "Strings that own pool".
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// PASSIVE_LEVEL. One byte for each whole character of the string, and one for the NUL.
ULONG RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString) {
  static constexpr const char* kRoutine = "RtlxUnicodeStringToAnsiSize";
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlxUnicodeStringToAnsiSize, KEMU_ARG(UnicodeString));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::NotNull(kernel, kRoutine, UnicodeString, "UnicodeString");
  return UnicodeString->Length / sizeof(WCHAR) + 1;
}

// PASSIVE_LEVEL. One WCHAR (sizeof(WCHAR) bytes: 4 where wchar_t is) for each byte and one for
// the NUL. The result can exceed what a USHORT Length counts, as the page warns.
ULONG RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString) {
  static constexpr const char* kRoutine = "RtlxAnsiStringToUnicodeSize";
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlxAnsiStringToUnicodeSize, KEMU_ARG(AnsiString));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::NotNull(kernel, kRoutine, AnsiString, "AnsiString");
  return (AnsiString->Length + 1u) * static_cast<ULONG>(sizeof(WCHAR));
}

}  // extern "C"
