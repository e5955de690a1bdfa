#include "race/detector.hpp"

#include <algorithm>
#include <bit>
#include <utility>

#include "race/instrumented_access.hpp"
#include "race/thread_stack.hpp"

namespace kemu::race {

Detector::Detector(Host& host, bool race_detection, unsigned processors)
    : host_(host), enabled_(race_detection && InstrumentedCodeLoaded()), stacks_(processors) {
  locksets_.emplace_back();  // id 0: no lock
  lockset_ids_.emplace(std::vector<LockId>{}, 0);
  test_.thread = ThreadFor(ContextKind::kTestThread, nullptr, 0);
  test_.context = ContextFor({.kind = ContextKind::kTestThread});
  // A bug check that unwound driver frames of an earlier machine skipped their exits.
  CurrentThreadStack().depth = 0;
}

Detector::~Detector() = default;

std::uint32_t Detector::ThreadFor(ContextKind kind, const void* object, unsigned cpu, ULONG lane) {
  auto [it, added] = threads_.emplace(std::make_tuple(kind, object, cpu, lane),
                                      static_cast<std::uint32_t>(clocks_.size()));
  if (added) {
    clocks_.emplace_back();
    clocks_.back().Set(it->second, 1);  // epochs start at 1: 0 means "nothing known"
  }
  return it->second;
}

std::uint32_t Detector::ContextFor(const ContextInfo& info) {
  // Keyed by the vector too: a message-signaled connection's messages are ISRs of their own, and
  // a report names each by its own vector (audit round 19, C6).
  auto [it, added] =
      context_ids_.emplace(std::make_tuple(info.kind, info.object, info.cpu, info.vector),
                           static_cast<std::uint32_t>(contexts_.size()));
  if (added) contexts_.push_back(info);
  return it->second;
}

std::uint32_t Detector::LocksetFor(std::vector<LockId> locks) {
  std::sort(locks.begin(), locks.end());
  auto [it, added] = lockset_ids_.emplace(locks, static_cast<std::uint32_t>(locksets_.size()));
  if (added) locksets_.push_back(std::move(locks));
  return it->second;
}

void Detector::Tick(std::uint32_t thread) {
  clocks_[thread].Set(thread, clocks_[thread].Get(thread) + 1);
}

Detector::Activation* Detector::Current() {
  const unsigned cpu = host_.current_processor();
  if (cpu < stacks_.size() && !stacks_[cpu].empty()) return &stacks_[cpu].back();
  // Outside any ISR or DPC only the test's thread runs driver code.
  if (cpu == host_.test_processor()) return &test_;
  return nullptr;
}

std::int64_t Detector::CurrentThreadOrNone() {
  if (!enabled_) return -1;
  const Activation* current = Current();
  return current != nullptr ? static_cast<std::int64_t>(current->thread) : -1;
}

namespace {

// Code that cannot be moved to another processor now: a (threaded) DPC, or anything at
// DISPATCH_LEVEL or above. A thread below it may be moved at any instruction.
bool CannotMove(ContextKind kind, KIRQL irql) {
  return kind == ContextKind::kDpc || irql >= DISPATCH_LEVEL;
}

}  // namespace

void Detector::PinToCurrentProcessor() {
  Activation* current = Current();
  // The test's thread is already seen on the vCPU it runs on.
  if (current == nullptr || current == &test_) return;
  if (!CannotMove(contexts_[current->context].kind, host_.current_irql())) return;
  current->pinned_cpu = static_cast<int>(host_.current_processor());
}

std::uint64_t Detector::CpuMaskOf(const Activation& current) {
  const unsigned cpu = host_.current_processor();
  if (&current == &test_) return std::uint64_t{1} << cpu;
  // Pinned while it still runs where it asked and cannot move (a thread that lowered its IRQL
  // since may have moved, and its number may no longer be its processor's).
  if (current.pinned_cpu == static_cast<int>(cpu) &&
      CannotMove(contexts_[current.context].kind, host_.current_irql())) {
    return std::uint64_t{1} << cpu;
  }
  return current.cpu_mask;
}

// ---------------------------------------------------------------------------------------------
// Execution contexts.

void Detector::Begin(ContextKind kind, const void* object, const void* routine, ULONG vector,
                     KIRQL base_irql, std::uint64_t cpu_mask, unsigned cpu, const void* frame,
                     ULONG lane) {
  Activation activation;
  activation.thread = ThreadFor(kind, object, cpu, lane);
  activation.context = ContextFor(
      {.kind = kind, .routine = routine, .object = object, .cpu = cpu, .vector = vector});
  activation.cpu_mask = cpu_mask;
  activation.base_irql = base_irql;
  activation.stack_base = reinterpret_cast<std::uintptr_t>(frame);
  activation.caller_depth = CurrentThreadStack().depth;
  stacks_.at(cpu).push_back(std::move(activation));
}

void Detector::NoteBeginIsr(const void* connection, const void* routine, ULONG vector, KIRQL irql,
                            std::uint64_t cpu_mask, unsigned cpu, const void* frame,
                            ULONG message) {
  // One logical thread per message: a message table's messages have locks of their own, so on
  // one vCPU one message's ISR is not ordered after another's by anything but a common lock
  // (docs/windows-facts.md §2.8), wherever this run put them.
  Begin(ContextKind::kIsr, connection, routine, vector, irql, cpu_mask, cpu, frame, message);
  Acquire(connection);  // connected before it runs
}

void Detector::NoteBeginNmi(const void* registration, const void* routine, unsigned cpu,
                            const void* frame) {
  // A level above HIGH_LEVEL: MayOverlap then sees an NMI preempt code at HIGH_LEVEL, and two
  // NMIs' callbacks on one vCPU (the second waits for the first to return) not overlap.
  Begin(ContextKind::kNmi, registration, routine, kNmiVector, kNmiLevel, std::uint64_t{1} << cpu,
        cpu, frame);
  Acquire(registration);  // registered before it runs
}

void Detector::NoteBeginDpc(const void* dpc, const void* routine, std::uint64_t cpu_mask,
                            unsigned cpu, const void* frame, KIRQL irql) {
  Begin(ContextKind::kDpc, dpc, routine, 0, irql, cpu_mask, cpu, frame);
  Acquire(dpc);  // queued before it runs
}

void Detector::NoteBeginAnyCpu(ContextKind kind, const void* object, const void* routine,
                               unsigned cpu, const void* frame) {
  // A work item runs on a worker thread that may be on any processor; a system thread seated on
  // `cpu` may later resume on any vCPU (on one vCPU its ISRs and DPCs preempt it, and other
  // threads interleave with it).
  const std::uint64_t all = static_cast<std::uint64_t>(host_.active_processors());
  Begin(kind, object, routine, 0, PASSIVE_LEVEL, all, cpu, frame);
  Acquire(object);  // queued or created before it runs
}

void Detector::NoteEnd(unsigned cpu) { EndTop(stacks_.at(cpu)); }

void Detector::EndTop(std::vector<Activation>& stack) {
  if (stack.empty()) return;
  const Activation& ending = stack.back();
  // What it did is known to whoever waits for it to be gone (disconnect, flush, remove).
  const ContextInfo& info = contexts_[ending.context];
  // Unless the routine freed its own object (a work item's usual last step): then a later object
  // at that address must not inherit the edge.
  if (!ending.forgotten) {
    SyncClock(static_cast<const char*>(info.object) + 1).Join(clocks_[ending.thread]);
  }
  if (info.kind == ContextKind::kDpc) SyncClock(nullptr).Join(clocks_[ending.thread]);
  Tick(ending.thread);
  if (ending.forgotten) clocks_[ending.thread].Renew(ending.thread);
  // An exception may have skipped the instrumented functions' exits.
  CurrentThreadStack().depth = ending.caller_depth;
  stack.pop_back();
}

// ---------------------------------------------------------------------------------------------
// Synchronisation.

namespace {

// Where a shared holder of a reader/writer lock publishes its history: one byte past the lock,
// inside the lock word, so a free or re-initialisation of the lock forgets it too.
const void* SharedReleases(const void* lock) { return static_cast<const char*>(lock) + 1; }

}  // namespace

void Detector::UpdateLocksets(Activation& activation) {
  activation.lockset = LocksetFor(activation.locks);
  if (activation.shared_locks.empty()) {
    activation.read_lockset = activation.lockset;
    return;
  }
  std::vector<LockId> readable = activation.locks;
  readable.insert(readable.end(), activation.shared_locks.begin(), activation.shared_locks.end());
  activation.read_lockset = LocksetFor(std::move(readable));
}

void Detector::NoteLockAcquired(const void* lock, bool shared) {
  Activation* current = Current();
  if (current == nullptr) return;
  // Every lock taken is kept (a lookup after the first take), so that Forget finds even a lock
  // never passed to KeInitializeSpinLock.
  const auto generation = lock_generations_.try_emplace(reinterpret_cast<std::uintptr_t>(lock), 0);
  (shared ? current->shared_locks : current->locks).push_back({lock, generation.first->second});
  UpdateLocksets(*current);
  // A lock also orders: what its last holder did before releasing it happens before what this
  // holder does next. Without the edge, a buffer filled, put on a list under the lock and taken
  // off on another vCPU is reported as a race on every schedule (the queue hand-off of every
  // NDIS miniport and IRP queue). Exploring schedules meet the orders this run did not take.
  // Readers of a reader/writer lock are not ordered with each other: a shared release publishes
  // apart from an exclusive one, and only an exclusive holder learns from it.
  NoteAcquire(lock);
  if (!shared) NoteAcquire(SharedReleases(lock));
}

bool Detector::Unhold(Activation& activation, const void* lock) {
  // By address: a lock re-initialised while held is released by its address too.
  for (std::vector<LockId>* held : {&activation.locks, &activation.shared_locks}) {
    auto it = std::find_if(held->rbegin(), held->rend(),
                           [lock](const LockId& id) { return id.address == lock; });
    if (it == held->rend()) continue;
    held->erase(std::next(it).base());
    UpdateLocksets(activation);
    return true;
  }
  return false;
}

void Detector::NoteLockReleased(const void* lock) {
  // Published before the lock is free again (see NoteLockAcquired).
  const Activation* current = Current();
  const bool shared = current != nullptr &&
                      std::any_of(current->shared_locks.begin(), current->shared_locks.end(),
                                  [lock](const LockId& held) { return held.address == lock; });
  NoteRelease(shared ? SharedReleases(lock) : lock);
  // Normally the releasing context took it; a lock handed between contexts on one vCPU (misuse
  // the verifier reports) is dropped from whichever holds it.
  const unsigned cpu = host_.current_processor();
  if (cpu < stacks_.size()) {
    for (auto it = stacks_[cpu].rbegin(); it != stacks_[cpu].rend(); ++it) {
      if (Unhold(*it, lock)) return;
    }
  }
  Unhold(test_, lock);
}

void Detector::NameInterruptLock(const void* lock, const void* connection) {
  if (!enabled_) return;
  const auto lock_address = reinterpret_cast<std::uintptr_t>(lock);
  const auto connection_address = reinterpret_cast<std::uintptr_t>(connection);
  // One lock per connection, one connection per lock (the one that connected last with it).
  if (auto it = interrupt_locks_.find(lock_address); it != interrupt_locks_.end()) {
    interrupt_lock_of_.erase(it->second);
  }
  if (auto it = interrupt_lock_of_.find(connection_address); it != interrupt_lock_of_.end()) {
    interrupt_locks_.erase(it->second);
  }
  interrupt_locks_[lock_address] = connection_address;
  interrupt_lock_of_[connection_address] = lock_address;
}

void Detector::NoteRelease(const void* sync) {
  Activation* current = Current();
  if (current == nullptr || current->thread == behalf_thread_) return;  // BehalfScope
  SyncClock(sync).Join(clocks_[current->thread]);
  Tick(current->thread);
}

VectorClock& Detector::SyncClock(const void* sync) {
  auto [it, added] = sync_.try_emplace(sync);
  if (added) sync_keys_.insert(reinterpret_cast<std::uintptr_t>(sync));
  return it->second;
}

void Detector::NoteAcquire(const void* sync) {
  Activation* current = Current();
  if (current == nullptr) return;
  auto it = sync_.find(sync);
  if (it != sync_.end()) clocks_[current->thread].Join(it->second);
}

// ---------------------------------------------------------------------------------------------
// Accesses.

void Detector::IgnoreBegin() {
  if (Activation* current = Current()) ++current->ignore;
}

void Detector::IgnoreEnd() {
  if (Activation* current = Current(); current != nullptr && current->ignore > 0) {
    --current->ignore;
  }
}

void Detector::AddBenignRange(std::uintptr_t begin, std::size_t bytes, std::string reason) {
  benign_.push_back({begin, begin + bytes, std::move(reason)});
}

void Detector::OnAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                        std::uintptr_t pc, std::uintptr_t sp, bool relaxed) {
  if (!enabled_ || pending_ || raised_ || size == 0 || host_.crashed()) return;
  Activation* current = Current();
  if (current == nullptr || current->ignore > 0) return;
  ThreadStack& thread_stack = CurrentThreadStack();
  // The test's thread: the driver's frames, not the test's (whose locals may be driver state).
  // Past the frame pointer come the saved frame pointer and return address.
  const std::uintptr_t stack_base =
      current == &test_ ? thread_stack.driver_base + 2 * sizeof(void*) : current->stack_base;
  if (address >= sp && address < stack_base) return;  // the context's own frames
  for (const Benign& range : benign_) {
    if (address < range.end && address + size > range.begin) return;
  }
  ++accesses_;
  Access access = MakeAccess(*current, thread_stack, pc, write, atomic);
  // Split at granule boundaries (unaligned and large accesses).
  for (std::uintptr_t at = address, end = address + size; at < end && !pending_;) {
    const std::uintptr_t granule = at / kGranule;
    const std::uintptr_t granule_end = (granule + 1) * kGranule;
    const std::uintptr_t stop = std::min(end, granule_end);
    const unsigned offset = static_cast<unsigned>(at % kGranule);
    const unsigned count = static_cast<unsigned>(stop - at);
    access.address = at;
    access.size = static_cast<std::uint8_t>(std::min<std::size_t>(size, 255));
    access.bytes = static_cast<std::uint8_t>(((1u << count) - 1u) << offset);
    CheckGranule(granule, access);
    at = stop;
  }
  // Atomic operations order what their threads did around them (Interlocked* are full barriers);
  // relaxed ones (ReadNoFence, WriteNoFence) only through fences.
  if (atomic && !pending_) {
    if (relaxed) {
      NoteRelaxed(reinterpret_cast<const void*>(address), write);
    } else {
      Barrier(reinterpret_cast<const void*>(address));
    }
  }
}

