// Executive resources (ERESOURCE): reader/writer locks owned by threads, exclusively by one or
// shared by many, each owner recursively. The structure is opaque on Windows, so kemu keeps each
// initialized resource's owners and waiters beside it, keyed by its address (docs/kernel.md,
// "Executive resources").
//
// A thread that cannot have the resource waits under the scheduler (other vCPUs run). Whoever
// frees the resource hands it on, so who gets it next does not depend on the schedule: the first
// waiter in line, and with a shared waiter first, every shared waiter at once.
#ifndef KEMU_EMU_MODEL_RESOURCES_HPP_
#define KEMU_EMU_MODEL_RESOURCES_HPP_

#include <wdm.h>

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

class Resources {
 public:
  explicit Resources(Kernel& kernel) : kernel_(kernel) {}

  /// ExInitializeResourceLite (`again` false) and ExReinitializeResourceLite: a free resource.
  void Initialize(const char* routine, PERESOURCE resource, bool again);
  void Delete(const char* routine, PERESOURCE resource);
  /// ExAcquireResourceExclusiveLite / ExAcquireResourceSharedLite: true once the current thread
  /// owns it; false, without waiting, when `wait` is false and it would have to wait.
  /// `starve_exclusive` (ExAcquireSharedStarveExclusive): a shared request joins shared owners
  /// even while a thread waits for exclusive access.
  bool Acquire(const char* routine, PERESOURCE resource, bool exclusive, bool wait,
               bool starve_exclusive = false);
  void ConvertToShared(const char* routine, PERESOURCE resource);
  /// One acquisition by `thread` (0: the current thread) ends.
  void Release(const char* routine, PERESOURCE resource, std::uintptr_t thread);
  bool IsAcquiredExclusive(const char* routine, PERESOURCE resource);
  /// The current thread's acquisitions, shared or exclusive.
  ULONG AcquiredCount(const char* routine, PERESOURCE resource);
  /// Threads waiting for exclusive (`exclusive`) or shared access.
  ULONG WaiterCount(const char* routine, PERESOURCE resource, bool exclusive);

  /// Pool [begin, begin + bytes) is being freed: an initialized resource in it is 0xC4 / 0xD2
  /// under Verifier; the model forgets them all.
  void Freed(const char* routine, const void* begin, std::uint64_t bytes);
  /// Resources still held, one line each, for the shutdown report.
  std::vector<std::string> DescribeHeld() const;
  /// The first held resource's address (0: none), for the shutdown bug check.
  std::uintptr_t FirstHeld() const;

 private:
  struct Owner {
    std::uintptr_t thread = 0;
    unsigned cpu = 0;
    ULONG count = 0;
    const char* routine = "";  ///< what first acquired it
  };
  struct Waiter {
    std::uintptr_t thread = 0;
    unsigned cpu = 0;
    bool exclusive = false;
    bool granted = false;
    const char* routine = "";
  };
  struct State {
    bool exclusive = false;      ///< owners holds exactly one thread, exclusively
    std::vector<Owner> owners;   ///< empty: free
    std::list<Waiter*> waiters;  ///< first come, first served
  };
  class Queued;

  /// The resource's state; a resource never initialized stops the machine.
  State& Find(const char* routine, PERESOURCE resource);
  /// `routine`'s IRQL rule: at most `maximum`, with the DDI rule IrqlExApcLte3 at APC_LEVEL.
  void CheckIrql(const char* routine, KIRQL maximum) const;
  /// 0xC4 / 0x37 or 0x38 when normal kernel APCs are enabled below APC_LEVEL.
  void CheckApcsDisabled(const char* routine, PERESOURCE resource, bool acquiring) const;
  static Owner* OwnerOf(State& state, std::uintptr_t thread);
  static bool ExclusiveWaiting(const State& state);
  /// Whether a thread owning nothing may have it now.
  static bool Available(const State& state, bool exclusive, bool starve_exclusive);
  /// The current thread becomes an owner (it owned nothing).
  void Take(PERESOURCE resource, State& state, bool exclusive, const char* routine);
  /// Blocks the current thread in line until a release hands the resource to it.
  void WaitInLine(const char* routine, PERESOURCE resource, State& state, bool exclusive);
  /// Hands a resource no thread owns exclusively to the waiters its state now admits.
  void HandOn(State& state);
  void Grant(State& state, Waiter& waiter);
  /// Happens-before and lockset for the race detector as the current thread starts or stops
  /// owning `resource` (`exclusive`: it is a lock nobody else holds meanwhile).
  void RaceTake(PERESOURCE resource, bool exclusive);
  void RaceRelease(PERESOURCE resource, bool exclusive);

  Kernel& kernel_;
  /// Initialized resources by address: ordered, so a freed block's are found by range and reports
  /// list them by address.
  std::map<std::uintptr_t, State> resources_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_RESOURCES_HPP_
