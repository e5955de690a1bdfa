#include "model/nmi_callbacks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "model/kernel.hpp"

namespace kemu::model {

NmiCallbacks::NmiCallbacks(Kernel& kernel, unsigned processors)
    : kernel_(kernel), running_(processors) {}

NmiCallbacks::~NmiCallbacks() = default;

PVOID NmiCallbacks::Register(PNMI_CALLBACK routine, PVOID context) {
  registered_.push_back(std::make_unique<Registration>(Registration{routine, context}));
  Registration* registration = registered_.back().get();
  // What the driver did before registering happens before every call of the callback.
  kernel_.race().Release(registration);
  return registration;
}

NTSTATUS NmiCallbacks::Deregister(PVOID handle) {
  const auto it = std::find_if(registered_.begin(), registered_.end(),
                               [handle](const auto& r) { return r.get() == handle; });
  if (it == registered_.end()) return STATUS_INVALID_HANDLE;
  registered_.erase(it);
  return STATUS_SUCCESS;
}

void NmiCallbacks::Raise() {
  Cpu& cpu = kernel_.cpu();
  Running& here = running_[cpu.index];
  if (here.active) {
    // The processor blocks NMIs until the handler returns and holds one that arrives meanwhile.
    here.held = true;
    return;
  }
  struct Active {  // cleared on the way out, bug check included
    explicit Active(Running& running) : running(running) { running.active = true; }
    ~Active() { running = Running{}; }
    Running& running;
  } active(here);
  const KIRQL interrupted = cpu.irql;
  do {
    here.held = false;
    ++delivered_;
    kernel_.Note(TraceKind::kInterrupt, "NMI", {{"Vector", race::kNmiVector}, {"Cpu", cpu.index}});
    kernel_.WriteIrql(cpu, HIGH_LEVEL);
    const bool handled = RunCallbacks(cpu.index);
    kernel_.WriteIrql(cpu, interrupted);
    if (!handled) {
      kernel_.verifier().UnhandledNmi(cpu.index, static_cast<unsigned>(registered_.size()));
    }
  } while (here.held);
  // What the callbacks queued runs once the vCPU is below DISPATCH_LEVEL, as after an interrupt.
  if (interrupted < DISPATCH_LEVEL) kernel_.dpcs().Retire(cpu);
}

bool NmiCallbacks::RunCallbacks(unsigned cpu_index) {
  // A copy, newest first: a callback cannot deregister (that is an APC_LEVEL call), but another
  // vCPU can while this one runs them. The registration's address stays the context's identity
  // for the race detector; it is never read through the copy.
  struct Call {
    const Registration* key;
    Registration registration;
  };
  std::vector<Call> calls;
  calls.reserve(registered_.size());
  for (auto it = registered_.rbegin(); it != registered_.rend(); ++it) {
    calls.push_back({it->get(), **it});
  }
  Running& here = running_[cpu_index];
  Cpu& cpu = kernel_.cpu(cpu_index);
  race::Detector& race = kernel_.race();
  BOOLEAN handled = FALSE;
  for (const Call& call : calls) {
    const PNMI_CALLBACK routine = call.registration.routine;
    here.routine = reinterpret_cast<const void*>(routine);
    race.BeginNmi(call.key, here.routine, cpu_index, __builtin_frame_address(0));
    const race::ContextScope race_scope(race, cpu_index);
    const std::size_t locks_before = kernel_.SpinLocksHeldBy(cpu_index);
    kernel_.NoteLazily(TraceKind::kIsrBegin, "NMI callback", [&] {
      return std::array{AddressArg("Routine", reinterpret_cast<std::uintptr_t>(routine)),
                        CallArg{"Handled", handled}};
    });
    const BOOLEAN claimed = routine(call.registration.context, handled);
    kernel_.NoteLazily(TraceKind::kIsrEnd, "NMI callback", [claimed] {
      return std::array{CallArg{"Handled", claimed}};
    });
    if (cpu.irql != HIGH_LEVEL) {
      kernel_.verifier().NmiCallbackChangedIrql(here.routine, cpu.irql);
      kernel_.WriteIrql(cpu, HIGH_LEVEL);  // recorded, not thrown: the next callback runs as before
    }
    if (kernel_.SpinLocksHeldBy(cpu_index) != locks_before) {
      kernel_.verifier().NmiCallbackReturnedHoldingLock(here.routine);
    }
    if (claimed) handled = TRUE;
  }
  here.routine = nullptr;
  return handled != FALSE;
}

std::vector<std::string> NmiCallbacks::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (const auto& registration : registered_) {
    lines.push_back(fmt::format(
        "the NMI callback {} (context {}, handle {}) is still registered (KeRegisterNmiCallback "
        "without KeDeregisterNmiCallback): the next NMI would call into the unloaded driver",
        reinterpret_cast<const void*>(registration->routine), registration->context,
        static_cast<const void*>(registration.get())));
  }
  return lines;
}

std::uintptr_t NmiCallbacks::FirstLeak() const {
  return registered_.empty() ? 0 : reinterpret_cast<std::uintptr_t>(registered_.front().get());
}

}  // namespace kemu::model
