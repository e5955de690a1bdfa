// DPC routines that queue each other across vCPUs (docs/kernel.md, "DPC chains"): a DPC that
// hands itself to the next vCPU on every run. A bounded chain of any length runs to its end on
// every schedule without deepening the vCPUs' stacks; an endless one, a livelock on Windows, is
// stopped with kemu's report once kChainLimit routines in a row have queued the next.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr std::uint64_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;
// Dpcs::kChainLimit: the routine that queues DPC number kChainLimit + 1 in a row is stopped.
constexpr std::uint64_t kChainLimit = 200000;

struct PingPong {
  KDPC dpc{};
  std::uint64_t hops_left = 0;  ///< UINT64_MAX: for ever
  std::uint64_t runs = 0;
  ULONG processors = 1;
};

// Re-targets itself at the next vCPU and queues itself there, while hops are left.
VOID HandToTheNextVcpu(PKDPC dpc, PVOID context, PVOID, PVOID) {
  auto* game = static_cast<PingPong*>(context);
  ++game->runs;
  if (game->hops_left == 0) return;
  if (game->hops_left != UINT64_MAX) --game->hops_left;
  KeSetTargetProcessorDpc(
      dpc, static_cast<CCHAR>((KeGetCurrentProcessorNumber() + 1) % game->processors));
  (void)KeInsertQueueDpc(dpc, nullptr, nullptr);
}

// Starts the game from the test's thread and waits for the DPCs queued so far.
void Play(PingPong& game) {
  KeInitializeDpc(&game.dpc, &HandToTheNextVcpu, &game);
  (void)KeInsertQueueDpc(&game.dpc, nullptr, nullptr);
  KeFlushQueuedDpcs();
}

kemu::ScheduleOptions Schedule(kemu::Strategy strategy) {
  return {.strategy = strategy, .seed = 1, .depth = 3};
}

class DpcChainTest : public ::testing::TestWithParam<kemu::Strategy> {};

INSTANTIATE_TEST_SUITE_P(Schedules, DpcChainTest,
                         ::testing::Values(kemu::Strategy::kDefault, kemu::Strategy::kRandom,
                                           kemu::Strategy::kPct));

// 50,000 hand-offs used to recurse once per hop on both vCPUs' stacks until they overflowed.
TEST_P(DpcChainTest, ALongBoundedChainAcrossVcpusRunsToItsEnd) {
  kemu::Machine machine({.processors = 2, .schedule = Schedule(GetParam())});
  PingPong game{.hops_left = 50000, .processors = 2};
  Play(game);
  machine.Settle();
  EXPECT_EQ(game.runs, 50001u);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST_P(DpcChainTest, AnEndlessChainAcrossVcpusIsStoppedWithKemusReport) {
  kemu::Machine machine({.processors = 2, .schedule = Schedule(GetParam())});
  PingPong game{.hops_left = UINT64_MAX, .processors = 2};
  const kemu::BugCheck crash = CrashOf([&] {
    Play(game);
    machine.Settle();
  });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kDpcChainNeverEnds,
                                reinterpret_cast<std::uintptr_t>(&game.dpc), kChainLimit + 1, 0));
  EXPECT_EQ(game.runs, kChainLimit + 1);
}

// Each chain counts from the thread that queued its first DPC: two long chains one after the
// other, together past the limit, are two chains.
TEST(DpcChainCountTest, AChainQueuedAgainByTheThreadStartsAgain) {
  kemu::Machine machine({.processors = 2});
  PingPong game{.hops_left = 150000, .processors = 2};
  Play(game);
  game.hops_left = 150000;
  Play(game);
  EXPECT_EQ(game.runs, 300002u);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// On one vCPU a DPC re-queueing itself is the DPC watchdog's first (0x133 / 1).
TEST(DpcChainCountTest, OnOneVcpuASelfQueueingDpcIsTheWatchdogsFirst) {
  kemu::Machine machine({.processors = 1});
  PingPong game{.hops_left = UINT64_MAX, .processors = 1};
  const kemu::BugCheck crash = CrashOf([&] { Play(game); });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kDpcWatchdogViolation);
  EXPECT_EQ(crash.parameters()[0], 1u);
}

}  // namespace
