// NMI callbacks in the race detector (Detector::BeginNmi): an NMI preempts everything on its vCPU,
// code already at HIGH_LEVEL included, so a plain access the driver makes there races one its NMI
// callback makes; two NMIs on one vCPU never overlap (the second waits for the first to return),
// and interlocked accesses on both sides are no race.
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
const void* const kNmiRoutine = reinterpret_cast<const void*>(0x3330);

class DetectorNmiTest : public ::testing::Test {
 protected:
  void Write(bool interlocked = false) {
    detector_.OnAccess(reinterpret_cast<std::uintptr_t>(&shared_), 4, true, interlocked, 0x4000,
                       kNoFrame);
  }
  /// One NMI on vCPU 0, the callback of `registration` writing `shared_`.
  void RunNmi(bool interlocked = false, const void* registration = nullptr) {
    const KIRQL interrupted = host_.irql;
    host_.irql = HIGH_LEVEL;
    detector_.BeginNmi(registration != nullptr ? registration : &registration_, kNmiRoutine, 0,
                       nullptr);
    Write(interlocked);
    detector_.End(0);
    host_.irql = interrupted;
  }
  std::optional<kemu::DataRace> Race() {
    detector_.RaisePending();
    return host_.raised;
  }

  FakeHost host_;
  const bool loaded_ = InstrumentedLoaded();
  kemu::race::Detector detector_{host_, /*race_detection=*/true, /*processors=*/1};
  int registration_ = 0;  ///< stands for the registration, the context's object
  alignas(8) std::uint32_t shared_ = 0;
};

TEST_F(DetectorNmiTest, AnNmiCallbackRacesDriverCodeRunningAtHighLevel) {
  host_.irql = HIGH_LEVEL;  // KeRaiseIrql(HIGH_LEVEL): masks every interrupt, not an NMI
  Write();
  RunNmi();
  const std::optional<kemu::DataRace> race = Race();
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->address(), reinterpret_cast<std::uintptr_t>(&shared_));
  EXPECT_THAT(race->report(), HasSubstr("the NMI callback 0x3330 on vCPU 0"));
}

// Two drivers' callbacks (two registrations, two contexts) on one vCPU: one after the other.
TEST_F(DetectorNmiTest, TwoNmiCallbacksOnOneVcpuDoNotRace) {
  int other_registration = 0;
  RunNmi(/*interlocked=*/false, &registration_);
  RunNmi(/*interlocked=*/false, &other_registration);
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorNmiTest, InterlockedAccessesOnBothSidesAreNoRace) {
  host_.irql = HIGH_LEVEL;
  Write(/*interlocked=*/true);
  RunNmi(/*interlocked=*/true);
  EXPECT_FALSE(Race().has_value());
}

TEST_F(DetectorNmiTest, WhatTheDriverDidBeforeRegisteringHappensBefore) {
  Write();
  detector_.Release(&registration_);  // KeRegisterNmiCallback
  RunNmi();
  EXPECT_FALSE(Race().has_value());
}

}  // namespace
