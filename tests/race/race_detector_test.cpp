// The race detector (emu/race/), driven through race_driver.c, which is built with
// kemu_instrument_driver(). Each synchronisation rule has a test that it keeps correct code
// silent and one that the same code without it is reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "kemu/kemu.hpp"
#include "race_driver.h"

namespace {

using ::testing::HasSubstr;

constexpr ULONG kVector = 0x61;
constexpr KIRQL kDirql = 6;

class Rig {
 public:
  explicit Rig(unsigned processors, RACE_DPC_MODE mode = RaceDpcUnsynchronized,
               kemu::ScheduleOptions schedule = {}, bool connect = true, bool verifier = true,
               bool threaded_dpcs = true)
      : machine_({.processors = processors,
                  .verifier = verifier,
                  .schedule = schedule,
                  .threaded_dpcs = threaded_dpcs}) {
    device_ =
        &machine_.AddDevice({.name = "race",
                             .line = kemu::LineInterrupt{
                                 .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}});
    driver_.DpcMode = mode;
    if (connect) Connect();
  }

  void Connect() { status_ = RaceConnect(&driver_, kVector, kDirql); }
  void Interrupt() { device_->PulseLine(); }
  /// Pulses `count` times, each after the last one's DPC ran, until a race is raised.
  std::optional<kemu::DataRace> Interrupts(int count) {
    try {
      for (int i = 0; i < count; ++i) {
        Interrupt();
        machine_.Settle();
      }
    } catch (const kemu::DataRace& race) {
      if (!race_) race_ = race;
      return race;
    }
    return std::nullopt;
  }
  /// Calls driver code; a race it raises (at its next kernel call) is kept for Finish.
  template <typename F>
  void Call(F routine) {
    try {
      routine(&driver_);
    } catch (const kemu::DataRace& race) {
      if (!race_) race_ = race;
    }
  }
  /// Ends the test: the first race found, if any.
  std::optional<kemu::DataRace> Finish() {
    try {
      if (!race_ && driver_.Interrupt != nullptr) RaceDisconnect(&driver_);
      machine_.Shutdown();
    } catch (const kemu::DataRace& race) {
      if (!race_) race_ = race;
    }
    return race_;
  }

  kemu::Machine& machine() { return machine_; }
  RACE_DEVICE& driver() { return driver_; }
  NTSTATUS status() const { return status_; }

 private:
  kemu::Machine machine_;
  kemu::Device* device_ = nullptr;
  RACE_DEVICE driver_{};
  NTSTATUS status_ = STATUS_UNSUCCESSFUL;
  std::optional<kemu::DataRace> race_;
};

class RaceDetectorTest : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(, RaceDetectorTest, ::testing::Values(1u, 2u),
                         [](const auto& info) { return std::to_string(info.param) + "cpu"; });

// --- The ISR's interrupt lock: KeSynchronizeExecution, KeAcquireInterruptSpinLock -------------

TEST_P(RaceDetectorTest, DpcReadThenClearWithoutTheInterruptLockIsReported) {
  Rig rig(GetParam(), RaceDpcUnsynchronized);
  ASSERT_EQ(rig.status(), STATUS_SUCCESS);
  const std::optional<kemu::DataRace> race = rig.Interrupts(3);
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->code(), kemu::bugcheck::kDataRace);
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Pending));
  EXPECT_EQ(race->parameter(1), sizeof(ULONG));
  // Both accesses, each with its context, locks and source line.
  EXPECT_THAT(race->report(), HasSubstr("*** kemu DATA RACE"));
  EXPECT_THAT(race->report(), HasSubstr("by the ISR RaceIsr (vector 0x61)"));
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine RaceDpc"));
  EXPECT_THAT(race->report(), HasSubstr("holding the interrupt spin lock at"));
  EXPECT_THAT(race->report(), HasSubstr("holding no spin lock"));
  EXPECT_THAT(race->report(), HasSubstr("race_driver.c:"));
  EXPECT_THAT(race->report(), HasSubstr("Last kernel calls"));
  EXPECT_TRUE(rig.machine().crashed());
}

