// The DPC watchdog's time allotment for one ISR or DPC routine (bug check 0x133 with Arg1 0,
// MachineOptions::dpc_time_limit_us). Windows stops a routine that runs too long at
// DISPATCH_LEVEL or above; without this a driver polling hardware that never answers would hang
// the test instead. A routine's run time is the virtual time that passes inside it plus 1 us per
// kernel call: the clock moves only when the driver stalls or waits (docs/decisions.md, decision
// 4), and a register poll without a stall never moves it.
//
//   {
//     const RoutineAllotment allotment(kernel_, cpu, routine, dpc, /*isr=*/false);
//     routine(dpc, ...);   // Kernel::EnterCall and Kernel::AdvanceTimeTo check the allotment
//   }                      // no routine runs on the vCPU any more
#ifndef KEMU_EMU_MODEL_ALLOTMENT_HPP_
#define KEMU_EMU_MODEL_ALLOTMENT_HPP_

#include <cstdint>
#include <utility>

#include "model/cpu.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

/// Marks the start of an ISR or DPC routine on `cpu` and clears the marks when it ends, bug check
/// included. A routine that runs inside another on the same vCPU (an ISR interrupting a DPC)
/// shares the outer routine's allotment, which already counts its time: only the outermost
/// routine marks, so the per-interrupt cost is a compare when a DPC is running.
class RoutineAllotment {
 public:
  /// `threaded`: a threaded DPC routine run at PASSIVE_LEVEL (reports say why it is timed).
  RoutineAllotment(Kernel& kernel, Cpu& cpu, const void* routine, const void* object, bool isr,
                   bool threaded = false)
      : cpu_(cpu), outermost_(cpu.allotment.call_limit == Allotment::kNever) {
    if (!outermost_) return;
    const std::uint64_t calls = kernel.trace().calls();
    Allotment& allotment = cpu.allotment;
    allotment.began_100ns = kernel.clock().now_100ns();
    allotment.began_calls = calls;
    allotment.call_limit = calls + kernel.allotment_calls();
    allotment.routine = routine;
    allotment.object = object;
    allotment.isr = isr;
    allotment.threaded = threaded;
  }
  ~RoutineAllotment() {
    if (outermost_) cpu_.allotment.call_limit = Allotment::kNever;
  }
  RoutineAllotment(const RoutineAllotment&) = delete;
  RoutineAllotment& operator=(const RoutineAllotment&) = delete;

 private:
  Cpu& cpu_;
  const bool outermost_;
};

/// Sets the allotment of the routine running on `cpu` aside while another routine preempts it
/// (an ordinary DPC preempting a threaded one), so the preempting routine gets one of its own, and
/// puts it back with the time and calls the preemption took left out.
class SuspendedAllotment {
 public:
  SuspendedAllotment(Kernel& kernel, Cpu& cpu)
      : kernel_(kernel),
        cpu_(cpu),
        allotment_(std::exchange(cpu.allotment, Allotment{})),
        began_100ns_(kernel.clock().now_100ns()),
        began_calls_(kernel.trace().calls()) {}
  ~SuspendedAllotment() {
    const std::uint64_t calls = kernel_.trace().calls() - began_calls_;
    Allotment resumed = allotment_;
    resumed.began_100ns += kernel_.clock().now_100ns() - began_100ns_;
    resumed.began_calls += calls;
    if (resumed.call_limit != Allotment::kNever) resumed.call_limit += calls;
    cpu_.allotment = resumed;
  }
  SuspendedAllotment(const SuspendedAllotment&) = delete;
  SuspendedAllotment& operator=(const SuspendedAllotment&) = delete;

 private:
  Kernel& kernel_;
  Cpu& cpu_;
  const Allotment allotment_;
  const std::uint64_t began_100ns_;
  const std::uint64_t began_calls_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_ALLOTMENT_HPP_