void Detector::OnFree(const void* begin, std::size_t bytes, std::uintptr_t pc) {
  if (!enabled_ || pending_ || raised_ || bytes == 0 || host_.crashed()) return;
  Activation* current = Current();
  if (current == nullptr || current->ignore > 0) return;
  const ThreadStack& thread_stack = CurrentThreadStack();
  if (current == &test_ && thread_stack.depth <= current->caller_depth) return;  // the test's own
  const auto first = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t end = first + bytes;
  const std::uintptr_t first_granule = first / kGranule;
  const std::uintptr_t last_granule = (end + kGranule - 1) / kGranule;
  Access access = MakeAccess(*current, thread_stack, pc, /*write=*/true, /*atomic=*/false);
  access.freed = true;
  // The lowest racing address is reported, whichever way the shadow is searched: a block larger
  // than the shadow is checked by a pass over the shadow, whose order is the hash table's.
  std::optional<std::pair<std::uintptr_t, std::size_t>> found;  // granule, entry
  const auto cover = [&](std::uintptr_t granule) {              // the block's bytes in the granule
    const std::uintptr_t from = std::max(first, granule * kGranule);
    const std::uintptr_t to = std::min(end, (granule + 1) * kGranule);
    access.address = from;
    access.size = static_cast<std::uint8_t>(to - from);
    access.bytes = static_cast<std::uint8_t>(((1u << (to - from)) - 1u) << (from % kGranule));
  };
  const auto check = [&](std::uintptr_t granule, const Cell& cell) {
    if (found && found->first < granule) return;
    cover(granule);
    // A write the free races with says more than a read of the same bytes (a DPC's `++` is
    // both): it is reported when there is one.
    std::optional<std::size_t> racing;
    for (std::size_t i = 0; i < cell.count; ++i) {
      if (!Races(cell.entries[i], access)) continue;
      if (!racing || (cell.entries[i].write && !cell.entries[*racing].write)) racing = i;
    }
    if (racing) found.emplace(granule, *racing);
  };
  if (last_granule - first_granule > shadow_.size()) {
    for (const auto& [granule, cell] : shadow_) {
      if (granule >= first_granule && granule < last_granule) check(granule, cell);
    }
  } else {
    for (std::uintptr_t granule = first_granule; granule < last_granule && !found; ++granule) {
      if (const auto it = shadow_.find(granule); it != shadow_.end()) check(granule, it->second);
    }
  }
  if (!found) return;
  const auto [granule, entry] = *found;
  cover(granule);
  Found(shadow_.at(granule).entries[entry], access);
}

