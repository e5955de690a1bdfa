// The scheduler's execution contexts (model/scheduler.hpp), shared by the files that implement
// it: scheduler.cpp (vCPUs, the baton) and scheduler_threads.cpp (system threads).
#ifndef KEMU_EMU_MODEL_SCHEDULER_CONTEXT_HPP_
#define KEMU_EMU_MODEL_SCHEDULER_CONTEXT_HPP_

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model/host_context.hpp"
#include "model/scheduler.hpp"
#include "race/thread_stack.hpp"

namespace kemu::model {

struct Scheduler::Context {
  unsigned cpu = 0;
  bool is_test = false;
  bool is_thread = false;  ///< a system thread (its vCPU is `cpu` while on_cpu)
  bool on_cpu = false;     ///< a system thread seated on vCPU `cpu`
  bool began = false;      ///< a system thread's body has begun
  /// A system thread's vCPUs, a bit each: where it may be seated (its system affinity).
  std::uint64_t affinity = ~std::uint64_t{0};
  bool quiescing = false;     ///< the test, waiting in Quiesce for the others to finish
  unsigned thread = 0;        ///< a system thread's index in SystemThreads
  std::function<void()> run;  ///< a system thread's body
  std::string name;           ///< a system thread's, for reports
  bool started = false;       ///< a worker's host context exists (the test's always does)
  bool busy = false;          ///< has work in progress (the test context always has)
  bool ready = false;         ///< work was handed to it that it has not looked at yet
  bool finished = false;      ///< a worker whose host context ended (failure or teardown)
  bool unwind = false;        ///< Teardown asks this worker to unwind its stack and end
  bool abandoned = false;     ///< ended suspended in driver code that cannot unwind (QuietPoint)
  /// kDefault: another context's busy wait (Yield) handed it the baton; it runs on from its
  /// schedule point instead of handing the baton straight back.
  bool yielded_to = false;
  const WaitFor* wait = nullptr;  ///< what it is blocked on, while it is
  bool gives_up = false;          ///< its wait returns when nothing else can run (WaitUntilStuck)
  std::uint64_t stamp = 0;        ///< kDefault: when it was activated
  std::uint64_t ready_stamp = 0;  ///< kDefault: when work was last handed to it
  std::uint64_t priority = 0;     ///< kPct
  std::unique_ptr<HostContext> host;
  /// The race detector's shadow stack of the driver functions this context is in, when contexts
  /// share a host thread (otherwise the thread's own is this context's).
  race::ThreadStack race_stack;

  std::string Name() const {
    if (is_thread) return name;
    return is_test ? fmt::format("vCPU {} (the test)", cpu) : fmt::format("vCPU {}", cpu);
  }
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_SCHEDULER_CONTEXT_HPP_
