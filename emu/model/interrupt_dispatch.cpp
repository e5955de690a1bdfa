// The interrupt controller: device lines and messages, pending interrupts, delivery to a vCPU and
// ISR dispatch (docs/windows-facts.md §9; docs/decisions.md, decision 5; conformance INT-6, INT-7).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "kemu/bugcheck.hpp"
#include "kemu/error.hpp"
#include "model/allotment.hpp"
#include "model/devices.hpp"
#include "model/floating_state.hpp"
#include "model/interrupts.hpp"
#include "model/kernel.hpp"
#include "model/spin_locks_inline.hpp"

namespace kemu::model {

void Interrupts::NoteLineAction(const char* action, const DeviceState& device) {
  kernel_.NoteLazily(TraceKind::kDevice, action, [&device] {
    return std::array{CallArg{"Device", device.index},
                      CallArg{"Vector", device.config.line->vector}};
  });
}

// Inlined into CallIsr: with tracing off the event is only numbered, and a call to number it
// cost more than the numbering.
[[gnu::always_inline]] inline void Interrupts::NoteIsrBegin(ULONG vector,
                                                            const ConnectionRecord& record,
                                                            const InterruptObject& object,
                                                            unsigned message) {
  const auto interrupt = reinterpret_cast<std::uintptr_t>(&object.k);
  if (record.is_message_table) {
    kernel_.NoteLazily(TraceKind::kIsrBegin, "ISR", [&] {
      return std::array{CallArg{"Vector", vector}, AddressArg("Interrupt", interrupt),
                        AddressArg("Routine", reinterpret_cast<std::uintptr_t>(record.message_isr)),
                        CallArg{"MessageId", message}};
    });
  } else {
    kernel_.NoteLazily(TraceKind::kIsrBegin, "ISR", [&] {
      return std::array{CallArg{"Vector", vector}, AddressArg("Interrupt", interrupt),
                        AddressArg("Routine", reinterpret_cast<std::uintptr_t>(record.isr))};
    });
  }
}

void Interrupts::RequireLine(const DeviceState& device, const char* action) {
  // Asserting or pulsing nothing would let a test believe it raised an interrupt (audit round 17,
  // Y5); dropping a line the device does not have is harmless clean-up and stays a no-op.
  if (!device.config.line) [[unlikely]] {
    throw Error(
        fmt::format("kemu: {} on device '{}', which has no line interrupt (its config "
                    "sets no 'line'); a device without one interrupts only by messages",
                    action, device.config.name));
  }
}

void Interrupts::AssertLine(DeviceState& device) {
  RequireLine(device, "AssertLine");
  NoteLineAction("AssertLine", device);
  SetLineAsserted(device, true);
  VectorState& state = Vector(device.config.line->vector);
  state.raised_by = &device;
  // An edge device raising its line produces one edge.
  if (device.config.line->mode == Trigger::kEdge) SetEdgePending(state, true);
  DeliverPending();
}

void Interrupts::DeassertLine(DeviceState& device) {
  if (!device.config.line) return;
  NoteLineAction("DeassertLine", device);
  // Deliberately no reset of the storm count: a device that drops its line and raises it again
  // while being serviced keeps the vCPU in the same burst.
  SetLineAsserted(device, false);
}

void Interrupts::PulseLine(DeviceState& device) {
  RequireLine(device, "PulseLine");
  NoteLineAction("PulseLine", device);
  VectorState& state = Vector(device.config.line->vector);
  SetEdgePending(state, true);
  state.raised_by = &device;
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
  VectorState& state = Vector(device.messages[message].vector);
  SetEdgePending(state, true);
  state.raised_by = &device;
  DeliverPending();
}

void Interrupts::Schedule(DeviceState& device, DeviceAction action, std::uint32_t message,
                          std::optional<std::uint64_t> at_call,
                          std::optional<std::uint64_t> at_time) {
  // Refused when scheduled, not when due inside whatever driver code is running then.
  if (action == DeviceAction::kAssertLine) RequireLine(device, "scheduling AssertLine");
  if (action == DeviceAction::kPulseLine) RequireLine(device, "scheduling PulseLine");
  scheduled_.push_back({&device, action, message, at_call, at_time, nullptr});
}

void Interrupts::Schedule(DeviceState& device, std::function<void()> hardware,
                          std::uint64_t at_call) {
  scheduled_.push_back({.device = &device,
                        .action = DeviceAction::kAssertLine,
                        .message = 0,
                        .at_call = at_call,
                        .at_time = std::nullopt,
                        .hardware = std::move(hardware)});
}

Interrupts::VectorState& Interrupts::AddVector(ULONG vector) {
  auto [it, added] = vectors_.try_emplace(vector);
  if (added) it->second.vector = vector;
  if (vector < kQuickVectors) quick_vectors_[vector] = &it->second;
  return it->second;
}

void Interrupts::ListRaised(VectorState& state) {
  const auto at = std::lower_bound(
      raised_vectors_.begin(), raised_vectors_.end(), state.vector,
      [](const VectorState* raised, ULONG vector) { return raised->vector < vector; });
  raised_vectors_.insert(at, &state);
}

void Interrupts::UnlistRaised(VectorState& state) { std::erase(raised_vectors_, &state); }

void Interrupts::SetEdgePending(VectorState& state, bool pending) {
  if (state.edge_pending == pending) return;
  state.edge_pending = pending;
  CountRaised(state, pending);
}

void Interrupts::SetLineAsserted(DeviceState& device, bool asserted) {
  if (device.line_asserted == asserted) return;
  device.line_asserted = asserted;
  // Only a level line stays pending while asserted; an edge line's edge is counted above. Kept
  // per vector too, so a pending check is a compare, not a walk over every device.
  if (device.config.line && device.config.line->mode == Trigger::kLevel) {
    VectorState& state = Vector(device.config.line->vector);
    asserted ? ++state.lines_asserted : --state.lines_asserted;
    CountRaised(state, asserted);
  }
}

void Interrupts::CancelScheduled(const DeviceState& device) {
  std::erase_if(scheduled_,
                [&device](const ScheduledEvent& event) { return event.device == &device; });
}

void Interrupts::RunScheduled() {
  const std::uint64_t calls = kernel_.trace().calls();
  const std::uint64_t now = kernel_.clock().now_100ns();
  for (std::size_t i = 0; i < scheduled_.size();) {
    const ScheduledEvent& next = scheduled_[i];
    const bool due =
        (next.at_call && calls >= *next.at_call) || (next.at_time && now >= *next.at_time);
    if (!due) {
      ++i;
      continue;
    }
    // Removed before it runs: the ISR it triggers makes kernel calls of its own.
    ScheduledEvent event = std::move(scheduled_[i]);
    scheduled_.erase(scheduled_.begin() + static_cast<std::ptrdiff_t>(i));
    if (event.hardware) {
      event.hardware();
    } else {
      Perform(*event.device, event.action, event.message);
    }
    i = 0;
  }
}

std::optional<std::uint64_t> Interrupts::NextEventTime() const {
  std::optional<std::uint64_t> earliest;
  for (const ScheduledEvent& event : scheduled_) {
    if (event.at_time && (!earliest || *event.at_time < *earliest)) earliest = event.at_time;
  }
  return earliest;
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

bool Interrupts::Pending(const VectorState& state) const {
  if (state.chain.empty()) return false;  // masked at the controller until an ISR connects
  return state.edge_pending || (state.mode == LevelSensitive && state.lines_asserted > 0);
}

// Inlined into DeliverRaised, its one caller: every delivery asks, and the default schedule's
// answer is nearly always "the running vCPU". A held interrupt lock and an exploring schedule
// are answered out of line.
[[gnu::always_inline]] inline int Interrupts::TargetFor(VectorState& state) const {
  KAFFINITY affinity = 0;
  for (const Attachment& a : state.chain) {
    const ConnectionRecord& record = *a.record;
    if (record.passive) {
      if (record.passive_busy) return -1;
    } else if (kernel_.spin_locks().OwnerOf(record.LockOf(a.message)) >= 0) [[unlikely]] {
      return TargetWithLockHeld(state);
    }
    affinity |= record.affinity;
  }
  if (state.chain.size() > 1) [[unlikely]]
    affinity = RaisingAffinity(state, affinity);
  const KIRQL threshold = state.irql == PASSIVE_LEVEL ? APC_LEVEL : state.irql;
  if (kernel_.scheduler().exploring()) [[unlikely]] {
    return TargetExploring(state, affinity, threshold);
  }
  // Windows does not specify routing. The default schedule prefers the running vCPU, then the
  // lowest number: the running one is checked first, so a round trip on 64 vCPUs does not look
  // at the other 63.
  const unsigned running = kernel_.current_processor();
  if ((affinity & (KAFFINITY{1} << running)) != 0 && kernel_.cpu().irql < threshold) {
    return static_cast<int>(running);
  }
  for (unsigned cpu = 0; cpu < kernel_.processor_count(); ++cpu) {
    if (Eligible(cpu, affinity, threshold)) return static_cast<int>(cpu);
  }
  return -1;
}

KAFFINITY Interrupts::RaisingAffinity(const VectorState& state, KAFFINITY chain_affinity) const {
  // A shared vector whose connections are enabled on different vCPUs: the interrupt goes where an
  // ISR of a device that raised it is connected. Routed by the whole chain's affinity it could land
  // on a vCPU where only another device's ISR runs: an edge was lost there, and a level line
  // stormed while the vCPU with the right ISR idled (audit round 16, S3). Windows leaves routing
  // to the interrupt controller, whose destination set the PnP manager normally makes the same for
  // every device on a line.
  KAFFINITY raising = 0;
  for (const Attachment& a : state.chain) {
    const DeviceState* device = a.record->device;
    if (device == nullptr) continue;
    const bool level_asserted = device->line_asserted && device->config.line &&
                                device->config.line->mode == Trigger::kLevel;
    if ((state.edge_pending && device == state.raised_by) || level_asserted) {
      raising |= a.record->affinity;
    }
  }
  return (raising & chain_affinity) != 0 ? raising & chain_affinity : chain_affinity;
}

bool Interrupts::Eligible(unsigned cpu, KAFFINITY affinity, KIRQL threshold) const {
  return (affinity & (KAFFINITY{1} << cpu)) != 0 && kernel_.cpu(cpu).irql < threshold;
}

int Interrupts::TargetWithLockHeld(const VectorState& state) const {
  // A held interrupt lock keeps the interrupt pending (KeSynchronizeExecution, INT-11): every
  // other vCPU would spin on it. The holder itself is at the lock's IRQL or above, so it cannot
  // take the interrupt, unless it lowered its IRQL while holding the lock: then the interrupt
  // lands there and its dispatch spins on its own processor's lock (audit round 7, F2).
  KAFFINITY affinity = 0;
  int holder = -1;
  PKSPIN_LOCK held_lock = nullptr;
  for (const Attachment& a : state.chain) {
    const ConnectionRecord& record = *a.record;
    if (record.passive) {
      if (record.passive_busy) return -1;
    } else if (const int owner = kernel_.spin_locks().OwnerOf(record.LockOf(a.message));
               owner >= 0) {
      holder = owner;
      held_lock = record.LockOf(a.message);
    }
    affinity |= record.affinity;
  }
  const KIRQL threshold = state.irql == PASSIVE_LEVEL ? APC_LEVEL : state.irql;
  const auto cpu = static_cast<unsigned>(holder);
  if (Eligible(cpu, affinity, threshold)) {
    const KIRQL holder_irql = kernel_.cpu(cpu).irql;
    // Why the holder is below this DIRQL: a connection sharing the lock was given a
    // SynchronizeIrql below it (its ISR and KeSynchronizeExecution hold the lock there by
    // design), or the code holding the lock lowered the IRQL.
    std::optional<verifier::LowSynchronizeIrql> low;
    for (const auto& [vector, other] : vectors_) {
      for (const Attachment& a : other.chain) {
        const ConnectionRecord& record = *a.record;
        if (record.passive || record.LockOf(a.message) != held_lock) continue;
        if (record.synchronize_irql >= state.irql || record.synchronize_irql > holder_irql) {
          continue;
        }
        if (!low || record.synchronize_irql < low->synchronize_irql) {
          low = verifier::LowSynchronizeIrql{
              .vector = vector, .dirql = other.irql, .synchronize_irql = record.synchronize_irql};
        }
      }
    }
    kernel_.verifier().InterruptOnHeldLock(held_lock, cpu, holder_irql, state.vector, state.irql,
                                           low);
  }
  return -1;
}

int Interrupts::TargetExploring(VectorState& state, KAFFINITY affinity, KIRQL threshold) const {
  // An exploring schedule picks any vCPU the affinity and IRQL allow, and routes a pending
  // interrupt once, as an APIC sends it to one processor: it stays with that vCPU while the vCPU
  // can take it. Choosing again at every scan would let two vCPUs route it to each other in turn
  // while neither takes it.
  if (state.routed >= 0 && Eligible(static_cast<unsigned>(state.routed), affinity, threshold)) {
    return state.routed;
  }
  unsigned candidates[64];
  unsigned count = 0;
  for (unsigned cpu = 0; cpu < kernel_.processor_count(); ++cpu) {
    if (Eligible(cpu, affinity, threshold)) candidates[count++] = cpu;
  }
  if (count == 0) return -1;
  state.routed = static_cast<int>(candidates[kernel_.scheduler().Choose(count)]);
  return state.routed;
}

void Interrupts::DeliverRaised() {
  // An interrupt burst: while anything is deliverable to this vCPU it is delivered, highest IRQL
  // first as an APIC would, before the interrupted code or any DPC runs again (a level line left
  // asserted keeps the vCPU above DISPATCH_LEVEL, INT-7). Each dispatch can change what is
  // pending, so scan again after it. A call made from inside an ISR continues the burst it runs
  // in. Interrupts routed to another vCPU are handed to its context, once per call here.
  Cpu& cpu = kernel_.cpu();
  const unsigned me = cpu.index;
  if (cpu.dispatching == 0) cpu.burst = ++burst_;
  KAFFINITY handed = 0;
  bool took = false;
  for (;;) {
    VectorState* best = nullptr;
    KAFFINITY others = 0;
    for (VectorState* raised : raised_vectors_) {
      VectorState& state = *raised;
      if (!Pending(state)) continue;
      const int target = TargetFor(state);
      if (target < 0) continue;
      if (static_cast<unsigned>(target) != me) {
        others |= KAFFINITY{1} << target;
      } else if (best == nullptr || state.irql > best->irql) {
        best = raised;
      }
    }
    others &= ~handed;
    if (others != 0) {
      struct Handing {  // restored on the way out, bug check included
        explicit Handing(bool& flag) : flag(flag), was(flag) { flag = true; }
        ~Handing() { flag = was; }
        bool& flag;
        bool was;
      } handing(cpu.handing_interrupts);
      for (unsigned other = 0; other < kernel_.processor_count(); ++other) {
        if ((others & (KAFFINITY{1} << other)) == 0) continue;
        handed |= KAFFINITY{1} << other;
        // A vCPU still handing out its own interrupts scans again once that returns, and takes
        // what is its own then. Handing it more now would let two vCPUs that each had one for the
        // other hand them back and forth, each pass nesting deeper in both contexts, until the
        // stacks overflowed (kemu's fuzzer found it).
        if (kernel_.cpu(other).handing_interrupts) continue;
        kernel_.scheduler().Handoff(other);
      }
      continue;  // what the others took (or left) changes what is pending here
    }
    if (best == nullptr) break;
    // Counted by its state, found above: no lookup in vectors_ for it.
    CountDelivery(*best, cpu);
    took = true;
    Dispatch(*best, cpu);
    if (!Pending(*best)) best->streak = 0;  // serviced: the next delivery is a new interrupt
  }
  // The DPCs the burst queued run once this vCPU is back below DISPATCH_LEVEL: at once when the
  // burst interrupted a passive-level ISR, which is a thread at PASSIVE_LEVEL (audit round 10).
  if (took && cpu.irql < DISPATCH_LEVEL) kernel_.dpcs().Retire(cpu);
}

// Inlined into DeliverRaised: a few compares per delivery; the storm report is out of line.
[[gnu::always_inline]] inline void Interrupts::CountDelivery(VectorState& state, const Cpu& cpu) {
  if (state.burst != cpu.burst) {
    state.burst = cpu.burst;
    state.deliveries = 0;
  }
  // The first delivery is the interrupt; storm_threshold more in the same burst are a device
  // with that many events queued; one beyond is a storm. Counting deliveries rather
  // than "still asserted after the ISR" also bounds a line dropped and raised again, edges and
  // messages that re-arm each other, and an edge landing on a level-mode vector.
  // The streak bounds the same thing across bursts: under an exploring schedule a stuck line's
  // deliveries may alternate between vCPUs, each one a new burst there.
  const std::uint64_t bound = std::uint64_t{kernel_.options().storm_threshold} + 1;
  ++state.streak;
  if (++state.deliveries > bound || state.streak > bound) [[unlikely]] {
    ReportStorm(state, cpu.index);
  }
}

void Interrupts::ReportStorm(const VectorState& state, unsigned cpu) {
  const std::uint64_t redeliveries = std::max(state.deliveries, state.streak) - 1;
  const Attachment& first = state.chain.front();
  const InterruptObject* object = first.record->is_message_table
                                      ? first.record->ObjectFor(cpu, first.message)
                                      : first.record->objects.front().get();
  kernel_.verifier().InterruptStorm(
      object->k, state.chain.size() > 1, redeliveries,
      DescribeStormSource(state.vector, state) + DescribeStormClaimer(state, redeliveries));
}

// Inlined into its one caller, DeliverRaised: on the interrupt round trip a call boundary costs
// about as much as a lookup.
[[gnu::always_inline]] inline void Interrupts::Dispatch(VectorState& state, Cpu& cpu) {
  const ULONG vector = state.vector;
  const unsigned cpu_index = cpu.index;
  struct Depth {  // restored on the way out, bug check included
    explicit Depth(unsigned& n) : count(++n) {}
    ~Depth() { --count; }
    unsigned& count;
  } depth(cpu.dispatching);
  SetEdgePending(state, false);
  state.routed = -1;  // what comes next is a new interrupt, routed anew
  const KIRQL interrupted_irql = cpu.irql;
  kernel_.WriteIrql(cpu, state.irql);  // begin the interrupt at the vector's level
  // A snapshot of the chain: an ISR cannot connect or disconnect (PASSIVE_LEVEL calls), but
  // another vCPU can, so each record stays pinned until the dispatch ends.
  if (state.chain.size() == 1) {
    // Nearly every vector: one ISR, so the snapshot is one entry and one pin.
    const Attachment only = state.chain.front();
    const RecordPin pin(*only.record);
    kernel_.Note(TraceKind::kInterrupt, "interrupt", {{"Vector", vector}, {"Cpu", cpu_index}});
    CallIsr(state, only, cpu);
  } else {
    DispatchChain(state, cpu);
  }
  // Back to the interrupted level; what is still pending (a level line left asserted, an edge
  // raised during the service) is the caller's next delivery of this burst.
  kernel_.WriteIrql(cpu, interrupted_irql);
}

void Interrupts::DispatchChain(VectorState& state, Cpu& cpu) {
  // Short chains are copied onto the stack, not into a new vector per interrupt.
  constexpr std::size_t kShortChain = 8;
  std::array<Attachment, kShortChain> short_chain;  // only the copied entries are read
  std::vector<Attachment> long_chain;
  std::span<const Attachment> chain;
  if (state.chain.size() <= kShortChain) {
    std::copy(state.chain.begin(), state.chain.end(), short_chain.begin());
    chain = std::span<const Attachment>(short_chain.data(), state.chain.size());
  } else {
    long_chain = state.chain;
    chain = long_chain;
  }
  for (const Attachment& attached : chain) ++attached.record->pins;
  struct Unpin {  // on the way out, bug check included
    std::span<const Attachment> chain;
    ~Unpin() {
      for (const Attachment& attached : chain) --attached.record->pins;
    }
  } unpin{chain};
  kernel_.Note(TraceKind::kInterrupt, "interrupt", {{"Vector", state.vector}, {"Cpu", cpu.index}});
  for (const Attachment& attached : chain) {
    // docs/windows-facts.md §9.3: a level line stops at the first ISR that claims it; an edge
    // calls them all.
    if (CallIsr(state, attached, cpu) && state.mode == LevelSensitive) break;
  }
}

// Inlined into both dispatches (one ISR, a chain): every interrupt runs it.
[[gnu::always_inline]] inline bool Interrupts::CallIsr(const VectorState& state,
                                                       const Attachment& attached, Cpu& cpu) {
  ConnectionRecord& record = *attached.record;
  if (!record.connected) return false;
  if (!record.stats.active) {
    const auto policy = kernel_.options().inactive_interrupts;
    if (policy == MachineOptions::InactiveInterrupts::kDrop) return false;
    if (policy == MachineOptions::InactiveInterrupts::kBugCheck) {
      kernel_.verifier().InterruptWhileInactive(record.objects.front()->k);
    }
  }
  const unsigned cpu_index = cpu.index;
  InterruptObject* object = record.ObjectFor(cpu_index, attached.message);
  if (object == nullptr) return false;  // not enabled on this vCPU
  if (record.synchronize_irql > cpu.irql) kernel_.WriteIrql(cpu, record.synchronize_irql);
  // The race detector's context for the ISR, begun before its lock is taken so the ISR holds
  // it; ended on unwinding too.
  race::Detector& race = kernel_.race();
  if (race.enabled()) {
    race.BeginIsr(&record,
                  record.is_message_table ? reinterpret_cast<const void*>(record.message_isr)
                                          : reinterpret_cast<const void*>(record.isr),
                  state.vector, cpu.irql,
                  std::uint64_t{record.affinity != 0 ? record.affinity : KAFFINITY{1} << cpu_index},
                  cpu_index, __builtin_frame_address(0), attached.message);
    // What the driver did before its last write to the device (enabling its interrupts, say)
    // happens before this ISR: the device interrupts because of what it was told (audit round
    // 19, C1).
    if (record.device != nullptr) race.Acquire(record.device);
  }
  const race::ContextScope race_scope(race, cpu_index);
  // Inlined at both uses: on the round trip a call here cost as much as the release itself.
  const auto release = [&]() __attribute__((always_inline)) {
    if (record.passive) {
      record.passive_busy = false;
      race.LockReleased(&record.passive_busy);
    } else {
      kernel_.spin_locks().DropInterruptLock(object->lock);
    }
  };
  if (record.passive) {
    record.passive_busy = true;
    race.LockAcquired(&record.passive_busy);  // the event that serialises a passive ISR
  } else {
    kernel_.spin_locks().TakeInterruptLock(object->lock);
  }
  if (!record.connected) {
    // Disconnected on another vCPU while this one spun on the lock: the ISR no longer runs.
    release();
    kernel_.WriteIrql(cpu, state.irql);
    return false;
  }
  const std::size_t locks_before = kernel_.SpinLocksHeldBy(cpu_index);
  const KIRQL at_entry = cpu.irql;
  ++record.isr_running;
  ConnectionRecord* const interrupted_isr = std::exchange(innermost_isr_[cpu_index], &record);
  ++record.stats.isr_calls;
  if (record.claim_burst != cpu.burst) {
    record.claim_burst = cpu.burst;
    record.burst_calls = 0;
    record.burst_claims = 0;
  }
  ++record.burst_calls;
  NoteIsrBegin(state.vector, record, *object, attached.message);
  BOOLEAN claimed;
  {
    const RoutineAllotment allotment(kernel_, cpu,
                                     record.is_message_table
                                         ? reinterpret_cast<const void*>(record.message_isr)
                                         : reinterpret_cast<const void*>(record.isr),
                                     &object->k, /*isr=*/true);
    claimed = record.is_message_table
                  ? record.message_isr(&object->k, record.context, attached.message)
                  : record.isr(&object->k, record.context);
  }
  kernel_.NoteLazily(TraceKind::kIsrEnd, "ISR", [claimed] {
    return std::array{CallArg{"Claimed", claimed}};
  });
  // Published before the ISR stops counting as running: a disconnect waiting for it on another
  // vCPU may resume at the next schedule point (the interrupt lock's release), before the race
  // context below ends, and must learn everything the ISR did (docs/concurrency.md).
  race.Release(reinterpret_cast<const char*>(&record) + 1);
  --record.isr_running;
  innermost_isr_[cpu_index] = interrupted_isr;
  if (cpu.irql != at_entry) kernel_.verifier().IsrChangedIrql(object->k, at_entry, cpu.irql);
  if (kernel_.SpinLocksHeldBy(cpu_index) != locks_before) {
    kernel_.verifier().IsrReturnedHoldingLock(object->k);
  }
  // Its saves ran at its DIRQL or above: the code it interrupted saved below it. An ISR cannot
  // wait, so they are on this vCPU: one compare on the round trip.
  if (!cpu.floating_saves.empty()) [[unlikely]] {
    CheckSavesRestoredAtReturn(kernel_, "ISR",
                               record.is_message_table
                                   ? reinterpret_cast<const void*>(record.message_isr)
                                   : reinterpret_cast<const void*>(record.isr),
                               0, at_entry);
  }
  release();
  if (race.pending()) race.RaisePending();
  kernel_.WriteIrql(cpu, state.irql);
  if (claimed) {
    ++record.stats.isr_claimed;
    ++record.burst_claims;
  }
  return claimed;
}

}  // namespace kemu::model
