// The race detector (emu/race/detector.cpp) driven directly, as the kernel model drives it: a
// fake host says which vCPU runs, and the test plays the kernel (context begin and end, the
// happens-before edges of queueing and flushing) and the instrumented driver (accesses).
//
// These tests cover Forget: freed memory takes with it every edge and name the detector keeps
// under an address inside it, so an object placed later at the same address (pool reuse) starts
// with none. Otherwise a new object would order accesses it never saw, hiding a race.
#include "race/detector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "fake_race_host.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using kemu::race::fakes::FakeHost;
using kemu::race::fakes::InstrumentedLoaded;

constexpr unsigned kDpcCpu = 1;
constexpr std::uint64_t kDpcCpuMask = std::uint64_t{1} << kDpcCpu;
constexpr std::uint64_t kAnyCpu = 0b11;
// Not on any stack the detector skips (frames lie below the caller's frame address).
constexpr std::uintptr_t kNoFrame = ~std::uintptr_t{0};
const void* const kFirstRoutine = reinterpret_cast<const void*>(0x1110);
const void* const kSecondRoutine = reinterpret_cast<const void*>(0x2220);

class DetectorForgetTest : public ::testing::Test {
 protected:
  /// A driver write (or atomic read-modify-write) of 4 bytes by whatever runs now.
  void Write(const void* address, std::uintptr_t pc = 0x4000) {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(address), 4, true, false, pc, kNoFrame);
  }
  void Interlocked(const void* address) {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(address), 4, true, true, 0x4100, kNoFrame);
  }
  /// Runs a DPC routine for the KDPC at `dpc` on vCPU 1; `body` makes its accesses.
  template <typename Body>
  void RunDpc(const void* dpc, const void* routine, std::uint64_t cpu_mask, Body body) {
    host_.cpu = kDpcCpu;
    host_.irql = DISPATCH_LEVEL;
    detector_.BeginDpc(dpc, routine, cpu_mask, kDpcCpu, nullptr);
    body();
    detector_.End(kDpcCpu);
    host_.cpu = 0;
    host_.irql = PASSIVE_LEVEL;
  }
  /// The pool block is freed (ExFreePool): a new one may take its address.
  void FreeBlock() { detector_.Forget(block_.data(), block_.size()); }
  /// The race found, if any.
  std::optional<kemu::DataRace> Race() {
    detector_.RaisePending();
    return host_.raised;
  }
  /// The race of a write under `lock` by the test with one by a DPC routine holding no lock.
  std::optional<kemu::DataRace> RaceOfAWriteUnder(const void* lock) {
    detector_.LockAcquired(lock);
    Write(&shared_);
    detector_.LockReleased(lock);
    RunDpc(kdpc_, kFirstRoutine, kDpcCpuMask, [&] { Write(&shared_); });
    return Race();
  }

  FakeHost host_;
  const bool loaded_ = InstrumentedLoaded();
  kemu::race::Detector detector_{host_, /*race_detection=*/true, /*processors=*/2};
  /// A driver's pool block, reused for a new object after FreeBlock; `shared_` lies outside it.
  alignas(16) std::array<std::uint8_t, 64> block_{};
  alignas(8) std::uint32_t shared_ = 0;
  /// Objects outside the block: another KDPC, a connection record, a driver's spin lock.
  std::array<std::uint64_t, 3> elsewhere_{};
  const void* kdpc_ = &block_[16];  ///< a KDPC inside the block
};

TEST_F(DetectorForgetTest, DetectionIsOnForTheseTests) { EXPECT_TRUE(detector_.enabled()); }

// KeInsertQueueDpc publishes the caller's history under the KDPC. That KDPC's block is freed
// unrun; a new KDPC at its address, queued by no one the test thread ordered with, runs.
TEST_F(DetectorForgetTest, NewKdpcAtAFreedOnesAddressDoesNotInheritItsQueueEdge) {
  Write(&shared_);
  detector_.Release(kdpc_);  // the old KDPC queued
  FreeBlock();
  RunDpc(kdpc_, kSecondRoutine, kDpcCpuMask, [&] { Write(&shared_); });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&shared_));
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine 0x2220"));
}

