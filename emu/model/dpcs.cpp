#include "model/dpcs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <exception>

#include "model/allotment.hpp"
#include "model/floating_state.hpp"
#include "model/freed_objects.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// Windows marks a queued DPC by pointing DpcData at the owning processor's DPC data; drivers only
// ever compare it with NULL, so any stable non-NULL address will do.
PVOID QueuedMarker(Cpu& cpu) { return &cpu.dpc_queue; }

constexpr UCHAR kDpcObjectType = 19;          // DPC-1: DpcObject
constexpr UCHAR kThreadedDpcObjectType = 24;  // ThreadedDpcObject

// The KDPC still holds what KeInitializeDpc wrote and kemu recorded beside it. A KDPC left queued
// in a stack frame that returned, or in memory reused meanwhile, does not (docs/kernel.md).
// Not instrumented: under ASan the bytes of a frame that was left may lie in a live frame's
// redzone, and reading them is the point.
[[gnu::no_sanitize_address]] bool Holds(const KDPC& dpc, const DpcState& state) {
  return dpc.Type == (state.threaded ? kThreadedDpcObjectType : kDpcObjectType) &&
         dpc.DeferredRoutine == state.routine;
}

}  // namespace

void Dpcs::Initialize(PKDPC dpc, PKDEFERRED_ROUTINE routine, PVOID context, bool threaded) {
  const State* known = dpcs_.Find(dpc);
  const bool queued = known != nullptr && known->queued;
  if (queued) kernel_.verifier().DpcReinitializedWhileQueued(dpc);
  // DPC-1: these fields are set; DpcListEntry and the system arguments are left as they were.
  dpc->Type = threaded ? kThreadedDpcObjectType : kDpcObjectType;
  dpc->Importance = MediumImportance;
  dpc->Number = 0;
  dpc->DeferredRoutine = routine;
  dpc->DeferredContext = context;
  dpc->DpcData = nullptr;
  // Without Verifier that was allowed: KeInitializeDpc never touches the queue entry, so the
  // DPC stays queued and runs once, with the new routine and context. kemu keeps it linked once
  // (UNCONFIRMED: an insert before it ran would link it twice on Windows; here it returns FALSE).
  dpcs_[dpc] = State{.queued = queued, .threaded = threaded, .routine = routine};
  // A new KDPC for the race detector (docs/concurrency.md): at a reused address it inherits no
  // queueing, and its routine nothing an earlier one there learned. A queued one keeps its queue
  // edge: it still runs once, and what its inserter did happens before that run.
  if (!queued) kernel_.race().ObjectInitialized(dpc);
}

Dpcs::State& Dpcs::Lookup(const char* routine, PKDPC dpc) {
  State* state = dpcs_.Find(dpc);
  if (state == nullptr) {
    RejectIfInFreedPool(kernel_, routine, "a KDPC initialized by KeInitializeDpc", dpc);
    kernel_.verifier().UninitializedDpc(routine, dpc);
  }
  return *state;
}

BOOLEAN Dpcs::Insert(PKDPC dpc, PVOID argument1, PVOID argument2) {
  State& state = Lookup("KeInsertQueueDpc", dpc);
  // What the caller did so far happens before the routine runs, even if it is queued already.
  kernel_.race().Release(dpc);
  // DPC-4: a queued DPC stays as it is, arguments included.
  if (state.queued) return FALSE;
  Cpu& current = kernel_.cpu();
  Cpu* queue_on = &current;
  if (state.target >= 0) [[unlikely]] {
    const auto processor = static_cast<unsigned>(state.target);
    if (processor >= kernel_.processor_count()) {
      kernel_.verifier().QueuedOnMissingProcessor(dpc, processor, kernel_.processor_count());
    }
    queue_on = &kernel_.cpu(processor);
  }
  Cpu& target = *queue_on;
  dpc->SystemArgument1 = argument1;
  dpc->SystemArgument2 = argument2;
  if (ConnectionRecord* isr = kernel_.interrupts().running_isr(kernel_.current_processor())) {
    ++isr->stats.dpcs_requested;
  }
  dpc->DpcData = QueuedMarker(target);
  // Queued by a DPC routine (not by an ISR that interrupted one): one more link of its chain.
  state.chain = current.dpc_depth > 0 && current.dispatching == 0 ? current.dpc_chain + 1 : 0;
  if (state.chain > kChainLimit) [[unlikely]] {
    kernel_.verifier().DpcChainNeverEnds(dpc, state.chain);
  }
  state.queued = true;
  state.serial = ++serial_;
  if (dpc->Importance == HighImportance) {
    target.dpc_queue.push_front({dpc, &state});
  } else {
    target.dpc_queue.push_back({dpc, &state});
  }
  ++queued_;
  // DPC-2: below DISPATCH_LEVEL the DISPATCH software interrupt is taken at once. kemu treats
  // every importance alike here: Windows only defers LowImportance until a later tick, a moment
  // it leaves unspecified.
  if (current.irql < DISPATCH_LEVEL) {
    if (holding_ == 0) Retire(current);
  } else if (&target != &current && kernel_.scheduler().exploring()) {
    // The target runs it whenever the schedule lets it. The default schedule keeps it for when
    // this vCPU drops below DISPATCH_LEVEL (Retire), so it runs after the ISR that queued it.
    HandOff(target.index);
  }
  return TRUE;
}

