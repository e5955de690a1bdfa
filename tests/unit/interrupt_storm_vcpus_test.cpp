// A stuck level line whose interrupt may go to several vCPUs (INT-7): under an exploring schedule
// its deliveries alternate between them, each one a new burst on its vCPU, and the storm must
// still be 0xF2 after storm_threshold re-deliveries, as under the default schedule; before, the
// count restarted with every burst and the host looped for ever (random) or overflowed its stack
// (PCT). A line that is acknowledged each time stays silent under the same schedules.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

kemu::Device* g_device = nullptr;
bool g_acknowledge = false;

// Claims the interrupt; acknowledges it at the device only when the test says so.
BOOLEAN ClaimingIsr(PKINTERRUPT, PVOID) {
  if (g_acknowledge) g_device->DeassertLine();
  return TRUE;
}

struct StormRig {
  kemu::Machine machine;
  PKINTERRUPT interrupt = nullptr;

  StormRig(kemu::Strategy strategy, std::uint64_t seed, unsigned storm_threshold)
      : machine({.os = kemu::Os::kWindows10,
                 .processors = 2,
                 .storm_threshold = storm_threshold,
                 .schedule = {.strategy = strategy, .seed = seed}}) {
    g_device = &machine.AddDevice(
        {.name = "level0", .line = kemu::LineInterrupt{.vector = 0x71, .irql = 7}});
    EXPECT_EQ(IoConnectInterrupt(&interrupt, ClaimingIsr, nullptr, nullptr, 0x71, 7, 7,
                                 LevelSensitive, FALSE, 0x3, FALSE),
              STATUS_SUCCESS);
  }
};

class StormOnTwoVcpusTest : public ::testing::TestWithParam<kemu::Strategy> {};
INSTANTIATE_TEST_SUITE_P(, StormOnTwoVcpusTest,
                         ::testing::Values(kemu::Strategy::kDefault, kemu::Strategy::kRandom,
                                           kemu::Strategy::kPct),
                         [](const auto& info) { return std::string(StrategyName(info.param)); });

TEST_P(StormOnTwoVcpusTest, AStuckLevelLineOnTwoVcpusIsAStormUnderEverySchedule) {
  g_acknowledge = false;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    StormRig run(GetParam(), seed, 1000);  // the default threshold: the nesting must fit the stack
    EXPECT_THAT(
        [&] {
          g_device->AssertLine();
          run.machine.Settle();
        },
        Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kHardwareInterruptStorm,
                                          reinterpret_cast<std::uintptr_t>(&ClaimingIsr), 0,
                                          reinterpret_cast<std::uintptr_t>(run.interrupt), 1)))
        << "seed " << seed;
  }
}

TEST_P(StormOnTwoVcpusTest, ALineAcknowledgedEachTimeIsNoStormUnderAnySchedule) {
  g_acknowledge = true;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    StormRig run(GetParam(), seed, 8);
    for (int i = 0; i < 50; ++i) {  // far more interrupts than the threshold, each serviced
      g_device->AssertLine();
      run.machine.Settle();
    }
    IoDisconnectInterrupt(run.interrupt);
    run.machine.Shutdown();
  }
}

}  // namespace
