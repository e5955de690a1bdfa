// Resources the emulated PnP manager grants a device (emu/model/devices.cpp): the raw and
// translated CM_RESOURCE_LIST of IRP_MN_START_DEVICE, per personality. Facts:
// docs/windows-facts.md §8 (layout, flags, MSI vs MSI-X) and §0 (MSI from Vista); conformance
// PNP-1 (no resources → NULL lists).
#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>

#include "kemu/testing/gtest.hpp"

namespace {

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
constexpr USHORT kMessageFlags = CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;

// docs/windows-facts.md §0: the PnP manager grants MSI/MSI-X resources from Windows Vista on.
// Written out here rather than read from the personality, so the table is checked too.
bool GrantsMessages(kemu::Os os) { return os >= kemu::Os::kWindowsVista; }

kemu::LineInterrupt Line(kemu::Trigger mode = kemu::Trigger::kLevel, bool shared = false) {
  return {.vector = kVector, .irql = kDirql, .mode = mode, .shared = shared};
}

// The partial list of `list`'s only full descriptor.
const CM_PARTIAL_RESOURCE_LIST& Partials(PCM_RESOURCE_LIST list) {
  return list->List[0].PartialResourceList;
}

// A field of type T read from `offset` bytes into the list, as a driver walking raw bytes would.
template <typename T>
T At(PCM_RESOURCE_LIST list, std::size_t offset) {
  T value;
  std::memcpy(&value, reinterpret_cast<const std::uint8_t*>(list) + offset, sizeof(T));
  return value;
}

class DeviceResourcesTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, DeviceResourcesTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Line-based interrupts (every release).

TEST_P(DeviceResourcesTest, ALevelLineGetsOneLevelSensitiveExclusiveInterruptDescriptor) {
  kemu::Device& device = machine().AddDevice({.name = "line0", .line = Line()});

  for (PCM_RESOURCE_LIST list : {device.raw_resources(), device.translated_resources()}) {
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(list->Count, 1u);
    ASSERT_EQ(Partials(list).Count, 1u);
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& d = Partials(list).PartialDescriptors[0];
    EXPECT_EQ(d.Type, CmResourceTypeInterrupt);
    EXPECT_EQ(d.ShareDisposition, CmResourceShareDeviceExclusive);
    EXPECT_EQ(d.Flags, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);
    EXPECT_EQ(d.u.Interrupt.Vector, kVector);
  }
  const CM_PARTIAL_RESOURCE_DESCRIPTOR& t =
      Partials(device.translated_resources()).PartialDescriptors[0];
  // The translated Level is the DIRQL (docs/windows-facts.md §8.3).
  EXPECT_EQ(t.u.Interrupt.Level, kDirql);
  EXPECT_EQ(t.u.Interrupt.Affinity, KAFFINITY{1});  // the one vCPU of this machine
  EXPECT_EQ(device.granted_messages(), 0u);
}

TEST_P(DeviceResourcesTest, AnEdgeTriggeredSharedLineIsLatchedAndShared) {
  kemu::Device& device =
      machine().AddDevice({.name = "edge0", .line = Line(kemu::Trigger::kEdge, true)});

  for (PCM_RESOURCE_LIST list : {device.raw_resources(), device.translated_resources()}) {
    ASSERT_NE(list, nullptr);
    ASSERT_EQ(Partials(list).Count, 1u);
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& d = Partials(list).PartialDescriptors[0];
    EXPECT_EQ(d.Type, CmResourceTypeInterrupt);
    EXPECT_EQ(d.ShareDisposition, CmResourceShareShared);
    EXPECT_EQ(d.Flags, CM_RESOURCE_INTERRUPT_LATCHED);
  }
}

TEST(DeviceResourcesTest, TranslatedAffinityIsTheLinesAffinityLimitedToActiveProcessors) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 4});
  const std::uint64_t affinity = 0b1'0000'1010;  // vCPUs 1, 3 and the absent vCPU 8
  kemu::Device& device = machine.AddDevice(
      {.name = "line0",
       .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql, .affinity = affinity}});

  EXPECT_EQ(Partials(device.raw_resources()).PartialDescriptors[0].u.Interrupt.Affinity,
            KAFFINITY{affinity});
  EXPECT_EQ(Partials(device.translated_resources()).PartialDescriptors[0].u.Interrupt.Affinity,
            KAFFINITY{0b1010});
}

