// What the compiler's instrumentation (abi/tsan_runtime.cpp, linked only into programs with
// instrumented driver code) tells the race detector besides memory accesses: the driver's call
// stack, and that instrumented code is loaded at all. Accesses go to the running machine's
// detector through abi/instrumented_access.hpp, which can find the machine.
#ifndef KEMU_EMU_RACE_INSTRUMENTED_ACCESS_HPP_
#define KEMU_EMU_RACE_INSTRUMENTED_ACCESS_HPP_

#include <cstddef>
#include <cstdint>

namespace kemu::race {

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
