// The interrupt controller: device lines and messages, pending interrupts, delivery to a vCPU and
// ISR dispatch (spec §9; DESIGN.md decision 5; conformance INT-6, INT-7).
#include <algorithm>

#include "kemu/bugcheck.hpp"
#include "kemu/error.hpp"
#include "model/devices.hpp"
#include "model/interrupts.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

void Interrupts::NoteLineAction(const char* action, const DeviceState& device) {
  kernel_.Note(TraceKind::kDevice, action,
               {{"Device", device.index}, {"Vector", device.config.line->vector}});
}

void Interrupts::NoteIsrBegin(ULONG vector, const ConnectionRecord& record,
                              const InterruptObject& object, unsigned message) {
  const auto interrupt = reinterpret_cast<std::uintptr_t>(&object.k);
  if (record.is_message_table) {
    kernel_.Note(TraceKind::kIsrBegin, "ISR",
                 {{"Vector", vector},
                  AddressArg("Interrupt", interrupt),
                  AddressArg("Routine", reinterpret_cast<std::uintptr_t>(record.message_isr)),
                  {"MessageId", message}});
  } else {
    kernel_.Note(TraceKind::kIsrBegin, "ISR",
                 {{"Vector", vector},
                  AddressArg("Interrupt", interrupt),
                  AddressArg("Routine", reinterpret_cast<std::uintptr_t>(record.isr))});
  }
}

void Interrupts::AssertLine(DeviceState& device) {
  if (!device.config.line) return;
  NoteLineAction("AssertLine", device);
  device.line_asserted = true;
  if (device.config.line->mode == Trigger::kEdge) {
    // An edge device raising its line produces one edge.
    vectors_[device.config.line->vector].edge_pending = true;
  }
  DeliverPending();
}

void Interrupts::DeassertLine(DeviceState& device) {
  if (!device.config.line) return;
  NoteLineAction("DeassertLine", device);
  device.line_asserted = false;
  auto it = vectors_.find(device.config.line->vector);
  if (it != vectors_.end() && !LineAsserted(device.config.line->vector)) it->second.refires = 0;
}

void Interrupts::PulseLine(DeviceState& device) {
  if (!device.config.line) return;
  NoteLineAction("PulseLine", device);
  vectors_[device.config.line->vector].edge_pending = true;
  DeliverPending();
}

void Interrupts::SignalMessage(DeviceState& device, std::uint32_t message) {
  if (message >= device.messages.size()) {
    throw Error("kemu: device '" + device.config.name + "' was granted " +
                std::to_string(device.messages.size()) + " messages; there is no message " +
                std::to_string(message));
  }
  kernel_.Note(TraceKind::kDevice, "SignalMessage",
               {{"Device", device.index},
                {"MessageId", message},
                {"Vector", device.messages[message].vector}});
  vectors_[device.messages[message].vector].edge_pending = true;
  DeliverPending();
}

void Interrupts::Schedule(DeviceState& device, DeviceAction action, std::uint32_t message,
                          std::optional<std::uint64_t> at_call,
                          std::optional<std::uint64_t> at_time) {
  scheduled_.push_back({&device, action, message, at_call, at_time});
}

void Interrupts::RunDueEvents() {
  if (scheduled_.empty()) return;
  const std::uint64_t calls = kernel_.trace().calls();
  const std::uint64_t now = kernel_.clock().now_100ns();
  for (std::size_t i = 0; i < scheduled_.size();) {
    const ScheduledEvent event = scheduled_[i];
    const bool due =
        (event.at_call && calls >= *event.at_call) || (event.at_time && now >= *event.at_time);
    if (!due) {
      ++i;
      continue;
    }
    // Removed before it runs: the ISR it triggers makes kernel calls of its own.
    scheduled_.erase(scheduled_.begin() + static_cast<std::ptrdiff_t>(i));
    Perform(*event.device, event.action, event.message);
    i = 0;
  }
}

void Interrupts::Perform(DeviceState& device, DeviceAction action, std::uint32_t message) {
  switch (action) {
    case DeviceAction::kAssertLine:
      AssertLine(device);
      return;
    case DeviceAction::kDeassertLine:
      DeassertLine(device);
      return;
    case DeviceAction::kPulseLine:
      PulseLine(device);
      return;
    case DeviceAction::kSignalMessage:
      SignalMessage(device, message);
      return;
  }
}

bool Interrupts::LineAsserted(ULONG vector) const {
  for (const auto& device : kernel_.devices().all()) {
    if (device->line_asserted && device->config.line &&
        device->config.line->mode == Trigger::kLevel && device->config.line->vector == vector) {
      return true;
    }
  }
  return false;
}

bool Interrupts::Pending(ULONG vector, const VectorState& state) const {
  if (state.chain.empty()) return false;  // masked at the controller until an ISR connects
  return state.edge_pending || (state.mode == LevelSensitive && LineAsserted(vector));
}

int Interrupts::TargetFor(const VectorState& state) const {
  KAFFINITY affinity = 0;
  for (const Attachment& a : state.chain) {
    const ConnectionRecord& record = *a.record;
    // A held interrupt lock keeps the interrupt pending (KeSynchronizeExecution, INT-11).
    if (record.passive ? record.passive_busy : kernel_.spin_locks().IsHeld(record.lock)) {
      return -1;
    }
    affinity |= record.affinity;
  }
  // Windows does not specify routing; kemu prefers the running vCPU, then the lowest number.
  const unsigned running = kernel_.current_processor();
  const KIRQL threshold = state.irql == PASSIVE_LEVEL ? APC_LEVEL : state.irql;
  auto can_take = [&](unsigned cpu) {
    return (affinity & (KAFFINITY{1} << cpu)) != 0 && kernel_.cpu(cpu).irql < threshold;
  };
  if (can_take(running)) return static_cast<int>(running);
  for (unsigned cpu = 0; cpu < kernel_.processor_count(); ++cpu) {
    if (can_take(cpu)) return static_cast<int>(cpu);
  }
  return -1;
}

