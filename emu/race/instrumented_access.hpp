// The bridge from the compiler's instrumentation (race/tsan_runtime.cpp, linked only into programs
// with instrumented driver code) to the detector of the calling thread's current machine.
#ifndef KEMU_EMU_RACE_INSTRUMENTED_ACCESS_HPP_
#define KEMU_EMU_RACE_INSTRUMENTED_ACCESS_HPP_

#include <cstddef>
#include <cstdint>

namespace kemu::race {

/// `pc`: the return address into the driver; `sp`: the caller's stack pointer, or near it.
void InstrumentedAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp) noexcept;
/// `frame`: the entered function's frame address.
void FunctionEntered(std::uintptr_t call_site, std::uintptr_t frame) noexcept;
void FunctionExited() noexcept;

/// Called by every instrumented module's constructor (__tsan_init) before main(): from then on
/// machines check for races (MachineOptions::race_detection). A program without instrumented
/// code never pays for the detector's bookkeeping.
void InstrumentedModuleLoaded() noexcept;
bool InstrumentedCodeLoaded() noexcept;

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_INSTRUMENTED_ACCESS_HPP_