TEST_P(RaceDetectorTest, DpcTakingCausesInsideKeSynchronizeExecutionIsSilent) {
  Rig rig(GetParam(), RaceDpcSynchronizeExecution);
  EXPECT_FALSE(rig.Interrupts(4).has_value());
  EXPECT_EQ(rig.driver().Taken, 1u);
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, DpcTakingCausesUnderTheInterruptSpinLockIsSilent) {
  Rig rig(GetParam(), RaceDpcInterruptSpinLock);
  EXPECT_FALSE(rig.Interrupts(4).has_value());
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, PassiveCodeClearingWhatTheIsrSetsWithoutTheLockIsReported) {
  Rig rig(GetParam());
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceClearPendingPlain(d); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("by the test's thread"));
  EXPECT_THAT(race->report(), HasSubstr("RaceClearPendingPlain"));
}

TEST_P(RaceDetectorTest, PassiveCodeClearingInsideKeSynchronizeExecutionIsSilent) {
  Rig rig(GetParam(), RaceDpcSynchronizeExecution);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceClearPendingSynchronized(d); });
  rig.Interrupt();
  EXPECT_FALSE(rig.Finish().has_value());
}

// --- IRQL: an ISR cannot preempt code at or above its DIRQL on the same vCPU ------------------

TEST(RaceDetectorIrqlTest, CodeAtDirqlOnTheOnlyVcpuCannotBeInterruptedByTheIsr) {
  Rig rig(1, RaceDpcSynchronizeExecution);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceClearPendingAt(d, kDirql); });
  rig.Interrupt();
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST(RaceDetectorIrqlTest, CodeAtDirqlRacesWithTheIsrOnAnotherVcpu) {
  Rig rig(2, RaceDpcSynchronizeExecution);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceClearPendingAt(d, kDirql); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("at the same time on different vCPUs"));
}

TEST(RaceDetectorIrqlTest, CodeBelowDirqlIsInterruptedByTheIsrOnTheOnlyVcpu) {
  Rig rig(1, RaceDpcSynchronizeExecution);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceClearPendingAt(d, DISPATCH_LEVEL); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("the earlier can interrupt the later: it runs at IRQL 6"));
}

TEST(RaceDetectorIrqlTest, DispatchLevelCodeOnTheOnlyVcpuCannotBeInterruptedByTheDpc) {
  Rig rig(1, RaceDpcCounterPlain);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterAt(d, DISPATCH_LEVEL); });
  rig.Interrupt();
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST(RaceDetectorIrqlTest, DispatchLevelCodeRacesWithTheDpcOnAnotherVcpu) {
  Rig rig(2, RaceDpcCounterPlain);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterAt(d, DISPATCH_LEVEL); });
  EXPECT_TRUE(rig.Finish().has_value());
}

// --- Threaded DPCs (docs/kernel.md, "Threaded DPCs") -------------------------------------------

// The threaded DPC counts without the lock its ordinary DPC takes, as if DPCs never preempted each
// other: an ordinary DPC preempts a threaded one, even on one vCPU.
TEST_P(RaceDetectorTest, AThreadedDpcCountingWithoutTheOrdinaryDpcsLockIsReported) {
  Rig rig(GetParam(), RaceDpcCounterLocked);
  rig.Call([](PRACE_DEVICE d) { RaceQueueThreaded(d, FALSE); });
  EXPECT_EQ(rig.driver().Counter, 2u);
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_THAT(race->report(), HasSubstr("RaceThreadedDpc"));
  if (GetParam() == 1) {
    EXPECT_THAT(race->report(),
                HasSubstr("the earlier can interrupt the later: it runs at IRQL 2"));
  }
}

TEST_P(RaceDetectorTest, AThreadedDpcCountingUnderTheOrdinaryDpcsLockIsSilent) {
  Rig rig(GetParam(), RaceDpcCounterLocked);
  rig.Call([](PRACE_DEVICE d) { RaceQueueThreaded(d, TRUE); });
  EXPECT_EQ(rig.driver().Counter, 2u);
  EXPECT_FALSE(rig.Finish().has_value());
}

