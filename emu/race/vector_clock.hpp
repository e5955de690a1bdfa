// Vector clocks over the race detector's logical threads: entry t is how far thread t's history is
// known. An access by thread t at epoch e happens before whatever runs with a clock whose entry t
// is at least e.
#ifndef KEMU_EMU_RACE_VECTOR_CLOCK_HPP_
#define KEMU_EMU_RACE_VECTOR_CLOCK_HPP_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace kemu::race {

class VectorClock {
 public:
  std::uint32_t Get(std::uint32_t thread) const {
    return thread < entries_.size() ? entries_[thread] : 0;
  }
  void Set(std::uint32_t thread, std::uint32_t epoch) {
    if (thread >= entries_.size()) entries_.resize(thread + 1u, 0);
    entries_[thread] = epoch;
  }
  /// Empties what the thread knows but for its own past: the thread of an object placed where
  /// another one's was starts afresh.
  void Renew(std::uint32_t thread) {
    const std::uint32_t own = Get(thread);
    entries_.assign(entries_.size(), 0);
    Set(thread, own);
  }
  void Join(const VectorClock& other) {
    if (other.entries_.size() > entries_.size()) entries_.resize(other.entries_.size(), 0);
    for (std::size_t i = 0; i < other.entries_.size(); ++i) {
      entries_[i] = std::max(entries_[i], other.entries_[i]);
    }
  }

 private:
  std::vector<std::uint32_t> entries_;
};

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_VECTOR_CLOCK_HPP_
