// The race detector (emu/race/detector_lifetime.cpp) driven directly, as the kernel model drives
// it, for objects initialised in place and events reset: a stack frame reused by a later call
// holds a new KEVENT, KDPC or KSPIN_LOCK at an earlier one's address, with no free in between.
// The new object must inherit no happens-before edge and no lock identity from the earlier one,
// else a race between their users is missed. Each miss has a test, and so has the correct use
// next to it, which must stay silent.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>

#include "fake_race_host.hpp"
#include "race/detector.hpp"

namespace {

using ::testing::HasSubstr;

using kemu::race::fakes::FakeHost;
using kemu::race::fakes::InstrumentedLoaded;

constexpr unsigned kOtherCpu = 1;
constexpr std::uint64_t kOtherCpuMask = std::uint64_t{1} << kOtherCpu;
// Not on any stack the detector skips (frames lie below the caller's frame address).
constexpr std::uintptr_t kNoFrame = ~std::uintptr_t{0};
const void* const kFirstRoutine = reinterpret_cast<const void*>(0x1110);
const void* const kSecondRoutine = reinterpret_cast<const void*>(0x2220);
const void* const kWorkRoutine = reinterpret_cast<const void*>(0x3330);

class DetectorReinitTest : public ::testing::Test {
 protected:
  /// A driver write of 4 bytes to `shared_` by whatever runs now.
  void WriteShared() {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(&shared_), 4, true, false, 0x4000,
                       kNoFrame);
  }
  /// Runs a DPC routine for the KDPC at `dpc` on vCPU 1; `body` makes its accesses.
  template <typename Body>
  void RunDpc(const void* dpc, const void* routine, Body body) {
    host_.cpu = kOtherCpu;
    host_.irql = DISPATCH_LEVEL;
    detector_.BeginDpc(dpc, routine, kOtherCpuMask, kOtherCpu, nullptr);
    body();
    detector_.End(kOtherCpu);
    host_.cpu = 0;
    host_.irql = PASSIVE_LEVEL;
  }
  /// Runs a work item's routine (PASSIVE_LEVEL, any vCPU) on vCPU 1: it waits on events.
  template <typename Body>
  void RunWorkItem(Body body) {
    host_.cpu = kOtherCpu;
    detector_.BeginWorkItem(&work_item_, kWorkRoutine, kOtherCpu, nullptr);
    body();
    detector_.End(kOtherCpu);
    host_.cpu = 0;
  }
  /// A wait on `event` satisfied by its signals, then a write, by a work item's routine.
  void WaitThenWriteShared(const void* event) {
    RunWorkItem([&] {
      detector_.Acquire(event);
      WriteShared();
    });
  }
  /// A DPC routine sets `event` (KeSetEvent), knowing nothing of the test thread's write.
  void SetByADpc(const void* event) {
    RunDpc(&other_dpc_, kFirstRoutine, [&] { detector_.Release(event); });
  }
  /// A write of `shared_` under the spin lock at `lock`, by whatever runs now.
  void WriteSharedUnder(const void* lock) {
    detector_.LockAcquired(lock);
    WriteShared();
    detector_.LockReleased(lock);
  }
  std::optional<kemu::DataRace> Race() {
    detector_.RaisePending();
    return host_.raised;
  }

  FakeHost host_;
  const bool loaded_ = InstrumentedLoaded();
  kemu::race::Detector detector_{host_, /*race_detection=*/true, /*processors=*/2};
  /// A stack slot that holds one object, then another.
  alignas(16) std::array<std::uint64_t, 8> slot_{};
  const void* object_ = slot_.data();
  alignas(8) std::uint32_t shared_ = 0;
  std::uint64_t other_dpc_ = 0;
  std::uint64_t work_item_ = 0;
};

TEST_F(DetectorReinitTest, DetectionIsOnForTheseTests) { EXPECT_TRUE(detector_.enabled()); }

// --- Events (and timers, which the kernel initialises the same way) -------------------------

// The test's thread sets an event in a frame that returns; a later frame initialises a new event
// there, which a DPC sets. A wait on the new event learns what the DPC did, not the test's write.
TEST_F(DetectorReinitTest, EventInitialisedWhereAnotherWasInheritsNoSignal) {
  WriteShared();
  detector_.Release(object_);  // KeSetEvent on the old event
  detector_.ObjectInitialized(object_);
  SetByADpc(object_);
  WaitThenWriteShared(object_);
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&shared_));
  EXPECT_THAT(race->report(), HasSubstr("by the test's thread"));
  EXPECT_THAT(race->report(), HasSubstr("by the work item routine 0x3330"));
}

TEST_F(DetectorReinitTest, EventInitialisedThenSetByTheWriterOrdersTheWaiter) {
  detector_.Release(object_);
  detector_.ObjectInitialized(object_);
  WriteShared();
  detector_.Release(object_);
  WaitThenWriteShared(object_);
  EXPECT_FALSE(Race().has_value());
}

// KeResetEvent or KeClearEvent between the test's set and the DPC's: the waiter learns only the
// DPC's.
TEST_F(DetectorReinitTest, ResetEventDropsTheSignalsBeforeIt) {
  WriteShared();
  detector_.Release(object_);
  detector_.ClearSync(object_);
  SetByADpc(object_);
  WaitThenWriteShared(object_);
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&shared_));
}

