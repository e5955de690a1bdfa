// What happened on the machine, in order: kernel calls, IRQL changes, spin-lock acquires and
// releases, interrupt deliveries, ISR and DPC entry and exit, device line actions and bug checks,
// each stamped with its vCPU, the IRQL after it and the virtual time. Bug-check reports read the
// last kernel calls from it; Machine::TraceJson() exports it for ui.perfetto.dev.
//
// Both rings are reserved when the machine is built, so recording an event writes into memory
// that exists already (no allocation per event) and memory stays bounded however long a test
// runs. Names and argument names are `const char*` to string literals, so an event holds no
// owning memory and copying one is a plain copy.
#ifndef KEMU_EMU_MODEL_TRACE_HPP_
#define KEMU_EMU_MODEL_TRACE_HPP_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace kemu {
struct MachineOptions;
struct Personality;
}  // namespace kemu

namespace kemu::model {

/// One named argument of a kernel call or event, kept as a raw 64-bit value.
struct CallArg {
  const char* name;
  std::uint64_t value;
  /// The value is a host address (a driver object, a routine, a kemu object). Reports print it
  /// as is, for the debugger; the JSON export replaces it with a stable id ("&3": the third
  /// address the trace mentions), because host addresses change from run to run and the same
  /// seed must give the same trace.
  bool address = false;
};

/// An argument holding a host address (see CallArg::address).
constexpr CallArg AddressArg(const char* name, std::uintptr_t value) { return {name, value, true}; }

enum class TraceKind : std::uint8_t {
  kCall,         ///< a kernel routine the driver called; irql is the IRQL on entry
  kIrql,         ///< args: Old, New
  kLockAcquire,  ///< name: the routine that took it; args: Lock
  kLockRelease,  ///< name: the routine that dropped it; args: Lock
  kIsrBegin,     ///< args: Vector, Interrupt, Routine[, MessageId]
  kIsrEnd,       ///< args: Claimed
  kDpcBegin,     ///< args: Dpc, Routine
  kDpcEnd,       ///< args: Dpc
  kInterrupt,    ///< a vector delivered to a vCPU; args: Vector, Cpu
  kDevice,       ///< name: AssertLine, DeassertLine, PulseLine or SignalMessage
  kBugCheck,     ///< name: the bug check's name; args: Code, Arg1, Arg2, Arg3
  kDataRace,     ///< the race detector found a race; args: Address, Size
};

/// "call", "irql", "lock", ... (the Chrome trace category).
const char* TraceKindName(TraceKind kind);

/// An argument as an event keeps it; whether it is an address is kept in the event's mask.
struct EventArg {
  const char* name;
  std::uint64_t value;
};

// 96 bytes: with tracing on every kernel call, IRQL change and lock writes one or more events to a
// ring far larger than the caches, so an event's size is what tracing costs in memory traffic.
struct TraceEvent {
  /// Place in the machine's event order, 1 for the first. Every event is numbered, kept or not,
  /// so numbers mean the same with tracing on or off.
  std::uint64_t sequence = 0;
  std::uint64_t time_100ns = 0;
  const char* name = "";
  std::array<EventArg, 4> args{};
  std::uint16_t cpu = 0;
  TraceKind kind = TraceKind::kCall;
  std::uint8_t irql = 0;          ///< IRQL of `cpu` after the event (on entry, for a call)
  std::uint8_t arg_count = 0;     ///< args past it are unspecified (ring slots are reused)
  std::uint8_t address_args = 0;  ///< bit i: args[i] holds a host address (CallArg::address)

  bool is_address(std::size_t i) const { return ((address_args >> i) & 1) != 0; }
};
// Ring slots are raw storage written field by field (Trace::Ring), and copied as bytes.
static_assert(sizeof(TraceEvent) == 96);
static_assert(std::is_trivially_copyable_v<TraceEvent> &&
              std::is_trivially_destructible_v<TraceEvent>);

class Trace {
 public:
  /// `history`: kernel calls kept for reports. `capacity`: events of every kind kept for export;
  /// 0 keeps none (the fast path: only calls are kept).
  Trace(unsigned history, unsigned capacity);