// With threaded DPCs turned off the threaded DPC is an ordinary one: on the only vCPU the other
// DPC cannot cut into it.
TEST(RaceDetectorThreadedDpcTest, WithThreadedDpcsOffTheOrdinaryDpcCannotPreemptIt) {
  Rig rig(1, RaceDpcCounterLocked, {}, /*connect=*/true, /*verifier=*/true,
          /*threaded_dpcs=*/false);
  rig.Call([](PRACE_DEVICE d) { RaceQueueThreaded(d, FALSE); });
  EXPECT_EQ(rig.driver().Counter, 2u);
  EXPECT_FALSE(rig.Finish().has_value());
}

// No thread preempts a threaded DPC, and the threaded DPC cannot preempt the test's thread at
// DISPATCH_LEVEL: on the only vCPU they cannot meet; on two they can.
TEST(RaceDetectorThreadedDpcTest, ATestThreadAtDispatchLevelAndAThreadedDpcMeetOnlyOnTwoVcpus) {
  for (const unsigned processors : {1u, 2u}) {
    Rig rig(processors, RaceDpcAtomic);  // the ordinary DPC leaves Counter alone
    rig.Call([](PRACE_DEVICE d) { RaceQueueThreaded(d, FALSE); });
    rig.Call([](PRACE_DEVICE d) { RaceCounterAt(d, DISPATCH_LEVEL); });
    EXPECT_EQ(rig.Finish().has_value(), processors == 2) << processors << " vCPUs";
  }
}

// One thread runs a vCPU's threaded DPCs one after another: they never cut into each other.
TEST(RaceDetectorThreadedDpcTest, TwoThreadedDpcsOnTheOnlyVcpuAreSilent) {
  Rig rig(1);
  rig.Call([](PRACE_DEVICE d) { RaceQueueTwoThreaded(d); });
  EXPECT_EQ(rig.driver().Counter, 2u);
  EXPECT_FALSE(rig.Finish().has_value());
}

// --- Spin locks -----------------------------------------------------------------------------

TEST_P(RaceDetectorTest, CounterUnderTheSameSpinLockIsSilent) {
  Rig rig(GetParam(), RaceDpcCounterLocked);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterLocked(d); });
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterLocked(d); });
  EXPECT_EQ(rig.driver().Counter, 4u);
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, CounterUnderTheSameInStackQueuedSpinLockIsSilent) {
  Rig rig(GetParam(), RaceDpcCounterQueued);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterQueued(d); });
  rig.Interrupt();
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, CounterTheTestUpdatesWithoutTheDpcsLockIsReported) {
  Rig rig(GetParam(), RaceDpcCounterLocked);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterPlain(d); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_THAT(race->report(), HasSubstr("holding the spin lock at"));
}

// The driver re-initialises its lock in place (as a new lock in a reused stack frame would be):
// the DPC's Counter++ under the new lock shares no lock with the test's under the old one. On two
// vCPUs: on one, the test's Counter++ at DISPATCH_LEVEL cannot meet the DPC's at all.
TEST(RaceDetectorLockTest, CounterUnderALockReinitialisedInPlaceIsReported) {
  Rig rig(2, RaceDpcCounterLocked);
  rig.Call([](PRACE_DEVICE d) { RaceCounterLocked(d); });
  KeInitializeSpinLock(&rig.driver().Lock);
  rig.Interrupts(1);
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine RaceDpc"));
}

// --- KDPCs ---------------------------------------------------------------------------------

// KeInitializeDpc on a queued KDPC (without Verifier, which bug-checks): it still runs once, after
// what its inserter did, so the insert's edge stays.
TEST(RaceDetectorDpcTest, KdpcReinitialisedWhileQueuedKeepsItsQueueEdgeWithoutVerifier) {
  Rig rig(1, RaceDpcCounterPlain, {}, /*connect=*/true, /*verifier=*/false);
  rig.Call([](PRACE_DEVICE d) { RaceCounterPlain(d); });
  PKDPC dpc = &rig.driver().Dpc;
  KIRQL old = PASSIVE_LEVEL;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(dpc, nullptr, nullptr));
  KeInitializeDpc(dpc, dpc->DeferredRoutine, dpc->DeferredContext);
  rig.Call([&](PRACE_DEVICE) { KeLowerIrql(old); });  // the DPC runs: Counter++
  EXPECT_EQ(rig.driver().Counter, 2u);
  EXPECT_FALSE(rig.Finish().has_value());
}

