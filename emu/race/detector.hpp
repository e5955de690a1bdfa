// The data-race detector: sees every memory access of driver code built with
// kemu_instrument_driver() (abi/tsan_runtime.cpp forwards the compiler's __tsan_* calls here) and
// reports two accesses to the same bytes, at least one a write, that
//   - come from execution contexts that may run at the same time: different vCPUs, or on one vCPU
//     a context that can preempt the other (an ISR interrupts code below its DIRQL, a DPC code
//     below DISPATCH_LEVEL);
//   - hold no spin lock in common (ordinary, queued or interrupt spin locks; an ISR holds its
//     interrupt lock, KeSynchronizeExecution takes it; a reader/writer spin lock held shared
//     counts for reads only, so two shared holders' writes share no lock);
//   - are not ordered by the kernel's happens-before edges: IoConnectInterrupt(Ex) before the
//     ISR, KeInsertQueueDpc (or KeSetTimer) before the DPC routine, IoQueueWorkItem before the
//     work item routine, KeSetEvent before a wait it satisfies, the ISR before
//     IoDisconnectInterrupt(Ex) returns, a DPC routine before KeRemoveQueueDpc or KeFlushQueuedDpcs
//     returns, atomic (Interlocked) operations, S-list and device-queue operations on the same
//     address, and a lock's release before its next acquire; program order within a logical
//     thread.
// A lock is both a lockset entry and an ordering (a hand-off through a locked queue is no race);
// a race that one order of the locks hides shows on the schedules that take them the other way.
//
// A logical thread is the test's own thread, the ISR of one connection on one vCPU, one KDPC's
// routine on one vCPU, one work item's routine, or one system thread (PsCreateSystemThread), whose
// edges are its creation before its start and its end (the signal of its thread object) before a
// wait on the object. Its accesses to its own stack frames are not tracked.
//
// The first race found is kept and raised as kemu::DataRace at the next point kemu can throw
// (a kernel call, the end of the driver callback, Machine::Shutdown): the instrumentation hooks
// are called from code compiled as nothrow.
#ifndef KEMU_EMU_RACE_DETECTOR_HPP_
#define KEMU_EMU_RACE_DETECTOR_HPP_

#include <wdm.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "kemu/data_race.hpp"
#include "race/host.hpp"
#include "race/symbolize.hpp"
#include "race/vector_clock.hpp"

namespace kemu::race {

struct ThreadStack;

/// What an execution context runs.
enum class ContextKind : std::uint8_t { kTestThread, kIsr, kDpc, kWorkItem, kSystemThread, kNmi };

/// The x86 NMI's vector, and the pseudo-IRQL above HIGH_LEVEL an NMI callback's context starts at
/// (Detector::BeginNmi).
inline constexpr ULONG kNmiVector = 2;
inline constexpr KIRQL kNmiLevel = HIGH_LEVEL + 1;

/// Who made an access, as a report describes it.
struct ContextInfo {
  ContextKind kind = ContextKind::kTestThread;
  const void* routine = nullptr;  ///< the ISR, DPC, work item or start routine
  const void* object = nullptr;   ///< the interrupt object, KDPC, work item or thread object
  unsigned cpu = 0;
  ULONG vector = 0;  ///< ISRs
};

/// One instrumented access, as kept for comparison with later ones.
struct Access {
  static constexpr std::size_t kCallers = 3;
  std::uintptr_t pc = 0;                           ///< return address of the instrumentation call
  std::array<std::uintptr_t, kCallers> callers{};  ///< call sites of the enclosing functions
  std::uint64_t cpu_mask = 0;                      ///< vCPUs the context may run on
  std::uint64_t trace_event = 0;                   ///< the machine's trace sequence then
  std::uint32_t thread = 0;
  std::uint32_t epoch = 0;
  std::uint32_t lockset = 0;
  std::uint32_t context = 0;
  std::uintptr_t address = 0;
  std::uint8_t bytes = 0;  ///< the bytes touched within the 8-byte granule, as a bit mask
  std::uint8_t size = 0;
  std::uint8_t irql = 0;
  std::uint8_t base_irql = 0;  ///< the IRQL the context starts at (preemption)
  bool write = false;
  bool atomic = false;
  /// Made by a DPC routine: DPCs on one processor never interleave with each other, threaded
  /// ones included (they run one after another in one thread).
  bool dpc = false;
  /// The free of the pool block holding the address (OnFree): a write to all of it.
  bool freed = false;
};

class Detector {
 public:
  /// `race_detection`: MachineOptions::race_detection (it also needs instrumented code loaded).
  Detector(Host& host, bool race_detection, unsigned processors);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  bool enabled() const { return enabled_; }

