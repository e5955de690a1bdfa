// RegisterTests: scenario × personality as GoogleTest tests, with failures at scenario lines and
// broken files or unknown drivers as red tests. Each case runs register_tests_probe (a GoogleTest
// program built from RegisterTests) on a few files and reads what it printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "scenario_files_for_tests.hpp"

namespace kemu::scenario {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::WriteFile;

struct ProbeResult {
  int exit_code = -1;
  std::string out;
};

// `environment`: "NAME=value " assignments put before the command.
ProbeResult RunProbe(const std::string& mode, const std::string& path,
                     const std::string& flags = "", const std::string& environment = "") {
  const std::string command = environment + "'" + KEMU_REGISTER_TESTS_PROBE + "' " + mode + " '" +
                              path + "' " + flags + " 2>&1";
  ProbeResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class RegisterTestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshDirectory(std::string("register-") +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) const {
    return WriteFile(dir_ / name, text);
  }
  fs::path dir_;
};

TEST_F(RegisterTestsTest, EveryScenarioAndPersonalityIsATest) {
  Write("counts.yaml", testing::kCountsYaml);
  const ProbeResult result = RunProbe("factory", dir_.string());
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_THAT(result.out, HasSubstr("registered 2 tests"));
  EXPECT_THAT(result.out, HasSubstr("[       OK ] Scenario/counts.xp"));
  EXPECT_THAT(result.out, HasSubstr("[       OK ] Scenario/counts.win10"));
}

TEST_F(RegisterTestsTest, PersonalityNamesUseUnderscoresForDots) {
  std::string yaml = testing::kCountsYaml;
  yaml.replace(yaml.find("[xp, win10]"), 11, "win8.1");
  Write("counts.yaml", yaml);
  EXPECT_THAT(RunProbe("factory", dir_.string()).out,
              HasSubstr("[       OK ] Scenario/counts.win8_1"));
}

TEST_F(RegisterTestsTest, AFailedExpectationFailsAtTheScenarioFileAndLine) {
  const std::string fails = Write("fails.yaml", testing::kFailsYaml);
  const ProbeResult result = RunProbe("factory", fails);
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_THAT(result.out, HasSubstr("[       OK ] Scenario/fails.xp"));
  EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] Scenario/fails.win10"));
  EXPECT_THAT(result.out, HasSubstr(fails + ":"));
}

TEST_F(RegisterTestsTest, GtestFiltersSelectScenarioRuns) {
  Write("counts.yaml", testing::kCountsYaml);
  Write("fails.yaml", testing::kFailsYaml);
  const ProbeResult result =
      RunProbe("factory", dir_.string(), "--gtest_filter=Scenario/fails.xp:Scenario/counts.*");
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_THAT(result.out, HasSubstr("3 tests from 2 test suites ran"));
}

TEST_F(RegisterTestsTest, AnInvalidFileIsOneFailingTestWithItsDiagnostics) {
  Write("counts.yaml", testing::kCountsYaml);
  const std::string broken = Write("sub/broken.yaml", testing::kBrokenYaml);
  const ProbeResult result = RunProbe("factory", dir_.string());
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_THAT(result.out, HasSubstr("registered 3 tests"));
  EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] ScenarioFile/sub/broken.Parses"));
  EXPECT_THAT(result.out, HasSubstr(broken + ":5: Failure"));
  EXPECT_THAT(result.out, HasSubstr("stepz"));
  EXPECT_THAT(result.out, HasSubstr("[       OK ] Scenario/counts.xp"));
}