Access Detector::MakeAccess(const Activation& current, const ThreadStack& thread_stack,
                            std::uintptr_t pc, bool write, bool atomic) {
  Access access;
  access.pc = pc;
  // Call sites inside the driver: an ISR's or DPC's own call site is in the kernel.
  const unsigned driver_frames =
      thread_stack.depth > current.caller_depth ? thread_stack.depth - current.caller_depth : 0;
  const unsigned callers = &current == &test_ ? driver_frames : driver_frames - (driver_frames > 0);
  for (unsigned i = 0; i < Access::kCallers && i < callers; ++i) {
    access.callers[i] = thread_stack.Caller(i);
  }
  access.cpu_mask = CpuMaskOf(current);
  access.trace_event = host_.trace_sequence();
  access.thread = current.thread;
  access.epoch = clocks_[current.thread].Get(current.thread);
  access.lockset = write ? current.lockset : current.read_lockset;
  access.context = current.context;
  // An NMI callback's accesses are at its own level, whatever IRQL it runs at.
  access.irql = current.base_irql == kNmiLevel ? kNmiLevel : host_.current_irql();
  access.base_irql = current.base_irql;
  access.write = write;
  access.atomic = atomic;
  access.dpc = contexts_[current.context].kind == ContextKind::kDpc;
  return access;
}

