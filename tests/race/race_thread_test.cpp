// The race detector and a driver's own system threads (race_thread_driver.c): a system thread is a
// logical thread of its own, ordered by its creation, by the events it sets and by its end, and
// protected by the locks it holds; its DPCs and ISRs preempt it, other threads interleave with it
// (docs/concurrency.md, "Race detection").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "kemu/kemu.hpp"
#include "race_driver.h"
#include "race_thread_driver.h"

namespace {

using ::testing::HasSubstr;

constexpr ULONG kVector = 0x61;
constexpr KIRQL kDirql = 6;

// A machine with the race driver connected and one of its system threads.
class ThreadRig {
 public:
  explicit ThreadRig(unsigned processors, RACE_DPC_MODE mode = RaceDpcCounterLocked,
                     kemu::ScheduleOptions schedule = {})
      : machine_({.processors = processors, .schedule = schedule}) {
    device_ =
        &machine_.AddDevice({.name = "race",
                             .line = kemu::LineInterrupt{
                                 .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}});
    driver_.DpcMode = mode;
    ExInitializeResourceLite(&driver_.Resource);
    status_ = RaceConnect(&driver_, kVector, kDirql);
  }

  /// Runs driver code (or the machine); the first race it raises is kept for Finish.
  template <typename F>
  void Call(F step) {
    if (race_) return;
    try {
      step();
    } catch (const kemu::DataRace& race) {
      race_ = race;
    }
  }
  void Start(RACE_THREAD_MODE mode) {
    Call([&] { EXPECT_EQ(RaceStartThread(&thread_, &driver_, mode), STATUS_SUCCESS); });
  }
  /// One interrupt: the ISR queues the DPC, which does what the DPC mode says.
  void Interrupt() {
    Call([&] {
      device_->PulseLine();
      machine_.Settle();
    });
  }
  void Settle() {
    Call([&] { machine_.Settle(); });
  }
  void Join() {
    Call([&] { RaceJoinThread(&thread_); });
  }
  /// The stop path, then the machine's end: the first race, if any.
  std::optional<kemu::DataRace> Finish() {
    if (thread_.Object != nullptr) Join();
    Call([&] {
      RaceDisconnect(&driver_);
      ExDeleteResourceLite(&driver_.Resource);
      machine_.Shutdown();
    });
    return race_;
  }

  RACE_DEVICE& driver() { return driver_; }
  RACE_THREAD& thread() { return thread_; }
  NTSTATUS status() const { return status_; }

 private:
  kemu::Machine machine_;
  kemu::Device* device_ = nullptr;
  RACE_DEVICE driver_{};
  RACE_THREAD thread_{};
  NTSTATUS status_ = STATUS_UNSUCCESSFUL;
  std::optional<kemu::DataRace> race_;
};

class RaceThreadTest : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(, RaceThreadTest, ::testing::Values(1u, 2u),
                         [](const auto& info) { return std::to_string(info.param) + "cpu"; });

// --- The thread against its DPC: the lockset -------------------------------------------------

// The driver teams' usual worker-thread bug: the DPC counts under the lock, the thread without it.
TEST_P(RaceThreadTest, AThreadCountingWithoutTheDpcsSpinLockIsReported) {
  ThreadRig rig(GetParam(), RaceDpcCounterLocked);
  ASSERT_EQ(rig.status(), STATUS_SUCCESS);
  rig.Start(RaceThreadCounterPlain);
  rig.Interrupt();
  rig.Settle();
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->code(), kemu::bugcheck::kDataRace);
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_EQ(race->parameter(1), sizeof(ULONG));
  EXPECT_THAT(race->report(), HasSubstr("by the system thread RaceCounterThread (thread object"));
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine RaceDpc"));
  EXPECT_THAT(race->report(), HasSubstr("race_thread_driver.c:"));
  if (GetParam() == 1) {
    EXPECT_THAT(race->report(),
                HasSubstr("the earlier can interrupt the later: it runs at IRQL 2"));
  }
}

TEST_P(RaceThreadTest, AThreadCountingUnderTheDpcsSpinLockIsSilent) {
  ThreadRig rig(GetParam(), RaceDpcCounterLocked);
  rig.Start(RaceThreadCounterLocked);
  rig.Interrupt();
  rig.Settle();
  rig.Interrupt();
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(rig.driver().Counter, 3u);
}

