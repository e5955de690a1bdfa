// What a routine checks before it touches a counted string's characters (UNICODE_STRING,
// ANSI_STRING, STRING): the structure, then its Buffer for as many bytes as it reads (Length) or
// may write (MaximumLength). A NULL or null-page Buffer behind a nonzero count is the access
// violation the kernel's copy takes (kemu's own copy faulted the host: audit round 16, V1), and
// under Verifier a Buffer in freed pool is 0xD5 as a pointer passed directly is (V4).
//
//   CheckReadable(kernel, kRoutine, SourceString, "SourceString");
//   CheckWritable(kernel, kRoutine, DestinationString, "DestinationString");
#ifndef KEMU_EMU_ABI_COUNTED_STRING_HPP_
#define KEMU_EMU_ABI_COUNTED_STRING_HPP_

#include <cstdint>
#include <span>
#include <string>

#include "abi/entry.hpp"

namespace kemu::abi {

/// Under Verifier, `address` (which `routine` reads through) in freed pool is 0xD5.
inline void CheckNotFreed(model::Kernel& kernel, const char* routine, std::uintptr_t address,
                          const char* name) {
  if (kernel.verifier().mode() == verifier::CheckMode::kVerifier) {
    const model::CallArg arg{name, address, true};
    kernel.pool().CheckArguments(routine, std::span<const model::CallArg, 1>(&arg, 1));
  }
}

/// The Buffer of `parameter` (a counted string `routine` was given) for `bytes` bytes.
inline void CheckCountedBuffer(model::Kernel& kernel, const char* routine, const void* buffer,
                               std::size_t bytes, const char* parameter) {
  if (bytes == 0) return;
  const auto address = reinterpret_cast<std::uintptr_t>(buffer);
  if (address < verifier::Verifier::kNullPageEnd) [[unlikely]] {
    const std::string name = std::string(parameter) + "->Buffer";
    kernel.verifier().NullPageArgument(routine, name.c_str(), address);
  }
  CheckNotFreed(kernel, routine, address, "Buffer");
}

/// Memory `routine` reads through a pointer it was not given as a parameter (a DbgPrint argument
/// for %s or %wZ): NULL is the caller's business (DbgPrint prints "(null)"), anything else in
/// the first 64 KiB is the access violation, and under Verifier freed pool is 0xD5.
inline void CheckReadThrough(model::Kernel& kernel, const char* routine, const void* pointer,
                             const char* what) {
  const auto address = reinterpret_cast<std::uintptr_t>(pointer);
  if (address < verifier::Verifier::kNullPageEnd) [[unlikely]] {
    kernel.verifier().NullPageArgument(routine, what, address);
  }
  CheckNotFreed(kernel, routine, address, what);
}

/// `string` is read: the structure and Length bytes of its Buffer.
template <typename Counted>
void CheckReadable(model::Kernel& kernel, const char* routine, const Counted* string,
                   const char* parameter) {
  NotNull(kernel, routine, string, parameter);
  CheckCountedBuffer(kernel, routine, string->Buffer, string->Length, parameter);
}

/// `string` is written: the structure and MaximumLength bytes of its Buffer.
template <typename Counted>
void CheckWritable(model::Kernel& kernel, const char* routine, const Counted* string,
                   const char* parameter) {
  NotNull(kernel, routine, string, parameter);
  CheckCountedBuffer(kernel, routine, string->Buffer, string->MaximumLength, parameter);
}

}  // namespace kemu::abi

#endif  // KEMU_EMU_ABI_COUNTED_STRING_HPP_