  // Execution contexts (model/interrupt_dispatch.cpp, model/dpcs.cpp). Every Begin is matched by
  // an End on the same vCPU, on unwinding too (ContextScope).
  /// `frame`: __builtin_frame_address(0) of the kernel function that calls the routine; the
  /// routine's own stack frames lie below it.
  /// Inline and a compare when detection is off (every interrupt and DPC passes through them);
  /// callers compute costly arguments only when enabled().
  /// `message`: the message of a message table's connection, each with its own lock, so two
  /// messages' ISRs are two logical threads even on one vCPU (0 for a line's).
  void BeginIsr(const void* connection, const void* routine, ULONG vector, KIRQL irql,
                std::uint64_t cpu_mask, unsigned cpu, const void* frame, ULONG message = 0) {
    if (enabled_) NoteBeginIsr(connection, routine, vector, irql, cpu_mask, cpu, frame, message);
  }
  /// `irql`: the level the routine is called at, DISPATCH_LEVEL, or PASSIVE_LEVEL for a threaded
  /// DPC (which ordinary DPCs and ISRs then preempt, and which interleaves with threads).
  void BeginDpc(const void* dpc, const void* routine, std::uint64_t cpu_mask, unsigned cpu,
                const void* frame, KIRQL irql = DISPATCH_LEVEL) {
    if (enabled_) NoteBeginDpc(dpc, routine, cpu_mask, cpu, frame, irql);
  }
  /// The running code asked which processor it is on (KeGetCurrentProcessorNumber and kin). In
  /// a DPC, or at DISPATCH_LEVEL or above, it cannot move to another processor, and code asks in
  /// order to pick that processor's own data: from now on its accesses there count as pinned to
  /// this vCPU, as a targeted DPC's do, so two DPCs that each update their processor's slot are
  /// not a race (docs/concurrency.md, "Race detection").
  void NoteProcessorAsked() {
    if (enabled_) PinToCurrentProcessor();
  }
  /// An NMI callback on vCPU `cpu` (model/nmi_callbacks.hpp): it preempts everything there, code
  /// at HIGH_LEVEL included, but not another NMI's callbacks. `registration` is its object.
  void BeginNmi(const void* registration, const void* routine, unsigned cpu, const void* frame) {
    if (enabled_) NoteBeginNmi(registration, routine, cpu, frame);
  }
  /// A work item routine: PASSIVE_LEVEL, on a system worker thread of any processor.
  void BeginWorkItem(const void* item, const void* routine, unsigned cpu, const void* frame) {
    if (enabled_) NoteBeginAnyCpu(ContextKind::kWorkItem, item, routine, cpu, frame);
  }
  void End(unsigned cpu) {
    if (enabled_) NoteEnd(cpu);
  }

  // System threads (model/system_threads.cpp, race/detector_threads.cpp). A system thread runs on
  // a vCPU it borrows and may leave it at any wait, to resume later on any vCPU: its contexts (its
  // own, and the ISRs and DPCs that preempt it) are a stack of their own, which takes the place of
  // the vCPU's stack while the thread is seated there, as the scheduler swaps the vCPU's thread
  // state.
  /// The thread with object `object` takes vCPU `cpu` (Seat) or leaves it (Unseat).
  void SeatThread(const void* object, unsigned cpu) {
    if (enabled_) NoteSeatThread(object, cpu, /*seated=*/true);
  }
  void UnseatThread(const void* object, unsigned cpu) {
    if (enabled_) NoteSeatThread(object, cpu, /*seated=*/false);
  }
  /// Its start routine begins, on the vCPU it is seated on: PASSIVE_LEVEL, any vCPU; what its
  /// creator did before PsCreateSystemThread (a Release of `object`) happens before.
  void BeginSystemThread(const void* object, const void* routine, unsigned cpu, const void* frame) {
    if (enabled_) NoteBeginAnyCpu(ContextKind::kSystemThread, object, routine, cpu, frame);
  }
  /// It ends (returning, PsTerminateSystemThread, or unwound at teardown), wherever its stack is.
  void EndSystemThread(const void* object) {
    if (enabled_) NoteEndSystemThread(object);
  }