TEST_F(RegisterTestsTest, ABrokenFilesTestAlsoListsItsUnknownActions) {
  // A bad number (the parser's) and a misspelt action (the adapter's): both in the one test.
  std::string yaml = testing::kCountsYaml;
  yaml.replace(yaml.find("bump:"), 5, "bumb:");
  yaml.replace(yaml.find("  - stop"), 8, "  - stall_us: x");
  const std::string both = Write("both.yaml", yaml);
  for (const char* mode : {"factory", "registry"}) {
    const ProbeResult result = RunProbe(mode, dir_.string());
    EXPECT_EQ(result.exit_code, 1) << result.out;
    EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] ScenarioFile/both.Parses"));
    EXPECT_THAT(result.out,
                HasSubstr(both + ":9: Failure\nFailed\nunknown step or action 'bumb' (did you "
                                 "mean 'bump'?)"));
    EXPECT_THAT(
        result.out,
        HasSubstr(
            both +
            ":10: Failure\nFailed\nexpected a number (decimal or 0x hex) for 'stall_us', got 'x'"));
  }
}

TEST_F(RegisterTestsTest, TheRegistryPicksEachScenariosAdapterByDriver) {
  Write("counts.yaml", testing::kCountsYaml);
  const ProbeResult result = RunProbe("registry", dir_.string());
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_THAT(result.out, HasSubstr("[       OK ] Scenario/counts.win10"));
}

TEST_F(RegisterTestsTest, AnUnknownDriverIsAFailingTest) {
  Write("lost.yaml", testing::kUnknownDriverYaml);
  const ProbeResult result = RunProbe("registry", dir_.string());
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] Scenario/lost.xp"));
  EXPECT_THAT(result.out, HasSubstr("unknown driver 'countr' (did you mean 'counter'?)"));
}

TEST_F(RegisterTestsTest, KemuSchedulesExploresEachTestAndNamesTheFailingSeed) {
  const std::string unlucky = Write("unlucky.yaml", testing::kUnluckyYaml);
  const ProbeResult result = RunProbe("factory", unlucky, "", "KEMU_SCHEDULES=10 ");
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] Scenario/unlucky.xp"));
  EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] Scenario/unlucky.win10"));
  EXPECT_THAT(result.out, HasSubstr(unlucky + ":1: Failure"));
  EXPECT_THAT(result.out, HasSubstr("failed under schedule seed 3 (random), schedule 4 of 10 "
                                    "explored; replay it with KEMU_SCHEDULE=3"));
}

TEST_F(RegisterTestsTest, KemuSchedulesPassesWhenEveryScheduleDoes) {
  Write("counts.yaml", testing::kCountsYaml);
  const ProbeResult result = RunProbe("factory", dir_.string(), "", "KEMU_SCHEDULES=3 ");
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_THAT(result.out, HasSubstr("[       OK ] Scenario/counts.win10"));
}

TEST_F(RegisterTestsTest, KemuScheduleReplaysOneSeed) {
  const std::string unlucky = Write("unlucky.yaml", testing::kUnluckyYaml);
  const ProbeResult failing = RunProbe("factory", unlucky, "", "KEMU_SCHEDULE=3 ");
  EXPECT_EQ(failing.exit_code, 1) << failing.out;
  EXPECT_THAT(failing.out, HasSubstr("failed under schedule seed 3 (random); replay it with "
                                     "KEMU_SCHEDULE=3"));
  EXPECT_EQ(RunProbe("factory", unlucky, "", "KEMU_SCHEDULE=4 ").exit_code, 0);
}

TEST_F(RegisterTestsTest, ABadKemuSchedulesFailsEachTestNamingTheVariable) {
  Write("counts.yaml", testing::kCountsYaml);
  const ProbeResult result = RunProbe("factory", dir_.string(), "", "KEMU_SCHEDULES=lots ");
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_THAT(result.out, HasSubstr("registered 2 tests"));
  EXPECT_THAT(result.out, HasSubstr("[  FAILED  ] Scenario/counts.xp"));
  EXPECT_THAT(result.out, HasSubstr("kemu: KEMU_SCHEDULES must be a number of schedules from 1 "
                                    "to 1000000, got \"lots\""));
}

}  // namespace
}  // namespace kemu::scenario
