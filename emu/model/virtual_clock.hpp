// Virtual time. It moves only when the driver stalls or waits (docs/decisions.md, decision 4), so
// runs are reproducible whatever the host is doing.
#ifndef KEMU_EMU_MODEL_VIRTUAL_CLOCK_HPP_
#define KEMU_EMU_MODEL_VIRTUAL_CLOCK_HPP_

#include <cstdint>

namespace kemu::model {

class VirtualClock {
 public:
  /// Time since boot in 100 ns units, the unit of KeQueryInterruptTime.
  std::uint64_t now_100ns() const { return now_100ns_; }
  void AdvanceMicroseconds(std::uint64_t microseconds) { now_100ns_ += microseconds * 10; }
  void Advance100ns(std::uint64_t ticks) { now_100ns_ += ticks; }

 private:
  std::uint64_t now_100ns_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_VIRTUAL_CLOCK_HPP_
