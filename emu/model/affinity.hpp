// The system affinity of the calling thread (KeSetSystemAffinityThread(Ex),
// KeSetSystemGroupAffinityThread and their reverts): the set of vCPUs the thread may run on while
// a driver has narrowed it. Each thread has its own: the test's thread, and every system thread
// (PsCreateSystemThread). Below DISPATCH_LEVEL the thread moves to a vCPU of the new set before
// the call returns; at DISPATCH_LEVEL the affinity is recorded and the move waits until the
// thread lowers its IRQL below DISPATCH_LEVEL, as Windows documents.
//
// The test's thread moves as Machine::SwitchToProcessor moves it (Scheduler::Rebind), and the
// revert to the user affinity brings it back to the vCPU it ran on before the first set. A system
// thread gives its vCPU back and is seated on one of the set (Scheduler::SetThreadAffinity), where
// it stays across its waits until the revert; its user affinity is every vCPU.
//
// Not modelled (kemu::NotModelled): a work item (it runs on a waiting context kemu cannot move),
// an ISR, DPC or KeSynchronizeExecution routine (they have no thread of their own in kemu), and
// the test's thread with normal kernel APCs disabled (APC_LEVEL, a critical or guarded region, an
// owned mutex): kemu keeps the test thread's APC state per vCPU. A system thread's is its own and
// moves with it. See docs/kernel.md, "Processor affinity of the calling thread".
#ifndef KEMU_EMU_MODEL_AFFINITY_HPP_
#define KEMU_EMU_MODEL_AFFINITY_HPP_

#include <wdm.h>

#include <string>
#include <vector>

namespace kemu::model {

class Kernel;
struct Cpu;

class Affinity {
 public:
  explicit Affinity(Kernel& kernel) : kernel_(kernel) {}

  /// KeSetSystemAffinityThread(Ex): the previous system affinity, 0 when the thread ran with its
  /// user affinity. An affinity naming no vCPU, or one the machine lacks, changes nothing.
  KAFFINITY SetSystem(const char* routine, KAFFINITY affinity);
  /// KeRevertToUserAffinityThread(Ex): `affinity` 0 restores the user affinity, another valid
  /// one becomes the system affinity. Nothing happens unless a set came first.
  void Revert(const char* routine, KAFFINITY affinity);
  /// KeSetSystemGroupAffinityThread: as SetSystem with a group (kemu has group 0 only); writes
  /// the previous group affinity (zeros for the user affinity, or when nothing changed).
  void SetSystemGroup(const char* routine, const GROUP_AFFINITY& affinity,
                      PGROUP_AFFINITY previous);
  /// KeRevertToUserGroupAffinityThread.
  void RevertGroup(const char* routine, const GROUP_AFFINITY& previous);

  /// The running thread lowered `cpu`'s IRQL below DISPATCH_LEVEL while Cpu::deferred_move was
  /// set: the move a set or revert at DISPATCH_LEVEL deferred happens now.
  void MoveDeferred(Cpu& cpu);

  /// Whether the test's thread still has a system affinity (the leak report at shutdown; a
  /// system thread's ends with it).
  bool system_set() const { return test_.set; }
  KAFFINITY system_affinity() const { return test_.system; }

 private:
  /// One thread's affinity state.
  struct State {
    bool set = false;      ///< a system affinity is in effect
    KAFFINITY system = 0;  ///< the system affinity, while `set`
    unsigned home = 0;     ///< the test's thread: the vCPU it ran on before the first set
    /// Changed at DISPATCH_LEVEL by this routine: the move waits for the IRQL to drop.
    const char* deferred = nullptr;
  };

  /// Valid for Windows: at least one processor, and only processors that exist.
  bool Valid(KAFFINITY affinity) const;
  /// The IRQL and context rules every routine here shares; fails for what kemu cannot move.
  /// Returns the calling thread's state.
  State& CheckCaller(const char* routine);
  /// The running thread's state: the test's or a system thread's; nullptr for a vCPU's worker.
  State* Running();
  /// Makes `affinity` the system affinity of `state`'s thread and moves it.
  void Apply(State& state, const char* routine, KAFFINITY affinity);
  /// Back to the user affinity.
  void Clear(State& state, const char* routine);
  /// Moves the thread into its affinity now, or at the IRQL's drop below DISPATCH_LEVEL.
  void Move(State& state, const char* routine);
  void MoveNow(State& state);
  /// Moves the test's thread to vCPU `cpu`.
  void MoveTestTo(unsigned cpu);
  [[noreturn]] void NotModelled(const char* routine, const std::string& why);

  Kernel& kernel_;
  State test_;
  std::vector<State> threads_;  ///< index = the system thread's in SystemThreads
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_AFFINITY_HPP_
