// kemu/schedule.hpp — how a Machine interleaves its vCPUs.
//
// Every vCPU of a kemu::Machine has its own execution context, but exactly one runs at a time and
// control moves only at schedule points: every kernel call, every register or port access, a vCPU
// spinning on a held spin lock, and KeFlushQueuedDpcs waiting for another vCPU. Which vCPU runs
// next is the schedule's choice, made from its own seed, so any interleaving it produces replays
// exactly from (machine seed, schedule seed).
//
//   kemu::Machine machine({.processors = 2,
//                          .schedule = {.strategy = kemu::Strategy::kRandom, .seed = 42}});
//
// Exploring many schedules: KEMU_SCHEDULES=1000 re-runs each fixture test under 1000 seeded
// schedules and prints KEMU_SCHEDULE=<seed> for the first that fails (kemu/testing/fixtures.hpp).
#ifndef KEMU_SCHEDULE_HPP_
#define KEMU_SCHEDULE_HPP_

#include <cstdint>

namespace kemu {

/// Which vCPU runs at a schedule point.
enum class Strategy : std::uint8_t {
  /// Run to completion: the running vCPU keeps going until it finishes what it was given or has
  /// to wait; work handed to another vCPU (an interrupt routed there, a DPC queued there) runs at
  /// once, to completion, as if nested. Deterministic without a seed; today's traces stay stable.
  kDefault,
  /// A random walk: at every schedule point, any vCPU that can run may be chosen (uniformly, from
  /// the schedule seed), and interrupts go to any vCPU their affinity and IRQL allow.
  kRandom,
  /// Probabilistic concurrency testing: each vCPU gets a random priority, the highest runnable one
  /// runs, and at `depth - 1` seeded points the running vCPU drops to the lowest priority. Finds a
  /// bug that needs `depth` ordering constraints with a probability the PCT paper bounds.
  kPct,
};

/// MachineOptions::schedule.
struct ScheduleOptions {
  Strategy strategy = Strategy::kDefault;
  /// Seed of the schedule's choices (independent of MachineOptions::seed, which drives faults).
  std::uint64_t seed = 0;
  /// kPct's bug depth d (1..16): d - 1 priority change points.
  unsigned depth = 3;
};

/// "default", "random", "pct".
const char* StrategyName(Strategy strategy);

}  // namespace kemu

#endif  // KEMU_SCHEDULE_HPP_
