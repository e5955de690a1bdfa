// Dispatcher objects (events and timers) and the waits on them. An object's state is its
// DISPATCHER_HEADER.SignalState in driver memory, as on Windows (EV-1: read and returned raw);
// the waiters are kemu's, one per blocked execution context, satisfied in FIFO order by whoever
// signals an object (KeSetEvent, a timer expiring), which consumes a synchronization object's
// signal on the waiter's behalf as Windows does.
#ifndef KEMU_EMU_MODEL_DISPATCHER_HPP_
#define KEMU_EMU_MODEL_DISPATCHER_HPP_

#include <wdm.h>

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

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
};

class Dispatcher {
 public:
  explicit Dispatcher(Kernel& kernel) : kernel_(kernel) {}

  void InitializeEvent(PRKEVENT event, EVENT_TYPE type, bool state);
  /// KeSetEvent: returns the previous SignalState; waiters the signal satisfies are released.
  LONG SetEvent(const char* routine, PRKEVENT event);
  LONG ResetEvent(const char* routine, PRKEVENT event);
  /// Sets the header signalled and releases the waiters it satisfies (timers use it too).
  void Signal(DISPATCHER_HEADER* header);
  /// An event or timer initialised at `header`: for the race detector a new object, which inherits
  /// no earlier signal's happens-before edge (KeInitializeEvent, KeInitializeTimer(Ex)).
  void NewObject(DISPATCHER_HEADER* header);
  /// The object was reset (KeResetEvent, KeClearEvent, the end of KePulseEvent): a later wait
  /// learns nothing from the signals before, unless a wait they satisfied has not learned yet.
  void ForgetSignals(DISPATCHER_HEADER* header);
  /// Checks that `header` is an initialized event or timer; bug-checks otherwise.
  void CheckObject(const char* routine, const void* object) const;

  /// Waits as KeWaitForMultipleObjects does (arguments and IRQL already checked): STATUS_WAIT_0
  /// + index for WaitAny, STATUS_WAIT_0 for WaitAll, STATUS_TIMEOUT when the deadline passed.
  /// Blocks the running context meanwhile; advances virtual time when nothing else can run.
  NTSTATUS Wait(const WaitRequest& request);

  /// Earliest deadline of any blocked wait, for the clock to stop at.
  std::optional<std::uint64_t> EarliestDeadline() const;
  /// Blocked waits, for reports ("vCPU 0 waits in KeWaitForSingleObject for ...").
  std::size_t blocked() const { return waiters_.size(); }

  /// KeSetEvent(..., Wait=TRUE) raised vCPU `cpu` to DISPATCH_LEVEL from `irql`; the next wait
  /// on that vCPU returns there (EV-2).
  void SetWaitNext(unsigned cpu, KIRQL irql);
  /// The IRQL saved by SetWaitNext for `cpu`, cleared.
  std::optional<KIRQL> TakeWaitNext(unsigned cpu);

  /// KeEnterCriticalRegion nesting of the thread on vCPU `cpu` (kemu has one thread per vCPU
  /// context). KeAreApcsDisabled reads it, never the IRQL (SL-12).
  int& critical_regions(unsigned cpu);

 private:
  struct Waiter {
    const WaitRequest* request = nullptr;
    bool satisfied = false;
    NTSTATUS status = STATUS_TIMEOUT;
  };
  class Registration;

  /// Satisfies `request` now if its objects allow, consuming synchronization signals.
  std::optional<NTSTATUS> TrySatisfy(const WaitRequest& request);
  static bool Signalled(const DISPATCHER_HEADER* header) { return header->SignalState > 0; }
  static void Consume(DISPATCHER_HEADER* header);
  /// A satisfied wait on `header` has not resumed yet (it learns from the signals then).
  bool SignalUnlearned(const DISPATCHER_HEADER* header) const;
  /// Nothing else can run: runs queued work items or moves the clock to the next timer or
  /// deadline. False when nothing at all can change (a deadlock).
  bool MakeProgress();
  void LearnFromSignals(const WaitRequest& request);
  std::string Describe(const WaitRequest& request) const;

  Kernel& kernel_;
  std::list<Waiter*> waiters_;  ///< FIFO: the first to wait is the first satisfied
  std::vector<std::optional<KIRQL>> wait_next_;
  std::vector<int> critical_regions_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DISPATCHER_HPP_
