// The runner's schedule exploration end to end, in process: --schedules, --schedule,
// --schedule-range and --schedule-strategy, what a failing schedule's run reports, and the usage
// errors. CountingAdapter's `unlucky` probe goes wrong under schedule seed 3 only, which stands in
// for a race one interleaving exposes until the Machine's scheduler interleaves vCPUs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "counting_adapter.hpp"
#include "scenario_files_for_tests.hpp"
#include "scenario_main_fixture.hpp"

namespace kemu::scenario {
namespace {

using testing::CountingAdapter;
using ::testing::HasSubstr;
using testing::kCountsYaml;
using testing::kPctYaml;
using testing::kUnluckyYaml;
using testing::MainResult;
using ::testing::Not;
using testing::ReadFile;

class ScheduleMainTest : public testing::ScenarioMainTest {
 protected:
  // Main, and how many runs (adapter starts) it made.
  MainResult Counted(std::vector<std::string> args, std::int64_t& runs) {
    const std::int64_t before = CountingAdapter::starts();
    MainResult result = Main(std::move(args));
    runs = CountingAdapter::starts() - before;
    return result;
  }
};

constexpr const char* kSeed3Fails =
    "failed under schedule seed 3 (random), schedule 4 of 10 explored; replay it with --schedule "
    "3 --schedule-strategy random";

TEST_F(ScheduleMainTest, SchedulesStopEachRunAtTheFirstFailingSeedAndNameIt) {
  const std::string unlucky = Write("unlucky.yaml", kUnluckyYaml);
  std::int64_t runs = 0;
  const MainResult result = Counted({unlucky, "--schedules=10"}, runs);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(runs, 8);  // seeds 0..3 on xp and on win10
  EXPECT_THAT(result.out, HasSubstr("[FAIL] unlucky @ xp  not connected, 4 schedules\n"));
  EXPECT_THAT(result.out, HasSubstr(unlucky + ":1:1: " + kSeed3Fails));
  EXPECT_THAT(result.out, HasSubstr("FAIL unlucky @ win10: " + unlucky + ":1:1: " + kSeed3Fails));
  EXPECT_THAT(result.out, HasSubstr("2 runs, 0 passed, 2 failed, 8 schedules played"));
}

TEST_F(ScheduleMainTest, PassingExplorationsSayHowManySchedulesTheyPlayed) {
  std::int64_t runs = 0;
  const MainResult result = Counted({Write("counts.yaml", kCountsYaml), "--schedules=5"}, runs);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(runs, 10);
  EXPECT_THAT(result.out, HasSubstr("[ ok ] counts @ xp  not connected, 5 schedules\n"));
  EXPECT_THAT(result.out, HasSubstr("2 runs, 2 passed, 0 failed, 10 schedules played"));
}

TEST_F(ScheduleMainTest, WithoutScheduleFlagsNothingSaysSchedules) {
  const MainResult result = Main({Write("unlucky.yaml", kUnluckyYaml)});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, Not(HasSubstr("schedule")));
}

TEST_F(ScheduleMainTest, ScheduleReplaysExactlyOneSeed) {
  const std::string unlucky = Write("unlucky.yaml", kUnluckyYaml);
  std::int64_t runs = 0;
  const MainResult failing = Counted({unlucky, "--schedule=3", "--os=xp"}, runs);
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_EQ(runs, 1);
  EXPECT_THAT(failing.out, HasSubstr("failed under schedule seed 3 (random); replay it with "
                                     "--schedule 3 --schedule-strategy random"));
  const MainResult passing = Counted({unlucky, "--schedule=0x4", "--os=xp"}, runs);
  EXPECT_EQ(passing.exit_code, 0) << passing.out;
  EXPECT_EQ(runs, 1);
  EXPECT_THAT(passing.out, HasSubstr("[ ok ] unlucky @ xp  not connected, 1 schedule\n"));
}

TEST_F(ScheduleMainTest, ScheduleRangeExploresSeedsAToBMinusOne) {
  const std::string unlucky = Write("unlucky.yaml", kUnluckyYaml);
  std::int64_t runs = 0;
  const MainResult past = Counted({unlucky, "--schedule-range=4..8", "--os=xp"}, runs);
  EXPECT_EQ(past.exit_code, 0) << past.out;
  EXPECT_EQ(runs, 4);
  const MainResult across = Counted({unlucky, "--schedule-range=2..8", "--os=xp"}, runs);
  EXPECT_EQ(across.exit_code, 1);
  EXPECT_EQ(runs, 2);
  EXPECT_THAT(across.out, HasSubstr("failed under schedule seed 3 (random), schedule 2 of 6 "
                                    "explored; replay it with --schedule 3"));
}

TEST_F(ScheduleMainTest, AScenarioThatAsksForPctIsExploredWithPctAndItsDepth) {
  const std::string pct = Write("pct.yaml", kPctYaml);
  const MainResult result = Main({pct, "--schedules=3"});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  // --schedule-strategy overrides it; the probe then sees random, and the note says so.
  const MainResult random = Main({pct, "--schedules=3", "--schedule-strategy=random"});
  EXPECT_EQ(random.exit_code, 1);
  EXPECT_THAT(random.out, HasSubstr("failed under schedule seed 0 (random), schedule 1 of 3 "
                                    "explored; replay it with --schedule 0 --schedule-strategy "
                                    "random"));
}

TEST_F(ScheduleMainTest, ScheduleStrategyPctNamesItsDepthAndReplay) {
  const MainResult result = Main({Write("unlucky.yaml", kUnluckyYaml), "--os=xp",
                                  "--schedule-range=3..5", "--schedule-strategy=pct"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("failed under schedule seed 3 (pct, depth 3), schedule 1 of 2 "
                                    "explored; replay it with --schedule 3 --schedule-strategy "
                                    "pct"));
}

TEST_F(ScheduleMainTest, ReportsNameTheFailingScheduleAndItsTraceIsWritten) {
  const std::string unlucky = Write("unlucky.yaml", kUnluckyYaml);
  const MainResult result =
      Main({unlucky, "--os=xp", "--schedules=10", "--trace=" + Path("trace.json"),
            "--junit=" + Path("junit.xml"), "--report=" + Path("matrix.md")});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::string junit = ReadFile(dir_ / "junit.xml");
  // The failure message attribute: the one-line summary dashboards show.
  EXPECT_THAT(junit, HasSubstr("<failure message=\"" + unlucky + ":1:1: " + kSeed3Fails));
  EXPECT_THAT(junit, HasSubstr("4 schedules, the last schedule random seed 3\n"));
  const std::string markdown = ReadFile(dir_ / "matrix.md");
  EXPECT_THAT(markdown, HasSubstr("failed under schedule seed 3 (random)"));
  EXPECT_THAT(markdown, HasSubstr("1 runs, 0 passed, 1 failed, 4 schedules played."));
  EXPECT_THAT(ReadFile(dir_ / "trace.json"), HasSubstr("traceEvents"));
}

TEST_F(ScheduleMainTest, BadScheduleFlagsAreUsageErrorsAndRunNothing) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--schedules=0"}, "--schedules: expected a number of schedules from 1 to 1000000, got '0'"},
      {{"--schedules=1000001"}, "got '1000001'"},
      {{"--schedules=many"}, "got 'many'"},
      {{"--schedule=-1"}, "--schedule: '-1' is not a number (decimal or 0x hex)"},
      {{"--schedule=18446744073709551616"}, "--schedule: 18446744073709551616 is out of range"},
      {{"--schedule-range=5"}, "--schedule-range: '5' is not a range A..B (seeds A to B-1)"},
      {{"--schedule-range=5..5"}, "--schedule-range: '5..5' is empty"},
      {{"--schedule-range=x..5"}, "--schedule-range: 'x' is not a number"},
      {{"--schedule-range=0..1000001"}, "spans 1000001 schedules (at most 1000000 per run)"},
      {{"--schedules=2", "--schedule-strategy=randm"},
       "--schedule-strategy: unknown strategy 'randm' (did you mean 'random'?)"},
      {{"--schedules=2", "--schedule-strategy=default"}, "unknown strategy 'default'"},
      {{"--schedule-strategy=pct"},
       "--schedule-strategy needs --schedules, --schedule or --schedule-range"},
      {{"--schedules=2", "--schedule=1"}, "excludes"},
      {{"--schedules=2", "--schedule-range=0..2"}, "excludes"},
      {{"--schedule=2", "--schedule-range=0..2"}, "excludes"},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args{counts};
    args.insert(args.end(), flags.begin(), flags.end());
    const MainResult result = Main(args);
    EXPECT_EQ(result.exit_code, 2) << flags.front();
    EXPECT_THAT(result.err, HasSubstr(message)) << flags.front();
    EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]"))) << flags.front();
  }
}

TEST_F(ScheduleMainTest, HelpListsTheScheduleFlags) {
  const MainResult result = Main({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag : {"--schedules", "--schedule-range", "--schedule-strategy"}) {
    EXPECT_THAT(result.out, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace kemu::scenario
