// The race detector's system threads (emu/race/detector_threads.cpp) driven directly, as
// model/system_threads.cpp drives them: a thread's contexts are a stack that takes the vCPU's
// place while the thread is seated there and travels with it to the vCPU it resumes on.
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

constexpr std::uintptr_t kNoFrame = ~std::uintptr_t{0};
const void* const kStartRoutine = reinterpret_cast<const void*>(0x3330);
const void* const kWorkRoutine = reinterpret_cast<const void*>(0x4440);
const void* const kIsrRoutine = reinterpret_cast<const void*>(0x5550);

class DetectorThreadTest : public ::testing::Test {
 protected:
  void Write(const void* address) {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(address), 4, true, false, 0x4000, kNoFrame);
  }
  /// The thread takes vCPU `cpu`, and the vCPU runs it.
  void Seat(unsigned cpu) {
    detector_.SeatThread(&thread_object_, cpu);
    host_.cpu = cpu;
  }
  void Unseat(unsigned cpu) { detector_.UnseatThread(&thread_object_, cpu); }
  std::optional<kemu::DataRace> Race() {
    detector_.RaisePending();
    return host_.raised;
  }

  FakeHost host_;
  const bool loaded_ = InstrumentedLoaded();
  kemu::race::Detector detector_{host_, /*race_detection=*/true, /*processors=*/2};
  alignas(16) std::uint64_t thread_object_[8]{};
  alignas(8) std::uint32_t x_ = 0;
  alignas(8) std::uint32_t y_ = 0;
};

// Program order holds across vCPUs: the thread's write on vCPU 1 after its write on vCPU 0.
TEST_F(DetectorThreadTest, AThreadResumingOnAnotherVcpuIsTheSameLogicalThread) {
  detector_.Release(&thread_object_);  // PsCreateSystemThread
  Seat(0);
  detector_.BeginSystemThread(&thread_object_, kStartRoutine, 0, nullptr);
  Write(&x_);
  Unseat(0);  // it waits
  Seat(1);    // and resumes elsewhere
  Write(&x_);
  detector_.EndSystemThread(&thread_object_);
  Unseat(1);
  EXPECT_FALSE(Race().has_value());
}

// A work item running in the test's wait on vCPU 0 is set aside while the thread borrows the vCPU,
// and is the running context again once the thread leaves: the two are different threads.
TEST_F(DetectorThreadTest, TheVcpusOwnContextComesBackWhenTheThreadLeaves) {
  const void* item = &thread_object_[4];
  detector_.BeginWorkItem(item, kWorkRoutine, 0, nullptr);
  Write(&x_);
  Seat(0);
  detector_.BeginSystemThread(&thread_object_, kStartRoutine, 0, nullptr);
  Write(&y_);
  Unseat(0);
  Write(&y_);  // the work item's, unordered with the thread's
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&y_));
  EXPECT_THAT(race->report(), HasSubstr("The earlier write of 4 bytes at"));
  EXPECT_THAT(race->report(), HasSubstr("by the system thread 0x3330 (thread object"));
  EXPECT_THAT(race->report(), HasSubstr("Then a write of 4 bytes at"));
  EXPECT_THAT(race->report(), HasSubstr("by the work item routine 0x4440"));
}

// An ISR taken on the thread's vCPU nests on the thread's stack; after it the thread runs again,
// and it is not the test's thread, whose vCPU it borrowed.
TEST_F(DetectorThreadTest, AnIsrPreemptsTheThreadOnItsVcpuAndTheThreadThenRunsOn) {
  Seat(0);
  detector_.BeginSystemThread(&thread_object_, kStartRoutine, 0, nullptr);
  host_.irql = 6;
  detector_.BeginIsr(&thread_object_[6], kIsrRoutine, 0x61, 6, 0b1, 0, nullptr);
  Write(&x_);
  detector_.End(0);
  host_.irql = PASSIVE_LEVEL;
  Write(&y_);
  detector_.EndSystemThread(&thread_object_);
  Unseat(0);
  Write(&y_);  // the test's thread, back on vCPU 0: it never waited for the thread
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&y_));
  EXPECT_THAT(race->report(), HasSubstr("by the system thread 0x3330"));
  EXPECT_THAT(race->report(), HasSubstr("by the test's thread"));
}

// The thread's end publishes its history under its object: a wait on the object orders it.
TEST_F(DetectorThreadTest, AWaitOnTheThreadsObjectOrdersItsAccesses) {
  Seat(1);
  detector_.BeginSystemThread(&thread_object_, kStartRoutine, 1, nullptr);
  Write(&x_);
  detector_.Release(&thread_object_);  // the object is signalled as the thread ends
  detector_.EndSystemThread(&thread_object_);
  Unseat(1);
  host_.cpu = 0;
  detector_.Acquire(&thread_object_);  // the test's wait returns
  Write(&x_);
  EXPECT_FALSE(Race().has_value());
}

}  // namespace