TEST_P(DeviceResourcesTest, TheListIsLaidOutAsOnWindowsX64) {
  kemu::Device& device = machine().AddDevice({.name = "line0", .line = Line()});
  PCM_RESOURCE_LIST list = device.translated_resources();
  ASSERT_NE(list, nullptr);
  const auto* base = reinterpret_cast<const std::uint8_t*>(list);

  // docs/windows-facts.md §8.1: the first partial descriptor sits at byte 20 and a descriptor is 20
  // bytes.
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(&Partials(list).PartialDescriptors[0]),
            base + 20);
  EXPECT_EQ(sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR), 20u);
  EXPECT_EQ(At<ULONG>(list, 0), 1u);                                       // Count
  EXPECT_EQ(At<ULONG>(list, 16), 1u);                                      // partial Count
  EXPECT_EQ(At<std::uint8_t>(list, 20), CmResourceTypeInterrupt);          // Type
  EXPECT_EQ(At<std::uint8_t>(list, 21), CmResourceShareDeviceExclusive);   // ShareDisposition
  EXPECT_EQ(At<USHORT>(list, 22), CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);  // Flags
  EXPECT_EQ(At<ULONG>(list, 24), kDirql);                                  // u.Interrupt.Level
  EXPECT_EQ(At<ULONG>(list, 28), kVector);                                 // u.Interrupt.Vector
  EXPECT_EQ(At<std::uint64_t>(list, 32), 1u);  // u.Interrupt.Affinity, only 4-aligned
}

// ---------------------------------------------------------------------------------------------
// Message-signalled interrupts (Vista+), and what older releases grant instead.

TEST_P(DeviceResourcesTest, AnMsiDeviceGetsOneMessageDescriptorFromVistaAndItsLineBefore) {
  kemu::Device& device = machine().AddDevice({.name = "msi0", .line = Line(), .messages = 4});
  PCM_RESOURCE_LIST raw = device.raw_resources();
  PCM_RESOURCE_LIST translated = device.translated_resources();
  ASSERT_NE(raw, nullptr);
  ASSERT_NE(translated, nullptr);
  ASSERT_EQ(Partials(raw).Count, 1u);
  ASSERT_EQ(Partials(translated).Count, 1u);
  const CM_PARTIAL_RESOURCE_DESCRIPTOR& r = Partials(raw).PartialDescriptors[0];
  const CM_PARTIAL_RESOURCE_DESCRIPTOR& t = Partials(translated).PartialDescriptors[0];
  EXPECT_EQ(r.Type, CmResourceTypeInterrupt);
  EXPECT_EQ(t.Type, CmResourceTypeInterrupt);

  if (GrantsMessages(GetParam())) {
    // MSI (PCI 2.2): one descriptor for all messages (docs/windows-facts.md §8.3).
    EXPECT_EQ(device.granted_messages(), 4u);
    EXPECT_EQ(r.Flags, kMessageFlags);
    EXPECT_EQ(t.Flags, kMessageFlags);
    EXPECT_EQ(r.u.MessageInterrupt.Raw.MessageCount, 4u);
    EXPECT_EQ(t.u.MessageInterrupt.Translated.Vector, r.u.MessageInterrupt.Raw.Vector);
    // An x64 vector's IRQL is its upper nibble; a message's DIRQL is a device IRQL.
    EXPECT_EQ(t.u.MessageInterrupt.Translated.Level, t.u.MessageInterrupt.Translated.Vector >> 4);
    EXPECT_GE(t.u.MessageInterrupt.Translated.Level, 3u);
    EXPECT_LE(t.u.MessageInterrupt.Translated.Level, 12u);
    EXPECT_EQ(t.u.MessageInterrupt.Translated.Affinity, KAFFINITY{1});
  } else {
    EXPECT_EQ(device.granted_messages(), 0u);
    EXPECT_EQ(r.Flags, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);
    EXPECT_EQ(t.Flags, CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE);
    EXPECT_EQ(t.u.Interrupt.Vector, kVector);
    EXPECT_EQ(t.u.Interrupt.Level, kDirql);
  }
}

