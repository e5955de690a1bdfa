// A NUL-terminated string a driver passes a routine (a PCWSTR: RtlQueryRegistryValues' Path and
// table Names, RtlWriteRegistryValue's ValueName), read one WCHAR at a time with each page checked
// before kemu touches it: a pointer into the first 64 KiB or into memory the host has not mapped
// is the access violation the kernel's read takes, not a fault of kemu's own process (audit round
// 17, X4).
//
//   const std::wstring name = DriverText(kernel, kRoutine, "ValueName", ValueName).Read();
#ifndef KEMU_EMU_MODEL_DRIVER_TEXT_HPP_
#define KEMU_EMU_MODEL_DRIVER_TEXT_HPP_

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/host_memory.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

class DriverText {
 public:
  /// `text` (not NULL: the caller decides what NULL means) is `routine`'s `parameter`.
  DriverText(Kernel& kernel, const char* routine, const char* parameter, const WCHAR* text)
      : kernel_(kernel), routine_(routine), parameter_(parameter), text_(text) {
    kernel_.verifier().Dereferenced(routine_, text_, parameter_);
  }

  /// The WCHAR at `index`, all before it having been read.
  WCHAR At(std::size_t index) const {
    const WCHAR* at = text_ + index;
    const auto first = reinterpret_cast<std::uintptr_t>(at);
    // One look per page: at the first character, and at each one that reaches a page the
    // previous character did not (every host page size is a multiple of this one).
    constexpr std::uintptr_t kPage = 4096;
    if (index == 0 || (first + sizeof(WCHAR) - 1) / kPage != (first - 1) / kPage) {
      if (const auto bad = FirstUnreadable(at, sizeof(WCHAR))) {
        kernel_.verifier().UnreadableArgument(routine_, parameter_, (index + 1) * sizeof(WCHAR),
                                              *bad);
      }
    }
    return *at;
  }

  /// The characters before the NUL.
  std::wstring Read() const {
    std::size_t chars = 0;
    while (At(chars) != L'\0') ++chars;
    return std::wstring(text_, chars);
  }

 private:
  Kernel& kernel_;
  const char* routine_;
  const char* parameter_;
  const WCHAR* text_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DRIVER_TEXT_HPP_