TEST_F(DetectorForgetTest, NewKdpcQueuedAfterTheWriteIsOrderedWithIt) {
  Write(&shared_);
  detector_.Release(kdpc_);
  FreeBlock();
  detector_.Release(kdpc_);  // the new KDPC queued by the writer
  RunDpc(kdpc_, kSecondRoutine, kDpcCpuMask, [&] { Write(&shared_); });
  EXPECT_FALSE(Race().has_value());
}

// An Interlocked reference count in the block orders the threads that use it. A new count at
// its address, used by the DPC only, orders nothing with the test thread's earlier write.
TEST_F(DetectorForgetTest, NewInterlockedVariableAtAFreedOnesAddressOrdersNothingOld) {
  const void* other_dpc = &elsewhere_[0];
  Write(&shared_);
  Interlocked(&block_[0]);
  FreeBlock();
  RunDpc(other_dpc, kFirstRoutine, kDpcCpuMask, [&] {
    Interlocked(&block_[0]);
    Write(&shared_);
  });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&shared_));
}

TEST_F(DetectorForgetTest, NewInterlockedVariableBothSidesUseOrdersThem) {
  const void* other_dpc = &elsewhere_[0];
  Interlocked(&block_[0]);
  FreeBlock();
  Write(&shared_);
  Interlocked(&block_[0]);
  RunDpc(other_dpc, kFirstRoutine, kDpcCpuMask, [&] {
    Interlocked(&block_[0]);
    Write(&shared_);
  });
  EXPECT_FALSE(Race().has_value());
}

// The routine of a freed KDPC learned the test thread's write when it was queued; the routine of a
// new KDPC at its address, queued by no one who saw the write, did not. Reports name it.
TEST_F(DetectorForgetTest, NewKdpcAtAFreedOnesAddressKnowsNothingTheOldRoutineLearned) {
  Write(&shared_, 0x5000);
  detector_.Release(kdpc_);
  RunDpc(kdpc_, kFirstRoutine, kDpcCpuMask, [] {});
  FreeBlock();
  RunDpc(kdpc_, kSecondRoutine, kDpcCpuMask, [&] { Write(&shared_, 0x6000); });
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("The earlier write of 4 bytes at"));
  EXPECT_THAT(race->report(), HasSubstr("by the test's thread"));
  EXPECT_THAT(race->report(), HasSubstr("Then a write of 4 bytes at"));
  EXPECT_THAT(race->report(), HasSubstr("by the DPC routine 0x2220"));
}

// The same when the routine frees its own KDPC's block as it runs: it ends knowing nothing.
TEST_F(DetectorForgetTest, KdpcFreedByItsOwnRoutineLeavesNothingToTheNextAtItsAddress) {
  Write(&shared_);
  detector_.Release(kdpc_);
  RunDpc(kdpc_, kFirstRoutine, kDpcCpuMask, [&] { FreeBlock(); });
  RunDpc(kdpc_, kSecondRoutine, kDpcCpuMask, [&] { Write(&shared_); });
  EXPECT_TRUE(Race().has_value());
}

// A routine that frees its own KDPC's block keeps what it learned until it returns.
TEST_F(DetectorForgetTest, RoutineThatFreesItsOwnKdpcKeepsWhatItLearnedUntilItReturns) {
  Write(&shared_);
  detector_.Release(kdpc_);
  RunDpc(kdpc_, kFirstRoutine, kDpcCpuMask, [&] {
    FreeBlock();
    Write(&shared_);
  });
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorForgetTest, NewKdpcAfterAFlushIsOrderedWithTheFreedOnesRoutine) {
  RunDpc(kdpc_, kFirstRoutine, kAnyCpu, [&] { Write(&shared_); });
  detector_.Acquire(nullptr);  // KeFlushQueuedDpcs
  FreeBlock();
  detector_.Release(kdpc_);
  RunDpc(kdpc_, kSecondRoutine, kAnyCpu, [&] { Write(&shared_); });
  EXPECT_FALSE(Race().has_value());
}