TEST_P(DeviceResourcesTest, AnMsixDeviceGetsOneDescriptorPerMessageFromVistaAndItsLineBefore) {
  kemu::Device& device =
      machine().AddDevice({.name = "msix0", .line = Line(), .messages = 3, .msix = true});
  PCM_RESOURCE_LIST raw = device.raw_resources();
  PCM_RESOURCE_LIST translated = device.translated_resources();
  ASSERT_NE(raw, nullptr);
  ASSERT_NE(translated, nullptr);

  if (!GrantsMessages(GetParam())) {
    EXPECT_EQ(device.granted_messages(), 0u);
    ASSERT_EQ(Partials(translated).Count, 1u);
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& t = Partials(translated).PartialDescriptors[0];
    EXPECT_EQ(t.Flags & CM_RESOURCE_INTERRUPT_MESSAGE, 0);
    EXPECT_EQ(t.u.Interrupt.Vector, kVector);
    return;
  }
  EXPECT_EQ(device.granted_messages(), 3u);
  ASSERT_EQ(Partials(raw).Count, 3u);
  ASSERT_EQ(Partials(translated).Count, 3u);
  std::set<ULONG> vectors;
  for (ULONG i = 0; i < 3; ++i) {
    SCOPED_TRACE(::testing::Message() << "message " << i);
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& r = Partials(raw).PartialDescriptors[i];
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& t = Partials(translated).PartialDescriptors[i];
    EXPECT_EQ(r.Type, CmResourceTypeInterrupt);
    EXPECT_EQ(r.Flags, kMessageFlags);
    EXPECT_EQ(t.Flags, kMessageFlags);
    EXPECT_EQ(r.u.MessageInterrupt.Raw.MessageCount, 1u);
    EXPECT_EQ(t.u.MessageInterrupt.Translated.Vector, r.u.MessageInterrupt.Raw.Vector);
    EXPECT_EQ(t.u.MessageInterrupt.Translated.Level, t.u.MessageInterrupt.Translated.Vector >> 4);
    vectors.insert(t.u.MessageInterrupt.Translated.Vector);
  }
  EXPECT_EQ(vectors.size(), 3u) << "every message has its own vector";
  // The second descriptor follows the first at 20 bytes (docs/windows-facts.md §8.1).
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(&Partials(translated).PartialDescriptors[1]),
            reinterpret_cast<const std::uint8_t*>(translated) + 40);
}

TEST_P(DeviceResourcesTest, AnMsiOnlyDeviceGetsNoResourcesBeforeVista) {  // PNP-1
  kemu::Device& device = machine().AddDevice({.name = "msi0", .line = std::nullopt, .messages = 2});

  if (GrantsMessages(GetParam())) {
    EXPECT_EQ(device.granted_messages(), 2u);
    ASSERT_NE(device.raw_resources(), nullptr);
    ASSERT_NE(device.translated_resources(), nullptr);
    EXPECT_EQ(
        Partials(device.raw_resources()).PartialDescriptors[0].u.MessageInterrupt.Raw.MessageCount,
        2u);
  } else {
    EXPECT_EQ(device.granted_messages(), 0u);
    EXPECT_EQ(device.raw_resources(), nullptr);
    EXPECT_EQ(device.translated_resources(), nullptr);
  }
}

TEST_P(DeviceResourcesTest, ADeviceWithoutInterruptsGetsNullResourceLists) {  // PNP-1
  kemu::Device& device = machine().AddDevice({.name = "plain0", .line = std::nullopt});

  EXPECT_EQ(device.raw_resources(), nullptr);
  EXPECT_EQ(device.translated_resources(), nullptr);
  EXPECT_EQ(device.granted_messages(), 0u);
}

TEST_P(DeviceResourcesTest, TwoMsiDevicesNeverShareAMessageVector) {
  kemu::Device& first = machine().AddDevice({.name = "msi0", .line = Line(), .messages = 2});
  kemu::Device& second = machine().AddDevice(
      {.name = "msi1", .line = kemu::LineInterrupt{.vector = 0x52, .irql = 6}, .messages = 2});

  const auto& a = Partials(first.translated_resources()).PartialDescriptors[0];
  const auto& b = Partials(second.translated_resources()).PartialDescriptors[0];
  if (GrantsMessages(GetParam())) {
    // MSI messages of one device are consecutive vectors starting at the descriptor's.
    EXPECT_GE(b.u.MessageInterrupt.Translated.Vector, a.u.MessageInterrupt.Translated.Vector + 2);
  } else {
    EXPECT_EQ(a.u.Interrupt.Vector, kVector);
    EXPECT_EQ(b.u.Interrupt.Vector, 0x52u);
    EXPECT_EQ(b.u.Interrupt.Level, 6u);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration errors are harness errors, not NTSTATUS (docs/decisions.md, decision 6).

// Device IRQLs lie below SYNCH_LEVEL (12 on x64); IRQL 0 is a passive-level (e.g. GPIO-routed)
// line, whose connect is refused before Windows 8 (interrupt_connect_irql_test.cpp).
TEST_P(DeviceResourcesTest, AddDeviceRejectsALineIrqlOtherThanZeroOrThreeToEleven) {
  for (std::uint8_t irql : {1, 2, 12, 13, 15}) {
    SCOPED_TRACE(::testing::Message() << "DIRQL " << int{irql});
    EXPECT_THROW(machine().AddDevice(
                     {.name = "bad", .line = kemu::LineInterrupt{.vector = kVector, .irql = irql}}),
                 kemu::Error);
  }
  for (std::uint8_t irql : {0, 3, 11}) {
    SCOPED_TRACE(::testing::Message() << "DIRQL " << int{irql});
    kemu::Device& device = machine().AddDevice(
        {.name = "ok", .line = kemu::LineInterrupt{.vector = kVector, .irql = irql}});
    EXPECT_EQ(Partials(device.translated_resources()).PartialDescriptors[0].u.Interrupt.Level,
              irql);
  }
}

}  // namespace