void Detector::NoteRelaxed(const void* sync, bool write) {
  Activation* current = Current();
  if (current == nullptr) return;
  Fences& fences = fences_[current->thread];
  if (write) {
    SyncClock(sync).Join(fences.released);
  } else if (auto it = sync_.find(sync); it != sync_.end()) {
    fences.read.Join(it->second);
  }
}

void Detector::OnFence(bool acquire, bool release) {
  if (!enabled_ || pending_ || raised_ || host_.crashed()) return;
  Activation* current = Current();
  if (current == nullptr || current->ignore > 0) return;
  Fences& fences = fences_[current->thread];
  if (acquire) clocks_[current->thread].Join(fences.read);
  if (release) {
    fences.released = clocks_[current->thread];
    Tick(current->thread);
  }
}

void Detector::CheckGranule(std::uintptr_t granule, Access access) {
  Cell& cell = shadow_[granule];
  for (std::size_t i = 0; i < cell.count; ++i) {
    if (Races(cell.entries[i], access)) return Found(cell.entries[i], access);
  }
  // Memory another thread has touched is shared: another vCPU may run next. Asked before this
  // access joins the cell, and the switch taken only after: an access checked but not yet kept
  // would be invisible to what the other vCPU does meanwhile (its write after this read was
  // checked against a cell without the read: audit round 14), and the switch may free the cell.
  const bool shared = host_.exploring() && TouchedByOthers(cell, access.thread);
  Keep(cell, access);
  if (shared) host_.QuietSchedulePoint();
}

