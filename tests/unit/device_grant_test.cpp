// What the PnP manager grants an MSI-capable device (docs/windows-facts.md §8.3), and the PnP-side
// fault injection a test uses to send a driver down its fallback paths.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

const CM_PARTIAL_RESOURCE_DESCRIPTOR& Interrupt(PCM_RESOURCE_LIST list) {
  const CM_PARTIAL_RESOURCE_LIST& partial = list->List[0].PartialResourceList;
  for (ULONG i = 0; i < partial.Count; ++i) {
    if (partial.PartialDescriptors[i].Type == CmResourceTypeInterrupt) {
      return partial.PartialDescriptors[i];
    }
  }
  ADD_FAILURE() << "no interrupt descriptor";
  return partial.PartialDescriptors[0];
}

kemu::DeviceConfig MsiNic(unsigned messages) {
  return {.name = "nic0",
          .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5, .shared = true},
          .messages = messages};
}

class DeviceGrantTest : public kemu::testing::PersonalityTest {
 protected:
  bool msi() const { return kemu::GetPersonality(GetParam()).supports_msi; }
};

TEST_P(DeviceGrantTest, ARequestWithinTheLimitIsGrantedInFull) {
  kemu::Device& nic = machine().AddDevice(MsiNic(8));
  EXPECT_EQ(nic.granted_messages(), msi() ? 8u : 0u);
}

TEST_P(DeviceGrantTest, ARequestAboveTheLimitGetsExactlyOneMessage) {
  if (!msi()) GTEST_SKIP() << "no MSI before Vista";
  const unsigned limit = machine().personality().max_messages;
  kemu::Device& nic = machine().AddDevice(MsiNic(limit + 1));
  EXPECT_EQ(nic.granted_messages(), 1u);
  EXPECT_EQ(Interrupt(nic.raw_resources()).u.MessageInterrupt.Raw.MessageCount, 1);
}

TEST_P(DeviceGrantTest, GrantMessagesCapsWhatTheDriverGets) {
  kemu::DeviceConfig config = MsiNic(4);
  config.grant_messages = 1;
  kemu::Device& nic = machine().AddDevice(config);
  EXPECT_EQ(nic.granted_messages(), msi() ? 1u : 0u);
  if (msi()) {
    EXPECT_EQ(Interrupt(nic.translated_resources()).Flags,
              CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE);
  }
}

TEST_P(DeviceGrantTest, WithheldMsiLeavesTheDriverItsLineInterrupt) {
  kemu::DeviceConfig config = MsiNic(4);
  config.withhold_msi = true;
  kemu::Device& nic = machine().AddDevice(config);
  EXPECT_EQ(nic.granted_messages(), 0u);
  const CM_PARTIAL_RESOURCE_DESCRIPTOR& line = Interrupt(nic.translated_resources());
  EXPECT_EQ(line.Flags, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);
  EXPECT_EQ(line.u.Interrupt.Vector, 0x51u);
  EXPECT_EQ(line.u.Interrupt.Level, 5u);
}

TEST_P(DeviceGrantTest, GrantingZeroMessagesIsTheSameAsWithholdingThem) {
  kemu::DeviceConfig config = MsiNic(4);
  config.grant_messages = 0;
  kemu::Device& nic = machine().AddDevice(config);
  EXPECT_EQ(nic.granted_messages(), 0u);
  EXPECT_EQ(Interrupt(nic.translated_resources()).u.Interrupt.Vector, 0x51u);
}

TEST_P(DeviceGrantTest, MessageVectorsNeverReuseALineVector) {
  if (!msi()) GTEST_SKIP() << "no MSI before Vista";
  // A line already at the first message vector: the messages go around it.
  machine().AddDevice({.name = "legacy", .line = kemu::LineInterrupt{.vector = 0x90, .irql = 9}});
  kemu::Device& nic = machine().AddDevice(MsiNic(2));
  EXPECT_NE(Interrupt(nic.translated_resources()).u.MessageInterrupt.Translated.Vector, 0x90u);
}

TEST_P(DeviceGrantTest, ALineVectorAlreadyUsedForMessagesIsRefused) {
  if (!msi()) GTEST_SKIP() << "no MSI before Vista";
  kemu::Device& nic = machine().AddDevice(MsiNic(1));
  const ULONG taken = Interrupt(nic.translated_resources()).u.MessageInterrupt.Translated.Vector;
  EXPECT_THROW(machine().AddDevice(
                   {.name = "late", .line = kemu::LineInterrupt{.vector = taken, .irql = 9}}),
               kemu::Error);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, DeviceGrantTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