// The same KDPC re-initialised after it ran, then queued by the test's thread again: silent.
TEST_P(RaceDetectorTest, KdpcReinitialisedAfterItRanThenQueuedByTheWriterIsSilent) {
  Rig rig(GetParam(), RaceDpcCounterPlain);
  PKDPC dpc = &rig.driver().Dpc;
  for (int i = 0; i < 2; ++i) {
    rig.Call([](PRACE_DEVICE d) { RaceCounterPlain(d); });
    KeInitializeDpc(dpc, dpc->DeferredRoutine, dpc->DeferredContext);
    (void)KeInsertQueueDpc(dpc, nullptr, nullptr);
    rig.machine().Settle();
    KeFlushQueuedDpcs();
  }
  EXPECT_EQ(rig.driver().Counter, 4u);
  EXPECT_FALSE(rig.Finish().has_value());
}

// --- Interlocked operations -----------------------------------------------------------------

TEST_P(RaceDetectorTest, InterlockedOperationsOnBothSidesAreSilent) {
  Rig rig(GetParam(), RaceDpcAtomic);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceAtomicIncrement(d); });
  rig.Interrupt();
  EXPECT_EQ(rig.driver().Atomic, 3);
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, PlainWriteToAnInterlockedVariableIsReported) {
  Rig rig(GetParam(), RaceDpcAtomic);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceAtomicPlainWrite(d); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("atomic write"));
}

// --- Happens-before edges -------------------------------------------------------------------

TEST_P(RaceDetectorTest, WhatTheIsrHandsToTheDpcItQueuesIsSilent) {
  Rig rig(GetParam(), RaceDpcHandoff);
  rig.Interrupt();
  EXPECT_EQ(rig.driver().Taken, 1u);
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, WhatTheIsrWritesReadByPassiveCodeIsReported) {
  Rig rig(GetParam(), RaceDpcHandoff);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceReadHandoff(d), 1u); });
  EXPECT_TRUE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, ConfigurationWrittenBeforeConnectIsSilent) {
  Rig rig(GetParam(), RaceDpcSynchronizeExecution, {}, /*connect=*/false);
  rig.Call([](PRACE_DEVICE d) { RaceWriteConfig(d, 41); });
  rig.Connect();
  rig.Interrupt();
  EXPECT_EQ(rig.driver().Handoff, 42u);
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, ConfigurationWrittenAfterConnectWithoutTheLockIsReported) {
  Rig rig(GetParam(), RaceDpcSynchronizeExecution);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceWriteConfig(d, 41); });
  EXPECT_TRUE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, StateTheIsrUsedIsFreeAfterDisconnect) {
  Rig rig(GetParam(), RaceDpcSynchronizeExecution);
  rig.Interrupt();
  rig.machine().Settle();
  rig.Call([](PRACE_DEVICE d) { RaceDisconnect(d); });
  rig.Call([](PRACE_DEVICE d) { RaceClearPendingPlain(d); });
  rig.Call([](PRACE_DEVICE d) { RaceWriteConfig(d, 7); });
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, StateTheDpcUsedIsFreeAfterKeFlushQueuedDpcs) {
  Rig rig(GetParam(), RaceDpcCounterPlain);
  rig.Interrupt();
  KeFlushQueuedDpcs();
  rig.Call([](PRACE_DEVICE d) { RaceCounterPlain(d); });
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, StateTheDpcUsedIsFreeAfterKeRemoveQueueDpc) {
  Rig rig(GetParam(), RaceDpcCounterPlain);
  rig.Interrupt();
  (void)KeRemoveQueueDpc(&rig.driver().Dpc);
  rig.Call([](PRACE_DEVICE d) { RaceCounterPlain(d); });
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, StateTheDpcUsedWithoutFlushOrRemoveIsReported) {
  Rig rig(GetParam(), RaceDpcCounterPlain);
  rig.Interrupt();
  rig.Call([](PRACE_DEVICE d) { RaceCounterPlain(d); });
  EXPECT_TRUE(rig.Finish().has_value());
}