  // Synchronisation. Inline when detection is off: every lock and DPC passes through them.
  /// `shared`: a reader/writer lock held shared, which protects the holder's reads only: two
  /// shared holders exclude no one from each other, so their writes share no lock.
  void LockAcquired(const void* lock, bool shared = false) {
    if (enabled_) NoteLockAcquired(lock, shared);
  }
  void LockReleased(const void* lock) {
    if (enabled_) NoteLockReleased(lock);
  }
  /// An interrupt spin lock, named so in reports.
  void NameInterruptLock(const void* lock, const void* connection);
  /// A KDPC kemu owns that runs a driver routine for an object: an EX_TIMER's callback, a device
  /// object's IoTimer routine. Reports name that routine (`role`, "EX_TIMER callback") and the
  /// object (`object_kind`, "EX_TIMER"), not kemu's DPC routine. Kept whether or not the detector
  /// is on (it may turn on later).
  void NameCallbackDpc(const void* dpc, const char* role, const void* callback,
                       const char* object_kind, const void* object) {
    callback_dpcs_[dpc] = {role, callback, object_kind, object};
  }
  /// The running context publishes its history under `sync`; a later Acquire(sync) sees it.
  /// The context a BehalfScope was opened in publishes nothing while it lasts.
  void Release(const void* sync) {
    if (enabled_) NoteRelease(sync);
  }
  void Acquire(const void* sync) {
    if (enabled_) NoteAcquire(sync);
  }
  /// A full barrier at `sync` (an Interlocked operation, or a routine working under one lock for
  /// the object): Acquire then Release, so every context that passes it is ordered after the ones
  /// that passed it before.
  void Barrier(const void* sync) {
    if (!enabled_) return;
    NoteAcquire(sync);
    NoteRelease(sync);
  }
  /// KeInitializeSpinLock: a new lock, even at an earlier one's address (a reused stack frame, a
  /// lock used uninitialised in a freed block). Accesses under the earlier lock share no lock with
  /// accesses under this one, and a context still holding the earlier one (re-initialising a held
  /// lock is a driver bug, which Windows lets zero the word) holds it no more.
  /// `kind`: what a lock other than a spin lock is, for reports ("kernel mutex", "fast mutex",
  /// "guarded mutex", "executive resource"; a string literal), or nullptr for a spin lock.
  void LockInitialized(const void* lock, const char* kind = nullptr) {
    if (enabled_) NoteLockInitialized(lock, kind);
  }
  /// KeInitializeEvent, KeInitializeTimer(Ex), KeInitializeDpc: a synchronisation object begins at
  /// `object`, where an earlier one may have lived without a free between (a reused stack frame).
  /// The clocks published under its address (signals, queueing, its routine's end) and what the
  /// routine of a KDPC there learned are the earlier object's: dropped, as Forget drops them, but
  /// not the shadow of its bytes. Nothing changes while a routine of the object runs (a DPC routine
  /// re-initialising its own KDPC, which is dequeued, is ordered with what it queues next anyway);
  /// the kernel does not call it for a KDPC that is still queued (dpcs.cpp).
  void ObjectInitialized(const void* object) {
    if (enabled_) NoteObjectInitialized(object);
  }
  /// KeResetEvent, KeClearEvent, the end of KePulseEvent: the signals published under `sync`
  /// before are dropped, so a later wait learns only from the signals after.
  void ClearSync(const void* sync) {
    if (enabled_) NoteClearSync(sync);
  }
  /// [begin, begin + bytes) is freed or reused: its history is dropped, and so is everything kept
  /// under an address inside it (the clocks objects there published, interrupt lock names, what
  /// the routine of a DPC, ISR or work item there learned): an object placed at a reused address
  /// is a new one, which inherits no happens-before edge and no name. Costs the entries it drops
  /// plus a few ordered-map searches, never a pass over every object (detector.cpp).
  void Forget(const void* begin, std::size_t bytes);
  /// The running context frees the pool block [begin, begin + bytes), called at `pc` (the
  /// driver's call of the free routine), before Forget: to the detector the free is a write to
  /// every byte, so an access of another context that nothing orders before it (a DPC on another
  /// vCPU that wrote the block, with no KeFlushQueuedDpcs between) is a race, found whether or
  /// not that context still runs. A free the test's own code makes (no driver frame on its
  /// stack) is not checked: the test is the harness, not the driver under test.
  void OnFree(const void* begin, std::size_t bytes, std::uintptr_t pc);