void Interrupts::DeliverPending() {
  // Deliveries found by one scan are dispatched highest IRQL first, as an APIC would; each
  // dispatch can change what is pending, so scan again after it.
  for (;;) {
    ULONG best_vector = 0;
    int best_cpu = -1;
    KIRQL best_irql = 0;
    for (auto& [vector, state] : vectors_) {
      if (!Pending(vector, state)) continue;
      const int cpu = TargetFor(state);
      if (cpu < 0) continue;
      if (best_cpu < 0 || state.irql > best_irql) {
        best_vector = vector;
        best_cpu = cpu;
        best_irql = state.irql;
      }
    }
    if (best_cpu < 0) break;
    Dispatch(best_vector, static_cast<unsigned>(best_cpu));
  }
}

ConnectionRecord* Interrupts::running_isr(unsigned cpu) const {
  if (cpu >= running_.size() || running_[cpu].empty()) return nullptr;
  return running_[cpu].back();
}

void Interrupts::Dispatch(ULONG vector, unsigned cpu_index) {
  VectorState& state = vectors_[vector];
  state.edge_pending = false;
  const unsigned previous_cpu = kernel_.current_processor();
  kernel_.SwitchTo(cpu_index);
  Cpu& cpu = kernel_.cpu();
  const KIRQL interrupted_irql = cpu.irql;
  kernel_.WriteIrql(cpu, state.irql);  // begin the interrupt at the vector's level
  // A snapshot: an ISR cannot connect or disconnect (PASSIVE_LEVEL calls), but be safe.
  const std::vector<Attachment> chain = state.chain;
  const bool chained = chain.size() > 1;
  kernel_.Note(TraceKind::kInterrupt, "interrupt", {{"Vector", vector}, {"Cpu", cpu_index}});
  for (const Attachment& attached : chain) {
    ConnectionRecord& record = *attached.record;
    if (!record.connected) continue;
    if (!record.stats.active) {
      const auto policy = kernel_.options().inactive_interrupts;
      if (policy == MachineOptions::InactiveInterrupts::kDrop) continue;
      if (policy == MachineOptions::InactiveInterrupts::kBugCheck) {
        kernel_.verifier().InterruptWhileInactive(record.objects.front()->k);
      }
    }
    InterruptObject* object = record.ObjectFor(cpu_index, attached.message);
    if (object == nullptr) continue;  // not enabled on this vCPU
    if (record.synchronize_irql > cpu.irql) kernel_.WriteIrql(cpu, record.synchronize_irql);
    if (record.passive) {
      record.passive_busy = true;
    } else {
      kernel_.spin_locks().Take("interrupt dispatch", record.lock, LockKind::kOrdinary, nullptr);
    }
    const std::size_t locks_before = kernel_.spin_locks().HeldBy(cpu_index);
    const KIRQL at_entry = cpu.irql;
    running_[cpu_index].push_back(&record);
    ++record.stats.isr_calls;
    NoteIsrBegin(vector, record, *object, attached.message);
    const BOOLEAN claimed = record.is_message_table
                                ? record.message_isr(&object->k, record.context, attached.message)
                                : record.isr(&object->k, record.context);
    kernel_.Note(TraceKind::kIsrEnd, "ISR", {{"Claimed", claimed}});
    running_[cpu_index].pop_back();
    if (cpu.irql != at_entry) kernel_.verifier().IsrChangedIrql(object->k, at_entry, cpu.irql);
    if (kernel_.spin_locks().HeldBy(cpu_index) != locks_before) {
      kernel_.verifier().IsrReturnedHoldingLock(object->k);
    }
    if (record.passive) {
      record.passive_busy = false;
    } else {
      kernel_.spin_locks().Drop("interrupt dispatch", record.lock, LockKind::kOrdinary);
    }
    kernel_.WriteIrql(cpu, state.irql);
    if (claimed) ++record.stats.isr_claimed;
    // Spec §9.3: a level line stops at the first ISR that claims it; an edge calls them all.
    if (claimed && state.mode == LevelSensitive) break;
  }
  kernel_.WriteIrql(cpu, interrupted_irql);
  // A level line still asserted fires again as soon as the IRQL allows (INT-7); an edge device
  // that raised a new edge while being serviced does too. Nobody silencing it is an interrupt
  // storm (spec §9.4): bounded here so a test ends with 0xF2 instead of spinning forever.
  const bool fires_again = state.mode == LevelSensitive ? LineAsserted(vector) : state.edge_pending;
  if (fires_again) {
    if (++state.refires > kernel_.options().storm_threshold) {
      const ConnectionRecord& first = *chain.front().record;
      kernel_.verifier().InterruptStorm(first.objects.front()->k, chained, state.refires);
    }
  } else {
    state.refires = 0;
  }
  // DPCs the ISRs queued run once the vCPU is back below DISPATCH_LEVEL.
  if (cpu.irql < DISPATCH_LEVEL) kernel_.dpcs().Retire(cpu);
  kernel_.SwitchTo(previous_cpu);
}

}  // namespace kemu::model
