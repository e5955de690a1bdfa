// Where a kernel routine writes its result into a buffer the driver names by address and size
// (ZwQueryValueKey's KeyValueInformation, IoGetDeviceProperty's PropertyBuffer, a direct
// RtlQueryRegistryValues entry), or reads an array the driver sizes by a count
// (KeWaitForMultipleObjects' Object): checked before kemu's own copy, which would otherwise run
// past the driver's pool block into kemu's heap (audit round 17, X11; round 19, B-S7).
//
//   CheckOutputRange(kernel, "IoGetDeviceProperty", "PropertyBuffer", buffer, size);
//   std::memcpy(buffer, bytes, size);
//
// A buffer outside kemu's pool (the driver's stack, a global) has no bound kemu knows: an output
// is checked only by its address, an input also by whether the host can read it.
#ifndef KEMU_EMU_MODEL_OUTPUT_RANGE_HPP_
#define KEMU_EMU_MODEL_OUTPUT_RANGE_HPP_

#include <cstddef>
#include <cstdint>

#include "model/host_memory.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

/// `routine` writes `bytes` bytes of its output `parameter` at `buffer`: an address in the first
/// 64 KiB is the access violation (0x1E, or 0xA at DISPATCH_LEVEL and above); a range that starts
/// in a pool block and runs past its end is 0xCD, the fault special pool's guard page gives
/// (Verifier::OutputBeyondPoolBlock). Nothing for `bytes` 0.
inline void CheckOutputRange(Kernel& kernel, const char* routine, const char* parameter,
                             const void* buffer, std::size_t bytes) {
  if (bytes == 0) return;
  kernel.verifier().Dereferenced(routine, buffer, parameter);
  const auto extent = kernel.pool().ExtentOf(buffer);
  if (!extent) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(buffer);
  const std::uintptr_t end = extent->base + extent->bytes;
  if (bytes > end - begin) [[unlikely]] {
    kernel.verifier().OutputBeyondPoolBlock(routine, parameter, buffer, bytes,
                                            reinterpret_cast<const void*>(extent->base),
                                            extent->bytes, reinterpret_cast<const void*>(end));
  }
}

/// `routine` reads `bytes` bytes of its input `parameter` at `buffer` (an array whose length the
/// driver gives as a count): a range that starts in a pool block and runs past its end is 0xCD
/// (Verifier::InputBeyondPoolBlock); a range outside kemu's pool that the host cannot read is the
/// access violation (Verifier::UnreadableArgument). Either way kemu's own read never faults.
inline void CheckInputRange(Kernel& kernel, const char* routine, const char* parameter,
                            const void* buffer, std::size_t bytes) {
  if (bytes == 0) return;
  kernel.verifier().Dereferenced(routine, buffer, parameter);
  const auto extent = kernel.pool().ExtentOf(buffer);
  if (!extent) {
    if (const auto bad = FirstUnreadable(buffer, bytes)) [[unlikely]] {
      kernel.verifier().UnreadableArgument(routine, parameter, bytes, *bad);
    }
    return;
  }
  const auto begin = reinterpret_cast<std::uintptr_t>(buffer);
  const std::uintptr_t end = extent->base + extent->bytes;
  if (bytes > end - begin) [[unlikely]] {
    kernel.verifier().InputBeyondPoolBlock(routine, parameter, buffer, bytes,
                                           reinterpret_cast<const void*>(extent->base),
                                           extent->bytes, reinterpret_cast<const void*>(end));
  }
}

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_OUTPUT_RANGE_HPP_
