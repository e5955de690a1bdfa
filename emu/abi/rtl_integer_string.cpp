// Numbers to and from text: RtlUnicodeStringToInteger and RtlCharToInteger read one,
// RtlIntegerToUnicodeString and RtlInt64ToUnicodeString write one. The readers share one parser
// and the writers one formatter, so a counted string and a C string read alike. docs/kernel.md,
// "Strings".
#include <ntddk.h>

#include <cstddef>
#include <cstring>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"

namespace {

using kemu::abi::NotNull;

constexpr std::size_t kWchar = sizeof(WCHAR);

// A character's code, unsigned whatever the signedness of char and wchar_t: a byte above 0x7F
// is a Latin-1 letter, never white space.
unsigned Code(char c) { return static_cast<unsigned char>(c); }
unsigned Code(wchar_t c) { return static_cast<unsigned>(c); }

// The digit a character stands for in any base up to 36, or 99 for none.
unsigned DigitValue(unsigned c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

bool ValidBase(ULONG base) {
  return base == 0 || base == 2 || base == 8 || base == 10 || base == 16;
}

// The number at the start of the `left` characters at `p`: leading white space (any character up
// to the space), a sign, then with `base` 0 a 0x, 0o or 0b prefix (else decimal). The number ends
// at the first character that is not a digit of the base; none is 0. The value wraps past
// 32 bits, as Windows' does.
template <typename Char>
ULONG ParseInteger(const Char* p, std::size_t left, ULONG base) {
  while (left > 0 && Code(*p) <= ' ') ++p, --left;
  bool negative = false;
  if (left > 0 && (Code(*p) == '+' || Code(*p) == '-')) {
    negative = Code(*p) == '-';
    ++p, --left;
  }
  if (base == 0) {
    base = 10;
    if (left >= 2 && Code(p[0]) == '0') {
      const unsigned marker = Code(p[1]);
      const ULONG prefixed = marker == 'x' ? 16 : marker == 'o' ? 8 : marker == 'b' ? 2 : 0;
      if (prefixed != 0) {
        base = prefixed;
        p += 2, left -= 2;
      }
    }
  }
  ULONG result = 0;
  for (; left > 0; ++p, --left) {
    const unsigned digit = DigitValue(Code(*p));
    if (digit >= base) break;
    result = result * base + digit;
  }
  return negative ? 0u - result : result;
}

// Writes `value` in `base` (0 is decimal; hexadecimal digits are upper case) and a NUL into
// `string`'s buffer. STATUS_INVALID_PARAMETER for another base; STATUS_BUFFER_OVERFLOW, nothing
// written, when the digits and the NUL do not fit in MaximumLength.
NTSTATUS FormatInteger(ULONGLONG value, ULONG base, PUNICODE_STRING string) {
  if (!ValidBase(base)) return STATUS_INVALID_PARAMETER;
  if (base == 0) base = 10;
  WCHAR digits[64];  // the longest: a 64-bit value in binary
  std::size_t count = 0;
  do {
    digits[count++] = L"0123456789ABCDEF"[value % base];
    value /= base;
  } while (value != 0);
  if ((count + 1) * kWchar > string->MaximumLength) return STATUS_BUFFER_OVERFLOW;
  for (std::size_t i = 0; i < count; ++i) string->Buffer[i] = digits[count - 1 - i];
  string->Buffer[count] = L'\0';
  string->Length = static_cast<USHORT>(count * kWchar);
  return STATUS_SUCCESS;
}

}  // namespace

extern "C" {

NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value) {
  static constexpr const char* kRoutine = "RtlUnicodeStringToInteger";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlUnicodeStringToInteger, KEMU_ARG(String), KEMU_ARG(Base), KEMU_ARG(Value));
  kemu::abi::CheckReadable(kernel, kRoutine, String, "String");
  NotNull(kernel, kRoutine, Value, "Value");
  if (!ValidBase(Base)) return STATUS_INVALID_PARAMETER;
  // "If the string is empty, the routine fails" (its page); one that only does not start with a
  // number is 0 and success.
  const std::size_t chars = String->Length / kWchar;
  if (chars == 0) return STATUS_INVALID_PARAMETER;
  *Value = ParseInteger(String->Buffer, chars, Base);
  return STATUS_SUCCESS;
}

// ntddk.h; PASSIVE_LEVEL. The page names no rule for an empty string: kemu reads it as 0, as it
// reads any string that does not start with a number (UNCONFIRMED, docs/windows-facts.md §22).
NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value) {
  static constexpr const char* kRoutine = "RtlCharToInteger";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlCharToInteger, KEMU_ARG(String), KEMU_ARG(Base), KEMU_ARG(Value));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  NotNull(kernel, kRoutine, String, "String");
  NotNull(kernel, kRoutine, Value, "Value");
  if (!ValidBase(Base)) return STATUS_INVALID_PARAMETER;
  *Value = ParseInteger(String, std::strlen(String), Base);
  return STATUS_SUCCESS;
}

NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlIntegerToUnicodeString, KEMU_ARG(Value), KEMU_ARG(Base), KEMU_ARG(String));
  kemu::abi::CheckWritable(kernel, "RtlIntegerToUnicodeString", String, "String");
  return FormatInteger(Value, Base, String);
}

// PASSIVE_LEVEL. Every 64-bit value has digits, so the "too large" of its page can only mean a
// buffer too small for them.
NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String) {
  static constexpr const char* kRoutine = "RtlInt64ToUnicodeString";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlInt64ToUnicodeString, KEMU_ARG(Value), KEMU_ARG(Base), KEMU_ARG(String));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::CheckWritable(kernel, kRoutine, String, "String");
  return FormatInteger(Value, Base, String);
}

}  // extern "C"
