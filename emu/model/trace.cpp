#include "model/trace.hpp"

#include <fmt/format.h>

namespace kemu::model {

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kCall:
      return "call";
    case TraceKind::kIrql:
      return "irql";
    case TraceKind::kLockAcquire:
    case TraceKind::kLockRelease:
      return "lock";
    case TraceKind::kIsrBegin:
    case TraceKind::kIsrEnd:
      return "isr";
    case TraceKind::kDpcBegin:
    case TraceKind::kDpcEnd:
      return "dpc";
    case TraceKind::kInterrupt:
      return "interrupt";
    case TraceKind::kDevice:
      return "device";
    case TraceKind::kBugCheck:
      return "bugcheck";
    case TraceKind::kDataRace:
      return "race";
  }
  return "unknown";
}

std::vector<TraceEvent> Trace::Ring::Snapshot() const {
  std::vector<TraceEvent> out;
  out.reserve(slots_.size());
  // Until the ring is full next_ is 0 and the slots are already oldest first.
  out.insert(out.end(), slots_.begin() + static_cast<std::ptrdiff_t>(next_), slots_.end());
  out.insert(out.end(), slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(next_));
  return out;
}

Trace::Trace(unsigned history, unsigned capacity) : history_(history), events_(capacity) {}

void Trace::Keep(TraceKind kind, unsigned cpu, std::uint8_t irql, std::uint64_t time_100ns,
                 const char* name, std::initializer_list<CallArg> args) {
  // Written in place, straight into the ring: this runs for every IRQL change and lock.
  TraceEvent* const kept = events_.Claim();
  TraceEvent* const history = InHistory(kind) ? history_.Claim() : nullptr;
  TraceEvent* const event = kept != nullptr ? kept : history;
  if (event == nullptr) return;
  Fill(*event, kind, cpu, irql, time_100ns, name, args);
  if (history != nullptr && history != event) *history = *event;
}

std::string Trace::Describe(const TraceEvent& event) {
  std::string text = fmt::format("{}(", event.name);
  for (std::uint8_t i = 0; i < event.arg_count; ++i) {
    if (i > 0) text += ", ";
    text += fmt::format("{}={:#x}", event.args[i].name, event.args[i].value);
  }
  text += ')';
  return text;
}

}  // namespace kemu::model
