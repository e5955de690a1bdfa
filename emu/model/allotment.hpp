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
//   }                      // the interrupted routine's marks are back
#ifndef KEMU_EMU_MODEL_ALLOTMENT_HPP_
#define KEMU_EMU_MODEL_ALLOTMENT_HPP_

#include "model/cpu.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

/// Marks the start of an ISR or DPC routine on `cpu`; restores the marks of the routine it
/// interrupted (an ISR can run inside a DPC on the same vCPU) when it ends, bug check included.
class RoutineAllotment {
 public:
  RoutineAllotment(Kernel& kernel, Cpu& cpu, const void* routine, const void* object, bool isr)
      : cpu_(cpu), interrupted_(cpu.allotment) {
    const std::uint64_t limit = kernel.options().dpc_time_limit_us;
    const std::uint64_t calls = kernel.trace().calls();
    cpu.allotment = {.began_100ns = kernel.clock().now_100ns(),
                     .began_calls = calls,
                     .call_limit = limit == 0 || calls > Allotment::kNever - limit
                                       ? Allotment::kNever
                                       : calls + limit,
                     .routine = routine,
                     .object = object,
                     .isr = isr};
  }
  ~RoutineAllotment() { cpu_.allotment = interrupted_; }
  RoutineAllotment(const RoutineAllotment&) = delete;
  RoutineAllotment& operator=(const RoutineAllotment&) = delete;

 private:
  Cpu& cpu_;
  const Allotment interrupted_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_ALLOTMENT_HPP_