Dpcs::Hold::~Hold() noexcept(false) {
  // A bug check thrown while holding unwinds through here: nothing more runs then.
  if (--dpcs_.holding_ != 0 || std::uncaught_exceptions() > 0) return;
  Cpu& current = dpcs_.kernel_.cpu();
  if (current.irql < DISPATCH_LEVEL) dpcs_.Retire(current);
}

BOOLEAN Dpcs::Remove(PKDPC dpc) {
  State& state = Lookup("KeRemoveQueueDpc", dpc);
  // The routine's past runs happen before: it is not queued when this returns (on one vCPU, it
  // cannot be running either). UNCONFIRMED as a guarantee on several processors.
  kernel_.race().Acquire(reinterpret_cast<const char*>(dpc) + 1);
  if (!state.queued) return FALSE;  // DPC-5
  Unqueue(dpc);
  state.queued = false;
  dpc->DpcData = nullptr;
  return TRUE;
}

void Dpcs::Unqueue(PKDPC dpc) {
  for (unsigned i = 0; i < kernel_.processor_count(); ++i) {
    queued_ -= kernel_.cpu(i).dpc_queue.RemoveIf(
        [dpc](const QueuedDpc& entry) { return entry.dpc == dpc; });
  }
}

void Dpcs::Forget(PKDPC dpc) {
  if (IsQueued(dpc)) Unqueue(dpc);
  dpcs_.Erase(dpc);
}

void Dpcs::SetImportance(PKDPC dpc, KDPC_IMPORTANCE importance) {
  Lookup("KeSetImportanceDpc", dpc);
  if (importance < LowImportance || importance > MediumHighImportance) {
    kernel_.verifier().EnumArgumentOutOfRange("KeSetImportanceDpc", "Importance", importance,
                                              reinterpret_cast<std::uintptr_t>(dpc));
  }
  // Windows stores the low byte whatever it is (UNCONFIRMED beyond ReactOS); Insert then queues
  // every importance but HighImportance at the tail.
  dpc->Importance = static_cast<UCHAR>(importance);
}

void Dpcs::SetTargetProcessor(PKDPC dpc, unsigned processor, const char* routine) {
  State& state = Lookup(routine, dpc);
  if (processor >= kernel_.processor_count()) {
    // From Windows 7 on a number past the active processors of group 0 leaves the target as it
    // was (documented): legal, as a driver with a fixed number of queues on a smaller machine
    // relies on. Before, it is stored, and the insert that uses it is 0xC7 / 3.
    if (kernel_.personality().processor_groups) return;
    kernel_.verifier().TargetProcessorOutOfRange(dpc, processor, kernel_.processor_count());
  }
  state.target = static_cast<int>(processor);
  dpc->Number = static_cast<USHORT>(processor);
}

void Dpcs::Flush() {
  RetireAll();
  const std::uint64_t serial = serial_;
  // Called at DISPATCH_LEVEL (a retail kernel does not check), the caller's own DPCs cannot run
  // until it returns; it waits for the other vCPUs only (UNCONFIRMED: Windows documents only
  // PASSIVE_LEVEL callers).
  const Cpu& caller = kernel_.cpu();
  const int skip = caller.irql >= DISPATCH_LEVEL ? static_cast<int>(caller.index) : -1;
  if (AnyUpTo(serial, skip)) {
    kernel_.scheduler().WaitUntil(
        {.ready = [this, serial, skip] { return !AnyUpTo(serial, skip); },
         .what = fmt::format("the DPCs queued before KeFlushQueuedDpcs to run: {}",
                             fmt::join(DescribeQueued(), "; "))});
  }
  // Every DPC routine run so far happens before the flush returns.
  kernel_.race().Acquire(nullptr);
}

