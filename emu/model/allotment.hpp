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

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_ALLOTMENT_HPP_
