// HalGetInterruptVector (<ntddk.h>): a legacy driver's bus-relative interrupt mapped to the vector,
// DIRQL and affinity of the device's line, on every personality; the misuse Windows stops on; and
// a legacy C driver that finds its function, maps its line and connects its ISR (docs/kernel.md,
// "PCI configuration space"; conformance PCI-7).
#include <ntddk.h>

#include <cstdint>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"
#include "pci_legacy_driver.h"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

class HalInterruptVectorTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, HalInterruptVectorTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(HalInterruptVectorTest, TheLinesLevelMapsToItsVectorDirqlAndAffinity) {  // PCI-7
  machine().AddDevice({.name = "card",
                       .line = kemu::LineInterrupt{.vector = 0x61, .irql = 7, .affinity = 0x1},
                       .properties = {.bus_number = 2}});
  KIRQL irql = 0;
  KAFFINITY affinity = 0;
  EXPECT_EQ(HalGetInterruptVector(PCIBus, 2, 0x61, 0x61, &irql, &affinity), 0x61u);
  EXPECT_EQ(irql, 7);
  EXPECT_EQ(affinity, KAFFINITY{1});
  EXPECT_FALSE(machine().crashed());
}

TEST_P(HalInterruptVectorTest, TheInterfaceTypeAndBusMustBeTheDevices) {  // PCI-7
  machine().AddDevice({.name = "uart",
                       .line = kemu::LineInterrupt{.vector = 0x34, .irql = 3},
                       .properties = {.legacy_bus_type = Isa}});
  KIRQL irql = 0;
  KAFFINITY affinity = 0;
  EXPECT_EQ(HalGetInterruptVector(Isa, 0, 0x34, 0x34, &irql, &affinity), 0x34u);
  EXPECT_EQ(irql, 3);
  EXPECT_EQ(affinity, KeQueryActiveProcessors()) << "every processor the machine has";
  EXPECT_THROW(HalGetInterruptVector(PCIBus, 0, 0x34, 0x34, &irql, &affinity), kemu::NotModelled);
  EXPECT_THROW(HalGetInterruptVector(Isa, 1, 0x34, 0x34, &irql, &affinity), kemu::NotModelled);
}

TEST_P(HalInterruptVectorTest, ALevelNoDeviceHasIsNotModelledByName) {  // PCI-7
  machine().AddDevice({.name = "card", .line = kemu::LineInterrupt{.vector = 0x61, .irql = 7}});
  KIRQL irql = 0;
  KAFFINITY affinity = 0;
  try {
    (void)HalGetInterruptVector(PCIBus, 0, 0x0B, 0x0B, &irql, &affinity);
    ADD_FAILURE() << "expected kemu::NotModelled";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("HalGetInterruptVector for bus-relative level 0xb"));
  }
}

TEST_P(HalInterruptVectorTest, AbovePassiveLevelBugChecks) {  // PCI-7
  machine().AddDevice({.name = "card", .line = kemu::LineInterrupt{.vector = 0x61, .irql = 7}});
  KIRQL irql = 0;
  KAFFINITY affinity = 0;
  const kemu::BugCheck crash = CrashOf([&] {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    (void)HalGetInterruptVector(PCIBus, 0, 0x61, 0x61, &irql, &affinity);
  });
  EXPECT_THAT(crash.what(), HasSubstr("HalGetInterruptVector was called at IRQL 2"));
}

TEST_P(HalInterruptVectorTest, ANullIrqlIsAnAccessViolation) {  // PCI-7
  machine().AddDevice({.name = "card", .line = kemu::LineInterrupt{.vector = 0x61, .irql = 7}});
  KAFFINITY affinity = 0;
  const kemu::BugCheck crash =
      CrashOf([&] { (void)HalGetInterruptVector(PCIBus, 0, 0x61, 0x61, nullptr, &affinity); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled));
  EXPECT_THAT(crash.what(), HasSubstr("HalGetInterruptVector was passed NULL for Irql"));
}

struct Card {
  kemu::Device* device = nullptr;
  int isr_calls = 0;
};

BOOLEAN CardIsr(PKINTERRUPT, PVOID context) {
  Card& card = *static_cast<Card*>(context);
  ++card.isr_calls;
  card.device->DeassertLine();  // the ISR acknowledges its card
  return TRUE;
}

TEST_P(HalInterruptVectorTest, ALegacyCDriverConnectsItsIsrToTheMappedLine) {  // PCI-7
  Card card;
  card.device =
      &machine().AddDevice({.name = "card",
                            .line = kemu::LineInterrupt{.vector = 0x62, .irql = 8, .shared = true},
                            .memory_bytes = 0x100,
                            .properties = {.vendor_id = 0x1AF4, .device_id = 0x1000}});
  PCI_LEGACY_FUNCTION found{};
  ASSERT_TRUE(PciLegacyFind(0x1AF4, 0x1000, &found));
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(PciLegacyConnect(&found, &CardIsr, &card, &interrupt), STATUS_SUCCESS);
  ASSERT_NE(card.device->connection(), nullptr);
  EXPECT_TRUE(card.device->connection()->legacy);
  card.device->AssertLine();
  EXPECT_EQ(card.isr_calls, 1);
  EXPECT_EQ(card.device->connection()->isr_claimed, 1u);
  IoDisconnectInterrupt(interrupt);
  EXPECT_FALSE(machine().crashed());
}

}  // namespace
