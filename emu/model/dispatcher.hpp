// Dispatcher objects (events, semaphores, kernel mutexes, timers), the waits on them, and fast
// mutexes. An object's state is its DISPATCHER_HEADER.SignalState in driver memory, as on Windows
// (EV-1: read and returned raw); the waiters are kemu's, one per blocked execution context,
// satisfied in FIFO order by whoever signals an object (KeSetEvent, KeReleaseSemaphore,
// KeReleaseMutex, a timer expiring), which consumes the signal on the waiter's behalf as Windows
// does: a synchronization event or timer resets, a semaphore's count drops by one, a mutex
// becomes the waiter's. A mutex's owner is a thread: a vCPU's own, a work item's worker thread, or
// a system thread running on a vCPU (which swaps its per-thread state in, SwapThreadSlots).
#ifndef KEMU_EMU_MODEL_DISPATCHER_HPP_
#define KEMU_EMU_MODEL_DISPATCHER_HPP_

#include <wdm.h>

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace kemu::model {

class Kernel;
struct WaitFor;

/// System time at boot (interrupt time 0): 2024-01-01 00:00:00 UTC in 100 ns units since 1601.
/// A fixed value keeps runs reproducible.
inline constexpr std::uint64_t kBootSystemTime = 133485408000000000ull;

/// One KeWaitFor*/KeDelayExecutionThread request, once its arguments are decoded.
struct WaitRequest {
  const char* routine = "";
  std::vector<DISPATCHER_HEADER*> objects;  ///< empty: KeDelayExecutionThread
  bool wait_all = false;
  /// Interrupt time the wait times out at; nullopt waits for ever.
  std::optional<std::uint64_t> deadline;
  /// The waiting thread (its vCPU and thread stand-in), set by Dispatcher::Wait: a mutex it
  /// owns satisfies its wait, and becomes its when the wait takes it.
  unsigned cpu = 0;
  std::uintptr_t thread = 0;
  /// The IRQL the wait runs at: a mutex it acquires is released at the same IRQL class.
  KIRQL irql = PASSIVE_LEVEL;
};

class Dispatcher {
 public:
  explicit Dispatcher(Kernel& kernel) : kernel_(kernel) {}

  /// Writes a dispatcher header as its KeInitialize* routine does: `type`, the object's size in
  /// LONGs, `state`, an empty wait list.
  static void InitializeHeader(DISPATCHER_HEADER& header, UCHAR type, std::size_t object_bytes,
                               LONG state);
  void InitializeEvent(PRKEVENT event, EVENT_TYPE type, bool state);
  /// KeSetEvent: returns the previous SignalState; waiters the signal satisfies are released.
  LONG SetEvent(const char* routine, PRKEVENT event);
  LONG ResetEvent(const char* routine, PRKEVENT event);
  /// Sets the header signalled and releases the waiters it satisfies (timers use it too).
  void Signal(DISPATCHER_HEADER* header);
  /// The kinds of object CheckObject accepts (a bit set).
  enum ObjectKinds : unsigned {
    kEvents = 1,
    kTimers = 2,
    kSemaphores = 4,
    kMutexes = 8,
    kThreads = 16,  ///< a system thread's object (PsCreateSystemThread): signalled once it ends
    kWaitable = kEvents | kTimers | kSemaphores | kMutexes | kThreads,
  };
  /// An object initialised at `header`: for the race detector a new object, which inherits no
  /// earlier signal's happens-before edge (KeInitialize{Event,Timer(Ex),Semaphore,Mutex}).
  /// A waiter still waiting on it is the driver's bug: 0x139 / 3 (ObjectInitializedWhileWaitedOn).
  void NewObject(DISPATCHER_HEADER* header);
  /// The KeInitialize* routine and the kind of object a header `type` names, for reports.
  static std::pair<const char*, const char*> InitializerOf(UCHAR type);
  /// The object was reset (KeResetEvent, KeClearEvent, the end of KePulseEvent): a later wait
  /// learns nothing from the signals before, unless a wait they satisfied has not learned yet.
  void ForgetSignals(DISPATCHER_HEADER* header);
  /// Checks that `object` is an initialized object of one of `kinds`; bug-checks otherwise.
  void CheckObject(const char* routine, const void* object,
                   unsigned kinds = kEvents | kTimers) const;
  /// Wait=TRUE on a signalling routine (EV-2): the caller keeps the dispatcher, at
  /// DISPATCH_LEVEL, until its next wait, which returns to `irql`.
  void HoldForNextWait(KIRQL irql);

  // Semaphores (semaphores.cpp).
  void InitializeSemaphore(PRKSEMAPHORE semaphore, LONG count, LONG limit);
  /// KeReleaseSemaphore: adds `adjustment` to the count and releases the waiters it satisfies;
  /// returns the previous count. Past the limit: the unhandled STATUS_SEMAPHORE_LIMIT_EXCEEDED.
  LONG ReleaseSemaphore(const char* routine, PRKSEMAPHORE semaphore, LONG adjustment);

  // Kernel mutexes (mutexes.cpp). A wait acquires one (Consume); the owner releases it.
  void InitializeMutex(PRKMUTEX mutex);
  /// KeReleaseMutex: returns the previous SignalState; the last release frees the mutex for the
  /// first waiter. By another thread: the unhandled STATUS_MUTANT_NOT_OWNED.
  LONG ReleaseMutex(const char* routine, PRKMUTEX mutex);
  /// Kernel mutexes the thread on `cpu` owns: its normal kernel APCs are disabled meanwhile.
  unsigned kernel_mutexes_owned(unsigned cpu) const;
  /// The lowest address of a kernel mutex the thread on `cpu` owns, or 0 when it owns none.
  std::uintptr_t FirstKernelMutexOwned(unsigned cpu) const;
  /// What Windows keeps as the thread's KernelApcDisable, as a positive count: the critical
  /// regions the thread on vCPU `cpu` is in plus the kernel mutexes it owns. Cheap when nothing
  /// is owned: every DPC routine's run compares it before and after.
  unsigned kernel_apc_disable(unsigned cpu) const {
    return static_cast<unsigned>(critical_regions_of(cpu)) +
           (owned_.empty() ? 0 : kernel_mutexes_owned(cpu));
  }

  // Fast and guarded mutexes (fast_mutexes.cpp). Not dispatcher objects: the owner is the
  // structure's Owner.
  void InitializeFastMutex(PFAST_MUTEX mutex);
  /// ExAcquireFastMutex (`raise`: to APC_LEVEL, the old IRQL kept in the mutex) and
  /// ExAcquireFastMutexUnsafe: waits while another thread owns the mutex.
  void AcquireFastMutex(const char* routine, PFAST_MUTEX mutex, bool raise);
  /// ExTryToAcquireFastMutex: false, without waiting, when any thread owns it.
  bool TryToAcquireFastMutex(const char* routine, PFAST_MUTEX mutex);
  /// ExReleaseFastMutex (`restore`: back to the IRQL the acquire saved) and the Unsafe variant.
  void ReleaseFastMutex(const char* routine, PFAST_MUTEX mutex, bool restore);
  void InitializeGuardedMutex(PKGUARDED_MUTEX mutex);
  /// KeAcquireGuardedMutex (`region`: enters a guarded region first) and the Unsafe variant.
  void AcquireGuardedMutex(const char* routine, PKGUARDED_MUTEX mutex, bool region);
  bool TryToAcquireGuardedMutex(const char* routine, PKGUARDED_MUTEX mutex);
  /// KeReleaseGuardedMutex (`region`: leaves the guarded region) and the Unsafe variant.
  void ReleaseGuardedMutex(const char* routine, PKGUARDED_MUTEX mutex, bool region);
  /// KeEnterGuardedRegion / KeLeaveGuardedRegion on the current vCPU's thread (all APCs off).
  void EnterGuardedRegion();
  void LeaveGuardedRegion(const char* routine);
  unsigned guarded_regions(unsigned cpu) const;
  /// Whether normal kernel APCs are off for the thread on vCPU `cpu` at `irql`: APC_LEVEL or
  /// above, a critical or guarded region entered, or a kernel mutex owned.
  bool ApcsDisabled(unsigned cpu, KIRQL irql) const {
    return irql >= APC_LEVEL || kernel_apc_disable(cpu) > 0 || guarded_regions(cpu) > 0;
  }

  /// Mutexes (kernel and fast) still owned, one line each, for the shutdown report.
  std::vector<std::string> DescribeOwned() const;
  /// The first owned mutex's address (0: none), for the shutdown bug check.
  std::uintptr_t FirstOwned() const;

  /// Waits as KeWaitForMultipleObjects does (arguments and IRQL already checked): STATUS_WAIT_0
  /// + index for WaitAny, STATUS_WAIT_0 for WaitAll, STATUS_TIMEOUT when the deadline passed.
  /// Blocks the running context meanwhile; advances virtual time when nothing else can run.
  /// Sets the request's thread to the running one.
  NTSTATUS Wait(WaitRequest& request);

  /// Blocks the running thread until `wait.ready()`, as a wait does: other vCPUs run, and when
  /// none can, queued work items run here and virtual time moves to the next timer or deadline;
  /// the deadlock report when nothing can ever change (executive resources wait this way).
  void BlockUntil(const WaitFor& wait);

  /// Earliest deadline of any blocked wait, for the clock to stop at.
  std::optional<std::uint64_t> EarliestDeadline() const;
  /// Blocked waits, for reports ("vCPU 0 waits in KeWaitForSingleObject for ...").
  std::size_t blocked() const { return waiters_.size(); }
  /// Whether a blocked wait waits on an object inside [begin, end): memory the waiter's state
  /// is read from at every step of the schedule.
  bool WaitedOnIn(const void* begin, const void* end) const;

  /// KeSetEvent(..., Wait=TRUE) raised vCPU `cpu` to DISPATCH_LEVEL from `irql`; the next wait
  /// on that vCPU returns there (EV-2).
  void SetWaitNext(unsigned cpu, KIRQL irql);
  /// The IRQL saved by SetWaitNext for `cpu`, cleared.
  std::optional<KIRQL> TakeWaitNext(unsigned cpu);
  /// A Wait=TRUE signal on `cpu` still waits for the wait that must follow it.
  bool WaitNextPending(unsigned cpu) const {
    return cpu < wait_next_.size() && wait_next_[cpu].has_value();
  }

  /// The thread running on the current vCPU: the vCPU's own (Cpu::thread_address), or while a
  /// work item runs there (kemu runs them on a waiting context) a worker thread's stand-in next
  /// to it, so a mutex the waiting thread owns is not the worker's.
  std::uintptr_t CurrentThread() const;
  /// The thread running on vCPU `cpu` (CurrentThread for another vCPU).
  std::uintptr_t ThreadOn(unsigned cpu) const;
  /// The per-thread state kemu keeps per vCPU. A system thread keeps its own while it is off a
  /// vCPU and swaps it in while it runs there (`thread` 0: the vCPU's own thread).
  struct ThreadSlots {
    std::uintptr_t thread = 0;
    int critical_regions = 0;
    unsigned guarded_regions = 0;
    unsigned worker_depth = 0;
  };
  /// Exchanges `slots` with vCPU `cpu`'s.
  void SwapThreadSlots(unsigned cpu, ThreadSlots& slots);
  /// A work item starts (Enter) or ends (Leave) on the current vCPU.
  void EnterWorkerThread();
  void LeaveWorkerThread();
  /// A work item runs on the current vCPU (perhaps interrupted by an ISR or a DPC).
  bool InWorkerThread() const;

  /// KeEnterCriticalRegion nesting of the thread on vCPU `cpu` (kemu has one thread per vCPU
  /// context). KeAreApcsDisabled reads it, never the IRQL (SL-12).
  int& critical_regions(unsigned cpu);
  /// The same, read only.
  int critical_regions_of(unsigned cpu) const {
    return cpu < critical_regions_.size() ? critical_regions_[cpu] : 0;
  }

 private:
  struct Waiter {
    const WaitRequest* request = nullptr;
    bool satisfied = false;
    NTSTATUS status = STATUS_TIMEOUT;
    std::uint64_t progress_at_start = 0;  ///< progress_ when the wait blocked
    std::uint64_t started_100ns = 0;      ///< interrupt time when the wait blocked
  };
  class Registration;

  /// A mutex (kernel or fast) someone owns.
  struct Owned {
    unsigned cpu = 0;
    std::uintptr_t thread = 0;  ///< the owning thread (CurrentThread when it acquired)
    const char* kind = "";      ///< "kernel mutex", "fast mutex", "guarded mutex"
    const char* routine = "";   ///< what acquired it
    bool kernel_mutex = false;  ///< a KMUTEX: its owner's normal kernel APCs are off
    bool at_dispatch = false;   ///< a KMUTEX acquired by a wait at DISPATCH_LEVEL
  };
  struct MutexView;  // fast_mutexes.cpp

  /// Satisfies `request` now if its objects allow, consuming synchronization signals.
  std::optional<NTSTATUS> TrySatisfy(const WaitRequest& request);
  /// Whether `header` satisfies a wait by `request`'s thread (a mutex it owns does).
  static bool Signalled(const DISPATCHER_HEADER* header, const WaitRequest& request);
  /// What a satisfied wait does to the object (EV-3; a semaphore's count; a mutex's owner).
  void Consume(DISPATCHER_HEADER* header, const WaitRequest& request);
  /// Releases the waiters `header` satisfies now, first come first served.
  void WakeWaiters(DISPATCHER_HEADER* header);
  // The fast- and guarded-mutex steps both kinds share (fast_mutexes.cpp).
  static MutexView ViewOf(PFAST_MUTEX mutex);
  static MutexView ViewOf(PKGUARDED_MUTEX mutex);
  void InitializeMutexView(const MutexView& mutex);
  void CheckMutexView(const char* routine, const MutexView& mutex) const;
  void CheckAtMostApc(const char* routine) const;
  void AcquireMutexView(const char* routine, const MutexView& mutex);
  void TakeMutexView(const char* routine, const MutexView& mutex);
  void ReleaseMutexView(const char* routine, const MutexView& mutex);
  /// A satisfied wait on `header` has not resumed yet (it learns from the signals then).
  bool SignalUnlearned(const DISPATCHER_HEADER* header) const;
  /// Nothing else can run: runs queued work items or moves the clock to the next timer or
  /// deadline. False when nothing at all can change (a deadlock).
  bool MakeProgress();
  /// After a step of progress: an untimed wait that has seen more than the bound of them, made by
  /// any context (a thread polling with timed waits keeps moving time while the waiter never
  /// runs), is the wait that never completes.
  void CheckStarvedWaiters();
  /// A fast mutex routine's IRQL rule: above APC_LEVEL, or (`at_apc_only`, ExReleaseFastMutex)
  /// anywhere but APC_LEVEL, is 0xC4 / 0x33 (acquire) or 0x34 (release) under Verifier.
  void CheckFastMutexIrql(const char* routine, PFAST_MUTEX mutex, bool acquiring,
                          bool at_apc_only) const;
  /// The Unsafe fast-mutex routines with APCs enabled: 0xC4 / 0x39 or 0x3A under Verifier.
  void CheckApcsDisabled(const char* routine, PFAST_MUTEX mutex, bool acquiring) const;
  /// Driver Verifier's lock order for the kernel mutexes a wait may acquire (0xC4 / 0x1001).
  void OrderMutexes(const WaitRequest& request);
  void LearnFromSignals(const WaitRequest& request, NTSTATUS status);
  std::string Describe(const WaitRequest& request) const;

  Kernel& kernel_;
  std::list<Waiter*> waiters_;  ///< FIFO: the first to wait is the first satisfied
  std::uint64_t progress_ = 0;  ///< steps MakeProgress has made, by every context
  std::vector<std::optional<KIRQL>> wait_next_;
  std::vector<int> critical_regions_;
  std::vector<unsigned> worker_depth_;     ///< work items running nested, per vCPU
  std::vector<unsigned> guarded_regions_;  ///< KeEnterGuardedRegion nesting, per vCPU
  std::vector<std::uintptr_t> thread_on_;  ///< per vCPU: a system thread running there, or 0
  /// Owned mutexes by address: ordered, so reports list them by address.
  std::map<std::uintptr_t, Owned> owned_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DISPATCHER_HPP_
