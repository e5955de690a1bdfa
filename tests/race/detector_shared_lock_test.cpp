// Reader/writer spin locks in the race detector (emu/race/detector.cpp), driven directly as the
// kernel model drives it: a lock held shared protects the holder's reads only (Eraser's read
// locks), so a shared reader and an exclusive writer never race, while two shared holders that
// write, or a writer holding the lock only shared, do, whatever the schedule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "fake_race_host.hpp"
#include "race/detector.hpp"

namespace {

using ::testing::HasSubstr;

using kemu::race::fakes::FakeHost;
using kemu::race::fakes::InstrumentedLoaded;

constexpr unsigned kDpcCpu = 1;
constexpr std::uint64_t kDpcCpuMask = std::uint64_t{1} << kDpcCpu;
constexpr std::uintptr_t kNoFrame = ~std::uintptr_t{0};  // on no stack the detector skips
const void* const kRoutine = reinterpret_cast<const void*>(0x1110);

enum class Hold { kShared, kExclusive };

class DetectorSharedLockTest : public ::testing::Test {
 protected:
  void Access(bool write) {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(&shared_), 4, write, false, 0x4000,
                       kNoFrame);
  }
  /// One access to the counter by whatever runs now, holding the lock as `hold` says.
  void Under(Hold hold, bool write) {
    detector_.LockAcquired(&lock_, /*shared=*/hold == Hold::kShared);
    Access(write);
    detector_.LockReleased(&lock_);
  }
  /// The same from a DPC routine on vCPU 1.
  void UnderInDpc(Hold hold, bool write) {
    host_.cpu = kDpcCpu;
    host_.irql = DISPATCH_LEVEL;
    detector_.BeginDpc(&kdpc_, kRoutine, kDpcCpuMask, kDpcCpu, nullptr);
    Under(hold, write);
    detector_.End(kDpcCpu);
    host_.cpu = 0;
    host_.irql = PASSIVE_LEVEL;
  }
  std::optional<kemu::DataRace> Race() {
    detector_.RaisePending();
    return host_.raised;
  }

  FakeHost host_;
  const bool loaded_ = InstrumentedLoaded();
  kemu::race::Detector detector_{host_, /*race_detection=*/true, /*processors=*/2};
  alignas(8) std::uint32_t shared_ = 0;
  std::uint32_t lock_ = 0;  // the EX_SPIN_LOCK
  std::uint64_t kdpc_ = 0;
};

TEST_F(DetectorSharedLockTest, ASharedReaderAndAnExclusiveWriterDoNotRace) {
  Under(Hold::kExclusive, /*write=*/true);
  UnderInDpc(Hold::kShared, /*write=*/false);
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorSharedLockTest, AnExclusiveWriterAfterASharedReaderDoesNotRace) {
  Under(Hold::kShared, /*write=*/false);
  UnderInDpc(Hold::kExclusive, /*write=*/true);
  EXPECT_FALSE(Race().has_value());
}

// A new lock at the address (a reused stack slot) orders nothing the old one's readers did.
TEST_F(DetectorSharedLockTest, AReaderOfAnEarlierLockAtTheAddressIsNotOrderedWithTheNewOnesWriter) {
  Under(Hold::kShared, /*write=*/false);
  detector_.LockInitialized(&lock_);
  UnderInDpc(Hold::kExclusive, /*write=*/true);
  EXPECT_TRUE(Race().has_value());
}

TEST_F(DetectorSharedLockTest, TwoSharedReadersDoNotRace) {
  Under(Hold::kShared, /*write=*/false);
  UnderInDpc(Hold::kShared, /*write=*/false);
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorSharedLockTest, TwoSharedHoldersThatWriteRace) {
  Under(Hold::kShared, /*write=*/true);
  UnderInDpc(Hold::kShared, /*write=*/true);
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&shared_));
  EXPECT_THAT(race->report(), HasSubstr("holding no spin lock"));
}

TEST_F(DetectorSharedLockTest, AWriteUnderASharedHoldRacesWithASharedReader) {
  Under(Hold::kShared, /*write=*/true);
  UnderInDpc(Hold::kShared, /*write=*/false);
  EXPECT_TRUE(Race().has_value());
}

// An exclusive holder waits until every reader has released, and the release publishes what the
// reader did: even a write a reader should not have made is ordered before it. The write's
// hazard is the other readers (above).
TEST_F(DetectorSharedLockTest, AWriteUnderASharedHoldIsOrderedBeforeTheNextExclusiveHolder) {
  Under(Hold::kShared, /*write=*/true);
  UnderInDpc(Hold::kExclusive, /*write=*/false);
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorSharedLockTest, ALockConvertedToExclusiveProtectsTheWritesAfterIt) {
  detector_.LockAcquired(&lock_, /*shared=*/true);
  Access(/*write=*/false);
  detector_.LockReleased(&lock_);  // ExTryConvertSharedSpinLockExclusive succeeded
  detector_.LockAcquired(&lock_, /*shared=*/false);
  Access(/*write=*/true);
  detector_.LockReleased(&lock_);
  UnderInDpc(Hold::kShared, /*write=*/false);
  EXPECT_FALSE(Race().has_value());
}

}  // namespace