// --- Work items and events -----------------------------------------------------------------

TEST_P(RaceDetectorTest, WorkItemInputAndAResultReadAfterItsEventAreSilent) {
  Rig rig(GetParam());
  kemu::Device& device = rig.machine().AddDevice({.name = "work"});
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 21); });
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceWaitForWork(d), 42u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, WorkItemResultReadWithoutWaitingForItsEventIsReported) {
  Rig rig(GetParam());
  kemu::Device& device = rig.machine().AddDevice({.name = "work"});
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 21); });
  rig.machine().Settle();  // the work item runs; nothing orders it before the read
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceReadWorkUnsynchronized(d), 42u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().WorkResult));
  EXPECT_THAT(race->report(), HasSubstr("by the work item routine RaceWork"));
}

// The test's thread raised to DISPATCH_LEVEL cannot be cut into, but the work item's thread,
// writing at PASSIVE_LEVEL, can: the test's thread may run in the middle of it, even on one vCPU.
TEST_P(RaceDetectorTest, WorkItemResultReadAtDispatchLevelWithoutWaitingIsReported) {
  Rig rig(GetParam());
  kemu::Device& device = rig.machine().AddDevice({.name = "work"});
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 21); });
  rig.machine().Settle();
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceReadWorkUnsynchronizedAt(d, DISPATCH_LEVEL), 42u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().WorkResult));
  if (GetParam() == 1) {
    EXPECT_THAT(race->report(), HasSubstr("both run in threads"));
  }
}

// The work item's routine sets WorkDone; then the test's thread re-initialises or resets it, sets
// it itself and waits: the wait learns nothing of the routine, whose result the read races with.
// `forget` is the call between (KeInitializeEvent, KeResetEvent, KeClearEvent, KePulseEvent).
template <typename Forget>
std::optional<kemu::DataRace> ResultAfterTheSignalIsForgotten(unsigned processors, Forget forget) {
  Rig rig(processors);
  kemu::Device& device = rig.machine().AddDevice({.name = "work"});
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 21); });
  rig.machine().Settle();  // the work item runs and sets WorkDone
  forget(&rig.driver().WorkDone);
  (void)KeSetEvent(&rig.driver().WorkDone, IO_NO_INCREMENT, FALSE);
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceWaitForWork(d), 42u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  std::optional<kemu::DataRace> race = rig.Finish();
  if (race) {
    EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().WorkResult));
  }
  return race;
}

TEST_P(RaceDetectorTest, WaitOnAnEventReinitialisedInPlaceLearnsNothingOfTheOldSetter) {
  EXPECT_TRUE(ResultAfterTheSignalIsForgotten(
      GetParam(), [](PRKEVENT event) { KeInitializeEvent(event, NotificationEvent, FALSE); }));
}

TEST_P(RaceDetectorTest, WaitAfterKeResetEventLearnsNothingOfTheSetBeforeIt) {
  EXPECT_TRUE(ResultAfterTheSignalIsForgotten(GetParam(),
                                              [](PRKEVENT event) { (void)KeResetEvent(event); }));
}

TEST_P(RaceDetectorTest, WaitAfterKeClearEventLearnsNothingOfTheSetBeforeIt) {
  EXPECT_TRUE(
      ResultAfterTheSignalIsForgotten(GetParam(), [](PRKEVENT event) { KeClearEvent(event); }));
}

TEST_P(RaceDetectorTest, WaitAfterKePulseEventLearnsNothingOfTheSetsBeforeIt) {
  EXPECT_TRUE(ResultAfterTheSignalIsForgotten(
      GetParam(), [](PRKEVENT event) { (void)KePulseEvent(event, IO_NO_INCREMENT, FALSE); }));
}

// The routine pulses WorkDone while the test's thread waits on it: the wait the pulse satisfied
// learns from it when it returns, after the pulse reset the event.
TEST_P(RaceDetectorTest, WaitSatisfiedByAPulseLearnsFromItAfterTheReset) {
  Rig rig(GetParam());
  kemu::Device& device = rig.machine().AddDevice({.name = "work"});
  rig.driver().WorkPulses = TRUE;
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 21); });
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceWaitForWork(d), 42u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  EXPECT_FALSE(rig.Finish().has_value());
}

