#include "race/instrumented_access.hpp"

#include <atomic>

#include "kemu/machine.hpp"
#include "model/kernel.hpp"
#include "race/thread_stack.hpp"

namespace kemu::race {

namespace {

// Process-wide and written only by module constructors, before any machine exists: whether the
// program contains instrumented code at all (not machine state, so not in a Machine).
std::atomic<bool> instrumented_code_loaded{false};

}  // namespace

void InstrumentedModuleLoaded() noexcept { instrumented_code_loaded.store(true); }

bool InstrumentedCodeLoaded() noexcept { return instrumented_code_loaded.load(); }

void InstrumentedAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp) noexcept {
  Machine* machine = Machine::CurrentOrNull();
  if (machine == nullptr) return;  // driver code run outside any machine
  machine->kernel().race().OnAccess(address, size, write, atomic, pc, sp);
}

void FunctionEntered(std::uintptr_t call_site, std::uintptr_t frame) noexcept {
  CurrentThreadStack().Enter(call_site, frame);
}

void FunctionExited() noexcept { CurrentThreadStack().Exit(); }

}  // namespace kemu::race
