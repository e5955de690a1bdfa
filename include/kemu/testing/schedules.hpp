// kemu/testing/schedules.hpp — exploring vCPU interleavings with the fixtures (included by
// kemu/testing/gtest.hpp).
//
// KEMU_SCHEDULES=N (or --kemu_schedules=N under kemu::gtest_main) re-runs every selected test N
// times; each run's PersonalityTest / MachineTest machines use the next schedule seed (random
// strategy; KEMU_SCHEDULE_STRATEGY=pct for PCT). A test that fails is not run again, and the line
//
//   kemu: RxTest.Drains/win10 failed under schedule 412: replay with KEMU_SCHEDULE=412
//
// names the seed that replays exactly that interleaving (with KEMU_TRACE, its trace). A range
// A..B explores seeds A to B-1, so a large exploration splits across CI jobs; GoogleTest's own
// sharding (GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX) splits the tests.
//
//   $ KEMU_SCHEDULES=1000 ./nic_tests --gtest_filter='*Concurrency*' --gtest_brief=1
//   $ KEMU_SCHEDULE=412 KEMU_TRACE=race.json ./nic_tests --gtest_filter='NicConcurrency*'
//
// Machines with one vCPU have one schedule: they run under the first seed only.
#ifndef KEMU_TESTING_SCHEDULES_HPP_
#define KEMU_TESTING_SCHEDULES_HPP_

#include <cstdint>
#include <optional>
#include <string_view>

#include "kemu/schedule.hpp"

namespace kemu::testing {

/// The schedule KEMU_SCHEDULE=<seed> asks fixture machines to use (with KEMU_SCHEDULE_STRATEGY,
/// "random" by default, or "pct"), or std::nullopt when it is unset or empty. Throws kemu::Error
/// naming the variable when a value is malformed.
std::optional<ScheduleOptions> ScheduleFromEnvironment();

/// Schedule seeds [first, end) to explore.
struct ScheduleRange {
  std::uint64_t first = 0;
  std::uint64_t end = 0;
};

/// KEMU_SCHEDULES: "N" (seeds 0..N-1) or "A..B" (seeds A..B-1), or std::nullopt when unset or
/// empty. Throws kemu::Error naming the variable when it is malformed or empty as a range.
std::optional<ScheduleRange> SchedulesFromEnvironment();

/// When KEMU_SCHEDULES is set: makes GoogleTest repeat the selected tests once per schedule seed
/// and installs the listener that moves KEMU_SCHEDULE along and reports failing seeds. Call after
/// InitGoogleTest and before RUN_ALL_TESTS (kemu::gtest_main does). Returns whether it did.
bool InstallScheduleExploration();

namespace internal {

/// For TestMachine::Start: whether the running test should not run under this schedule (it
/// failed under an earlier one, or its machine has one vCPU, created no system thread under the
/// first seed, and this is not the first seed). Sets `reason` when it should not.
bool SkipUnderExploration(unsigned processors, std::string_view test_name, const char** reason);
/// For TestMachine::Stop: the running test's machine created system threads, so even on one vCPU
/// later seeds order them differently and are explored.
void NoteSystemThreads(std::string_view test_name);

}  // namespace internal
}  // namespace kemu::testing

#endif  // KEMU_TESTING_SCHEDULES_HPP_
