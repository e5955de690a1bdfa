// vCPUs the test keeps busy (Machine::KeepProcessorBusy): a processor running work the test does
// not model, such as another driver's long DPC, at DISPATCH_LEVEL or above. What is queued or
// routed there waits, as it would behind that work, and the work ends when the test says so or at
// the first moment nothing else on the machine can run: a KeFlushQueuedDpcs on another vCPU then
// gets the DPC it waits for, instead of the report of a wait that never ends.
#include <fmt/format.h>

#include <bit>
#include <cstdint>

#include "model/kernel.hpp"
#include "model/scheduler.hpp"
#include "model/scheduler_context.hpp"

namespace kemu::model {

void Scheduler::Occupy(unsigned cpu, std::uint8_t irql) {
  CheckTestRequest(cpu, "KeepProcessorBusy");
  if (cpu == test_->cpu) {
    throw Error(fmt::format(
        "kemu: Machine::KeepProcessorBusy({}): the test runs on vCPU {}; switch to another first",
        cpu, cpu));
  }
  if (irql < DISPATCH_LEVEL || irql > HIGH_LEVEL) {
    throw Error(fmt::format(
        "kemu: Machine::KeepProcessorBusy({}, {}): the IRQL must be DISPATCH_LEVEL (2) to "
        "HIGH_LEVEL (15); below DISPATCH_LEVEL the vCPU would still run DPCs and threads",
        cpu, unsigned{irql}));
  }
  if (((occupied_ >> cpu) & 1) != 0) {
    throw Error(fmt::format("kemu: vCPU {} is already kept busy", cpu));
  }
  // What it runs now (an ISR, a DPC, a system thread) finishes first, as for SwitchToProcessor.
  WaitForVcpuFree(cpu, "to keep it busy");
  Cpu& state = kernel_.cpu(cpu);
  if (state.irql != PASSIVE_LEVEL) {
    throw Error(fmt::format(
        "kemu: Machine::KeepProcessorBusy({}): vCPU {} is at IRQL {}, not PASSIVE_LEVEL", cpu, cpu,
        unsigned{state.irql}));
  }
  occupied_ |= std::uint64_t{1} << cpu;
  kernel_.WriteIrql(state, irql);
}

void Scheduler::Vacate(unsigned cpu) {
  if (cpu >= workers_.size() || ((occupied_ >> cpu) & 1) == 0) {
    throw Error(fmt::format(
        "kemu: Machine::ReleaseProcessor({}): vCPU {} is not kept busy (KeepProcessorBusy)", cpu,
        cpu));
  }
  occupied_ &= ~(std::uint64_t{1} << cpu);
  kernel_.WriteIrql(kernel_.cpu(cpu), PASSIVE_LEVEL);
  // Its own context runs what waited: the DPCs queued there, the interrupts routed there.
  Handoff(cpu);
}

void Scheduler::VacateAll() {
  while (occupied_ != 0) Vacate(static_cast<unsigned>(std::countr_zero(occupied_)));
}

bool Scheduler::VacateForWaiters() {
  if (occupied_ == 0 || tearing_down_) return false;
  const auto cpu = static_cast<unsigned>(std::countr_zero(occupied_));
  occupied_ &= ~(std::uint64_t{1} << cpu);
  kernel_.WriteIrql(kernel_.cpu(cpu), PASSIVE_LEVEL);
  MarkReady(ContextFor(cpu));  // the waiter's loop picks it next
  return true;
}

}  // namespace kemu::model
