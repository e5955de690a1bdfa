// The machine's only source of randomness: SplitMix64 seeded from MachineOptions::seed, so the
// same seed replays the same run (docs/decisions.md, decision 4).
#ifndef KEMU_EMU_MODEL_PRNG_HPP_
#define KEMU_EMU_MODEL_PRNG_HPP_

#include <cstdint>

namespace kemu::model {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, bound); bound > 0.
  std::uint64_t Below(std::uint64_t bound) { return Next() % bound; }

 private:
  std::uint64_t state_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_PRNG_HPP_
