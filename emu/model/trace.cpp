#include "model/trace.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <new>

#include "model/address_sanitizer.hpp"

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

namespace {

#ifdef KEMU_ASAN
// AddressSanitizer's allocator writes the shadow of a large block when it maps it and again when
// the block is freed (into its quarantine): about 5 ms for the default ring, which every machine
// of a test program under ASan paid. Memory mapped directly has no shadow written, and only the
// pages events fill are backed. Small rings (the call history) stay on the heap.
constexpr std::size_t kMappedRingBytes = std::size_t{64} << 10;
bool Mapped(std::size_t bytes) { return bytes >= kMappedRingBytes; }
#else
constexpr bool Mapped(std::size_t) { return false; }
#endif

}  // namespace

TraceEvent* Trace::Ring::Allocate(std::size_t capacity) {
  const std::size_t bytes = capacity * sizeof(TraceEvent);
  if (!Mapped(bytes)) return static_cast<TraceEvent*>(::operator new(bytes));
  void* slots = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (slots == MAP_FAILED) throw std::bad_alloc();
  return static_cast<TraceEvent*>(slots);
}

void Trace::Ring::Release(TraceEvent* slots, std::size_t capacity) {
  const std::size_t bytes = capacity * sizeof(TraceEvent);
  if (Mapped(bytes)) {
    munmap(slots, bytes);
  } else {
    ::operator delete(slots);
  }
}

std::vector<TraceEvent> Trace::Ring::Snapshot() const {
  std::vector<TraceEvent> out;
  out.reserve(size());
  // Until the ring is full the slots before next_ are all there is, oldest first; once full,
  // the oldest is the one next_ overwrites.
  const TraceEvent* const begin = slots_.get();
  if (full_) out.insert(out.end(), next_, end_);
  out.insert(out.end(), begin, static_cast<const TraceEvent*>(next_));
  return out;
}

Trace::Trace(unsigned history, unsigned capacity)
    : history_(history),
      events_(capacity),
      // One slot at least, so that NoteReport needs no check; unread without a history.
      recent_reports_(std::max(history, 1u)) {}

std::vector<TraceEvent> Trace::RecentCalls() const {
  if (!enabled()) return history_.Snapshot();
  // Tracing on: the newest report events are those still in the events ring, and before them
  // the ones the ring overwrote while still among the last `history` (spilled into the history
  // ring, oldest first), so together they are exactly what the history ring alone keeps with
  // tracing off.
  // Read in place, newest first: a report must not copy the whole events ring.
  const std::size_t wanted = history_.capacity();
  std::vector<TraceEvent> newest_first;
  for (std::size_t i = 0; i < events_.size() && newest_first.size() < wanted; ++i) {
    if (InHistory(events_.Newest(i).kind)) newest_first.push_back(events_.Newest(i));
  }
  for (std::size_t i = 0; i < history_.size() && newest_first.size() < wanted; ++i) {
    newest_first.push_back(history_.Newest(i));
  }
  return {newest_first.rbegin(), newest_first.rend()};
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