  // From instrumented code (abi/tsan_runtime.cpp). `sp` is the caller's frame address. An atomic
  // access is a full barrier at its address unless `relaxed`: then it orders nothing by itself,
  // but publishes what the thread did before its last release fence (a store) or lets its next
  // acquire fence learn what was published at the address (a load), as C11 fences do.
  void OnAccess(std::uintptr_t address, std::size_t size, bool write, bool atomic,
                std::uintptr_t pc, std::uintptr_t sp, bool relaxed = false);
  void OnFence(bool acquire, bool release);
  /// Annotations (<kemu_race.h>).
  void IgnoreBegin();
  void IgnoreEnd();
  void AddBenignRange(std::uintptr_t begin, std::size_t bytes, std::string reason);

  /// A race was found and not raised yet.
  bool pending() const { return pending_.has_value(); }
  /// The race found but not raised yet, or nullptr.
  const kemu::DataRace* pending_race() const { return pending_ ? &*pending_ : nullptr; }
  /// Raises the pending race (kemu::DataRace), as MachineOptions::on_bug_check says.
  void RaisePending();

  /// How many accesses were checked (benchmarks, tests).
  std::uint64_t accesses() const { return accesses_; }

 private:
  void NoteBeginIsr(const void* connection, const void* routine, ULONG vector, KIRQL irql,
                    std::uint64_t cpu_mask, unsigned cpu, const void* frame, ULONG message);
  void NoteBeginDpc(const void* dpc, const void* routine, std::uint64_t cpu_mask, unsigned cpu,
                    const void* frame, KIRQL irql);
  /// A work item's or system thread's routine (`kind`) begins on vCPU `cpu`, at PASSIVE_LEVEL:
  /// it may run on (or move to) any vCPU, so it may meet any context of any vCPU. What was done
  /// before `object` was queued or created (a Release of it) happens before.
  void NoteBeginNmi(const void* registration, const void* routine, unsigned cpu, const void* frame);
  void NoteBeginAnyCpu(ContextKind kind, const void* object, const void* routine, unsigned cpu,
                       const void* frame);
  void NoteEnd(unsigned cpu);
  void NoteSeatThread(const void* object, unsigned cpu, bool seated);
  void NoteEndSystemThread(const void* object);
  void NoteLockAcquired(const void* lock, bool shared);
  void NoteLockReleased(const void* lock);
  void NoteRelease(const void* sync);
  void NoteAcquire(const void* sync);
  VectorClock& SyncClock(const void* sync);
  // Object lifetimes (race/detector_lifetime.cpp).
  void NoteLockInitialized(const void* lock, const char* kind);
  void NoteObjectInitialized(const void* object);
  void NoteClearSync(const void* sync);
  // Forget's parts, over [begin, end).
  void ForgetShadow(std::uintptr_t begin, std::uintptr_t end);
  void ForgetSync(std::uintptr_t begin, std::uintptr_t end);
  void ForgetLocks(std::uintptr_t begin, std::uintptr_t end);
  void ForgetInterruptLocks(std::uintptr_t begin, std::uintptr_t end);
  void ForgetContexts(std::uintptr_t begin, std::uintptr_t end);

  /// A spin lock as locksets hold it: its address, and which of the locks initialised there it is
  /// (0 until KeInitializeSpinLock, then a new number at each, and at each free of its memory).
  struct LockId {
    const void* address = nullptr;
    std::uint64_t generation = 0;
    auto operator<=>(const LockId&) const = default;
  };

  /// Shadow memory's unit: the bytes one Cell describes.
  static constexpr std::uintptr_t kGranule = 8;

