// HalTranslateBusAddress (<ntddk.h>): a legacy driver's bus-relative register address translated
// to the one the processor uses, on every personality; what kemu cannot answer stops by name; the
// misuse Windows stops on; and the legacy C driver mapping the BAR it read from configuration
// space (docs/kernel.md, "PCI configuration space"; conformance PCI-8).
#include <ntddk.h>

#include <cstdint>

#include "kemu/error.hpp"
#include "kemu/hardware.hpp"
#include "kemu/testing/gtest.hpp"
#include "pci_legacy_driver.h"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

class HalBusAddressTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, HalBusAddressTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

PHYSICAL_ADDRESS At(std::uint64_t address) {
  PHYSICAL_ADDRESS physical;
  physical.QuadPart = static_cast<LONGLONG>(address);
  return physical;
}

TEST_P(HalBusAddressTest, AMemoryAddressOfTheBarTranslatesToItselfInMemorySpace) {  // PCI-8
  const kemu::Device& card = machine().AddDevice(
      {.name = "card", .memory_bytes = 0x1000, .properties = {.bus_number = 2}});
  ULONG space = 0;
  PHYSICAL_ADDRESS translated = At(0);
  EXPECT_TRUE(
      HalTranslateBusAddress(PCIBus, 2, At(card.memory_base() + 0x10), &space, &translated));
  EXPECT_EQ(static_cast<std::uint64_t>(translated.QuadPart), card.memory_base() + 0x10);
  EXPECT_EQ(space, 0u);
  EXPECT_TRUE(
      HalTranslateBusAddress(PCIBus, 2, At(card.memory_base() + 0xFFF), &space, &translated))
      << "the last byte of the range";
  EXPECT_FALSE(machine().crashed());
}

TEST_P(HalBusAddressTest, APortOfTheRangeTranslatesToItselfInIoSpace) {  // PCI-8
  const kemu::Device& uart = machine().AddDevice(
      {.name = "uart", .port_bytes = 8, .properties = {.legacy_bus_type = Isa}});
  ULONG space = 1;
  PHYSICAL_ADDRESS translated = At(0);
  EXPECT_TRUE(HalTranslateBusAddress(Isa, 0, At(uart.port_base() + 7), &space, &translated));
  EXPECT_EQ(static_cast<std::uint64_t>(translated.QuadPart), uart.port_base() + 7u);
  EXPECT_EQ(space, 1u) << "x64 keeps ports in I/O space";
}

TEST_P(HalBusAddressTest, AnAddressOutsideTheDevicesRangeOnItsBusAndSpaceIsNotModelled) {  // PCI-8
  const kemu::Device& card = machine().AddDevice(
      {.name = "card", .memory_bytes = 0x100, .port_bytes = 0x10, .properties = {.bus_number = 1}});
  const std::uint64_t bar = card.memory_base();
  PHYSICAL_ADDRESS translated = At(0);
  ULONG space = 0;
  EXPECT_THROW(HalTranslateBusAddress(PCIBus, 1, At(bar + 0x100), &space, &translated),
               kemu::NotModelled)
      << "one past the range";
  space = 0;
  EXPECT_THROW(HalTranslateBusAddress(PCIBus, 0, At(bar), &space, &translated), kemu::NotModelled)
      << "another bus";
  space = 0;
  EXPECT_THROW(HalTranslateBusAddress(Isa, 1, At(bar), &space, &translated), kemu::NotModelled)
      << "another interface type";
  space = 1;
  EXPECT_THROW(HalTranslateBusAddress(PCIBus, 1, At(bar), &space, &translated), kemu::NotModelled)
      << "the memory address asked for as a port";
  space = 0;
  EXPECT_THROW(HalTranslateBusAddress(PCIBus, 1, At(card.port_base()), &space, &translated),
               kemu::NotModelled)
      << "the port asked for as memory";
}

TEST_P(HalBusAddressTest, TheFailureNamesTheAddressBusAndSpace) {  // PCI-8
  machine().AddDevice({.name = "card", .memory_bytes = 0x100});
  ULONG space = 0;
  PHYSICAL_ADDRESS translated = At(0);
  try {
    (void)HalTranslateBusAddress(PCIBus, 0, At(0xD0000000), &space, &translated);
    ADD_FAILURE() << "expected kemu::NotModelled";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(),
                HasSubstr("HalTranslateBusAddress of memory address 0xd0000000 on bus 0"));
  }
  space = 2;
  try {
    (void)HalTranslateBusAddress(PCIBus, 0, At(0xD0000000), &space, &translated);
    ADD_FAILURE() << "expected kemu::NotModelled";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("HalTranslateBusAddress with *AddressSpace 0x2"));
  }
}

TEST_P(HalBusAddressTest, ANullAddressSpaceIsAnAccessViolation) {  // PCI-8
  const kemu::Device& card = machine().AddDevice({.name = "card", .memory_bytes = 0x100});
  PHYSICAL_ADDRESS translated = At(0);
  const kemu::BugCheck crash = CrashOf([&] {
    (void)HalTranslateBusAddress(PCIBus, 0, At(card.memory_base()), nullptr, &translated);
  });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled));
  EXPECT_THAT(crash.what(), HasSubstr("HalTranslateBusAddress was passed NULL for AddressSpace"));
}

TEST_P(HalBusAddressTest, ANullTranslatedAddressIsAnAccessViolation) {  // PCI-8
  const kemu::Device& card = machine().AddDevice({.name = "card", .memory_bytes = 0x100});
  ULONG space = 0;
  const kemu::BugCheck crash = CrashOf(
      [&] { (void)HalTranslateBusAddress(PCIBus, 0, At(card.memory_base()), &space, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled));
  EXPECT_THAT(crash.what(),
              HasSubstr("HalTranslateBusAddress was passed NULL for TranslatedAddress"));
}

TEST_P(HalBusAddressTest, ALegacyCDriverMapsTheBarItReadAndReadsItsRegisters) {  // PCI-8
  kemu::Device& card =
      machine().AddDevice({.name = "card",
                           .memory_bytes = 0x100,
                           .properties = {.vendor_id = 0x8086, .device_id = 0x100E}});
  auto* registers = dynamic_cast<kemu::RegisterFile*>(card.hardware());
  ASSERT_NE(registers, nullptr);
  registers->Poke(0x8, 0x12345678);
  PCI_LEGACY_FUNCTION found{};
  ASSERT_TRUE(PciLegacyFind(0x8086, 0x100E, &found));
  EXPECT_EQ(found.MemoryBase, card.memory_base());
  auto* mapped = static_cast<PUCHAR>(PciLegacyMapRegisters(&found, 0x100));
  ASSERT_NE(mapped, nullptr);
  EXPECT_EQ(READ_REGISTER_ULONG(reinterpret_cast<PULONG>(mapped + 0x8)), 0x12345678u);
  MmUnmapIoSpace(mapped, 0x100);
  EXPECT_FALSE(machine().crashed());
}

}  // namespace