void Detector::Keep(Cell& cell, const Access& access) {
  // The new access stands for an earlier one of its thread only if every race the earlier one
  // could have is also the new one's: the same bytes or more, under the same locks, at the same
  // IRQL, on the same processors (it is later, so nothing ordered after it misses the earlier
  // one). Otherwise both are kept: a write to the next field of the same 8 bytes, or one made
  // under a lock, must not wipe out an unlocked write (audit round 13).
  for (std::size_t i = 0; i < cell.count; ++i) {
    Access& entry = cell.entries[i];
    if (entry.thread == access.thread && entry.write == access.write &&
        (entry.bytes & ~access.bytes) == 0 && entry.lockset == access.lockset &&
        entry.irql == access.irql && entry.cpu_mask == access.cpu_mask) {
      entry = access;
      return;
    }
  }
  if (cell.count < Cell::kEntries) {
    cell.entries[cell.count++] = access;
    return;
  }
  cell.entries[cell.next] = access;
  cell.next = static_cast<std::uint8_t>((cell.next + 1) % Cell::kEntries);
}

bool Detector::TouchedByOthers(const Cell& cell, std::uint32_t thread) {
  for (std::size_t i = 0; i < cell.count; ++i) {
    if (cell.entries[i].thread != thread) return true;
  }
  return false;
}

