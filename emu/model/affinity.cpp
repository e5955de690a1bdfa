#include "model/affinity.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <optional>

#include "model/kernel.hpp"

namespace kemu::model {
namespace {

unsigned Lowest(KAFFINITY affinity) {
  return static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(affinity)));
}

bool Contains(KAFFINITY affinity, unsigned cpu) { return (affinity & (KAFFINITY{1} << cpu)) != 0; }

}  // namespace

bool Affinity::Valid(KAFFINITY affinity) const {
  // Every vCPU of a kemu machine is active, so "only processors that exist, at least one of them
  // active" is "not empty and inside the active set".
  return affinity != 0 && (affinity & ~kernel_.active_processors()) == 0;
}

void Affinity::NotModelled(const char* routine, const std::string& why) {
  kernel_.ThrowNotModelled(fmt::format("{} {}", routine, why));
}

Affinity::State* Affinity::Running() {
  if (kernel_.scheduler().test_running()) return &test_;
  const std::optional<unsigned> thread = kernel_.scheduler().RunningThread();
  if (!thread) return nullptr;
  if (threads_.size() <= *thread) threads_.resize(*thread + 1);
  return &threads_[*thread];
}

Affinity::State& Affinity::CheckCaller(const char* routine) {
  const Cpu& cpu = kernel_.cpu();
  if (cpu.irql > DISPATCH_LEVEL) {
    kernel_.verifier().IrqlAboveMaximum(routine, cpu.irql, DISPATCH_LEVEL);
    // Only a retail kernel gets here: it does not check, and Windows documents nothing there.
    NotModelled(routine, fmt::format("at IRQL {} on a retail kernel (documented for IRQL <= "
                                     "DISPATCH_LEVEL only)",
                                     cpu.irql));
  }
  // An ISR, a DPC (threaded or not) or a KeSynchronizeExecution routine: on Windows it changes
  // the affinity of whatever thread it interrupted, which kemu does not have.
  if (cpu.dpc_depth > 0 || cpu.dispatching > 0 || cpu.sync_depth > 0) {
    NotModelled(routine, fmt::format("from an ISR, a DPC or a KeSynchronizeExecution routine on "
                                     "vCPU {} (kemu gives them no thread of their own to move)",
                                     cpu.index));
  }
  if (kernel_.dispatcher().InWorkerThread()) {
    NotModelled(routine,
                "from a work item routine (kemu runs work items on a waiting thread's "
                "context, which it cannot move to another vCPU)");
  }
  State* state = Running();
  if (state == nullptr) {
    NotModelled(routine, fmt::format("on vCPU {}'s own context, which is no thread", cpu.index));
  }
  // The test's thread keeps its APC state on its vCPU; a system thread carries its own along.
  // At DISPATCH_LEVEL the move happens later, so what counts is the state without the IRQL.
  const KIRQL apc_irql = cpu.irql >= DISPATCH_LEVEL ? PASSIVE_LEVEL : cpu.irql;
  if (state == &test_ && kernel_.dispatcher().ApcsDisabled(cpu.index, apc_irql)) {
    NotModelled(routine,
                "on the test's thread with normal kernel APCs disabled (APC_LEVEL, a critical "
                "or guarded region, or a mutex owned): kemu keeps that thread state per vCPU, "
                "so it cannot move the thread to another vCPU");
  }
  return *state;
}

KAFFINITY Affinity::SetSystem(const char* routine, KAFFINITY affinity) {
  State& state = CheckCaller(routine);
  const KAFFINITY previous = state.set ? state.system : 0;
  if (Valid(affinity)) Apply(state, routine, affinity);
  return previous;
}

void Affinity::Revert(const char* routine, KAFFINITY affinity) {
  State& state = CheckCaller(routine);
  if (!state.set) return;
  if (affinity == 0) {
    Clear(state, routine);
  } else if (Valid(affinity)) {
    Apply(state, routine, affinity);
  }
}

void Affinity::SetSystemGroup(const char* routine, const GROUP_AFFINITY& affinity,
                              PGROUP_AFFINITY previous) {
  State& state = CheckCaller(routine);
  // One processor group: group 0.
  const bool valid = affinity.Group == 0 && Valid(affinity.Mask);
  if (previous != nullptr) {
    *previous = GROUP_AFFINITY{};
    if (valid && state.set) previous->Mask = state.system;
  }
  if (valid) Apply(state, routine, affinity.Mask);
}

void Affinity::RevertGroup(const char* routine, const GROUP_AFFINITY& previous) {
  State& state = CheckCaller(routine);
  if (!state.set) return;
  if (previous.Mask == 0) {
    Clear(state, routine);
  } else if (previous.Group == 0 && Valid(previous.Mask)) {
    Apply(state, routine, previous.Mask);
  }
}

void Affinity::Apply(State& state, const char* routine, KAFFINITY affinity) {
  if (!state.set) {
    state.set = true;
    state.home = kernel_.current_processor();
  }
  state.system = affinity;
  Move(state, routine);
}

void Affinity::Clear(State& state, const char* routine) {
  state.set = false;
  state.system = 0;
  Move(state, routine);
}

void Affinity::Move(State& state, const char* routine) {
  Cpu& cpu = kernel_.cpu();
  if (cpu.irql >= DISPATCH_LEVEL) {
    // Documented: the processor change waits until the caller lowers the IRQL below
    // DISPATCH_LEVEL (Irql::Set calls MoveDeferred then).
    state.deferred = routine;
    cpu.deferred_move = true;
    return;
  }
  MoveNow(state);
}

void Affinity::MoveDeferred(Cpu& cpu) {
  cpu.deferred_move = false;
  State* state = Running();
  if (state == nullptr || state->deferred == nullptr) return;
  if (state == &test_ && kernel_.dispatcher().ApcsDisabled(cpu.index, cpu.irql)) {
    NotModelled(state->deferred,
                fmt::format("at DISPATCH_LEVEL, then IRQL lowered to {} on the test's thread "
                            "with normal kernel APCs disabled: kemu keeps that thread state per "
                            "vCPU, so it cannot make the deferred move",
                            cpu.irql));
  }
  MoveNow(*state);
}

void Affinity::MoveNow(State& state) {
  state.deferred = nullptr;
  if (&state == &test_) {
    const unsigned current = kernel_.current_processor();
    // Already on a processor of the set: Windows has no reason to move the thread, nor has kemu.
    // Otherwise the lowest vCPU of the set, so every run moves the same way.
    if (!state.set) {
      MoveTestTo(state.home);
    } else if (!Contains(state.system, current)) {
      MoveTestTo(Lowest(state.system));
    }
    return;
  }
  // A system thread's user affinity is every processor: the revert lets it stay where it is.
  kernel_.scheduler().SetThreadAffinity(state.set ? state.system : kernel_.active_processors());
  kernel_.irql().DeliverPending(kernel_.cpu());
}

void Affinity::MoveTestTo(unsigned cpu) {
  if (cpu == kernel_.current_processor()) return;
  kernel_.scheduler().Rebind(cpu);
  // The thread arrives at PASSIVE_LEVEL: what the vCPU has pending at that level runs first.
  kernel_.irql().DeliverPending(kernel_.cpu());
}

}  // namespace kemu::model