  /// Records one event. Inline, so that with tracing off an event nothing keeps costs two
  /// increments and a branch at the call site, and one kept only for reports (a kernel call) is
  /// written straight into the history ring; with tracing on, every event is written once, into
  /// the events ring, and the history ring receives only the report events that ring overwrites.
  ///
  /// This overload is for an argument list written out where the event is recorded (every kernel
  /// call, the interrupt and DPC events): with `N` a constant the compiler writes each argument
  /// straight into the slot and folds the address mask, where the span overload copies them in a
  /// loop. That is about a third of what recording a call costs. Its body repeats the span
  /// overload's on purpose: sharing it through a fill lambda cost the round trip 11 instructions.
  template <std::size_t N>
  [[gnu::always_inline]] void Record(TraceKind kind, unsigned cpu, std::uint8_t irql,
                                     std::uint64_t time_100ns, const char* name,
                                     const CallArg (&args)[N]) {
    ++sequence_;
    if (kind == TraceKind::kCall) ++calls_;
    if (enabled()) {
      FillFixed(ClaimEvent(), kind, cpu, irql, time_100ns, name, args);
      if (InHistory(kind)) NoteReport();
    } else if (InHistory(kind)) {
      if (TraceEvent* event = history_.Claim())
        FillFixed(*event, kind, cpu, irql, time_100ns, name, args);
    }
  }
  /// Record with no arguments.
  void Record(TraceKind kind, unsigned cpu, std::uint8_t irql, std::uint64_t time_100ns,
              const char* name) {
    Record(kind, cpu, irql, time_100ns, name, std::span<const CallArg>());
  }
  void Record(TraceKind kind, unsigned cpu, std::uint8_t irql, std::uint64_t time_100ns,
              const char* name, std::span<const CallArg> args) {
    ++sequence_;
    if (kind == TraceKind::kCall) ++calls_;
    if (enabled()) {
      Fill(ClaimEvent(), kind, cpu, irql, time_100ns, name, args);
      if (InHistory(kind)) NoteReport();
    } else if (InHistory(kind)) {
      if (TraceEvent* event = history_.Claim())
        Fill(*event, kind, cpu, irql, time_100ns, name, args);
    }
  }

  /// Record of a kIrql event (`cpu` went from `old_irql` to `new_irql`) when Keeps(kIrql), i.e.
  /// with tracing on (else Skip): the most frequent event then, so its two arguments are written
  /// in place rather than copied from a list.
  void RecordIrql(unsigned cpu, std::uint8_t old_irql, std::uint8_t new_irql,
                  std::uint64_t time_100ns) {
    ++sequence_;
    TraceEvent& event = ClaimEvent();
    FillHeader(event, TraceKind::kIrql, cpu, new_irql, time_100ns, "IRQL");
    event.args[0] = EventArg{"Old", old_irql};
    event.args[1] = EventArg{"New", new_irql};
    event.arg_count = 2;
    event.address_args = 0;
  }

  /// Whether an event of `kind` is kept anywhere: tracing is on, or reports list the kind. When
  /// it is not, Skip numbers it instead, so hot paths need not build arguments nothing reads.
  bool Keeps(TraceKind kind) const { return enabled() || InHistory(kind); }
  /// Numbers an event Keeps says nobody keeps (never a kernel call: reports keep those).
  void Skip() { ++sequence_; }

  bool enabled() const { return events_.capacity() > 0; }
  /// Sequence number of the latest event (0 before the first).
  std::uint64_t sequence() const { return sequence_; }
  /// Kernel calls (TraceKind::kCall) so far.
  std::uint64_t calls() const { return calls_; }
  /// Events recorded but no longer kept: the oldest were overwritten, or tracing is off.
  std::uint64_t dropped() const { return sequence_ - events_.size(); }

  /// For reports: the last kernel calls, with the interrupt deliveries and DPC routines between
  /// them, oldest first (at most the history's capacity).
  std::vector<TraceEvent> RecentCalls() const;
  /// Every kept event, oldest first (empty when tracing is off).
  std::vector<TraceEvent> Events() const { return events_.Snapshot(); }

  /// "KeRaiseIrql(NewIrql=0x2)".
  static std::string Describe(const TraceEvent& event);

  /// Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing); see trace_json.cpp.
  std::string ToChromeJson(const Personality& personality, const MachineOptions& options) const;

 private:
  // A fixed-capacity ring: storage is allocated once and left untouched until written (a
  // machine with a large trace pays for the pages it fills, not for all of them up front), then
  // filled, then overwritten oldest first. Claiming a slot is an increment and a compare.
  class Ring {
   public:
    explicit Ring(std::size_t capacity)
        : capacity_(capacity),
          slots_(capacity == 0 ? nullptr : Allocate(capacity), Free{capacity}),
          next_(slots_.get()),
          end_(slots_.get() + capacity) {}
    /// The slot the next event is written into (the oldest once full); nullptr for capacity 0.
    /// Its old contents are unspecified: the caller writes every field. A pointer bump and a
    /// compare: it runs for every event.
    TraceEvent* Claim() {
      if (capacity_ == 0) return nullptr;
      TraceEvent* slot = next_;
      if (++next_ == end_) [[unlikely]] {
        next_ = slots_.get();
        full_ = true;
      }
      return slot;
    }
    std::vector<TraceEvent> Snapshot() const;
    /// The `i`th newest event (0: the newest), for i < size().
    const TraceEvent& Newest(std::size_t i) const {
      return slots_.get()[(next_index() + capacity_ - 1 - i) % capacity_];
    }
    std::size_t capacity() const { return capacity_; }
    /// Every slot has been written: the next Claim returns the oldest event.
    bool full() const { return full_; }
    std::size_t size() const { return full_ ? capacity_ : next_index(); }

   private:
    struct Free {
      std::size_t capacity;
      void operator()(TraceEvent* slots) const { Release(slots, capacity); }
    };
    // Raw storage: TraceEvent is an aggregate of scalars (an implicit-lifetime type), so a slot
    // comes to life when Fill writes it, with no constructor run over the whole ring first.
    static TraceEvent* Allocate(std::size_t capacity);
    static void Release(TraceEvent* slots, std::size_t capacity);
    /// Index of the slot the next event is written into.
    std::size_t next_index() const { return static_cast<std::size_t>(next_ - slots_.get()); }