bool Dpcs::AnyUpTo(std::uint64_t serial, int skip_cpu) const {
  for (unsigned i = 0; i < kernel_.processor_count(); ++i) {
    if (static_cast<int>(i) == skip_cpu) continue;
    const Cpu& cpu = kernel_.cpu(i);
    for (const QueuedDpc& entry : cpu.dpc_queue) {
      if (entry.state->serial <= serial) return true;
    }
    if (cpu.oldest_running_dpc <= serial) return true;
  }
  return false;
}

void Dpcs::HandOff(unsigned cpu) {
  const Cpu& other = kernel_.cpu(cpu);
  if (other.dpc_queue.empty() || other.irql >= DISPATCH_LEVEL || other.retiring_dpcs) return;
  kernel_.scheduler().Handoff(cpu);
}

// Inlined into the retirement loop, as RetireOne is into its callers: the interrupt round trip
// runs one DPC per retirement, and each call level costs it a frame.
[[gnu::always_inline]] inline void Dpcs::Run(Cpu& cpu, QueuedDpc entry) {
  PKDPC dpc = entry.dpc;
  State& state = *entry.state;
  // Before anything reads the routine out of the KDPC: it may be garbage by now.
  if (!Holds(*dpc, state)) [[unlikely]] {
    kernel_.verifier().TimerOrDpcOverwritten(dpc, /*timer=*/false, dpc, state.routine);
  }
  // DPC-8: dequeued before the routine runs, so the routine may queue itself again.
  state.queued = false;
  dpc->DpcData = nullptr;
  const std::uint64_t outer_oldest = cpu.oldest_running_dpc;
  cpu.oldest_running_dpc = std::min(outer_oldest, state.serial);
  ++runs_;
  const KIRQL before = cpu.irql;
  // A threaded DPC runs at PASSIVE_LEVEL in its own high-priority thread while threaded DPCs are
  // enabled (Windows' default), as an ordinary DPC at DISPATCH_LEVEL when they are not.
  const KIRQL run_at = state.threaded && threaded_enabled_ ? PASSIVE_LEVEL : DISPATCH_LEVEL;
  const KIRQL outer_dpc_irql = cpu.dpc_irql;
  const std::uint64_t outer_chain = cpu.dpc_chain;
  cpu.dpc_irql = run_at;
  cpu.dpc_chain = state.chain;
  kernel_.WriteIrql(cpu, run_at);
  ++cpu.dpc_depth;
  const std::size_t locks_before = kernel_.SpinLocksHeldBy(cpu.index);
  const unsigned apc_disable_before = kernel_.dispatcher().kernel_apc_disable(cpu.index);
  const std::uint64_t started = kernel_.trace().sequence();
  kernel_.Note(TraceKind::kDpcBegin, "DPC routine",
               {AddressArg("Dpc", reinterpret_cast<std::uintptr_t>(dpc)),
                AddressArg("Routine", reinterpret_cast<std::uintptr_t>(dpc->DeferredRoutine))});
  // A NULL routine is an instruction fetch at address 0 (audit round 16, V3: kemu skipped it).
  if (dpc->DeferredRoutine == nullptr) [[unlikely]] {
    kernel_.verifier().CallThroughNull("DeferredRoutine", "KDPC", dpc, cpu.irql);
  }
  if (dpc->DeferredRoutine != nullptr) {
    race::Detector& race = kernel_.race();
    if (race.enabled()) {
      // A targeted DPC runs on the vCPU it was queued on; state.target may have changed since (a
      // retail kernel stores any number), so it is not shifted here.
      race.BeginDpc(dpc, reinterpret_cast<const void*>(dpc->DeferredRoutine),
                    state.target >= 0 ? std::uint64_t{1} << cpu.index
                                      : static_cast<std::uint64_t>(kernel_.active_processors()),
                    cpu.index, __builtin_frame_address(0), run_at);
    }
    {
      const race::ContextScope race_scope(race, cpu.index);
      const RoutineAllotment allotment(kernel_, cpu,
                                       reinterpret_cast<const void*>(dpc->DeferredRoutine), dpc,
                                       /*isr=*/false, /*threaded=*/run_at < DISPATCH_LEVEL);
      dpc->DeferredRoutine(dpc, dpc->DeferredContext, dpc->SystemArgument1, dpc->SystemArgument2);
    }
    if (race.pending()) race.RaisePending();
  }
  --cpu.dpc_depth;
  cpu.dpc_irql = outer_dpc_irql;
  cpu.dpc_chain = outer_chain;
  cpu.oldest_running_dpc = outer_oldest;
  kernel_.NoteLazily(TraceKind::kDpcEnd, "DPC routine", [dpc] {
    return std::array{AddressArg("Dpc", reinterpret_cast<std::uintptr_t>(dpc))};
  });
  // Before the IRQL rule: a lock taken with a raise-to-SYNCH routine also leaves the IRQL wrong,
  // and the lock is the cause.
  if (kernel_.SpinLocksHeldBy(cpu.index) > locks_before) {
    kernel_.verifier().DpcReturnedHoldingLock(dpc, started);
  }
  if (cpu.irql != run_at) kernel_.verifier().DpcReturnedAtWrongIrql(dpc, cpu.irql, run_at);
  // A kernel mutex taken (a wait with a zero timeout) or a critical region entered and kept.
  if (const unsigned after = kernel_.dispatcher().kernel_apc_disable(cpu.index);
      after != apc_disable_before) {
    kernel_.verifier().DpcChangedApcDisable(dpc, apc_disable_before, after);
  }
  // A DPC routine cannot wait, so its saves are on this vCPU: one compare on the round trip.
  if (!cpu.floating_saves.empty()) [[unlikely]] {
    CheckSavesRestoredAtReturn(kernel_, "DPC routine",
                               reinterpret_cast<const void*>(dpc->DeferredRoutine), started);
  }
  kernel_.WriteIrql(cpu, before);
}

