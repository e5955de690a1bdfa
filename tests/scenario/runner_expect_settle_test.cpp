// An `expect:` step under an exploring schedule settles the machine first (scenarios/README.md,
// "Exploring schedules"), and the connection counters it checks are the ones after that settle:
// an interrupt routed to the other vCPU is counted once it ran there (audit round 15, Q3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "kemu/scenario/runner.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::IsEmpty;

TEST(RunnerExpectSettleTest, AnExpectUnderAnExploringScheduleCountsTheIsrItsSettleRan) {
  Expectations serviced;
  serviced.isr_calls = Want<std::uint64_t>(1, 12);
  serviced.dpcs_requested = Want<std::uint64_t>(1, 12);
  serviced.probes["dpc_runs"] = Want<std::int64_t>(1, 12);
  Scenario s = Base({Start(10), Raise(11, kIntStatus, 1), Expect(12, serviced), Stop(13)});
  s.machine.processors = 2;
  for (const Strategy strategy : {Strategy::kRandom, Strategy::kPct}) {
    for (std::uint64_t seed = 0; seed < 24; ++seed) {
      const Outcome o = Play(s, Os::kWindows10, TestFactory(),
                             {.schedule = ScheduleOptions{.strategy = strategy, .seed = seed}});
      EXPECT_THAT(Messages(o), IsEmpty()) << StrategyName(strategy) << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace kemu::scenario::test