    std::size_t capacity_;
    std::unique_ptr<TraceEvent, Free> slots_;
    TraceEvent* next_;   ///< slot the next event is written into
    TraceEvent* end_;    ///< one past the last slot
    bool full_ = false;  ///< every slot has been written (next_ wrapped at least once)
  };

  /// What reports have always listed between the calls: where an interrupt or a DPC ran.
  static bool InHistory(TraceKind kind) {
    return kind == TraceKind::kCall || kind == TraceKind::kInterrupt ||
           kind == TraceKind::kDpcBegin;
  }
  /// With tracing on: the events ring's slot for the next event.
  TraceEvent& ClaimEvent() {
    TraceEvent& event = *events_.Claim();
    // Once the ring is full the slot holds the oldest event, which reports still list if it is a
    // report event and one of the last `history` of them: then a copy is kept. Every event is
    // written here in order, so the slot holds event number sequence_ - capacity, and one
    // compare tells whether it may be one of those; the (cold) slot is read only then, which with
    // a ring much larger than the history (the default) is never.
    if (sequence_ >= check_from_) [[unlikely]] {
      const std::uint64_t oldest = OldestRecentReport();
      check_from_ = oldest == UINT64_MAX ? UINT64_MAX
                                         : events_.capacity() + std::max<std::uint64_t>(oldest, 1);
      if (sequence_ >= check_from_ && InHistory(event.kind)) Spill(event);
    }
    return event;
  }
  /// With tracing on: report event number sequence_ was recorded.
  void NoteReport() {
    recent_reports_[next_report_] = sequence_;
    if (++next_report_ == recent_reports_.size()) [[unlikely]] {
      next_report_ = 0;
      recent_reports_full_ = true;
    }
  }
  /// The number of the oldest of the last `history` report events: events numbered below it are
  /// not among them. 0 while fewer are known (all are among them).
  std::uint64_t OldestRecentReport() const {
    if (history_.capacity() == 0) return UINT64_MAX;  // reports keep nothing: never spill
    return recent_reports_full_ ? recent_reports_[next_report_] : 0;
  }
  /// With tracing on: the events ring overwrites `event`, which reports still list, so the
  /// history ring keeps a copy (it then holds the newest report events no longer in the ring).
  void Spill(const TraceEvent& event) {
    if (TraceEvent* kept = history_.Claim()) *kept = event;
  }
  void FillHeader(TraceEvent& event, TraceKind kind, unsigned cpu, std::uint8_t irql,
                  std::uint64_t time_100ns, const char* name) const {
    event.sequence = sequence_;
    event.time_100ns = time_100ns;
    event.name = name;
    event.cpu = static_cast<std::uint16_t>(cpu);
    event.kind = kind;
    event.irql = irql;
  }
  void Fill(TraceEvent& event, TraceKind kind, unsigned cpu, std::uint8_t irql,
            std::uint64_t time_100ns, const char* name, std::span<const CallArg> args) const {
    FillHeader(event, kind, cpu, irql, time_100ns, name);
    const std::size_t count = std::min(args.size(), event.args.size());
    unsigned addresses = 0;
    for (std::size_t i = 0; i < count; ++i) {
      event.args[i] = EventArg{args[i].name, args[i].value};
      addresses |= static_cast<unsigned>(args[i].address) << i;
    }
    event.arg_count = static_cast<std::uint8_t>(count);
    event.address_args = static_cast<std::uint8_t>(addresses);
  }

  template <std::size_t N>
  [[gnu::always_inline]] void FillFixed(TraceEvent& event, TraceKind kind, unsigned cpu,
                                        std::uint8_t irql, std::uint64_t time_100ns,
                                        const char* name, const CallArg (&args)[N]) const {
    FillHeader(event, kind, cpu, irql, time_100ns, name);
    constexpr std::size_t kKept = std::min(N, std::tuple_size_v<decltype(event.args)>);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((event.args[I] = EventArg{args[I].name, args[I].value}), ...);
      event.address_args =
          static_cast<std::uint8_t>((0u | ... | (static_cast<unsigned>(args[I].address) << I)));
    }
    (std::make_index_sequence<kKept>());
    event.arg_count = static_cast<std::uint8_t>(kKept);
  }

  Ring history_;
  Ring events_;
  /// With tracing on: the numbers of the last `history` report events (InHistory), a ring.
  std::vector<std::uint64_t> recent_reports_;
  std::size_t next_report_ = 0;
  bool recent_reports_full_ = false;
  /// The first event number whose slot may hold an event to keep: capacity + max(the oldest of
  /// the last `history` report events, 1), as it was when last computed. That oldest number only
  /// grows, so a stale value is a low bound: reaching it recomputes it, and only then is the
  /// check exact. 0 until the first event computes it.
  std::uint64_t check_from_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t calls_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_TRACE_HPP_