[[gnu::always_inline]] inline void Dpcs::RetireOne(Cpu& cpu) {
  if (cpu.retiring_dpcs || cpu.irql >= DISPATCH_LEVEL) [[unlikely]] {
    // A threaded DPC running at PASSIVE_LEVEL is a thread: the DISPATCH_LEVEL interrupt preempts
    // it, and the ordinary DPCs queued meanwhile run at once.
    if (cpu.retiring_dpcs && cpu.irql < DISPATCH_LEVEL && cpu.InThreadedDpc()) {
      PreemptThreaded(cpu);
    }
    return;
  }
  cpu.retiring_dpcs = true;
  // A new burst on this vCPU only: a retirement of another vCPU nested inside one of these DPCs
  // counts its own burst and leaves this one's count alone.
  cpu.dpcs_in_burst = 0;
  while (!cpu.dpc_queue.empty()) {
    const QueuedDpc entry = cpu.dpc_queue.front();
    cpu.dpc_queue.pop_front();
    // Ordinary DPCs first: a threaded DPC's thread runs once the DISPATCH_LEVEL interrupt has
    // retired the ordinary queue, so a threaded one waits behind every ordinary one queued.
    if (entry.state->threaded && threaded_enabled_ && FirstOrdinary(cpu) != nullptr) [[unlikely]] {
      cpu.dpc_queue.push_back(entry);
      continue;
    }
    RunDequeued(cpu, entry);
  }
  cpu.retiring_dpcs = false;
}

[[gnu::always_inline]] inline void Dpcs::RunDequeued(Cpu& cpu, QueuedDpc entry) {
  --queued_;
  if (++cpu.dpcs_in_burst > kWatchdogLimit) kernel_.verifier().DpcWatchdog(cpu.dpcs_in_burst);
  Run(cpu, entry);
}

void Dpcs::PreemptThreaded(Cpu& cpu) {
  // The preempting DPCs are timed on their own, not on the threaded DPC's allotment.
  const SuspendedAllotment suspended(kernel_, cpu);
  // Ordinary DPCs only, oldest first: the threaded ones queued behind wait for this thread.
  while (const QueuedDpc* next = FirstOrdinary(cpu)) {
    const QueuedDpc entry = *next;
    cpu.dpc_queue.RemoveIf([&entry](const QueuedDpc& queued) { return queued.dpc == entry.dpc; });
    RunDequeued(cpu, entry);
  }
}

