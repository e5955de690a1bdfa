// Exploring schedules: which seeds a run explores, as the runner's command line or the
// environment of a RegisterTests program asks for them, and how a failing one is reported.
#ifndef KEMU_EMU_SCENARIO_RUN_EXPLORATION_HPP_
#define KEMU_EMU_SCENARIO_RUN_EXPLORATION_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kemu/scenario/runner.hpp"
#include "kemu/scenario/scenario.hpp"
#include "kemu/schedule.hpp"

namespace kemu::scenario::internal {

/// The most schedules one run explores (--schedules, KEMU_SCHEDULES, one --schedule-range): a
/// bound that keeps a typo from running for days; larger explorations shard with ranges.
inline constexpr std::uint64_t kMaxSchedules = 1000000;

/// The schedules asked for, before the scenario is known.
struct ScheduleRequest {
  std::uint64_t first = 0;
  std::uint64_t count = 1;
  /// --schedule-strategy; unset: pct when the scenario's `machine: {schedule:}` names pct (the
  /// author chose it for its depth), else random.
  std::optional<Strategy> strategy = std::nullopt;
};

/// `request` for `scenario`: its seeds, its strategy (see ScheduleRequest::strategy) and the
/// scenario's depth.
Exploration ExplorationFor(const Scenario& scenario, const ScheduleRequest& request);

/// How a failing schedule is replayed: the runner's "--schedule 3 --schedule-strategy random", or
/// a RegisterTests program's "KEMU_SCHEDULE=3" (which takes the strategy from the scenario).
enum class Replay { kCommandLine, kEnvironment };

/// Explore() with `request`; when the run fails, its first failure (at the scenario) names the
/// schedule seed that failed, its strategy and how to replay it.
Outcome ExploreAndNote(const Scenario& scenario, Os os, const AdapterFactory& factory,
                       const ScheduleRequest& request, const RunOptions& options, Replay replay);

/// KEMU_SCHEDULES=N (seeds 0..N-1) or KEMU_SCHEDULE=S (seed S alone), or std::nullopt when neither
/// is set (an empty value counts as unset). Throws kemu::Error naming the variable when its value
/// is not a number in range, or when both are set.
std::optional<ScheduleRequest> ScheduleRequestFromEnvironment();

/// Parses N for --schedules and KEMU_SCHEDULES: a decimal number in 1..kMaxSchedules.
std::optional<std::uint64_t> ParseScheduleCount(std::string_view text);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_RUN_EXPLORATION_HPP_
