// Tests of the example NIC driver when interrupts land at awkward moments: on a line shared with
// another device, between two statements of NicGetStatistics (Device::ScheduleAfterCalls), while
// the DPC is not allowed to run or is running, and on a second vCPU (MachineTest over
// AllMachines()). The basics are in nic_driver_test.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "driver/nic_driver.h"
#include "kemu/kemu.hpp"
#include "kemu/testing/gtest.hpp"
#include "nic_device.hpp"
#include "nic_test.hpp"

namespace {

using ::kemu::testing::StatusIs;
using ::kemu_example::kNicFrameBytes;
using ::kemu_example::kNicLine;
using ::kemu_example::NicDevice;
using ::kemu_example::NicTest;

class NicConcurrencyTest : public NicTest<kemu::testing::PersonalityTest> {};

INSTANTIATE_TEST_SUITE_P(AllWindows, NicConcurrencyTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Sharing the line.

// Another card on the NIC's line 0x51, with a legacy driver whose ISR silences its own line.
struct OtherCard {
  kemu::Device* device = nullptr;
  unsigned calls = 0;

  static BOOLEAN Isr(PKINTERRUPT interrupt, PVOID context) {
    (void)interrupt;
    OtherCard& card = *static_cast<OtherCard*>(context);
    ++card.calls;
    if (!card.device->line_asserted()) return FALSE;
    card.device->DeassertLine();
    return TRUE;
  }
};

TEST_P(NicConcurrencyTest, AnotherDevicesInterruptOnTheSharedLineIsNotClaimed) {
  kemu::DeviceConfig config = nic_.Config();
  config.withhold_msi = true;  // on the line on every Windows
  AddNic(config);
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  OtherCard other{.device = &machine().AddDevice({.name = "other0", .line = kNicLine})};
  PKINTERRUPT other_interrupt = nullptr;
  ASSERT_THAT(IoConnectInterrupt(&other_interrupt, &OtherCard::Isr, &other, nullptr,
                                 kNicLine.vector, kNicLine.irql, kNicLine.irql, LevelSensitive,
                                 TRUE, static_cast<KAFFINITY>(kNicLine.affinity), FALSE),
              StatusIs(STATUS_SUCCESS));

  // The NIC's ISR, first on the line, finds none of its causes and passes the interrupt on; had it
  // claimed it, the other card's line would stay asserted and storm.
  other.device->AssertLine();
  EXPECT_EQ(extension_.IsrCalls, 1u);
  EXPECT_EQ(device_->connection()->isr_claimed, 0u);
  EXPECT_EQ(other.calls, 1u);
  EXPECT_EQ(Statistics().Interrupts, 0u);
  IoDisconnectInterrupt(other_interrupt);
}

// ---------------------------------------------------------------------------------------------
// Interrupts between driver statements.

// NicGetStatistics holds Lock at DISPATCH_LEVEL while it reads the card's missed-frame counter.
// An interrupt landing there runs its ISR at once (DIRQL beats DISPATCH_LEVEL), but the DPC that
// updates the statistics must wait until the lock is released, so the snapshot is consistent.
TEST_P(NicConcurrencyTest, InterruptDuringGetStatisticsWaitsForTheStatisticsLock) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(1);

  nic_.StageFrames(2);  // in the ring, RX_DONE latched; the interrupt comes at call 2 below
  // Kernel call 1 of NicGetStatistics is KeAcquireSpinLock; 2 is the READ_REGISTER_ULONG.
  device_->ScheduleAfterCalls(2, nic_.InterruptAction());
  const NIC_STATISTICS during = Statistics();

  EXPECT_EQ(device_->connection()->isr_claimed, 2u);  // the ISR did run inside
  EXPECT_EQ(during.FramesReceived, 1u);               // ... but its DPC did not
  EXPECT_EQ(during.Dpcs, 1u);
  EXPECT_EQ(during.BytesReceived, during.FramesReceived * kNicFrameBytes);
  const NIC_STATISTICS after = Statistics();
  EXPECT_EQ(after.FramesReceived, 3u);
  EXPECT_EQ(after.Dpcs, 2u);
}

// The ISR ORs causes into a word the DPC fetches and clears with KeSynchronizeExecution. While
// the DPC cannot run (this processor is at DISPATCH_LEVEL), interrupts keep coming; their causes
// accumulate and one DPC run takes them all.
TEST_P(NicConcurrencyTest, CausesAccumulateUntilTheDpcTakesThemUnderTheInterruptLock) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));

  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  nic_.ReceiveFrames(1);
  nic_.CompleteTransmit();
  nic_.SetLink(false);
  EXPECT_EQ(extension_.PendingCauses, NIC_INT_RX_DONE | NIC_INT_TX_DONE | NIC_INT_LINK);
  EXPECT_EQ(extension_.PendingInterrupts, 3u);
  EXPECT_EQ(Statistics().Dpcs, 0u);  // KeAcquireSpinLock at DISPATCH_LEVEL is fine
  KeLowerIrql(old_irql);             // the DPC runs now

  const NIC_STATISTICS stats = Statistics();
  EXPECT_EQ(stats.Dpcs, 1u);
  EXPECT_EQ(stats.Interrupts, 3u);
  EXPECT_EQ(stats.FramesReceived, 1u);
  EXPECT_EQ(stats.TxCompletions, 1u);
  EXPECT_EQ(stats.LinkChanges, 1u);
  EXPECT_FALSE(stats.LinkUp);
  EXPECT_EQ(extension_.PendingCauses, 0u);
}