TEST_F(DetectorReinitTest, SignalAfterAResetOrdersTheWaiter) {
  detector_.Release(object_);
  detector_.ClearSync(object_);
  WriteShared();
  detector_.Release(object_);
  WaitThenWriteShared(object_);
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorReinitTest, ResettingAnotherEventKeepsThisOnesSignals) {
  WriteShared();
  detector_.Release(object_);
  detector_.ClearSync(&slot_[1]);
  detector_.ObjectInitialized(&slot_[2]);
  WaitThenWriteShared(object_);
  EXPECT_FALSE(Race().has_value());
}

// --- KDPCs ----------------------------------------------------------------------------------

// The old KDPC was queued (and removed unrun); a new KDPC initialised at its address is queued by
// no one the test's thread ordered with.
TEST_F(DetectorReinitTest, KdpcInitialisedWhereAnotherWasInheritsNoQueueEdge) {
  WriteShared();
  detector_.Release(object_);  // KeInsertQueueDpc of the old KDPC
  detector_.ObjectInitialized(object_);
  RunDpc(object_, kSecondRoutine, [&] { WriteShared(); });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine 0x2220"));
}

// The old KDPC's routine learned the test's write; the new one's, on the same vCPU, did not.
TEST_F(DetectorReinitTest, KdpcInitialisedWhereAnotherWasKnowsNothingItsRoutineLearned) {
  WriteShared();
  detector_.Release(object_);
  RunDpc(object_, kFirstRoutine, [] {});
  detector_.ObjectInitialized(object_);
  RunDpc(object_, kSecondRoutine, [&] { WriteShared(); });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine 0x2220"));
}

// KeRemoveQueueDpc of the new KDPC says nothing of the old one's routine.
TEST_F(DetectorReinitTest, KdpcInitialisedWhereAnotherWasPublishesNoOldRoutineEnd) {
  RunDpc(object_, kFirstRoutine, [&] { WriteShared(); });
  detector_.ObjectInitialized(object_);
  detector_.Acquire(static_cast<const char*>(object_) + 1);  // KeRemoveQueueDpc
  WriteShared();
  EXPECT_TRUE(Race().has_value());
}

TEST_F(DetectorReinitTest, KdpcInitialisedThenQueuedByTheWriterOrdersItsRoutine) {
  detector_.ObjectInitialized(object_);
  WriteShared();
  detector_.Release(object_);
  RunDpc(object_, kFirstRoutine, [&] { WriteShared(); });
  EXPECT_FALSE(Race().has_value());
}

// A routine re-initialising its own KDPC (dequeued, so allowed) keeps what it learned, and its
// end still orders KeRemoveQueueDpc's caller.
TEST_F(DetectorReinitTest, KdpcReinitialisedByItsRunningRoutineKeepsItsEdges) {
  WriteShared();
  detector_.Release(object_);
  RunDpc(object_, kFirstRoutine, [&] {
    detector_.ObjectInitialized(object_);
    WriteShared();
  });
  detector_.Acquire(static_cast<const char*>(object_) + 1);
  WriteShared();
  EXPECT_FALSE(Race().has_value());
}

// --- Spin locks -----------------------------------------------------------------------------

// A stack lock the test's thread wrote under, then a new lock initialised at its address that a
// DPC writes under: two locks, no common one.
TEST_F(DetectorReinitTest, LockInitialisedWhereAnotherWasSharesNoIdentityWithIt) {
  detector_.LockInitialized(object_);
  WriteSharedUnder(object_);
  detector_.LockInitialized(object_);
  RunDpc(&other_dpc_, kFirstRoutine, [&] { WriteSharedUnder(object_); });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(),
              HasSubstr("holding the spin lock at " + fmt::format("{}", object_) +
                        " (an earlier lock there: KeInitializeSpinLock or a free began another "
                        "since)\n"));
  EXPECT_THAT(race->report(),
              HasSubstr("holding the spin lock at " + fmt::format("{}", object_) + "\n"));
}

TEST_F(DetectorReinitTest, LockInitialisedOnceProtectsBothSides) {
  detector_.LockInitialized(object_);
  WriteSharedUnder(object_);
  RunDpc(&other_dpc_, kFirstRoutine, [&] { WriteSharedUnder(object_); });
  detector_.LockInitialized(&slot_[1]);  // another lock: this one stays
  WriteSharedUnder(object_);
  EXPECT_FALSE(Race().has_value());
}

// KeInitializeSpinLock on a lock the test's thread holds (a driver bug Windows lets zero the
// word): the test's thread holds it no more.
TEST_F(DetectorReinitTest, ReinitialisingAHeldLockReleasesIt) {
  detector_.LockInitialized(object_);
  detector_.LockAcquired(object_);
  detector_.LockInitialized(object_);
  WriteShared();
  RunDpc(&other_dpc_, kFirstRoutine, [&] { WriteSharedUnder(object_); });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("holding no spin lock"));
}

// A lock used without KeInitializeSpinLock (zeroed pool) whose block is freed: a lock used the
// same way in the next block at that address is another lock.
TEST_F(DetectorReinitTest, UninitialisedLockInAFreedBlockIsAnotherLockThanTheNextThere) {
  WriteSharedUnder(object_);
  detector_.Forget(slot_.data(), sizeof(slot_));
  RunDpc(&other_dpc_, kFirstRoutine, [&] { WriteSharedUnder(object_); });
  EXPECT_TRUE(Race().has_value());
}

}  // namespace