  struct Activation {
    std::uint32_t thread = 0;
    std::uint32_t context = 0;
    std::uint64_t cpu_mask = 0;
    std::uintptr_t stack_base = 0;  ///< its own frames lie below this address
    unsigned caller_depth = 0;      ///< the thread's shadow call stack depth at Begin
    unsigned ignore = 0;
    KIRQL base_irql = PASSIVE_LEVEL;
    std::vector<LockId> locks;
    std::uint32_t lockset = 0;  ///< `locks`: what protects a write
    /// Reader/writer locks held shared, which protect reads only (Eraser's read locks).
    std::vector<LockId> shared_locks;
    std::uint32_t read_lockset = 0;  ///< `locks` and `shared_locks`: what protects a read
    bool forgotten = false;          ///< its object was freed while running (End renews the thread)
    /// The vCPU it asked the number of while it could not move (NoteProcessorAsked), or -1.
    int pinned_cpu = -1;
  };
  /// The latest reads and writes of each logical thread that touched 8 bytes, up to kEntries
  /// (then the oldest goes). A thread's later access replaces its earlier one only when it stands
  /// for it (CheckGranule): a write to the neighbouring field, under a lock, or at a higher IRQL
  /// does not stand for an earlier unlocked one.
  struct Cell {
    static constexpr std::size_t kEntries = 6;
    std::array<Access, kEntries> entries;
    std::uint8_t count = 0;
    std::uint8_t next = 0;
  };
  struct Benign {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    std::string reason;
  };

  Activation* Current();
  /// The running context's logical thread, or -1 when none runs driver code here.
  std::int64_t CurrentThreadOrNone();
  void PinToCurrentProcessor();
  /// The processors `current`'s access now could run on (Access::cpu_mask).
  std::uint64_t CpuMaskOf(const Activation& current);
  /// Calls `visit` on every activation: the vCPUs' stacks and the ones set aside.
  template <typename F>
  void ForEachActivation(F visit) {
    for (std::vector<Activation>& stack : stacks_) {
      for (Activation& activation : stack) visit(activation);
    }
    for (auto& [object, aside] : set_aside_) {
      for (Activation& activation : aside.stack) visit(activation);
    }
  }
  /// Pops `stack`'s innermost context: what it did is published for whoever waits for its end.
  void EndTop(std::vector<Activation>& stack);
  /// `lane` tells apart logical threads of one object on one vCPU (a message table's messages).
  void Begin(ContextKind kind, const void* object, const void* routine, ULONG vector,
             KIRQL base_irql, std::uint64_t cpu_mask, unsigned cpu, const void* frame,
             ULONG lane = 0);
  std::uint32_t ThreadFor(ContextKind kind, const void* object, unsigned cpu, ULONG lane = 0);
  std::uint32_t ContextFor(const ContextInfo& info);
  std::uint32_t LocksetFor(std::vector<LockId> locks);
  /// Drops `lock` from what `activation` holds (its latest take); false if it does not hold it.
  bool Unhold(Activation& activation, const void* lock);
  /// Recomputes `activation`'s write and read locksets after its locks changed.
  void UpdateLocksets(Activation& activation);
  /// The access `current` makes at `pc`, without address and bytes (OnAccess, OnFree).
  Access MakeAccess(const Activation& current, const ThreadStack& thread_stack, std::uintptr_t pc,
                    bool write, bool atomic);
  void Tick(std::uint32_t thread);
  bool Races(const Access& prior, const Access& now) const;
  bool Disjoint(std::uint32_t a, std::uint32_t b) const;
  static bool MayOverlap(const Access& a, const Access& b);
  static bool ThreadsInterleave(const Access& a, const Access& b);
  void CheckGranule(std::uintptr_t granule, Access access);
  void Found(const Access& prior, const Access& now);
  // The report (race/race_report.cpp).
  std::string FormatRace(const Access& prior, const Access& now, std::uintptr_t address) const;
  std::string DescribeAccess(const Access& access, bool first,
                             const std::map<std::uintptr_t, CodeName>& names) const;
  std::string DescribeLocks(std::uint32_t lockset) const;
  std::string DescribeContext(std::uint32_t context,
                              const std::map<std::uintptr_t, CodeName>& names) const;
  std::string WhyConcurrent(const Access& prior, const Access& now) const;
  /// A logical thread other than `thread` has an access in `cell`.
  static bool TouchedByOthers(const Cell& cell, std::uint32_t thread);
  /// Keeps `access` in `cell`, in place of an earlier one of its thread it stands for.
  static void Keep(Cell& cell, const Access& access);

  friend class BehalfScope;