// A frame completing while the DPC drains the ring interrupts the DPC itself; its cause is
// recorded under the interrupt lock and the DPC, queued again, runs a second time.
TEST_P(NicConcurrencyTest, FrameArrivingWhileTheDpcRunsIsNotLost) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  bool arrived = false;
  nic_.OnWrite(NIC_REG_RX_HEAD, [&](std::uint32_t) {  // the DPC hands slots back
    if (!arrived) {
      arrived = true;
      nic_.ReceiveFrames(1);
    }
  });

  nic_.ReceiveFrames(1);
  const NIC_STATISTICS stats = Statistics();
  EXPECT_EQ(stats.FramesReceived, 2u);
  EXPECT_EQ(stats.Interrupts, 2u);
  EXPECT_EQ(stats.Dpcs, 2u);
  EXPECT_EQ(nic_.rx_head(), nic_.rx_tail());
}

TEST_P(NicConcurrencyTest, FullRingCountsMissedFrames) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));

  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);  // the DPC cannot drain the ring meanwhile
  nic_.ReceiveFrames(NIC_RX_RING_SIZE + 4);
  KeLowerIrql(old_irql);

  const NIC_STATISTICS stats = Statistics();
  EXPECT_EQ(stats.FramesReceived, NIC_RX_RING_SIZE - 1);  // one slot always stays empty
  EXPECT_EQ(stats.RxMissed, 5u);
}

// ---------------------------------------------------------------------------------------------
// The other machine axes: vCPUs and Driver Verifier on or off.

