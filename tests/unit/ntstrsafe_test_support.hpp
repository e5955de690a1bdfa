// What the ntstrsafe tests share (ntstrsafe_ex_test.cpp, ntstrsafe_ustr_test.cpp): sentinels the
// routines must not write, and buffer fills and checks.
#ifndef KEMU_TESTS_UNIT_NTSTRSAFE_TEST_SUPPORT_HPP_
#define KEMU_TESTS_UNIT_NTSTRSAFE_TEST_SUPPORT_HPP_

#include <wdm.h>

#include <cstddef>

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

}  // namespace kemu_test

#endif  // KEMU_TESTS_UNIT_NTSTRSAFE_TEST_SUPPORT_HPP_