const QueuedDpc* Dpcs::FirstOrdinary(const Cpu& cpu) {
  for (const QueuedDpc& entry : cpu.dpc_queue) {
    if (!entry.state->threaded) return &entry;
  }
  return nullptr;
}

void Dpcs::RetireQueued(Cpu& cpu) {
  RetireOne(cpu);
  if (queued_ == 0) return;  // nothing for any other vCPU either
  // The other vCPUs below DISPATCH_LEVEL take their DPC interrupt on their own contexts (never
  // while this one is still at DISPATCH_LEVEL under the default schedule: then its DPCs first).
  if (cpu.irql >= DISPATCH_LEVEL && !kernel_.scheduler().exploring()) return;
  // One hand-off loop per vCPU. While it hands off, another vCPU may hand work back and this
  // vCPU's context retires it nested in the hand-off; that retirement leaves the handing to this
  // loop. DPCs that queue each other across vCPUs so iterate here: recursing, each pass would
  // deepen both contexts' stacks until they overflowed.
  if (cpu.handing_off) return;
  cpu.handing_off = true;
  struct Done {
    ~Done() { cpu.handing_off = false; }
    Cpu& cpu;
  } done{cpu};
  for (;;) {
    const std::uint64_t runs_before = runs_;
    HandOffAllBut(cpu.index);
    // Nothing ran: nothing handed off can run yet, and nothing new was queued.
    if (runs_ == runs_before || queued_ == 0) return;
    if (cpu.irql >= DISPATCH_LEVEL && !kernel_.scheduler().exploring()) return;
    RetireOne(cpu);
  }
}

void Dpcs::RetireAll() {
  for (unsigned i = 0; i < kernel_.processor_count(); ++i) {
    if (i == kernel_.current_processor()) {
      RetireOne(kernel_.cpu(i));
    } else {
      HandOff(i);
    }
  }
}

void Dpcs::HandOffOthers() {
  if (queued_ != 0) HandOffAllBut(kernel_.current_processor());
}

void Dpcs::HandOffAllBut(unsigned cpu) {
  for (unsigned i = 0; i < kernel_.processor_count(); ++i) {
    if (i != cpu) HandOff(i);
  }
}

bool Dpcs::IsQueued(PKDPC dpc) const {
  const State* state = dpcs_.Find(dpc);
  return state != nullptr && state->queued;
}

PKDEFERRED_ROUTINE Dpcs::RoutineOf(PKDPC dpc) const {
  const State* state = dpcs_.Find(dpc);
  return state != nullptr ? state->routine : nullptr;
}

bool Dpcs::Intact(PKDPC dpc) const {
  const State* state = dpcs_.Find(dpc);
  return state == nullptr || Holds(*dpc, *state);
}

std::vector<std::string> Dpcs::DescribeQueued() const {
  std::vector<std::string> out;
  for (unsigned i = 0; i < kernel_.processor_count(); ++i) {
    for (const QueuedDpc& entry : kernel_.cpu(i).dpc_queue) {
      out.push_back(fmt::format("DPC at {} (routine {}) is still queued on vCPU {}",
                                static_cast<const void*>(entry.dpc),
                                reinterpret_cast<const void*>(entry.dpc->DeferredRoutine), i));
    }
  }
  return out;
}

std::uintptr_t Dpcs::FirstQueued() const {
  for (unsigned i = 0; i < kernel_.processor_count(); ++i) {
    const auto& queue = kernel_.cpu(i).dpc_queue;
    if (!queue.empty()) return reinterpret_cast<std::uintptr_t>(queue.front().dpc);
  }
  return 0;
}

PKDPC Dpcs::QueuedDpcIn(const void* begin, const void* end) const {
  if (queued_ == 0) return nullptr;  // every pool free asks
  // The lowest address wins, so the report does not depend on which DPC kemu saw first.
  PKDPC found = nullptr;
  dpcs_.ForEachIn(begin, end, [&found](const auto& entry) {
    if (found == nullptr && entry.second.queued) found = entry.first;
  });
  return found;
}

void Dpcs::ForgetRange(const void* begin, const void* end) {
  if (dpcs_.empty()) return;  // every pool free asks
  dpcs_.EraseIfIn(begin, end, [](const auto& entry) { return !entry.second.queued; });
}

}  // namespace kemu::model
