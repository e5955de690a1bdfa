#include "race/instrumented_access.hpp"

#include <atomic>

#include "race/thread_stack.hpp"

namespace kemu::race {

namespace {

// Process-wide and written only by module constructors, before any machine exists: whether the
// program contains instrumented code at all (not machine state, so not in a Machine).
std::atomic<bool> instrumented_code_loaded{false};

}  // namespace

void InstrumentedModuleLoaded() noexcept { instrumented_code_loaded.store(true); }

bool InstrumentedCodeLoaded() noexcept { return instrumented_code_loaded.load(); }

void FunctionEntered(std::uintptr_t call_site, std::uintptr_t frame) noexcept {
  CurrentThreadStack().Enter(call_site, frame);
}

void FunctionExited() noexcept { CurrentThreadStack().Exit(); }

}  // namespace kemu::race