// The other common one: the thread reads a flag the ISR sets and the DPC clears, both under the
// interrupt spin lock, without taking it.
TEST_P(RaceThreadTest, AThreadReadingTheDpcsFlagWithoutALockIsReported) {
  ThreadRig rig(GetParam(), RaceDpcInterruptSpinLock);
  rig.Start(RaceThreadPollsPending);
  rig.Interrupt();
  rig.Settle();
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("by the system thread RaceCounterThread"));
}

// --- The thread against the test's thread: happens-before edges ------------------------------

TEST_P(RaceThreadTest, TheTestReadingWhatTheThreadWroteWithoutWaitingIsReported) {
  ThreadRig rig(GetParam());
  rig.Start(RaceThreadResult);
  rig.Settle();
  rig.Call([&] { EXPECT_EQ(RaceReadThreadResult(&rig.thread()), 42u); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.thread().Result));
  EXPECT_THAT(race->report(), HasSubstr("by the system thread RaceCounterThread"));
  EXPECT_THAT(race->report(), HasSubstr("by the test's thread"));
}

TEST_P(RaceThreadTest, TheThreadsWriteBeforeKeSetEventIsOrderedBeforeTheWaitersRead) {
  ThreadRig rig(GetParam());
  rig.Start(RaceThreadResult);
  rig.Call([&] { EXPECT_EQ(RaceWaitForThreadResult(&rig.thread()), 42u); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
}

TEST_P(RaceThreadTest, TheThreadsEndIsOrderedBeforeAWaitOnItsObject) {
  ThreadRig rig(GetParam());
  rig.Start(RaceThreadResult);
  rig.Join();
  rig.Call([&] { EXPECT_EQ(RaceReadThreadResult(&rig.thread()), 42u); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
}

// What the test did before PsCreateSystemThread happens before the thread's first step.
TEST_P(RaceThreadTest, TheCreatorsWritesAreOrderedBeforeTheThread) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);  // the DPC leaves Counter alone
  rig.Call([&] { RaceCounterPlain(&rig.driver()); });
  rig.Start(RaceThreadCounterPlain);
  rig.Join();
  rig.Call([&] { RaceCounterPlain(&rig.driver()); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(rig.driver().Counter, 3u);
}

// --- The thread against the test's thread: locks and interleaving ----------------------------

TEST_P(RaceThreadTest, TheThreadAndTheTestCountingWithoutALockAreReported) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);
  rig.Start(RaceThreadCounterPlain);
  rig.Settle();
  rig.Call([&] { RaceCounterPlain(&rig.driver()); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("by the system thread RaceCounterThread"));
  if (GetParam() == 1) {
    EXPECT_THAT(race->report(), HasSubstr("both run in threads"));
  }
}

TEST_P(RaceThreadTest, TheThreadAndTheTestCountingUnderAnExecutiveResourceAreSilent) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);
  rig.Start(RaceThreadCounterResource);
  rig.Settle();
  rig.Call([&] { RaceCounterUnderResource(&rig.driver(), TRUE); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(rig.driver().Counter, 2u);
}

TEST_P(RaceThreadTest, TheThreadAndTheTestCountingUnderAFastMutexAreSilent) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);
  rig.Start(RaceThreadCounterFastMutex);
  rig.Settle();
  rig.Call([&] { RaceCounterUnderFastMutex(&rig.thread()); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(rig.driver().Counter, 2u);
}

TEST_P(RaceThreadTest, TheTestCountingWithoutTheThreadsFastMutexIsReported) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);
  rig.Start(RaceThreadCounterFastMutex);
  rig.Settle();
  rig.Call([&] { RaceCounterPlain(&rig.driver()); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_THAT(race->report(), HasSubstr("by the system thread RaceCounterThread"));
  // The report says what the lock is.
  EXPECT_THAT(race->report(), HasSubstr("holding the fast mutex at"));
}

TEST_P(RaceThreadTest, TheTestCountingWithoutTheThreadsExecutiveResourceIsReported) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);
  rig.Start(RaceThreadCounterResource);
  rig.Settle();
  rig.Call([&] { RaceCounterPlain(&rig.driver()); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_THAT(race->report(), HasSubstr("holding the executive resource at"));
}

// Two threads at DISPATCH_LEVEL on the only vCPU cannot cut into each other; on two they can.
TEST(RaceThreadInterleavingTest, AThreadAndTheTestAtDispatchLevelMeetOnlyOnTwoVcpus) {
  for (const unsigned processors : {1u, 2u}) {
    ThreadRig rig(processors, RaceDpcAtomic);
    rig.Start(RaceThreadCounterAtDispatch);
    rig.Settle();
    rig.Call([&] { RaceCounterAt(&rig.driver(), DISPATCH_LEVEL); });
    EXPECT_EQ(rig.Finish().has_value(), processors == 2) << processors << " vCPUs";
  }
}

// --- A thread that moves between processors (KeSetSystemAffinityThreadEx) ---------------------

// Its accesses on every vCPU are one thread's, in program order, and its end happens before the
// stop path's wait: no report, whichever vCPU each access ran on.
TEST_P(RaceThreadTest, AThreadCountingOnEveryProcessorInTurnIsOneThread) {
  ThreadRig rig(GetParam(), RaceDpcAtomic);
  rig.Start(RaceThreadEveryProcessor);
  rig.Join();
  rig.Call([&] { RaceCounterPlain(&rig.driver()); });
  const std::optional<kemu::DataRace> race = rig.Finish();
  EXPECT_FALSE(race.has_value()) << race->report();
  EXPECT_EQ(rig.driver().Counter, GetParam() + 1);
}

TEST_P(RaceThreadTest, AThreadMovingBetweenProcessorsWithoutTheDpcsSpinLockIsReported) {
  ThreadRig rig(GetParam(), RaceDpcCounterLocked);
  rig.Start(RaceThreadEveryProcessor);
  rig.Interrupt();
  rig.Settle();
  const std::optional<kemu::DataRace> race = rig.Finish();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&rig.driver().Counter));
  EXPECT_THAT(race->report(), HasSubstr("by the system thread RaceCounterThread"));
}

TEST(RaceThreadScheduleTest, AThreadMovingBetweenProcessorsIsReportedOnlyWithoutTheLock) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
      const kemu::ScheduleOptions schedule{.strategy = strategy, .seed = seed};
      const std::string where = "seed " + std::to_string(seed);
      ThreadRig buggy(2, RaceDpcCounterLocked, schedule);
      buggy.Start(RaceThreadEveryProcessor);
      buggy.Interrupt();
      buggy.Settle();
      EXPECT_TRUE(buggy.Finish().has_value()) << where;

      ThreadRig locked(2, RaceDpcCounterLocked, schedule);
      locked.Start(RaceThreadEveryProcessorLocked);
      locked.Interrupt();
      locked.Settle();
      const std::optional<kemu::DataRace> race = locked.Finish();
      EXPECT_FALSE(race.has_value()) << where << "\n" << (race ? race->report() : "");
      EXPECT_EQ(locked.driver().Counter, 3u) << where;
    }
  }
}