bool Detector::Races(const Access& prior, const Access& now) const {
  if (!prior.write && !now.write) return false;
  if ((prior.bytes & now.bytes) == 0) return false;
  if (prior.atomic && now.atomic) return false;
  if (prior.thread == now.thread) return false;
  if (clocks_[now.thread].Get(prior.thread) >= prior.epoch) return false;  // happens before
  if (!Disjoint(prior.lockset, now.lockset)) return false;
  return MayOverlap(prior, now);
}

bool Detector::Disjoint(std::uint32_t a, std::uint32_t b) const {
  if (a == 0 || b == 0) return true;
  if (a == b) return false;
  const std::vector<LockId>& x = locksets_[a];
  const std::vector<LockId>& y = locksets_[b];
  for (auto i = x.begin(), j = y.begin(); i != x.end() && j != y.end();) {
    if (*i == *j) return false;
    if (*i < *j) {
      ++i;
    } else {
      ++j;
    }
  }
  return true;
}

bool Detector::ThreadsInterleave(const Access& a, const Access& b) {
  // Two threads (the test's, a work item's, a threaded DPC's) on one processor. The scheduler may
  // switch from a thread running below DISPATCH_LEVEL to another at any instruction, and that one
  // may then raise the IRQL and make its access: only two accesses made at DISPATCH_LEVEL or above
  // cannot cut into each other. A threaded DPC preempts other threads but no thread preempts it
  // (docs/windows-facts.md §7.4), and one thread runs a processor's threaded DPCs one after
  // another, so two DPCs never interleave this way.
  if (a.base_irql != PASSIVE_LEVEL || b.base_irql != PASSIVE_LEVEL || (a.dpc && b.dpc)) {
    return false;
  }
  if (a.dpc) return b.irql < DISPATCH_LEVEL;
  if (b.dpc) return a.irql < DISPATCH_LEVEL;
  return a.irql < DISPATCH_LEVEL || b.irql < DISPATCH_LEVEL;
}

bool Detector::MayOverlap(const Access& a, const Access& b) {
  // Both pinned to one and the same vCPU: only preemption interleaves them. A context preempts
  // code running below the IRQL it starts at (an ISR below its DIRQL, a DPC below DISPATCH).
  if (a.cpu_mask == b.cpu_mask && std::has_single_bit(a.cpu_mask)) {
    return b.base_irql > a.irql || a.base_irql > b.irql || ThreadsInterleave(a, b);
  }
  return true;
}

void Detector::Found(const Access& prior, const Access& now) {
  const std::uintptr_t first = std::max(prior.address, now.address) & ~(kGranule - 1);
  const unsigned common = prior.bytes & now.bytes;
  const std::uintptr_t address = first + static_cast<unsigned>(std::countr_zero(common));
  host_.NoteRace(address, now.size);
  pending_.emplace(address, now.size, prior.write, now.write, FormatRace(prior, now, address));
}

void Detector::RaisePending() {
  if (!pending_) return;
  kemu::DataRace race = std::move(*pending_);
  pending_.reset();
  raised_ = true;
  host_.RaiseRace(race);
}

}  // namespace kemu::race
