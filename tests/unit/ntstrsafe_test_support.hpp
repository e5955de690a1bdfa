// What the ntstrsafe tests share (ntstrsafe_ex_test.cpp, ntstrsafe_ustr_test.cpp,
// ntstrsafe_ustr_n_test.cpp): sentinels the routines must not write, buffer fills and checks, and
// counted strings to write into and read from.
#ifndef KEMU_TESTS_UNIT_NTSTRSAFE_TEST_SUPPORT_HPP_
#define KEMU_TESTS_UNIT_NTSTRSAFE_TEST_SUPPORT_HPP_

#include <wdm.h>

#include <cstddef>
#include <string>

namespace kemu_test {

inline constexpr std::size_t kW = sizeof(WCHAR);
// Sentinels for the Ex forms' out parameters: a routine that must not write them leaves them.
inline char* const kNoEnd = reinterpret_cast<char*>(0x1);
inline wchar_t* const kNoEndW = reinterpret_cast<wchar_t*>(0x1);
inline constexpr std::size_t kNoCount = 12345;

template <typename T, std::size_t N>
void Fill(T (&buffer)[N], T value) {
  for (T& c : buffer) c = value;
}

/// Every byte of `buffer` in [from_byte, to_byte) is `byte`.
inline bool AllBytes(const void* buffer, std::size_t from_byte, std::size_t to_byte,
                     unsigned char byte) {
  const auto* bytes = static_cast<const unsigned char*>(buffer);
  for (std::size_t i = from_byte; i < to_byte; ++i) {
    if (bytes[i] != byte) return false;
  }
  return true;
}

/// A counted string over `buffer`: room for `chars` characters, the first `length_chars` in use.
inline UNICODE_STRING Counted(WCHAR* buffer, std::size_t chars, std::size_t length_chars = 0) {
  UNICODE_STRING s;
  s.Buffer = buffer;
  s.MaximumLength = static_cast<USHORT>(chars * kW);
  s.Length = static_cast<USHORT>(length_chars * kW);
  return s;
}

/// A counted string describing `text` (RtlInitUnicodeString).
inline UNICODE_STRING Over(const wchar_t* text) {
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, text);
  return s;
}

/// The characters a counted string holds.
inline std::wstring Text(const UNICODE_STRING& s) { return std::wstring(s.Buffer, s.Length / kW); }

}  // namespace kemu_test

#endif  // KEMU_TESTS_UNIT_NTSTRSAFE_TEST_SUPPORT_HPP_
