// Explore(): a run under many schedules, stopping at the first failure; which strategy and depth
// each schedule gets; the note that names a failing seed; and KEMU_SCHEDULES / KEMU_SCHEDULE.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "counting_adapter.hpp"
#include "kemu/error.hpp"
#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/runner.hpp"
#include "scenario/run/exploration.hpp"
#include "scenario_files_for_tests.hpp"

namespace kemu::scenario {
namespace {

using internal::ScheduleRequest;
using testing::CountingAdapter;
using testing::CountingFactory;

Scenario Load(const char* yaml) { return ParseScenario(yaml, "explore.yaml"); }

// Explore, and how many runs (adapter starts) it made.
Outcome Counted(const Scenario& scenario, const Exploration& exploration, std::int64_t& runs) {
  const std::int64_t before = CountingAdapter::starts();
  Outcome outcome = Explore(scenario, Os::kWindowsXP, CountingFactory(), exploration);
  runs = CountingAdapter::starts() - before;
  return outcome;
}

TEST(ExploreTest, StopsAtTheFirstFailingScheduleAndSaysWhichItWas) {
  std::int64_t runs = 0;
  const Outcome outcome = Counted(Load(testing::kUnluckyYaml), {.count = 10}, runs);
  EXPECT_FALSE(outcome.passed());
  EXPECT_EQ(runs, 4);
  EXPECT_EQ(outcome.schedules, 4u);
  EXPECT_EQ(outcome.schedule.seed, CountingAdapter::kUnluckySeed);
  EXPECT_EQ(outcome.schedule.strategy, Strategy::kRandom);
  EXPECT_EQ(outcome.scenario, "unlucky");
}

TEST(ExploreTest, PlaysEverySeedWhenAllPass) {
  std::int64_t runs = 0;
  const Outcome outcome = Counted(Load(testing::kCountsYaml), {.count = 7}, runs);
  EXPECT_TRUE(outcome.passed());
  EXPECT_EQ(runs, 7);
  EXPECT_EQ(outcome.schedules, 7u);
  EXPECT_EQ(outcome.schedule.seed, 6u);
}

TEST(ExploreTest, StartsAtTheFirstSeedOfTheRange) {
  std::int64_t runs = 0;
  const Outcome outcome = Counted(Load(testing::kUnluckyYaml), {.first = 4, .count = 3}, runs);
  EXPECT_TRUE(outcome.passed());
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(outcome.schedule.seed, 6u);
}

TEST(ExploreTest, EachScheduleHasTheExplorationsStrategyAndDepth) {
  // kPctYaml expects its run to see pct with depth 5.
  std::int64_t runs = 0;
  const Outcome outcome =
      Counted(Load(testing::kPctYaml), {.strategy = Strategy::kPct, .depth = 5, .count = 2}, runs);
  EXPECT_TRUE(outcome.passed()) << outcome.failures.front().message;
  EXPECT_EQ(outcome.schedule.strategy, Strategy::kPct);
  EXPECT_EQ(outcome.schedule.depth, 5u);
}

TEST(ExploreTest, StopsAtTheLargestSeedRatherThanWrapToZero) {
  std::int64_t runs = 0;
  const Outcome outcome =
      Counted(Load(testing::kCountsYaml), {.first = ~std::uint64_t{0} - 1, .count = 5}, runs);
  EXPECT_TRUE(outcome.passed());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(outcome.schedules, 2u);
  EXPECT_EQ(outcome.schedule.seed, ~std::uint64_t{0});
}

TEST(ExploreTest, NoScheduleToExploreIsAFailureNotACrash) {
  std::int64_t runs = 0;
  const Outcome outcome = Counted(Load(testing::kCountsYaml), {.count = 0}, runs);
  EXPECT_EQ(runs, 0);
  ASSERT_EQ(outcome.failures.size(), 1u);
  EXPECT_EQ(outcome.failures[0].message, "no schedule to explore (Exploration::count is 0)");
}

TEST(ExploreTest, APlainRunPlaysTheScenariosScheduleOrTheOneRunOptionsName) {
  const Scenario pct = Load(testing::kPctYaml);
  const Outcome own = scenario::Run(pct, Os::kWindowsXP, CountingFactory());
  EXPECT_TRUE(own.passed());
  EXPECT_EQ(own.schedule.strategy, Strategy::kPct);
  EXPECT_EQ(own.schedules, 0u);
  const Outcome replaced =
      scenario::Run(pct, Os::kWindowsXP, CountingFactory(),
                    {.schedule = ScheduleOptions{.strategy = Strategy::kRandom, .seed = 9}});
  EXPECT_FALSE(replaced.passed());  // the probe sees random
  EXPECT_EQ(replaced.schedule.seed, 9u);
}

TEST(ExplorationForTest, PctWhenTheScenarioAsksForItElseRandomUnlessOverridden) {
  const Scenario pct = Load(testing::kPctYaml);
  const Scenario plain = Load(testing::kCountsYaml);
  const ScheduleRequest request{.first = 5, .count = 2};
  const Exploration from_pct = internal::ExplorationFor(pct, request);
  EXPECT_EQ(from_pct.strategy, Strategy::kPct);
  EXPECT_EQ(from_pct.depth, 5u);
  EXPECT_EQ(from_pct.first, 5u);
  EXPECT_EQ(from_pct.count, 2u);
  EXPECT_EQ(internal::ExplorationFor(plain, request).strategy, Strategy::kRandom);
  const ScheduleRequest forced{.strategy = Strategy::kRandom};
  EXPECT_EQ(internal::ExplorationFor(pct, forced).strategy, Strategy::kRandom);
}

TEST(ExploreAndNoteTest, TheFirstFailureNamesTheSeedAndHowToReplayIt) {
  const Scenario unlucky = Load(testing::kUnluckyYaml);
  const Outcome cli = internal::ExploreAndNote(unlucky, Os::kWindowsXP, CountingFactory(),
                                               {.count = 10}, {}, internal::Replay::kCommandLine);
  ASSERT_GE(cli.failures.size(), 2u);
  EXPECT_EQ(cli.failures[0].where.line, 1);
  EXPECT_EQ(cli.failures[0].message,
            "failed under schedule seed 3 (random), schedule 4 of 10 explored; replay it with "
            "--schedule 3 --schedule-strategy random");
  const Outcome env = internal::ExploreAndNote(unlucky, Os::kWindowsXP, CountingFactory(),
                                               {.first = 3}, {}, internal::Replay::kEnvironment);
  EXPECT_EQ(env.failures[0].message,
            "failed under schedule seed 3 (random); replay it with KEMU_SCHEDULE=3");
  const Outcome passed = internal::ExploreAndNote(unlucky, Os::kWindowsXP, CountingFactory(),
                                                  {.count = 3}, {}, internal::Replay::kEnvironment);
  EXPECT_TRUE(passed.passed());
}

// Sets the schedule variables for one test and clears them after it.
class ScheduleEnvironmentTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("KEMU_SCHEDULES");
    unsetenv("KEMU_SCHEDULE");
  }
  static void Set(const char* name, const char* value) { setenv(name, value, 1); }
  static std::string ErrorOf() {
    try {
      internal::ScheduleRequestFromEnvironment();
    } catch (const Error& error) {
      return error.what();
    }
    return "(no error)";
  }
};