class NicDriverMachineTest : public NicTest<kemu::testing::MachineTest> {
 protected:
  unsigned processors() const { return std::get<1>(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(AllMachines, NicDriverMachineTest, kemu::testing::AllMachines({1, 2, 4}),
                         kemu::testing::MachineName());

// Every kind of traffic the card makes, with statistics read while it runs: the driver's whole
// interrupt path on every machine. Built with kemu_instrument_driver() (kemu_nic_example_race_test)
// this is where the race detector must stay silent.
TEST_P(NicDriverMachineTest, AllTrafficWhileStatisticsAreReadAndTheDriverRestarts) {
  AddNic();
  for (int start = 0; start < 2; ++start) {
    ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
    const auto before = Statistics().FramesReceived;
    for (unsigned cpu = 0; cpu < processors(); ++cpu) {
      machine().SwitchToProcessor(cpu);
      nic_.ReceiveFrames(2);
      // Under the default schedule the interrupt and its DPC ran on this vCPU already; an explored
      // schedule may leave them to another vCPU until the Settle below.
      if (machine().options().schedule.strategy == kemu::Strategy::kDefault) {
        EXPECT_GE(Statistics().FramesReceived, 2u);
      }
      nic_.CompleteTransmit();
      nic_.SetLink(cpu % 2 == 0);
    }
    machine().SwitchToProcessor(0);
    machine().Settle();
    EXPECT_EQ(Statistics().FramesReceived, before + 2u * processors());
    Stop();
  }
}

// Where the default schedule routes an interrupt (the running vCPU); an explored schedule may
// route it to another vCPU, as correctly (docs/concurrency.md).
TEST_P(NicDriverMachineTest, DrainsTheRingOnTheVcpuThatTookTheInterrupt) {
  if (machine().options().schedule.strategy != kemu::Strategy::kDefault) {
    GTEST_SKIP() << "asserts the default schedule's placement";
  }
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  const unsigned last = processors() - 1;
  machine().SwitchToProcessor(last);  // the interrupt is routed to the running vCPU
  nic_.ReceiveFrames(3);
  machine().SwitchToProcessor(0);

  EXPECT_EQ(extension_.LastIsrProcessor, last);
  EXPECT_EQ(extension_.LastDpcProcessor, last);
  EXPECT_EQ(Statistics().FramesReceived, 3u);
}

// DPC-11: NicStopDevice removes a DPC still queued on a vCPU that cannot run it yet; otherwise it
// would run after the BAR is unmapped. Needs a second vCPU, so the suite runs on two.
class NicDriverTwoVcpuTest : public NicTest<kemu::testing::MachineTest> {};

INSTANTIATE_TEST_SUITE_P(TwoVcpus, NicDriverTwoVcpuTest,
                         ::testing::Combine(kemu::testing::AllOs(), kemu::testing::Processors({2}),
                                            kemu::testing::VerifierModes()),
                         kemu::testing::MachineName());

TEST_P(NicDriverTwoVcpuTest, StopDropsADpcStillQueuedOnAnotherVcpu) {
  // The ISR runs on vCPU 1, the running one, under the default schedule; an explored one may take
  // it on the idle vCPU 0, whose DPC then runs before the stop.
  if (machine().options().schedule.strategy != kemu::Strategy::kDefault) {
    GTEST_SKIP() << "asserts the default schedule's placement";
  }
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  machine().SwitchToProcessor(1);
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  nic_.ReceiveFrames(1);  // ISR on vCPU 1; its DPC waits there
  machine().SwitchToProcessor(0);

  Stop();
  machine().SwitchToProcessor(1);
  KeLowerIrql(old_irql);  // nothing left to run
  machine().SwitchToProcessor(0);
  EXPECT_EQ(extension_.Statistics.Dpcs, 0u);
}

// ---------------------------------------------------------------------------------------------
// Concurrent vCPUs: interrupts and DPCs on two processors at once, in the interleavings a schedule
// seed chooses (kemu/schedule.hpp). Under the default schedule this test passes for every build;
// KEMU_SCHEDULES=1000 explores, and finds NIC_BUG_UNSYNCHRONIZED_DPC's lost interrupts.

// Traffic while the DPC of the previous interrupt may still be running on the other vCPU: then
// every interrupt an ISR claimed must have been counted by exactly one DPC.
class NicTwoVcpuTrafficTest : public NicTest<kemu::testing::MachineTest> {};

INSTANTIATE_TEST_SUITE_P(
    TwoVcpus, NicTwoVcpuTrafficTest,
    ::testing::Combine(::testing::Values(kemu::Os::kWindowsXP, kemu::Os::kWindows10),
                       kemu::testing::Processors({2}), kemu::testing::VerifierModes()),
    kemu::testing::MachineName());

TEST_P(NicTwoVcpuTrafficTest, EveryInterruptIsCountedOnce) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(2);
  nic_.CompleteTransmit();
  nic_.ReceiveFrames(1);
  nic_.CompleteTransmit();
  machine().Settle();  // the other vCPU may still be in an ISR or DPC, or have one coming
  const NIC_STATISTICS statistics = Statistics();
  // Claimed ones only: with two vCPUs an ISR may find its causes already taken by the other's.
  EXPECT_EQ(statistics.Interrupts, device_->connection()->isr_claimed)
      << "the DPCs lost or double-counted interrupts";
  EXPECT_EQ(statistics.FramesReceived, 3u);
}

// The same traffic on the build whose DPC takes the causes without KeSynchronizeExecution. It
// passes under the default schedule; docs/concurrency.md "Concurrent vCPUs" runs it with
// KEMU_SCHEDULES to show exploration finding the lost interrupts (disabled: it fails on purpose
// when explored).
TEST_P(NicTwoVcpuTrafficTest, DISABLED_UnsynchronizedDpcBuildCountsEveryInterrupt) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugUnsynchronizedDpc), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(2);
  nic_.CompleteTransmit();
  nic_.ReceiveFrames(1);
  nic_.CompleteTransmit();
  machine().Settle();
  EXPECT_EQ(Statistics().Interrupts, device_->connection()->isr_claimed)
      << "the DPCs lost or double-counted interrupts";
}

