// What the DPC watchdog has left for the code running on this vCPU, as
// KeQueryDpcWatchdogInformation and KeShouldYieldProcessor report it (docs/kernel.md, "Asking the
// DPC watchdog").
//
//   if (const std::optional<WatchdogReading> reading = ReadWatchdog(kernel)) {
//     info->DpcTimeCount = ToUlong(reading->routine_left_us);   // the ISR or DPC's allotment
//   }                                                            // nullopt: no DPC, below DISPATCH
//
// The two limits are kemu's own measures, not clock ticks: a routine's allotment in the
// microseconds model/allotment.hpp counts (MachineOptions::dpc_time_limit_us, 0 when the watchdog
// is off), and the DPC routines one retirement may run back to back (Dpcs::kWatchdogLimit).
// Microsoft documents the structure's figures as dimensionless.
#ifndef KEMU_EMU_MODEL_WATCHDOG_READING_HPP_
#define KEMU_EMU_MODEL_WATCHDOG_READING_HPP_

#include <cstdint>
#include <optional>

namespace kemu::model {

class Kernel;

struct WatchdogReading {
  std::uint64_t routine_limit_us = 0;  ///< 0: the single-routine watchdog is off
  std::uint64_t routine_left_us = 0;   ///< what the running ISR or DPC routine has left
  std::uint64_t burst_limit = 0;       ///< DPC routines one retirement may run
  std::uint64_t burst_left = 0;        ///< how many more this retirement may run
};

/// The reading for the running vCPU, or nullopt when it runs no DPC routine (ordinary or
/// threaded) and is below DISPATCH_LEVEL: there the watchdog times nothing.
std::optional<WatchdogReading> ReadWatchdog(const Kernel& kernel);

/// Whether code at DISPATCH_LEVEL should stop and leave the rest to a thread: less than half of
/// the routine's allotment or of the retirement's bound is left. Microsoft does not document the
/// threshold (UNCONFIRMED); half leaves the caller time to queue its work item and return.
bool ShouldYield(const std::optional<WatchdogReading>& reading);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_WATCHDOG_READING_HPP_
