// Asking the DPC watchdog: KeQueryDpcWatchdogInformation and KeShouldYieldProcessor
// (docs/kernel.md, "Asking the DPC watchdog"). The figures come from the same allotment and bound
// that raise 0x133 (model/watchdog_reading.hpp), so a driver that yields when told to never meets
// the bug check.
#include <wdm.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "abi/entry.hpp"
#include "model/watchdog_reading.hpp"

namespace {

ULONG ToUlong(std::uint64_t value) {
  return static_cast<ULONG>(std::min<std::uint64_t>(value, std::numeric_limits<ULONG>::max()));
}

}  // namespace

extern "C" {

NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION WatchdogInformation) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeQueryDpcWatchdogInformation, KEMU_ARG(WatchdogInformation));
  kernel.verifier().Dereferenced("KeQueryDpcWatchdogInformation", WatchdogInformation,
                                 "WatchdogInformation");
  const std::optional<kemu::model::WatchdogReading> reading = kemu::model::ReadWatchdog(kernel);
  if (!reading) return STATUS_UNSUCCESSFUL;  // no DPC runs, below DISPATCH_LEVEL
  WatchdogInformation->DpcTimeLimit = ToUlong(reading->routine_limit_us);
  WatchdogInformation->DpcTimeCount = ToUlong(reading->routine_left_us);
  WatchdogInformation->DpcWatchdogLimit = ToUlong(reading->burst_limit);
  WatchdogInformation->DpcWatchdogCount = ToUlong(reading->burst_left);
  WatchdogInformation->Reserved = 0;
  return STATUS_SUCCESS;
}

LOGICAL KeShouldYieldProcessor(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeShouldYieldProcessor);
  return kemu::model::ShouldYield(kemu::model::ReadWatchdog(kernel)) ? TRUE : FALSE;
}

}  // extern "C"
