// Memory accesses of instrumented driver code, to the running machine's race detector.
#include "abi/instrumented_access.hpp"

#include "kemu/machine.hpp"
#include "model/kernel.hpp"

namespace kemu::abi {

void InstrumentedAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp, bool relaxed) {
  Machine* machine = Machine::CurrentOrNull();
  if (machine == nullptr) return;  // driver code run outside any machine
  model::Kernel& kernel = machine->kernel();
  // Freed special pool first: the access must not happen (it would follow kemu's poison and
  // fault the host), so the bug check unwinds from here, as from a kernel call.
  if (!kernel.crashed()) kernel.pool().CheckDriverAccess(address, write);
  kernel.race().OnAccess(address, size, write, atomic, pc, sp, relaxed);
}

void InstrumentedFence(bool acquire, bool release) {
  Machine* machine = Machine::CurrentOrNull();
  if (machine != nullptr) machine->kernel().race().OnFence(acquire, release);
}

}  // namespace kemu::abi
