// Memory accesses of instrumented driver code, to the running machine's race detector.
#include "abi/instrumented_access.hpp"

#include "kemu/machine.hpp"
#include "model/kernel.hpp"
#include "model/pool_quarantine.hpp"

namespace kemu::abi {

namespace {

// Pool::CheckDriverAccess's two reports, made here where the access's place in the driver (`pc`)
// is known, so the report can name the line and routine that used freed pool.
[[gnu::noinline]] void CheckFreedAccess(model::Kernel& kernel, std::uintptr_t address, bool write,
                                        std::uintptr_t pc) {
  const model::PoolQuarantine& quarantine = kernel.pool().quarantine();
  if (model::PoolQuarantine::IsPoison(address)) {
    const model::PoolQuarantine::Block* source = quarantine.Source(address);
    const std::uint64_t read_from =
        source == nullptr ? 0 : source->address + (address & model::PoolQuarantine::kOffsetMask);
    kernel.verifier().FreedPoolPoisonFollowed(
        address, write, read_from,
        source == nullptr ? std::string("a pool block freed earlier (since back to the host)")
                          : model::PoolQuarantine::Describe(*source),
        pc);
  }
  if (const model::PoolQuarantine::Block* block = quarantine.Holding(address)) {
    kernel.verifier().FreedPoolAccessed(address, write, address - block->address,
                                        model::PoolQuarantine::Describe(*block), pc);
  }
}

}  // namespace

void InstrumentedAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp, bool relaxed) {
  Machine* machine = Machine::CurrentOrNull();
  if (machine == nullptr) return;  // driver code run outside any machine
  model::Kernel& kernel = machine->kernel();
  // Freed special pool first: the access must not happen (it would follow kemu's poison and
  // fault the host), so the bug check unwinds from here, as from a kernel call.
  if (!kernel.crashed()) {
    const model::PoolQuarantine& quarantine = kernel.pool().quarantine();
    if (!quarantine.empty() || model::PoolQuarantine::IsPoison(address)) [[unlikely]] {
      CheckFreedAccess(kernel, address, write, pc);
    }
    kernel.pool().CheckDriverAccess(address, write);
  }
  kernel.race().OnAccess(address, size, write, atomic, pc, sp, relaxed);
}

void InstrumentedFence(bool acquire, bool release) {
  Machine* machine = Machine::CurrentOrNull();
  if (machine != nullptr) machine->kernel().race().OnFence(acquire, release);
}

}  // namespace kemu::abi
