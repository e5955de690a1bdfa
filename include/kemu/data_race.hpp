// kemu/data_race.hpp — a data race in driver code, found by kemu's race detector.
//
// Driver code built with the CMake function kemu_instrument_driver(<target>) reports every memory
// access to kemu. Two accesses to the same bytes, at least one a write, from contexts that may run
// at once (an ISR and the DPC it interrupts, two vCPUs) with no spin lock in common and nothing
// ordering them (a connect before the ISR, KeInsertQueueDpc before the DPC, an Interlocked
// operation), are a data race. It fails the test like a bug check: thrown as kemu::DataRace at the
// next kernel call or when the driver callback returns, or passed to the FailureHandler when the
// machine is destroyed.
//
//   kemu::Machine machine({.processors = 2});
//   ...                                     // the DPC reads and clears a field the ISR sets
//   EXPECT_THROW(device.AssertLine(), kemu::DataRace);
//
// Windows has no bug check for a data race: code() is kemu's own kDataRace, and the parameters are
// the address, the size of the second access, and the kinds of both accesses (1 = write).
#ifndef KEMU_DATA_RACE_HPP_
#define KEMU_DATA_RACE_HPP_

#include <cstdint>
#include <string>

#include "kemu/bugcheck.hpp"

namespace kemu {

class DataRace : public BugCheck {
 public:
  /// `first_write` / `second_write`: whether each access wrote.
  DataRace(std::uintptr_t address, std::uint64_t size, bool first_write, bool second_write,
           std::string report)
      : BugCheck(bugcheck::kDataRace,
                 {address, size, first_write ? 1u : 0u, second_write ? 1u : 0u},
                 std::move(report)) {}

  /// The first byte both accesses touched.
  std::uintptr_t address() const { return static_cast<std::uintptr_t>(parameter(0)); }
};

}  // namespace kemu

#endif  // KEMU_DATA_RACE_HPP_
