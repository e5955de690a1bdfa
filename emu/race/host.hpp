// What the race detector needs from the machine it watches: where driver code runs, the trace
// position, the schedule, and a way to raise the race it found. model::Kernel implements it, so
// emu/race/ includes nothing of emu/model/ (docs/architecture.md, "Dependency direction").
#ifndef KEMU_EMU_RACE_HOST_HPP_
#define KEMU_EMU_RACE_HOST_HPP_

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "kemu/data_race.hpp"

namespace kemu::race {

class Host {
 public:
  /// The vCPU running now, and the one the test's thread is on.
  virtual unsigned current_processor() const = 0;
  virtual unsigned test_processor() const = 0;
  /// Every vCPU of the machine, as an affinity mask.
  virtual KAFFINITY active_processors() const = 0;
  /// The IRQL of the running vCPU.
  virtual KIRQL current_irql() const = 0;
  /// The machine bug-checked or ended: nothing more is recorded.
  virtual bool crashed() const = 0;
  /// The sequence number the next trace event gets.
  virtual std::uint64_t trace_sequence() const = 0;
  /// An exploring schedule runs; QuietSchedulePoint lets another vCPU run here without a trace
  /// event (an access to shared memory).
  virtual bool exploring() const = 0;
  virtual void QuietSchedulePoint() = 0;
  /// Marks the found race in the trace; RaiseRace raises it where the driver runs.
  virtual void NoteRace(std::uintptr_t address, std::uint64_t size) = 0;
  virtual void RaiseRace(const DataRace& race) = 0;
  /// For the report: the pool block holding `address` ("" if none), and the machine's context
  /// (personality, vCPUs, seed, recent calls).
  virtual std::string DescribePoolAddress(std::uintptr_t address) const = 0;
  virtual std::string MachineContext() const = 0;

 protected:
  ~Host() = default;
};

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_HOST_HPP_
