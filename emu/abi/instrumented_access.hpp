// The bridge from the compiler's instrumentation (abi/tsan_runtime.cpp) to the race detector of
// the calling thread's current machine: driver code's memory accesses enter kemu here, as its
// kernel calls enter through the other shims of emu/abi/.
#ifndef KEMU_EMU_ABI_INSTRUMENTED_ACCESS_HPP_
#define KEMU_EMU_ABI_INSTRUMENTED_ACCESS_HPP_

#include <cstddef>
#include <cstdint>

namespace kemu::abi {

/// `pc`: the return address into the driver; `sp`: the caller's stack pointer, or near it.
/// Outside any machine it does nothing. An access into freed special pool raises 0xD5 here (it
/// throws kemu::BugCheck through the driver's frames, as a kernel call's bug check does).
/// `relaxed`: an atomic access with memory_order_relaxed (atomic, but ordering nothing).
void InstrumentedAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp, bool relaxed = false);
/// A thread fence of instrumented code (acquire and/or release).
void InstrumentedFence(bool acquire, bool release);

}  // namespace kemu::abi

#endif  // KEMU_EMU_ABI_INSTRUMENTED_ACCESS_HPP_
