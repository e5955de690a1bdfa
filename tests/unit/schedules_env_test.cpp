// Exploring schedules from the environment and the command line (kemu/testing/schedules.hpp):
// KEMU_SCHEDULE, KEMU_SCHEDULE_STRATEGY, KEMU_SCHEDULES and their --kemu_ flags.
#include <string>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"
#include "kemu/testing/gtest_main.hpp"
#include "scoped_env.hpp"

namespace {

using ::kemu::testing::ScheduleFromEnvironment;
using ::kemu::testing::SchedulesFromEnvironment;
using ::kemu::testing::ScopedEnv;

TEST(ScheduleEnvTest, UnsetOrEmptyMeansNoScheduleAndNoExploration) {
  const ScopedEnv schedule("KEMU_SCHEDULE", nullptr);
  const ScopedEnv schedules("KEMU_SCHEDULES", "");
  EXPECT_EQ(ScheduleFromEnvironment(), std::nullopt);
  EXPECT_EQ(SchedulesFromEnvironment(), std::nullopt);
}

TEST(ScheduleEnvTest, KemuScheduleIsARandomScheduleWithThatSeed) {
  const ScopedEnv schedule("KEMU_SCHEDULE", "412");
  const ScopedEnv strategy("KEMU_SCHEDULE_STRATEGY", nullptr);
  const auto options = ScheduleFromEnvironment();
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->strategy, kemu::Strategy::kRandom);
  EXPECT_EQ(options->seed, 412u);
}

TEST(ScheduleEnvTest, KemuScheduleStrategyPctSelectsPct) {
  const ScopedEnv schedule("KEMU_SCHEDULE", "7");
  const ScopedEnv strategy("KEMU_SCHEDULE_STRATEGY", "pct");
  EXPECT_EQ(ScheduleFromEnvironment()->strategy, kemu::Strategy::kPct);
}

TEST(ScheduleEnvTest, MalformedValuesAreHarnessErrorsNamingTheVariable) {
  {
    const ScopedEnv schedule("KEMU_SCHEDULE", "12x");
    EXPECT_THROW(ScheduleFromEnvironment(), kemu::Error);
  }
  {
    const ScopedEnv schedule("KEMU_SCHEDULE", "1");
    const ScopedEnv strategy("KEMU_SCHEDULE_STRATEGY", "fast");
    try {
      ScheduleFromEnvironment();
      ADD_FAILURE() << "no error";
    } catch (const kemu::Error& error) {
      EXPECT_THAT(error.what(), ::testing::HasSubstr("KEMU_SCHEDULE_STRATEGY"));
    }
  }
  for (const char* bad : {"0", "5..5", "9..3", "a..b", "1..", "2000000"}) {
    SCOPED_TRACE(bad);
    const ScopedEnv schedules("KEMU_SCHEDULES", bad);
    EXPECT_THROW(SchedulesFromEnvironment(), kemu::Error);
  }
}

TEST(ScheduleEnvTest, KemuSchedulesIsACountOrARange) {
  {
    const ScopedEnv schedules("KEMU_SCHEDULES", "1000");
    const auto range = SchedulesFromEnvironment();
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(range->first, 0u);
    EXPECT_EQ(range->end, 1000u);
  }
  {
    const ScopedEnv schedules("KEMU_SCHEDULES", "250..500");
    const auto range = SchedulesFromEnvironment();
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(range->first, 250u);
    EXPECT_EQ(range->end, 500u);
  }
}

TEST(ScheduleEnvTest, ScheduleFlagsAreConsumedAndActAsTheVariables) {
  const ScopedEnv schedule("KEMU_SCHEDULE", nullptr);
  const ScopedEnv schedules("KEMU_SCHEDULES", nullptr);
  std::string args[] = {"tests", "--kemu_schedule=36", "--kemu_schedules=10..20", "extra"};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(), args[3].data(), nullptr};
  int argc = 4;
  kemu::testing::internal::ParseKemuFlags(&argc, argv);
  ASSERT_EQ(argc, 2);
  EXPECT_STREQ(argv[1], "extra");
  EXPECT_EQ(ScheduleFromEnvironment()->seed, 36u);
  EXPECT_EQ(SchedulesFromEnvironment()->first, 10u);
}

TEST(ScheduleEnvTest, MalformedScheduleFlagsAreHarnessErrors) {
  for (const char* bad : {"--kemu_schedule=x", "--kemu_schedules=0"}) {
    SCOPED_TRACE(bad);
    const ScopedEnv schedule("KEMU_SCHEDULE", nullptr);
    const ScopedEnv schedules("KEMU_SCHEDULES", nullptr);
    std::string args[] = {"tests", bad};
    char* argv[] = {args[0].data(), args[1].data(), nullptr};
    int argc = 2;
    EXPECT_THROW(kemu::testing::internal::ParseKemuFlags(&argc, argv), kemu::Error);
  }
}

// Outside an exploration nothing is skipped, whatever the machine.
TEST(ScheduleEnvTest, WithoutExplorationNoTestIsSkipped) {
  const char* reason = nullptr;
  EXPECT_FALSE(kemu::testing::internal::SkipUnderExploration(1, "Suite.Test", &reason));
  EXPECT_FALSE(kemu::testing::internal::SkipUnderExploration(2, "Suite.Test", &reason));
  EXPECT_EQ(reason, nullptr);
}

// A fixture machine takes KEMU_SCHEDULE's schedule (the replay path).
TEST(ScheduleEnvTest, FixtureMachinesUseKemuSchedule) {
  const ScopedEnv schedule("KEMU_SCHEDULE", "36");
  kemu::testing::internal::TestMachine machine;
  machine.Start({.processors = 2});
  EXPECT_EQ(machine.get().options().schedule.strategy, kemu::Strategy::kRandom);
  EXPECT_EQ(machine.get().options().schedule.seed, 36u);
  machine.Stop();
}

}  // namespace
