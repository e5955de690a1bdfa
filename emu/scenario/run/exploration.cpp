// Explore() and the pieces the runner and RegisterTests share to explore schedules.
#include "scenario/run/exploration.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <utility>

#include "kemu/error.hpp"
#include "kemu/testing/fixtures.hpp"
#include "scenario/parse/numbers.hpp"

namespace kemu::scenario {

Outcome Explore(const Scenario& scenario, Os os, const AdapterFactory& factory,
                const Exploration& exploration, const RunOptions& options) {
  RunOptions each = options;
  Outcome outcome;
  if (exploration.count == 0) {
    outcome.scenario = scenario.name;
    outcome.where = scenario.where;
    outcome.os = os;
    outcome.failures.push_back(
        {scenario.where, "no schedule to explore (Exploration::count is 0)"});
    return outcome;
  }
  std::uint64_t virtual_time = 0;
  for (std::uint64_t i = 0; i < exploration.count; ++i) {
    // Wrapping past the largest seed would replay seeds already explored.
    if (i != 0 && exploration.first + i == 0) break;
    each.schedule = ScheduleOptions{.strategy = exploration.strategy,
                                    .seed = exploration.first + i,
                                    .depth = exploration.depth};
    outcome = Run(scenario, os, factory, each);
    virtual_time += outcome.virtual_time;
    outcome.virtual_time = virtual_time;
    outcome.schedules = i + 1;
    if (!outcome.passed()) break;
  }
  return outcome;
}

namespace internal {
namespace {

constexpr const char* kSchedulesVariable = "KEMU_SCHEDULES";
constexpr const char* kScheduleVariable = "KEMU_SCHEDULE";

// An empty value counts as unset, as for KEMU_SEED, so `KEMU_SCHEDULES= ctest` runs normally.
std::optional<std::string_view> Variable(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::string_view(text);
}

std::string StrategyText(const ScheduleOptions& schedule) {
  if (schedule.strategy == Strategy::kPct) return fmt::format("pct, depth {}", schedule.depth);
  return StrategyName(schedule.strategy);
}

std::string ReplayText(const ScheduleOptions& schedule, Replay replay) {
  if (replay == Replay::kEnvironment) return fmt::format("{}={}", kScheduleVariable, schedule.seed);
  return fmt::format("--schedule {} --schedule-strategy {}", schedule.seed,
                     StrategyName(schedule.strategy));
}

}  // namespace

Exploration ExplorationFor(const Scenario& scenario, const ScheduleRequest& request) {
  const ScheduleOptions& own = scenario.machine.schedule;
  Strategy strategy = own.strategy == Strategy::kPct ? Strategy::kPct : Strategy::kRandom;
  if (request.strategy) strategy = *request.strategy;
  return Exploration{
      .strategy = strategy, .depth = own.depth, .first = request.first, .count = request.count};
}

Outcome ExploreAndNote(const Scenario& scenario, Os os, const AdapterFactory& factory,
                       const ScheduleRequest& request, const RunOptions& options, Replay replay) {
  const Exploration exploration = ExplorationFor(scenario, request);
  Outcome outcome = Explore(scenario, os, factory, exploration, options);
  if (outcome.passed()) return outcome;
  // First, so that a one-line summary (a JUnit failure message) names the seed to replay.
  const std::string which =
      exploration.count == 1
          ? ""
          : fmt::format(", schedule {} of {} explored", outcome.schedules, exploration.count);
  outcome.failures.insert(
      outcome.failures.begin(),
      Failure{scenario.where, fmt::format("failed under schedule seed {} ({}){}; replay it with {}",
                                          outcome.schedule.seed, StrategyText(outcome.schedule),
                                          which, ReplayText(outcome.schedule, replay))});
  return outcome;
}

std::optional<std::uint64_t> ParseScheduleCount(std::string_view text) {
  const std::optional<std::uint64_t> count = ParseUnsigned(text);
  if (!count || *count == 0 || *count > kMaxSchedules) return std::nullopt;
  return count;
}

std::optional<ScheduleRequest> ScheduleRequestFromEnvironment() {
  const std::optional<std::string_view> schedules = Variable(kSchedulesVariable);
  const std::optional<std::string_view> schedule = Variable(kScheduleVariable);
  if (schedules && schedule) {
    // A harness error: which of the two was meant is a guess either way.
    throw Error(
        fmt::format("kemu: {} and {} are both set; explore with {}=N or replay one seed "
                    "with {}=<seed>",
                    kSchedulesVariable, kScheduleVariable, kSchedulesVariable, kScheduleVariable));
  }
  if (schedules) {
    const std::optional<std::uint64_t> count = ParseScheduleCount(*schedules);
    if (!count) {
      throw Error(fmt::format("kemu: {} must be a number of schedules from 1 to {}, got \"{}\"",
                              kSchedulesVariable, kMaxSchedules, *schedules));
    }
    return ScheduleRequest{.first = 0, .count = *count};
  }
  if (schedule) {
    return ScheduleRequest{.first = testing::internal::ParseSeed(*schedule, kScheduleVariable),
                           .count = 1};
  }
  return std::nullopt;
}

}  // namespace internal
}  // namespace kemu::scenario
