// Message ISRs of one MSI connection on two vCPUs (race_message_driver.c): without a caller
// SpinLock each message runs under its own kernel lock (docs/windows-facts.md §2.8), so message
// 1's ISR writing message 0's counter races with message 0's ISR; with a caller SpinLock, or
// with each ISR keeping to its own message, nothing is reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "kemu/kemu.hpp"
#include "race_message_driver.h"

namespace {

using ::testing::HasSubstr;

// Message 0 on vCPU 0 (the test's, at PASSIVE_LEVEL), then message 1 while vCPU 0 is at
// HIGH_LEVEL, so the controller gives it to vCPU 1.
std::optional<kemu::DataRace> SignalOnBothVcpus(bool cross_write, bool caller_lock) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  kemu::Device& device = machine.AddDevice({.name = "msi", .line = std::nullopt, .messages = 2});
  RACE_MESSAGES messages{};
  messages.CrossWrite = cross_write ? TRUE : FALSE;
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  try {
    EXPECT_EQ(RaceMessagesConnect(&messages, device.pdo(), caller_lock ? &lock : nullptr),
              STATUS_SUCCESS);
    device.SignalMessage(0);
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    device.SignalMessage(1);
    KeLowerIrql(old);
    RaceMessagesDisconnect(&messages);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  EXPECT_EQ(messages.Count[1], 1u);
  EXPECT_EQ(messages.Count[0], cross_write ? 2u : 1u);
  return std::nullopt;
}

// The vectors the report names its ISRs by ("the ISR ... (vector 0x90) on vCPU 0").
std::set<std::string> VectorsNamed(const std::string& report) {
  std::set<std::string> vectors;
  const std::string marker = "(vector 0x";
  for (std::size_t at = report.find(marker); at != std::string::npos;
       at = report.find(marker, at + 1)) {
    const std::size_t begin = at + marker.size();
    vectors.insert(report.substr(begin, report.find(')', begin) - begin));
  }
  return vectors;
}

TEST(RaceMessageTest, AMessageIsrWritingAnotherMessagesStateIsARace) {
  const std::optional<kemu::DataRace> race = SignalOnBothVcpus(/*cross_write=*/true, false);
  ASSERT_TRUE(race.has_value());
  EXPECT_EQ(race->code(), kemu::bugcheck::kDataRace);
  EXPECT_THAT(race->report(), HasSubstr("CountMessage"));
  // Each message's ISR by its own vector, not both by the first message's (audit round 19, C6).
  EXPECT_EQ(VectorsNamed(race->report()).size(), 2u) << race->report();
}

// Both messages delivered to vCPU 0, one after the other: on two vCPUs the controller could as
// well have run them at once (each has its own lock), so the race is reported whatever this run
// did; on one vCPU, at one DIRQL, they can never overlap (audit round 11).
std::optional<kemu::DataRace> SignalOneAfterTheOther(unsigned processors) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = processors});
  kemu::Device& device = machine.AddDevice({.name = "msi", .line = std::nullopt, .messages = 2});
  RACE_MESSAGES messages{};
  messages.CrossWrite = TRUE;
  try {
    EXPECT_EQ(RaceMessagesConnect(&messages, device.pdo(), nullptr), STATUS_SUCCESS);
    device.SignalMessage(0);
    device.SignalMessage(1);
    RaceMessagesDisconnect(&messages);
    machine.Shutdown();
  } catch (const kemu::DataRace& race) {
    return race;
  }
  return std::nullopt;
}

TEST(RaceMessageTest, TwoMessagesRunOnOneVcpuOfTwoAreStillARace) {
  const std::optional<kemu::DataRace> race = SignalOneAfterTheOther(2);
  ASSERT_TRUE(race.has_value());
  EXPECT_THAT(race->report(), HasSubstr("CountMessage"));
}

TEST(RaceMessageTest, TwoMessagesOnTheOnlyVcpuNeverOverlap) {
  EXPECT_FALSE(SignalOneAfterTheOther(1).has_value());
}

TEST(RaceMessageTest, MessageIsrsKeepingToTheirOwnStateAreNoRace) {
  EXPECT_FALSE(SignalOnBothVcpus(/*cross_write=*/false, false).has_value());
}

TEST(RaceMessageTest, ACallerSpinLockSerialisesEveryMessage) {
  EXPECT_FALSE(SignalOnBothVcpus(/*cross_write=*/true, /*caller_lock=*/true).has_value());
}

}  // namespace
