// The runner (emu/scenario/run.cpp and friends): setup, every step kind, expectations, crashes,
// observations and determinism, with the small test driver of test_driver.hpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kemu/scenario/runner.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(RunnerTest, StartAndStopConnectWithTheBestVersionOnEveryPersonality) {
  Scenario s = Base({Start(10), Stop(11)});
  s.devices = {Nic(4)};
  s.os.assign(AllOs().begin(), AllOs().end());
  Expectations all;
  all.connect_version = Want<std::uint32_t>(CONNECT_MESSAGE_BASED, 20);
  Expectations old;
  old.connect_version = Want<std::uint32_t>(CONNECT_FULLY_SPECIFIED, 21);
  s.expect = Block(19, all);
  s.expect->per_os.push_back(
      {{Os::kWindows2000, Os::kWindowsXP, Os::kWindowsServer2003}, old});
  const std::vector<Outcome> outcomes = RunAll(s, TestFactory());
  ASSERT_EQ(outcomes.size(), 9u);
  for (const Outcome& o : outcomes) {
    SCOPED_TRACE(OsName(o.os));
    EXPECT_THAT(Messages(o), IsEmpty());
    EXPECT_EQ(o.steps_run, 2u);
    ASSERT_TRUE(o.connection.has_value());  // the snapshot survives `stop`
    EXPECT_EQ(o.start_status, STATUS_SUCCESS);
  }
  EXPECT_EQ(outcomes[0].connection->version, CONNECT_FULLY_SPECIFIED);
  EXPECT_EQ(outcomes[8].connection->version, CONNECT_MESSAGE_BASED);
  EXPECT_EQ(outcomes[8].connection->message_count, 4u);
  for (const auto& line : outcomes[8].observations) std::cout << line << "\n";
  for (const auto& line : outcomes[0].observations) std::cout << line << "\n";
}

}  // namespace
}  // namespace kemu::scenario::test
