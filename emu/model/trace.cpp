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
  out.reserve(size());
  // Until the ring is full the slots from 0 to next_ are all there is, oldest first; once full,
  // the oldest is the one next_ overwrites.
  const TraceEvent* const begin = slots_.get();
  if (full_) out.insert(out.end(), begin + next_, begin + capacity_);
  out.insert(out.end(), begin, begin + next_);
  return out;
}

Trace::Trace(unsigned history, unsigned capacity) : history_(history), events_(capacity) {}

void Trace::Keep(TraceKind kind, unsigned cpu, std::uint8_t irql, std::uint64_t time_100ns,
                 const char* name, std::initializer_list<CallArg> args) {
  // Written in place, straight into the ring: this runs for every IRQL change and lock. Enabled
  // means the events ring has slots, so there is always one.
  TraceEvent& kept = *events_.Claim();
  Fill(kept, kind, cpu, irql, time_100ns, name, args);
  // Filled again rather than copied: a copy would read back the slot just written, in other
  // widths than it was written in, which stalls on store forwarding.
  if (InHistory(kind)) {
    if (TraceEvent* const history = history_.Claim()) {
      Fill(*history, kind, cpu, irql, time_100ns, name, args);
    }
  }
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
