// The DPC watchdog's reading for KeQueryDpcWatchdogInformation and KeShouldYieldProcessor: the
// measure Kernel::CheckAllotment applies (Kernel::AllotmentUsedUs: virtual time inside the routine
// plus 1 us per kernel call) and the same bound Dpcs::Retire applies (routines per retirement).
#include "model/watchdog_reading.hpp"

#include "model/cpu.hpp"
#include "model/dpcs.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

std::optional<WatchdogReading> ReadWatchdog(const Kernel& kernel) {
  const Cpu& cpu = kernel.cpu();
  if (cpu.dpc_depth == 0 && cpu.irql < DISPATCH_LEVEL) return std::nullopt;
  WatchdogReading reading{.burst_limit = Dpcs::kWatchdogLimit, .burst_left = Dpcs::kWatchdogLimit};
  // Only inside a retirement does its count belong to the code asking: a thread that merely
  // raised to DISPATCH_LEVEL has run no DPC since, whatever the last retirement counted.
  if (cpu.dpc_depth > 0 && cpu.dpcs_in_burst < Dpcs::kWatchdogLimit) {
    reading.burst_left = Dpcs::kWatchdogLimit - cpu.dpcs_in_burst;
  } else if (cpu.dpc_depth > 0) {
    reading.burst_left = 0;
  }
  const std::uint64_t limit_us = kernel.options().dpc_time_limit_us;
  if (limit_us == 0) return reading;  // the single-routine watchdog is off: both stay 0
  reading.routine_limit_us = limit_us;
  reading.routine_left_us = limit_us;
  const Allotment& allotment = cpu.allotment;
  if (allotment.call_limit != Allotment::kNever) {  // an ISR or DPC routine is running
    const std::uint64_t used_us = kernel.AllotmentUsedUs(allotment);
    reading.routine_left_us = used_us < limit_us ? limit_us - used_us : 0;
  }
  return reading;
}

bool ShouldYield(const std::optional<WatchdogReading>& reading) {
  if (!reading) return false;
  const bool routine_spent =
      reading->routine_limit_us != 0 && reading->routine_left_us * 2 < reading->routine_limit_us;
  return routine_spent || reading->burst_left * 2 < reading->burst_limit;
}

}  // namespace kemu::model