// Correct use: WorkDone cleared before the routine sets it, and re-initialised for a second
// work item, which sets it again.
TEST_P(RaceDetectorTest, EventClearedOrReinitialisedBeforeTheRoutineSetsItOrdersItsResult) {
  Rig rig(GetParam());
  kemu::Device& device = rig.machine().AddDevice({.name = "work"});
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 21); });
  KeClearEvent(&rig.driver().WorkDone);  // the item has not run yet
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceWaitForWork(d), 42u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  rig.Call([&](PRACE_DEVICE d) { RaceQueueWork(d, device.pdo(), 5); });  // KeInitializeEvent
  rig.Call([](PRACE_DEVICE d) { EXPECT_EQ(RaceWaitForWork(d), 10u); });
  rig.Call([](PRACE_DEVICE d) { RaceFreeWork(d); });
  EXPECT_FALSE(rig.Finish().has_value());
}

// --- Freed memory: an object at a reused address is a new one ----------------------------------

struct ReuseResult {
  bool reused = false;  ///< the new block got the freed one's address
  std::optional<kemu::DataRace> race;
  std::uintptr_t counter = 0;  ///< the address of RACE_DEVICE::Counter
};

// Counter++ on the test's thread, then a pool block whose Interlocked count it increments is freed
// and another allocated: the host allocator hands the same address to the next block of that size
// (glibc's does), else the test has nothing to show and is skipped. `reference_new`: the test's
// thread increments the new block's count too. Then an interrupt's DPC increments the new block's
// count and the counter.
ReuseResult CounterAfterBlockReuse(unsigned processors, bool reference_new) {
  Rig rig(processors, RaceDpcReferenceBlock);
  PRACE_BLOCK old_block = nullptr;
  PRACE_BLOCK new_block = nullptr;
  rig.Call([&](PRACE_DEVICE d) {
    RaceCounterPlain(d);
    old_block = RaceAllocateBlock();
    RaceReferenceBlock(old_block);
    RaceFreeBlock(old_block);
    new_block = RaceAllocateBlock();
    if (reference_new) RaceReferenceBlock(new_block);
  });
  ReuseResult result;
  result.reused = new_block == old_block;
  result.counter = reinterpret_cast<std::uintptr_t>(&rig.driver().Counter);
  if (result.reused) {
    rig.driver().Block = new_block;
    rig.Interrupts(1);
  }
  if (!rig.machine().crashed()) rig.Call([&](PRACE_DEVICE) { RaceFreeBlock(new_block); });
  result.race = rig.Finish();
  return result;
}

TEST_P(RaceDetectorTest, InterlockedCountOfAFreedBlockOrdersNothingForTheNextBlockThere) {
  const ReuseResult result = CounterAfterBlockReuse(GetParam(), /*reference_new=*/false);
  if (!result.reused) GTEST_SKIP() << "the host allocator did not reuse the freed block";
  ASSERT_TRUE(result.race.has_value());
  EXPECT_EQ(result.race->address(), result.counter);
  EXPECT_THAT(result.race->report(), HasSubstr("by the DPC routine RaceDpc"));
  EXPECT_THAT(result.race->report(), HasSubstr("RaceCounterPlain"));
}

TEST_P(RaceDetectorTest, InterlockedCountOfTheNextBlockAtAFreedOnesAddressOrdersItsUsers) {
  const ReuseResult result = CounterAfterBlockReuse(GetParam(), /*reference_new=*/true);
  if (!result.reused) GTEST_SKIP() << "the host allocator did not reuse the freed block";
  EXPECT_FALSE(result.race.has_value());
}

// --- Stack memory and annotations -----------------------------------------------------------

TEST_P(RaceDetectorTest, AContextsOwnStackFramesAreNotTracked) {
  Rig rig(GetParam(), RaceDpcStack);
  EXPECT_FALSE(rig.Interrupts(4).has_value());
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, BenignAnnotationsSilenceTheMarkedAccessesOnly) {
  Rig rig(GetParam(), RaceDpcBenign);
  rig.Call([](PRACE_DEVICE d) { RaceMarkDiagnosticsBenign(d); });
  EXPECT_FALSE(rig.Interrupts(4).has_value());
  EXPECT_FALSE(rig.Finish().has_value());
}

