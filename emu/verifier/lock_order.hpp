// Driver Verifier's Deadlock Detection for spin locks and mutexes: the order in which each vCPU
// takes the spin locks it holds together, and each thread the mutexes (kernel, fast, guarded) it
// holds together, merged into one graph for the whole machine. A lock B taken while A is
// held records the edge A -> B; taking B while holding A when the graph already leads from B to A
// is a lock hierarchy violation, whatever the interleaving that would turn it into a deadlock and
// whichever vCPU recorded the other edges. Only Verifier mode records anything (Verifier owns it).
//
// Cheap on the hot path: an acquire with no lock held costs a vector push; with locks held, one
// hash lookup per held lock, and a graph search only for an edge never seen before.
#ifndef KEMU_EMU_VERIFIER_LOCK_ORDER_HPP_
#define KEMU_EMU_VERIFIER_LOCK_ORDER_HPP_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kemu::verifier {

class LockOrder {
 public:
  /// Where a lock was taken: the evidence a report shows for an edge or a held lock.
  struct Site {
    const char* routine = "";    ///< the kernel routine that took the lock
    unsigned cpu = 0;            ///< vCPU index
    std::uint64_t sequence = 0;  ///< trace event number of the acquire
    /// Who took it and in what callback, as a report says it (the ContextFn's result): "on vCPU 0
    /// in a DPC routine ...", or "by the system thread 0x1000 (...) on vCPU 1 outside any ...".
    std::string context;
  };
  /// An edge of the order graph: `after` was taken while `before` was held, first at `site`.
  struct Edge {
    std::uintptr_t before = 0;
    std::uintptr_t after = 0;
    Site site;
  };
  /// A lock the vCPU (or a mutex the thread) holds, in acquisition order.
  struct Held {
    std::uintptr_t lock = 0;
    const char* routine = "";
    std::uint64_t sequence = 0;
  };
  /// A hierarchy violation: taking `acquired` while holding `held` closes `path`, the recorded
  /// edges leading from `acquired` back to `held` (oldest lock first).
  struct Cycle {
    std::uintptr_t acquired = 0;
    std::uintptr_t held = 0;
    std::vector<Edge> path;
  };

  /// `cpu` took `lock` at `site` (the context is filled in by `context` only for a new edge, so
  /// the common case formats nothing). Records an edge from every lock `cpu` holds, and returns
  /// the first cycle one of them closes. The edges are recorded even then, so a machine that
  /// carries on (BugCheckAction::kRecord) reports each inverted pair once. A lock taken by a try
  /// (`waited` false) records no edge: a try never spins, so it cannot be one side of a deadlock;
  /// it is held all the same, so locks taken while it is held do record one.
  template <typename ContextFn>
  std::optional<Cycle> Acquired(unsigned cpu, std::uintptr_t lock, const char* routine,
                                std::uint64_t sequence, ContextFn&& context, bool waited = true) {
    std::vector<Held>& stack = HeldStack(cpu);
    std::optional<Cycle> cycle;
    if (waited) cycle = Order(stack, cpu, lock, routine, sequence, context);
    stack.push_back(Held{lock, routine, sequence});
    return cycle;
  }
  /// Mutexes are held by threads, which wait rather than spin: `thread` is about to wait for
  /// `mutex` on vCPU `cpu`. Records an edge from every mutex the thread holds and returns the
  /// first cycle one closes, as Acquired does, but holds nothing yet: the mutex is the thread's
  /// only once a wait takes it (MutexHeld). Checked before the wait, so an inversion is reported
  /// as one rather than as the hang it may become.
  template <typename ContextFn>
  std::optional<Cycle> MutexOrder(std::uintptr_t thread, unsigned cpu, std::uintptr_t mutex,
                                  const char* routine, std::uint64_t sequence,
                                  ContextFn&& context) {
    const auto found = thread_held_.find(thread);
    if (found == thread_held_.end()) return std::nullopt;  // holds no mutex: no order
    return Order(found->second, cpu, mutex, routine, sequence, context);
  }
  /// `thread` owns `mutex` from now on (a try takes one with no MutexOrder before it).
  void MutexHeld(std::uintptr_t thread, std::uintptr_t mutex, const char* routine,
                 std::uint64_t sequence) {
    thread_held_[thread].push_back(Held{mutex, routine, sequence});
  }
  /// `thread` released `mutex` (its last recursive acquisition).
  void MutexReleased(std::uintptr_t thread, std::uintptr_t mutex);
  /// Acquired, when `cpu` holds no other lock: there is no order to record, so `lock` is just
  /// held. Returns false, recording nothing, when `cpu` holds some (then call Acquired).
  bool AcquiredAlone(unsigned cpu, std::uintptr_t lock, const char* routine,
                     std::uint64_t sequence) {
    std::vector<Held>& stack = HeldStack(cpu);
    if (!stack.empty()) return false;
    stack.push_back(Held{lock, routine, sequence});
    return true;
  }
  /// `lock` is no longer held: released by `cpu`, normally its owner (else by whichever vCPU
  /// held it).
  void Released(std::uintptr_t lock, unsigned cpu = 0) {
    // Locks are usually released newest first, by the vCPU that took them.
    std::vector<Held>& own = HeldStack(cpu);
    if (!own.empty() && own.back().lock == lock) {
      own.pop_back();
    } else {
      ReleasedOutOfOrder(lock, cpu);
    }
  }
  /// `lock` starts a new life (KeInitializeSpinLock): its edges belonged to whatever lived at
  /// that address before (a stack variable of another function, say), and it is not held.
  void Reinitialized(std::uintptr_t lock);
  /// The same for a mutex (KeInitializeMutex, ExInitializeFastMutex, KeInitializeGuardedMutex).
  void MutexReinitialized(std::uintptr_t mutex);
  /// The memory [begin, end) was freed: the locks in it and their edges are gone, so a lock
  /// later placed at a reused address starts with no order. Locks still held stay on their
  /// vCPU's stack (the driver freed a held lock; its release will still come through here).
  void ForgetRange(std::uintptr_t begin, std::uintptr_t end);

