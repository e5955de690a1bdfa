// What a run observes besides register writes: connections coming and going, and at the end the
// driver device's counters and every probe value (Outcome::observations).
#include <fmt/format.h>

#include <new>

#include "kemu/bugcheck.hpp"
#include "kemu/testing/ntstatus.hpp"
#include "scenario/run/session.hpp"

namespace kemu::scenario::internal {

std::string FormatBugCheckCode(std::uint32_t code) {
  const std::string_view name = BugCheckName(code);
  if (name.empty()) return fmt::format("0x{:X}", code);
  return fmt::format("0x{:X} {}", code, name);
}

std::string StatusWord(std::int32_t status) {
  const std::string_view name = testing::NtStatusName(status);
  if (!name.empty()) return std::string(name);
  return testing::FormatNtStatus(status);
}

void Session::SettleAndNote() {
  machine().Settle();
  NoteConnections();
}

void Session::NoteConnections() {
  if (machine_ == nullptr) return;
  for (DeviceSlot& slot : slots_) {
    const Connection* connection = slot.device != nullptr ? slot.device->connection() : nullptr;
    // The model's copy, not the one this took at the previous step's end: a step that
    // disconnects (stop) may have run the ISR before the disconnect, and the counters after a
    // stop describe the last connection up to its end (docs/scenarios.md).
    const Connection* last = slot.device != nullptr ? slot.device->last_connection() : nullptr;
    if (last != nullptr) slot.last_seen = *last;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> now;
    if (connection != nullptr) now = std::make_pair(connection->version, connection->message_count);
    if (&slot == driver_slot_) outcome_.connection = slot.last_seen;
    // The foreign driver is kemu's, not the driver's: its connection is not behaviour to diff.
    if (slot.spec->foreign || now == slot.reported) continue;
    if (now) {
      Observe("connect {} {} messages={}", slot.name(), ConnectVersionName(now->first),
              now->second);
    } else {
      Observe("disconnect {}", slot.name());
    }
    slot.reported = now;
  }
}

void Session::ObserveTotals() {
  if (!observing() || driver_slot_ == nullptr || driver_slot_->device == nullptr) return;
  if (const std::optional<Connection>& c = driver_slot_->last_seen) {
    Observe(fmt::format("counters {} isr_calls={} isr_claimed={} dpcs_requested={}",
                        driver_slot_->name(), c->isr_calls, c->isr_claimed, c->dpcs_requested));
  }
  std::vector<std::string> probes;
  try {
    probes = adapter_.Probes();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception&) {
    return;  // an adapter that cannot list its probes has nothing to observe
  }
  for (const std::string& probe : probes) {
    try {
      Observe(fmt::format("probe {} = {}", probe, adapter_.Probe(probe, *driver_slot_->device)));
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const BugCheck&) {
      Observe("probe " + probe + " unavailable after the bug check");
    } catch (const std::exception& error) {
      Observe(fmt::format("probe {} error: {}", probe, error.what()));
    }
  }
}

}  // namespace kemu::scenario::internal