// What KEMU_SCHEDULES does for the test above, done here explicitly so the suite proves it: the
// correct driver counts every interrupt under each of 200 random schedules, and the buggy build
// loses one under some schedule, which replays byte for byte from its seed.
struct TrafficRun {
  bool counted_all = false;
  std::string trace;
};

TrafficRun RunTraffic(const NIC_DRIVER& driver, std::uint64_t schedule_seed) {
  NicDevice nic;
  NIC_EXTENSION extension{};
  TrafficRun run;
  kemu::Machine machine({.os = kemu::Os::kWindows10,
                         .processors = 2,
                         .schedule = {.strategy = kemu::Strategy::kRandom, .seed = schedule_seed}});
  kemu::Device& device = machine.AddDevice(nic.Config());
  if (driver.StartDevice(&extension, device.pdo(), device.raw_resources(),
                         device.translated_resources()) != STATUS_SUCCESS) {
    ADD_FAILURE() << "start failed";
    return run;
  }
  nic.ReceiveFrames(2);
  nic.CompleteTransmit();
  nic.ReceiveFrames(1);
  nic.CompleteTransmit();
  machine.Settle();  // the other vCPU may still be in an ISR or DPC, or have one coming
  NIC_STATISTICS statistics{};
  driver.GetStatistics(&extension, &statistics);
  run.counted_all = statistics.Interrupts == device.connection()->isr_claimed;
  driver.StopDevice(&extension);
  machine.Shutdown();
  run.trace = machine.TraceJson();
  return run;
}

TEST(NicScheduleExplorationTest, TheCorrectDriverCountsEveryInterruptUnder200Schedules) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    ASSERT_TRUE(RunTraffic(NicDriver, seed).counted_all) << "KEMU_SCHEDULE=" << seed;
  }
}

TEST(NicScheduleExplorationTest, ExplorationFindsTheUnsynchronizedDpcAndReplaysIt) {
  std::optional<std::uint64_t> failing;
  for (std::uint64_t seed = 0; seed < 200 && !failing; ++seed) {
    if (!RunTraffic(NicDriverBugUnsynchronizedDpc, seed).counted_all) failing = seed;
  }
  ASSERT_TRUE(failing.has_value()) << "no schedule of 200 lost an interrupt";
  const TrafficRun first = RunTraffic(NicDriverBugUnsynchronizedDpc, *failing);
  const TrafficRun replay = RunTraffic(NicDriverBugUnsynchronizedDpc, *failing);
  EXPECT_FALSE(first.counted_all);
  EXPECT_FALSE(replay.counted_all);
  EXPECT_EQ(first.trace, replay.trace);
}

}  // namespace
