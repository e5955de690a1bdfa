// What the interrupt controller reports about itself: connection statistics computed on demand,
// and the device a storm report names.
#include <fmt/format.h>

#include "model/devices.hpp"
#include "model/interrupts.hpp"
#include "model/kernel.hpp"
#include "race/symbol_table.hpp"

namespace kemu::model {

namespace {

const void* IsrRoutine(const ConnectionRecord& record) {
  return record.is_message_table ? reinterpret_cast<const void*>(record.message_isr)
                                 : reinterpret_cast<const void*>(record.isr);
}

/// "CapLineIsr at 0x..." from the driver module's symbol table (race reports name routines the
/// same way), else the bare address: a storm report is read to find the driver's code.
std::string NameIsr(const ConnectionRecord& record) {
  const void* routine = IsrRoutine(record);
  const std::string name = race::FunctionNameAt(reinterpret_cast<std::uintptr_t>(routine));
  if (name.empty()) return fmt::format("{}", routine);
  return fmt::format("{} at {}", name, routine);
}

/// "(interrupt object 0x..., device 'nic0')".
std::string IsrPlace(const ConnectionRecord& record) {
  return fmt::format(
      "(interrupt object {}{})", static_cast<const void*>(&record.objects.front()->k),
      record.device != nullptr ? fmt::format(", device '{}'", record.device->config.name)
                               : std::string());
}

}  // namespace

std::uint32_t Interrupts::PendingCount(const ConnectionRecord& record) const {
  std::uint32_t pending = 0;
  for (ULONG vector : record.vectors) {
    auto it = vectors_.find(vector);
    if (it != vectors_.end() && Pending(it->second)) ++pending;
  }
  return pending;
}

std::string Interrupts::DescribeStormSource(ULONG vector, const VectorState& state) const {
  return DescribeStormDevices(vector, state) + DescribeDroppedWhileInactive(state);
}

std::string Interrupts::DescribeDroppedWhileInactive(const VectorState& state) const {
  // MachineOptions::inactive_interrupts = kDrop: the ISR never ran, so the usual advice (the ISR
  // must acknowledge its device) misses what happened.
  if (kernel_.options().inactive_interrupts != MachineOptions::InactiveInterrupts::kDrop) {
    return "";
  }
  std::string text;
  for (const Attachment& attached : state.chain) {
    const ConnectionRecord& record = *attached.record;
    if (!record.connected || record.stats.active) continue;
    text += fmt::format(
        "; every delivery to the ISR {} (interrupt object {}) was dropped without calling it: the "
        "driver reported it inactive (IoReportInterruptInactive) and "
        "MachineOptions::inactive_interrupts is kDrop. Disable the device's interrupts before "
        "reporting its ISR inactive",
        NameIsr(record), static_cast<const void*>(&record.objects.front()->k));
  }
  return text;
}

std::string Interrupts::DescribeStormDevices(ULONG vector, const VectorState& state) const {
  // Windows' parameters name the first ISR on the vector, which after a stop that left a card
  // interrupting is an innocent neighbour: the report names the device holding the line.
  std::vector<const DeviceState*> holding;
  if (state.mode == LevelSensitive) {
    for (const auto& device : kernel_.devices().all()) {
      if (device->line_asserted && device->config.line &&
          device->config.line->mode == Trigger::kLevel && device->config.line->vector == vector) {
        holding.push_back(device.get());
      }
    }
  }
  if (holding.empty()) {
    if (state.raised_by == nullptr) return "no device is known to have raised it";
    return fmt::format("device '{}' raised it again each time it was serviced",
                       state.raised_by->config.name);
  }
  std::string names;
  std::string orphans;  // asserting devices whose driver has no ISR connected
  for (const DeviceState* device : holding) {
    const std::string name = fmt::format("'{}'", device->config.name);
    names += (names.empty() ? "" : ", ") + name;
    if (device->connection == nullptr) orphans += (orphans.empty() ? "" : ", ") + name;
  }
  std::string text = holding.size() == 1
                         ? fmt::format("device {} keeps its level line asserted", names)
                         : fmt::format("devices {} keep their level lines asserted", names);
  if (!orphans.empty()) {
    text += fmt::format(
        ", and no ISR is connected for {} (stopped without disabling its interrupts at the "
        "device?)",
        orphans);
  }
  return text;
}

std::string Interrupts::DescribeStormClaimer(const VectorState& state,
                                             std::uint64_t dispatched) const {
  // The ISR that returned TRUE for every delivery of the burst: on a shared level line it is
  // the one that claims what is not its device's (the walk stops at it, so the ISRs after it
  // never see the interrupt); alone on a vector, it claims without silencing its device.
  const ConnectionRecord* claimer = nullptr;
  std::size_t position = 0;
  bool any_claim = false;
  for (std::size_t i = 0; i < state.chain.size(); ++i) {
    const ConnectionRecord& record = *state.chain[i].record;
    if (record.claim_burst == state.burst && record.burst_claims != 0) any_claim = true;
    if (record.claim_burst != state.burst || record.burst_claims != dispatched) continue;
    if (claimer != nullptr) return "";  // several ISRs claimed every one (an edge chain)
    claimer = &record;
    position = i;
  }
  if (dispatched == 0) return "";
  if (claimer == nullptr) return any_claim ? "" : DescribeStormDecliners(state, dispatched);
  std::string text = fmt::format("; the ISR {} {} claimed every one of the {} deliveries",
                                 NameIsr(*claimer), IsrPlace(*claimer), dispatched);
  const std::size_t after = state.chain.size() - position - 1;
  if (state.mode == LevelSensitive && after > 0) {
    text += fmt::format(", so the {} ISR{} after it on the vector never ran for them", after,
                        after == 1 ? "" : "s");
  }
  return text;
}

std::string Interrupts::DescribeStormDecliners(const VectorState& state,
                                               std::uint64_t dispatched) const {
  // Nobody claimed a level delivery, so the walk ran every ISR each time: the one whose device
  // holds the line returned FALSE without acknowledging it (it tests the wrong cause bit, say).
  // Only the asserting devices' own ISRs are named; their neighbours rightly declined.
  if (state.mode != LevelSensitive) return "";
  std::string names;
  std::size_t count = 0;
  for (const Attachment& attached : state.chain) {
    const ConnectionRecord& record = *attached.record;
    if (!record.connected || record.device == nullptr || !record.device->line_asserted) continue;
    // Only what ran is named (an inactive ISR dropped: DescribeDroppedWhileInactive says so).
    const std::uint64_t calls = record.claim_burst == state.burst ? record.burst_calls : 0;
    if (calls == 0) continue;
    names += fmt::format("{}{} {}", names.empty() ? "" : ", ", NameIsr(record), IsrPlace(record));
    if (calls != dispatched) names += fmt::format(" (called for {} of them)", calls);
    ++count;
  }
  if (count == 0) return "";
  return fmt::format(
      "; no ISR claimed any of the {} deliveries: {} {} of the asserting device{} ran and "
      "returned FALSE every time",
      dispatched, count == 1 ? "the ISR" : "the ISRs", names, count == 1 ? "" : "s");
}

}  // namespace kemu::model
