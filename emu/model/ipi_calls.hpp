// KeIpiGenericCall: a routine run on every vCPU at once, at IPI_LEVEL. Every processor is
// interrupted and meets at a barrier before any calls the routine, so while the broadcast runs no
// vCPU does anything else. kemu runs the routine once per vCPU on the caller's execution context,
// with that vCPU made the current one and raised to IPI_LEVEL, and holds the scheduler meanwhile:
// no other context runs, and a wait inside the routine that is not satisfied at once is the
// deadlock it would be on Windows. The order of the vCPUs is the schedule's choice (index order
// by default); the race detector sees each run as a context of its own vCPU, concurrent with the
// others. A KeIpiGenericCall from inside a broadcast routine hangs Windows (every processor is
// already at the barrier): kemu reports the hang.
#ifndef KEMU_EMU_MODEL_IPI_CALLS_HPP_
#define KEMU_EMU_MODEL_IPI_CALLS_HPP_

#include <wdm.h>

namespace kemu::model {

class Kernel;

class IpiCalls {
 public:
  explicit IpiCalls(Kernel& kernel) : kernel_(kernel) {}

  /// Runs `routine(context)` on every vCPU; returns what it returned on the calling vCPU.
  ULONG_PTR Call(PKIPI_BROADCAST_WORKER routine, ULONG_PTR context);

 private:
  /// Runs the routine on vCPU `cpu`, raised to IPI_LEVEL; `key` names the run for the race
  /// detector.
  ULONG_PTR RunOn(unsigned cpu, PKIPI_BROADCAST_WORKER routine, ULONG_PTR context, const void* key);

  /// Marks a broadcast in progress while in scope (bug checks unwinding included).
  class Broadcasting {
   public:
    Broadcasting(IpiCalls& calls, PKIPI_BROADCAST_WORKER routine) : calls_(calls) {
      calls_.running_ = routine;
    }
    ~Broadcasting() { calls_.running_ = nullptr; }
    Broadcasting(const Broadcasting&) = delete;
    Broadcasting& operator=(const Broadcasting&) = delete;

   private:
    IpiCalls& calls_;
  };

  Kernel& kernel_;
  /// The broadcast routine running (on some vCPU; never NULL, KeIpiGenericCall refuses that),
  /// or nullptr when no broadcast is in progress.
  PKIPI_BROADCAST_WORKER running_ = nullptr;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_IPI_CALLS_HPP_