TEST_P(RaceDetectorTest, UnmarkedDiagnosticsCounterIsReported) {
  Rig rig(GetParam(), RaceDpcBenign);
  const std::optional<kemu::DataRace> race = rig.Interrupts(4);
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Diagnostics));
}

// --- Options, delivery and exploration ------------------------------------------------------

TEST(RaceDetectorOptionsTest, RaceDetectionOffReportsNothing) {
  kemu::Machine machine({.race_detection = false});
  kemu::Device& device =
      machine.AddDevice({.name = "race",
                         .line = kemu::LineInterrupt{
                             .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}});
  RACE_DEVICE driver{};
  driver.DpcMode = RaceDpcUnsynchronized;
  ASSERT_EQ(RaceConnect(&driver, kVector, kDirql), STATUS_SUCCESS);
  for (int i = 0; i < 3; ++i) device.PulseLine();
  RaceDisconnect(&driver);
  EXPECT_NO_THROW(machine.Shutdown());
}

TEST(RaceDetectorOptionsTest, RecordedRaceIsKeptAndTheMachineGoesOn) {
  kemu::Machine machine({.on_bug_check = kemu::BugCheckAction::kRecord});
  kemu::Device& device =
      machine.AddDevice({.name = "race",
                         .line = kemu::LineInterrupt{
                             .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}});
  RACE_DEVICE driver{};
  driver.DpcMode = RaceDpcUnsynchronized;
  ASSERT_EQ(RaceConnect(&driver, kVector, kDirql), STATUS_SUCCESS);
  for (int i = 0; i < 3; ++i) device.PulseLine();
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_EQ(machine.bug_checks()[0].code(), kemu::bugcheck::kDataRace);
  EXPECT_EQ(machine.bug_checks()[0].name(), "KEMU_DATA_RACE");
  EXPECT_FALSE(machine.crashed());
  RaceDisconnect(&driver);
  machine.Shutdown();
}

TEST(RaceDetectorOptionsTest, TheRaceIsAnInstantInTheTrace) {
  Rig rig(1);
  ASSERT_TRUE(rig.Interrupts(3).has_value());
  EXPECT_THAT(rig.machine().TraceJson(), HasSubstr(R"("name":"data race","cat":"race","ph":"i")"));
}

TEST(RaceDetectorOptionsTest, DestroyedMachineHandsThePendingRaceToTheFailureHandler) {
  static std::string reported;
  reported.clear();
  const kemu::FailureHandler previous =
      kemu::SetFailureHandler([](const kemu::BugCheck& failure) { reported = failure.report(); });
  {
    Rig rig(1, RaceDpcCounterLocked);
    rig.Interrupt();
    RaceCounterPlain(&rig.driver());  // no kernel call after it: the race is still pending
  }
  kemu::SetFailureHandler(previous);
  EXPECT_THAT(reported, HasSubstr("*** kemu DATA RACE"));
}

// Detection does not depend on the schedule meeting the race: every explored schedule reports
// the unsynchronised DPC, and none reports the synchronised one.
TEST(RaceDetectorScheduleTest, EveryExploredScheduleFindsTheRaceAndOnlyIt) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
      const kemu::ScheduleOptions schedule{.strategy = strategy, .seed = seed};
      Rig buggy(2, RaceDpcUnsynchronized, schedule);
      EXPECT_TRUE(buggy.Interrupts(3).has_value()) << "seed " << seed;
      EXPECT_TRUE(buggy.Finish().has_value()) << "seed " << seed;
      Rig correct(2, RaceDpcSynchronizeExecution, schedule);
      const std::optional<kemu::DataRace> race = correct.Interrupts(3);
      EXPECT_FALSE(race.has_value()) << "seed " << seed << "\n" << (race ? race->report() : "");
      EXPECT_FALSE(correct.Finish().has_value()) << "seed " << seed;
    }
  }
}

}  // namespace
