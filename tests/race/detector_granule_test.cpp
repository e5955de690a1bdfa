// What one 8-byte shadow cell keeps (emu/race/detector.cpp, CheckGranule): a later access of the
// same logical thread replaces its earlier one only when it stands for it. Driver extensions put
// small fields side by side, so an unlocked write to one field followed by a write to the next
// must not hide the first from a context that later writes it under a lock (audit round 13).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>

#include "fake_race_host.hpp"
#include "race/detector.hpp"

namespace {

using kemu::race::fakes::FakeHost;
using kemu::race::fakes::InstrumentedLoaded;

constexpr unsigned kDpcCpu = 1;
constexpr std::uint64_t kDpcCpuMask = std::uint64_t{1} << kDpcCpu;
constexpr std::uintptr_t kNoFrame = ~std::uintptr_t{0};
const void* const kRoutine = reinterpret_cast<const void*>(0x1110);

class DetectorGranuleTest : public ::testing::Test {
 protected:
  /// A 4-byte driver write by whatever runs now.
  void Write(const std::uint32_t& field) {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(&field), 4, true, false, 0x4000, kNoFrame);
  }
  /// The test thread writes under `lock`.
  void WriteLocked(const std::uint32_t& field) {
    detector_.LockAcquired(&lock_);
    Write(field);
    detector_.LockReleased(&lock_);
  }
  /// A DPC routine on vCPU 1 writes `field` under the lock.
  void DpcWritesLocked(const std::uint32_t& field) {
    host_.cpu = kDpcCpu;
    host_.irql = DISPATCH_LEVEL;
    detector_.BeginDpc(&kdpc_, kRoutine, kDpcCpuMask, kDpcCpu, nullptr);
    detector_.LockAcquired(&lock_);
    Write(field);
    detector_.LockReleased(&lock_);
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
  /// Two ULONG fields in one 8-byte granule, as in a device extension.
  struct alignas(8) Fields {
    std::uint32_t state = 0;
    std::uint32_t count = 0;
  } fields_;
  std::uint64_t lock_ = 0;
  std::uint64_t kdpc_ = 0;
};

TEST_F(DetectorGranuleTest, AnUnlockedWriteFollowedByOneToTheNextFieldIsStillReported) {
  Write(fields_.state);  // the bug: no lock
  Write(fields_.count);  // the next field, same 8 bytes
  DpcWritesLocked(fields_.state);
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&fields_.state));
}

// The test thread writes at PASSIVE_LEVEL, where a DPC of its vCPU can cut in, then again at
// DISPATCH_LEVEL, where none can: the later write does not stand for the earlier one.
TEST_F(DetectorGranuleTest, AWriteAtPassiveFollowedByOneAtDispatchIsStillPreemptible) {
  Write(fields_.state);
  host_.irql = DISPATCH_LEVEL;
  Write(fields_.state);
  host_.irql = PASSIVE_LEVEL;
  // A DPC targeted at the test's vCPU 0 writes the field, unlocked.
  host_.irql = DISPATCH_LEVEL;
  detector_.BeginDpc(&kdpc_, kRoutine, /*cpu_mask=*/1, /*cpu=*/0, nullptr);
  Write(fields_.state);
  detector_.End(0);
  host_.irql = PASSIVE_LEVEL;
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&fields_.state));
}

TEST_F(DetectorGranuleTest, WritesToBothFieldsUnderTheLockAreSilent) {
  WriteLocked(fields_.state);
  WriteLocked(fields_.count);
  DpcWritesLocked(fields_.state);
  DpcWritesLocked(fields_.count);
  EXPECT_FALSE(Race().has_value());
}

}  // namespace
