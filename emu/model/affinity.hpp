// The system affinity of the calling thread (KeSetSystemAffinityThread(Ex),
// KeSetSystemGroupAffinityThread and their reverts): the set of vCPUs the thread may run on while
// a driver has narrowed it. The thread moves to a vCPU of the new set before the call returns
// (Scheduler::Rebind, as Machine::SwitchToProcessor does), and the revert to the user affinity
// brings it back to the vCPU it ran on before the first set.
//
// Modelled for the test's own thread, at PASSIVE_LEVEL, outside any work item: that is the thread
// kemu can move. Everything else fails loudly (kemu::NotModelled) rather than pretend: at
// DISPATCH_LEVEL Windows defers the move until the IRQL drops; a work item runs on a waiting
// context kemu cannot move; and kemu keeps a thread's APC-disabling state (APC_LEVEL, critical and
// guarded regions, owned mutexes) per vCPU, so a thread holding any of it cannot change vCPU.
#ifndef KEMU_EMU_MODEL_AFFINITY_HPP_
#define KEMU_EMU_MODEL_AFFINITY_HPP_

#include <wdm.h>

#include <string>

namespace kemu::model {

class Kernel;

class Affinity {
 public:
  explicit Affinity(Kernel& kernel) : kernel_(kernel) {}

  /// KeSetSystemAffinityThread(Ex): the previous system affinity, 0 when the thread ran with its
  /// user affinity. An affinity naming no vCPU, or one the machine lacks, changes nothing.
  KAFFINITY SetSystem(const char* routine, KAFFINITY affinity);
  /// KeRevertToUserAffinityThread(Ex): `affinity` 0 restores the user affinity (and the vCPU the
  /// thread ran on before the first set), another valid one becomes the system affinity. Nothing
  /// happens unless a set came first.
  void Revert(const char* routine, KAFFINITY affinity);
  /// KeSetSystemGroupAffinityThread: as SetSystem with a group (kemu has group 0 only); writes
  /// the previous group affinity (zeros for the user affinity, or when nothing changed).
  void SetSystemGroup(const char* routine, const GROUP_AFFINITY& affinity,
                      PGROUP_AFFINITY previous);
  /// KeRevertToUserGroupAffinityThread.
  void RevertGroup(const char* routine, const GROUP_AFFINITY& previous);

  /// Whether a system affinity is still set (the leak report at shutdown).
  bool system_set() const { return system_set_; }
  KAFFINITY system_affinity() const { return system_; }

 private:
  /// Valid for Windows: at least one processor, and only processors that exist.
  bool Valid(KAFFINITY affinity) const;
  /// The IRQL and context rules every routine here shares; fails for what kemu cannot move.
  void CheckCaller(const char* routine);
  /// Makes `affinity` the system affinity and moves the thread into it.
  void Apply(KAFFINITY affinity);
  /// Moves the test's thread to vCPU `cpu`, its IRQL with it.
  void MoveTo(unsigned cpu);
  [[noreturn]] void NotModelled(const char* routine, const std::string& why);

  Kernel& kernel_;
  bool system_set_ = false;
  KAFFINITY system_ = 0;
  unsigned home_ = 0;  ///< the vCPU the thread ran on before the first set
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_AFFINITY_HPP_