  /// The locks `cpu` holds, oldest first.
  const std::vector<Held>& held(unsigned cpu) { return HeldStack(cpu); }
  std::size_t edge_count() const { return edges_.size(); }

 private:
  struct Key {
    std::uintptr_t before;
    std::uintptr_t after;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const {
      return std::hash<std::uintptr_t>()(key.before) * 31 ^ std::hash<std::uintptr_t>()(key.after);
    }
  };
  /// A lock's neighbours, in the order the edges were first seen: searches then visit them in
  /// an order that does not depend on host addresses, so reports are reproducible.
  struct Node {
    std::vector<std::uintptr_t> after;
    std::vector<std::uintptr_t> before;
  };

  std::vector<Held>& HeldStack(unsigned cpu) {
    if (cpu >= held_.size()) [[unlikely]] {
      held_.resize(cpu + 1);
    }
    return held_[cpu];
  }
  /// Records an edge to `lock` from each lock in `stack` (what one vCPU or thread holds), and
  /// returns the first cycle one of them closes.
  template <typename ContextFn>
  std::optional<Cycle> Order(const std::vector<Held>& stack, unsigned cpu, std::uintptr_t lock,
                             const char* routine, std::uint64_t sequence, ContextFn&& context) {
    std::optional<Cycle> cycle;
    for (std::size_t i = 0; i < stack.size(); ++i) {
      const std::uintptr_t held = stack[i].lock;
      // Recursion on one lock is the self-deadlock rule (0x1000), not an order.
      if (held == lock || edges_.count(Key{held, lock}) != 0) continue;
      if (!cycle) cycle = FindCycle(lock, held);
      AddEdge(held, lock, Site{routine, cpu, sequence, context()});
    }
    return cycle;
  }
  /// Released, when `lock` is not the newest lock `cpu` holds.
  void ReleasedOutOfOrder(std::uintptr_t lock, unsigned cpu);
  void AddEdge(std::uintptr_t before, std::uintptr_t after, Site site);
  /// The shortest recorded path from `from` to `to`, as a cycle; nullopt when there is none.
  std::optional<Cycle> FindCycle(std::uintptr_t from, std::uintptr_t to) const;
  void ForgetEdges(std::uintptr_t lock);

  std::unordered_map<Key, Site, KeyHash> edges_;
  /// Ordered by address: a free of memory finds the locks in it without a walk (ForgetRange).
  std::map<std::uintptr_t, Node> nodes_;
  std::vector<std::vector<Held>> held_;  ///< per vCPU
  /// Mutexes per thread (Dispatcher::CurrentThread), for threads that hold any.
  std::unordered_map<std::uintptr_t, std::vector<Held>> thread_held_;
};

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_LOCK_ORDER_HPP_