// A routine that frees the block of its own KDPC as it runs: its end is not published under that
// address, where KeRemoveQueueDpc of a new KDPC would find it.
TEST_F(DetectorForgetTest, RoutineThatFreesItsOwnKdpcPublishesNothingThere) {
  RunDpc(kdpc_, kFirstRoutine, kAnyCpu, [&] {
    Write(&shared_);
    FreeBlock();
  });
  detector_.Acquire(static_cast<const char*>(kdpc_) + 1);  // KeRemoveQueueDpc(new KDPC)
  Write(&shared_);
  EXPECT_TRUE(Race().has_value());
}

TEST_F(DetectorForgetTest, KeRemoveQueueDpcOfALiveKdpcOrdersItsRoutine) {
  RunDpc(kdpc_, kFirstRoutine, kAnyCpu, [&] { Write(&shared_); });
  detector_.Acquire(static_cast<const char*>(kdpc_) + 1);
  Write(&shared_);
  EXPECT_FALSE(Race().has_value());
}

// The lock a connection served as interrupt lock is an ordinary spin lock once freed and reused.
TEST_F(DetectorForgetTest, FreedInterruptLockIsNoLongerNamedOne) {
  const void* lock = &block_[8];
  detector_.NameInterruptLock(lock, &elsewhere_[1]);
  FreeBlock();
  const std::optional<kemu::DataRace> race = RaceOfAWriteUnder(lock);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("holding the spin lock at"));
  EXPECT_THAT(race->report(), Not(HasSubstr("holding the interrupt spin lock")));
}

// A mutex is named so in reports, until its block is freed: a lock used there later without
// initialisation is a spin lock.
TEST_F(DetectorForgetTest, AMutexIsNamedByItsKind) {
  const void* lock = &block_[8];
  detector_.LockInitialized(lock, "kernel mutex");
  const std::optional<kemu::DataRace> race = RaceOfAWriteUnder(lock);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("holding the kernel mutex at"));
}

TEST_F(DetectorForgetTest, FreedMutexIsNoLongerNamedOne) {
  const void* lock = &block_[8];
  detector_.LockInitialized(lock, "kernel mutex");
  FreeBlock();
  const std::optional<kemu::DataRace> race = RaceOfAWriteUnder(lock);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("holding the spin lock at"));
  EXPECT_THAT(race->report(), Not(HasSubstr("kernel mutex")));
}

// The connection record freed (Interrupts::Free), the driver's lock it used outside it stays.
TEST_F(DetectorForgetTest, LockOfAFreedConnectionRecordIsNoLongerNamedAnInterruptLock) {
  const void* driver_lock = &elsewhere_[2];
  detector_.NameInterruptLock(driver_lock, &block_[0]);
  FreeBlock();
  const std::optional<kemu::DataRace> race = RaceOfAWriteUnder(driver_lock);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), Not(HasSubstr("holding the interrupt spin lock")));
}

TEST_F(DetectorForgetTest, LiveInterruptLockIsNamedOne) {
  const void* driver_lock = &elsewhere_[2];
  detector_.NameInterruptLock(driver_lock, &block_[0]);
  const std::optional<kemu::DataRace> race = RaceOfAWriteUnder(driver_lock);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("holding the interrupt spin lock at"));
}

// Forgetting memory outside the block keeps the block's edges.
TEST_F(DetectorForgetTest, ForgettingOtherMemoryKeepsTheEdgesInTheBlock) {
  Write(&shared_);
  detector_.Release(kdpc_);
  detector_.Forget(block_.data(), 16);  // just below the KDPC
  detector_.Forget(block_.data() + 17, block_.size() - 17);
  RunDpc(kdpc_, kSecondRoutine, kDpcCpuMask, [&] { Write(&shared_); });
  EXPECT_FALSE(Race().has_value());
}

}  // namespace