TEST_F(ScheduleEnvironmentTest, UnsetOrEmptyAsksForNothing) {
  EXPECT_FALSE(internal::ScheduleRequestFromEnvironment().has_value());
  Set("KEMU_SCHEDULES", "");
  Set("KEMU_SCHEDULE", "");
  EXPECT_FALSE(internal::ScheduleRequestFromEnvironment().has_value());
}

TEST_F(ScheduleEnvironmentTest, SchedulesExploresSeedsFromZero) {
  Set("KEMU_SCHEDULES", "1000");
  const std::optional<ScheduleRequest> request = internal::ScheduleRequestFromEnvironment();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->first, 0u);
  EXPECT_EQ(request->count, 1000u);
  EXPECT_FALSE(request->strategy.has_value());
}

TEST_F(ScheduleEnvironmentTest, ScheduleReplaysOneSeed) {
  Set("KEMU_SCHEDULE", "18446744073709551615");
  const std::optional<ScheduleRequest> request = internal::ScheduleRequestFromEnvironment();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->first, 18446744073709551615u);
  EXPECT_EQ(request->count, 1u);
}

TEST_F(ScheduleEnvironmentTest, BadValuesAreErrorsNamingTheVariable) {
  Set("KEMU_SCHEDULES", "0");
  EXPECT_EQ(ErrorOf(),
            "kemu: KEMU_SCHEDULES must be a number of schedules from 1 to 1000000, "
            "got \"0\"");
  Set("KEMU_SCHEDULES", "lots");
  EXPECT_THAT(ErrorOf(), ::testing::HasSubstr("KEMU_SCHEDULES must be"));
  unsetenv("KEMU_SCHEDULES");
  Set("KEMU_SCHEDULE", "3x");
  EXPECT_EQ(ErrorOf(),
            "kemu: KEMU_SCHEDULE must be a decimal seed (as reports print it), got "
            "\"3x\"");
}

TEST_F(ScheduleEnvironmentTest, BothVariablesAtOnceAreAnError) {
  Set("KEMU_SCHEDULES", "10");
  Set("KEMU_SCHEDULE", "3");
  EXPECT_THAT(ErrorOf(), ::testing::HasSubstr("KEMU_SCHEDULES and KEMU_SCHEDULE are both set"));
}

}  // namespace
}  // namespace kemu::scenario