// --- Explored schedules ------------------------------------------------------------------------

// Whatever order the schedule gives the thread, the ISR, the DPC and the test, the unlocked
// thread is reported and the correct patterns are not.
TEST(RaceThreadScheduleTest, EveryExploredScheduleReportsTheUnlockedThreadAndOnlyIt) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    for (kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
      for (const unsigned processors : {1u, 2u}) {
        const kemu::ScheduleOptions schedule{.strategy = strategy, .seed = seed};
        const std::string where =
            "seed " + std::to_string(seed) + ", " + std::to_string(processors) + " vCPUs";
        ThreadRig buggy(processors, RaceDpcCounterLocked, schedule);
        buggy.Start(RaceThreadCounterPlain);
        buggy.Interrupt();
        buggy.Settle();
        EXPECT_TRUE(buggy.Finish().has_value()) << where;

        ThreadRig locked(processors, RaceDpcCounterLocked, schedule);
        locked.Start(RaceThreadCounterLocked);
        locked.Interrupt();
        locked.Settle();
        std::optional<kemu::DataRace> race = locked.Finish();
        EXPECT_FALSE(race.has_value()) << where << "\n" << (race ? race->report() : "");

        ThreadRig event(processors, RaceDpcCounterLocked, schedule);
        event.Start(RaceThreadResult);
        event.Call([&] { EXPECT_EQ(RaceWaitForThreadResult(&event.thread()), 42u); });
        race = event.Finish();
        EXPECT_FALSE(race.has_value()) << where << "\n" << (race ? race->report() : "");

        ThreadRig joined(processors, RaceDpcCounterLocked, schedule);
        joined.Start(RaceThreadResult);
        joined.Join();
        joined.Call([&] { EXPECT_EQ(RaceReadThreadResult(&joined.thread()), 42u); });
        race = joined.Finish();
        EXPECT_FALSE(race.has_value()) << where << "\n" << (race ? race->report() : "");
      }
    }
  }
}

}  // namespace
