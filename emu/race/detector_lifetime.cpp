// Object lifetimes for the race detector: what it keeps under an object's address (the clocks it
// published, a lock's identity, the logical thread of its routine) ends with the object, whether
// its memory is freed (Forget) or a new object is initialised in place (a reused stack frame holds
// a new KEVENT, KDPC, KTIMER or KSPIN_LOCK without a free between). An object that inherited the
// earlier one's would order, or protect, accesses it never saw: a race missed.
#include <algorithm>
#include <vector>

#include "race/detector.hpp"

namespace kemu::race {

// Re-initialising the same lock (a restart path) is a new lock too, and no false report: the
// re-initialisation writes the lock word, so it is safe only when the other users' takes are
// ordered with it (a flush, a disconnect, a wait), and those edges order their accesses with the
// accesses after it as well.
void Detector::NoteLockInitialized(const void* lock, const char* kind) {
  // A new generation, never an erased entry: accesses made under the earlier lock keep its
  // generation in their locksets, and an erased address would start at 0 again.
  const auto address = reinterpret_cast<std::uintptr_t>(lock);
  lock_generations_[address] = ++lock_inits_;
  // It orders nothing its predecessor's holders did: exclusive releases were published at its
  // address, shared ones a byte past it (detector.cpp, SharedReleases).
  ForgetSync(address, address + 2);
  if (kind != nullptr) {
    lock_kinds_[address] = kind;
  } else {
    lock_kinds_.erase(address);
  }
  // KeInitializeSpinLock zeroes the word of a held lock (the kernel model forgets its owner): no
  // context holds it any more, and its release, if any, finds no owner.
  ForEachActivation([&](Activation& activation) {
    while (Unhold(activation, lock)) {
    }
  });
  while (Unhold(test_, lock)) {
  }
}

void Detector::NoteObjectInitialized(const void* object) {
  // A routine of this object running now (a DPC routine re-initialising its own KDPC) keeps its
  // edges: what it queues next is ordered after it by the queueing itself, and dropping its end's
  // edge would break KeRemoveQueueDpc's and KeFlushQueuedDpcs' ordering of what it did.
  bool running = false;
  ForEachActivation([&](const Activation& activation) {
    running = running || contexts_[activation.context].object == object;
  });
  if (running) return;
  // Published under the object's address (a signal, a queueing) and one byte past it (its
  // routine's end, which KeRemoveQueueDpc acquires). The shadow of its bytes stays: the kernel's
  // writes to them are not driver accesses, and the driver's earlier ones are still its history.
  const auto address = reinterpret_cast<std::uintptr_t>(object);
  ForgetSync(address, address + 2);
  ForgetContexts(address, address + 1);
}

void Detector::NoteClearSync(const void* sync) {
  if (sync_.erase(sync) != 0) sync_keys_.erase(reinterpret_cast<std::uintptr_t>(sync));
}

// Forget runs at every pool free, so it costs what it drops: the shadow by granule (or one pass
// when the range has more granules than the shadow has cells), the rest by ordered-map searches.
// The active contexts are a handful (nesting depth on each vCPU).
void Detector::Forget(const void* begin, std::size_t bytes) {
  if (!enabled_) return;
  const auto first = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t end = first + bytes;
  ForgetShadow(first, end);
  ForgetSync(first, end);
  ForgetLocks(first, end);
  ForgetInterruptLocks(first, end);
  ForgetContexts(first, end);
}

void Detector::ForgetShadow(std::uintptr_t begin, std::uintptr_t end) {
  const std::uintptr_t first = begin / kGranule;
  const std::uintptr_t last = (end + kGranule - 1) / kGranule;
  if (last - first > shadow_.size()) {
    std::erase_if(shadow_,
                  [&](const auto& entry) { return entry.first >= first && entry.first < last; });
    return;
  }
  for (std::uintptr_t granule = first; granule < last; ++granule) shadow_.erase(granule);
}

void Detector::ForgetSync(std::uintptr_t begin, std::uintptr_t end) {
  auto it = sync_keys_.lower_bound(begin);
  while (it != sync_keys_.end() && *it < end) {
    sync_.erase(reinterpret_cast<const void*>(*it));
    it = sync_keys_.erase(it);
  }
}

void Detector::ForgetLocks(std::uintptr_t begin, std::uintptr_t end) {
  // A lock there later, even one used without KeInitializeSpinLock, is another lock.
  for (auto it = lock_generations_.lower_bound(begin);
       it != lock_generations_.end() && it->first < end; ++it) {
    it->second = ++lock_inits_;
  }
  lock_kinds_.erase(lock_kinds_.lower_bound(begin), lock_kinds_.lower_bound(end));
}

void Detector::ForgetInterruptLocks(std::uintptr_t begin, std::uintptr_t end) {
  // Locks inside the range, and the locks of connection records inside it (the driver's lock
  // outlives the connection it served).
  for (auto it = interrupt_locks_.lower_bound(begin);
       it != interrupt_locks_.end() && it->first < end; it = interrupt_locks_.erase(it)) {
    interrupt_lock_of_.erase(it->second);
  }
  for (auto it = interrupt_lock_of_.lower_bound(begin);
       it != interrupt_lock_of_.end() && it->first < end; it = interrupt_lock_of_.erase(it)) {
    interrupt_locks_.erase(it->second);
  }
}

void Detector::ForgetContexts(std::uintptr_t begin, std::uintptr_t end) {
  const auto inside = [&](const void* object) {
    const auto address = reinterpret_cast<std::uintptr_t>(object);
    return address >= begin && address < end;
  };
  std::vector<std::uint32_t> running;  // renewed when they end
  ForEachActivation([&](Activation& activation) {
    if (!inside(contexts_[activation.context].object)) return;
    activation.forgotten = true;
    running.push_back(activation.thread);
  });
  // The routine of a new object there learns nothing from the old one's. It keeps the logical
  // thread's id (so program order with the old one's accesses): an id per object lifetime would
  // grow the clocks, and each clock's length, with every pool block holding a KDPC. Its context is
  // new, so reports name its routine. Both maps order by kind, then object: a search per kind.
  for (ContextKind kind : {ContextKind::kIsr, ContextKind::kDpc, ContextKind::kWorkItem}) {
    const auto in_range = [&](const auto& entry) {
      return std::get<0>(entry.first) == kind && inside(std::get<1>(entry.first));
    };
    const auto first_thread = std::make_tuple(kind, reinterpret_cast<const void*>(begin), 0u, 0u);
    for (auto it = threads_.lower_bound(first_thread); it != threads_.end() && in_range(*it);
         ++it) {
      if (std::find(running.begin(), running.end(), it->second) == running.end()) {
        clocks_[it->second].Renew(it->second);
      }
    }
    for (auto it = context_ids_.lower_bound(first_thread);
         it != context_ids_.end() && in_range(*it);) {
      it = context_ids_.erase(it);
    }
  }
}

}  // namespace kemu::race
