// Memory accesses of instrumented driver code, to the running machine's race detector.
#include "abi/instrumented_access.hpp"

#include "kemu/machine.hpp"
#include "model/kernel.hpp"

namespace kemu::abi {

void InstrumentedAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp) noexcept {
  Machine* machine = Machine::CurrentOrNull();
  if (machine == nullptr) return;  // driver code run outside any machine
  machine->kernel().race().OnAccess(address, size, write, atomic, pc, sp);
}

}  // namespace kemu::abi
