#include "model/affinity.hpp"

#include <fmt/format.h>

#include <bit>

#include "kemu/error.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

bool Affinity::Valid(KAFFINITY affinity) const {
  // Every vCPU of a kemu machine is active, so "only processors that exist, at least one of them
  // active" is "not empty and inside the active set".
  return affinity != 0 && (affinity & ~kernel_.active_processors()) == 0;
}

void Affinity::NotModelled(const char* routine, const std::string& why) {
  const std::string called_from = kernel_.RunningCallback();
  kemu::NotModelled error(fmt::format("{} {}", routine, why), called_from);
  if (!called_from.empty()) kernel_.End(error);
  throw error;
}

void Affinity::CheckCaller(const char* routine) {
  const Cpu& cpu = kernel_.cpu();
  if (cpu.irql > DISPATCH_LEVEL) {
    kernel_.verifier().IrqlAboveMaximum(routine, cpu.irql, DISPATCH_LEVEL);
  }
  if (cpu.irql >= DISPATCH_LEVEL) {
    NotModelled(routine,
                "at DISPATCH_LEVEL (Windows defers the processor change until the "
                "caller lowers the IRQL below DISPATCH_LEVEL)");
  }
  // At PASSIVE_LEVEL yet not the test's own thread: a driver's system thread, a threaded DPC, or
  // a passive-level ISR (or its KeSynchronizeExecution routine).
  if (!kernel_.scheduler().test_running() || cpu.dpc_depth > 0 || cpu.dispatching > 0 ||
      cpu.sync_depth > 0) {
    NotModelled(routine, fmt::format("from a system thread, threaded DPC or passive-level ISR on "
                                     "vCPU {} (kemu moves only the test's own thread between "
                                     "vCPUs)",
                                     cpu.index));
  }
  if (kernel_.dispatcher().InWorkerThread()) {
    NotModelled(routine,
                "from a work item routine (kemu runs work items on a waiting thread's "
                "context, which it cannot move to another vCPU)");
  }
  if (kernel_.dispatcher().ApcsDisabled(cpu.index, cpu.irql)) {
    NotModelled(routine,
                "with normal kernel APCs disabled (APC_LEVEL, a critical or guarded "
                "region, or a mutex owned): kemu keeps that thread state per vCPU, so "
                "it cannot move the thread to another vCPU");
  }
}

KAFFINITY Affinity::SetSystem(const char* routine, KAFFINITY affinity) {
  CheckCaller(routine);
  const KAFFINITY previous = system_set_ ? system_ : 0;
  if (Valid(affinity)) Apply(affinity);
  return previous;
}

void Affinity::Revert(const char* routine, KAFFINITY affinity) {
  CheckCaller(routine);
  if (!system_set_) return;
  if (affinity == 0) {
    system_set_ = false;
    system_ = 0;
    MoveTo(home_);
  } else if (Valid(affinity)) {
    Apply(affinity);
  }
}

void Affinity::SetSystemGroup(const char* routine, const GROUP_AFFINITY& affinity,
                              PGROUP_AFFINITY previous) {
  CheckCaller(routine);
  // One processor group: group 0.
  const bool valid = affinity.Group == 0 && Valid(affinity.Mask);
  if (previous != nullptr) {
    *previous = GROUP_AFFINITY{};
    if (valid && system_set_) previous->Mask = system_;
  }
  if (valid) Apply(affinity.Mask);
}

void Affinity::RevertGroup(const char* routine, const GROUP_AFFINITY& previous) {
  CheckCaller(routine);
  if (!system_set_) return;
  if (previous.Mask == 0) {
    system_set_ = false;
    system_ = 0;
    MoveTo(home_);
  } else if (previous.Group == 0 && Valid(previous.Mask)) {
    Apply(previous.Mask);
  }
}

void Affinity::Apply(KAFFINITY affinity) {
  const unsigned current = kernel_.current_processor();
  if (!system_set_) {
    system_set_ = true;
    home_ = current;
  }
  system_ = affinity;
  // Already on a processor of the set: Windows has no reason to move the thread, nor has kemu.
  // Otherwise the lowest vCPU of the set, so every run moves the same way.
  if ((affinity & (KAFFINITY{1} << current)) != 0) return;
  MoveTo(static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(affinity))));
}

void Affinity::MoveTo(unsigned cpu) {
  if (cpu == kernel_.current_processor()) return;
  kernel_.scheduler().Rebind(cpu);
  // The thread arrives at PASSIVE_LEVEL: what the vCPU has pending at that level runs first.
  kernel_.irql().DeliverPending(kernel_.cpu());
}

}  // namespace kemu::model