  Host& host_;
  bool enabled_;
  /// The logical thread the innermost BehalfScope was opened in, or -1.
  std::int64_t behalf_thread_ = -1;
  std::vector<std::vector<Activation>> stacks_;  ///< index = vCPU
  /// Per system thread (by object): the stack set aside for it, which is its own while it is off
  /// a vCPU and the displaced vCPU's while it is seated (`seated`).
  struct SetAside {
    std::vector<Activation> stack;
    bool seated = false;
    unsigned cpu = 0;
  };
  std::unordered_map<const void*, SetAside> set_aside_;
  Activation test_;  ///< the test's thread
  std::map<std::tuple<ContextKind, const void*, unsigned, ULONG>, std::uint32_t> threads_;
  std::vector<VectorClock> clocks_;  ///< index = logical thread
  /// Per logical thread: what its relaxed loads read (learned at its next acquire fence) and its
  /// clock at its last release fence (published by its relaxed stores).
  struct Fences {
    VectorClock read;
    VectorClock released;
  };
  std::unordered_map<std::uint32_t, Fences> fences_;
  void NoteRelaxed(const void* sync, bool write);
  std::unordered_map<const void*, VectorClock> sync_;
  /// sync_'s keys in address order: Forget finds a freed block's without a pass over sync_, whose
  /// lookups (every atomic access, DPC and ISR) stay hashed.
  std::set<std::uintptr_t> sync_keys_;
  std::map<std::vector<LockId>, std::uint32_t> lockset_ids_;
  std::vector<std::vector<LockId>> locksets_;  ///< sorted; [0] is the empty set
  /// The generation of each lock address taken or initialised since the machine started (0 until
  /// initialised or freed). Ordered: Forget renews a range. Its size is the number of lock
  /// addresses, which pool and stack reuse bound; each generation taken adds its locksets.
  std::map<std::uintptr_t, std::uint64_t> lock_generations_;
  std::uint64_t lock_inits_ = 0;  ///< the last generation given
  /// What the locks that are no spin locks are (LockInitialized's `kind`), by address. Ordered:
  /// Forget drops a range.
  std::map<std::uintptr_t, const char*> lock_kinds_;
  struct CallbackDpc {
    const char* role;
    const void* callback;
    const char* object_kind;
    const void* object;
  };
  /// NameCallbackDpc: a kemu-owned KDPC -> the driver routine it runs and that routine's object.
  std::map<const void*, CallbackDpc> callback_dpcs_;
  std::map<std::tuple<ContextKind, const void*, unsigned, ULONG>, std::uint32_t> context_ids_;
  std::vector<ContextInfo> contexts_;
  /// Interrupt locks by address, and back (for Forget: a freed connection record names its lock,
  /// which may lie outside it). Ordered: Forget drops a range.
  std::map<std::uintptr_t, std::uintptr_t> interrupt_locks_;    ///< lock -> connection
  std::map<std::uintptr_t, std::uintptr_t> interrupt_lock_of_;  ///< connection -> lock
  std::unordered_map<std::uintptr_t, Cell> shadow_;             ///< key: address / 8
  std::vector<Benign> benign_;
  std::optional<kemu::DataRace> pending_;
  bool raised_ = false;
  std::uint64_t accesses_ = 0;
};

/// Kernel work done for an object an earlier caller set up, such as a timer's expiry: the
/// context that happens to run it (whoever moved virtual time) takes no part, so its releases
/// publish nothing. The setter published its history when it set the object up (KeSetTimer);
/// without the scope, what the running context did since would count as ordered before the
/// timer's DPC and waiters, hiding races (audit round 13).
///
/// Only that context's releases are dropped: a thread the expiry wakes, or a DPC it runs at once,
/// is another logical thread and publishes as usual.
class BehalfScope {
 public:
  explicit BehalfScope(Detector& detector) : detector_(detector), outer_(detector.behalf_thread_) {
    detector_.behalf_thread_ = detector_.CurrentThreadOrNone();
  }
  ~BehalfScope() { detector_.behalf_thread_ = outer_; }
  BehalfScope(const BehalfScope&) = delete;
  BehalfScope& operator=(const BehalfScope&) = delete;

 private:
  Detector& detector_;
  std::int64_t outer_;
};

/// Begin/End of one ISR or DPC context, on unwinding too.
class ContextScope {
 public:
  ContextScope(Detector& detector, unsigned cpu) : detector_(detector), cpu_(cpu) {}
  ~ContextScope() { detector_.End(cpu_); }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Detector& detector_;
  unsigned cpu_;
};

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_DETECTOR_HPP_
