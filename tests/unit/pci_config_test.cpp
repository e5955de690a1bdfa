// PCI configuration space through the HAL's bus-data routines (<ntddk.h>): the header kemu builds
// from a device's config, empty slots and missing buses, read-only registers, the BAR sizing
// probe, the MSI and MSI-X capabilities per personality, and the misuse Windows stops on
// (docs/kernel.md, "PCI configuration space"; conformance PCI-1..PCI-6).
#include <ntddk.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"
#include "pci_legacy_driver.h"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kLineVector = 0x51;

class PciConfigTest : public kemu::testing::PersonalityTest {
 protected:
  // An Ethernet controller with a memory BAR, ports and a level line, on bus 0.
  kemu::Device& AddNic(unsigned messages = 0, bool msix = false) {
    return machine().AddDevice({.name = "nic0",
                                .line = kemu::LineInterrupt{.vector = kLineVector, .irql = 5},
                                .messages = messages,
                                .msix = msix,
                                .memory_bytes = 0x3000,
                                .port_bytes = 0x20,
                                .properties = {.vendor_id = 0x8086,
                                               .device_id = 0x10D3,
                                               .revision_id = 0x02,
                                               .class_code = 0x020000,
                                               .subsystem_vendor_id = 0x1028,
                                               .subsystem_id = 0x0123}});
  }

  static PCI_COMMON_CONFIG Read(const kemu::Device& device) {
    PCI_COMMON_CONFIG config;
    std::memset(&config, 0xCC, sizeof config);
    EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, device.pci_bus(), device.pci_slot(), &config,
                                    0, sizeof config),
              sizeof config);
    return config;
  }

  template <typename T>
  static ULONG Write(const kemu::Device& device, ULONG offset, T value) {
    return HalSetBusDataByOffset(PCIConfiguration, device.pci_bus(), device.pci_slot(), &value,
                                 offset, sizeof value);
  }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, PciConfigTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(PciConfigTest, HeaderDescribesTheFunctionFromItsConfig) {  // PCI-1
  kemu::Device& nic = AddNic();
  const PCI_COMMON_CONFIG config = Read(nic);
  EXPECT_EQ(config.VendorID, 0x8086);
  EXPECT_EQ(config.DeviceID, 0x10D3);
  EXPECT_EQ(config.RevisionID, 0x02);
  EXPECT_EQ(config.BaseClass, 0x02);
  EXPECT_EQ(config.SubClass, 0x00);
  EXPECT_EQ(config.ProgIf, 0x00);
  EXPECT_EQ(config.HeaderType, PCI_DEVICE_TYPE);
  EXPECT_EQ(config.Command, PCI_ENABLE_IO_SPACE | PCI_ENABLE_MEMORY_SPACE)
      << "decoding on for what the PnP manager assigned; bus mastering is the driver's";
  EXPECT_EQ(config.Status, 0) << "no capability list without messages";
  EXPECT_EQ(config.u.type0.BaseAddresses[0], nic.memory_base()) << "a 32-bit memory BAR";
  EXPECT_EQ(config.u.type0.BaseAddresses[1], nic.port_base() | PCI_ADDRESS_IO_SPACE);
  for (int i = 2; i < PCI_TYPE0_ADDRESSES; ++i) EXPECT_EQ(config.u.type0.BaseAddresses[i], 0u);
  EXPECT_EQ(config.u.type0.SubVendorID, 0x1028);
  EXPECT_EQ(config.u.type0.SubSystemID, 0x0123);
  EXPECT_EQ(config.u.type0.ROMBaseAddress, 0u);
  EXPECT_EQ(config.u.type0.CapabilitiesPtr, 0);
  EXPECT_EQ(config.u.type0.InterruptLine, kLineVector) << "the raw resource's level";
  EXPECT_EQ(config.u.type0.InterruptPin, 1) << "INTA#";
  EXPECT_EQ(std::memcmp(&config, nic.config_space().data(), sizeof config), 0);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(PciConfigTest, HardwareIdsNameTheSubsystemAndRevision) {  // PCI-1
  kemu::Device& nic = AddNic();
  std::array<WCHAR, 256> ids{};
  ULONG length = 0;
  ASSERT_EQ(
      IoGetDeviceProperty(nic.pdo(), DevicePropertyHardwareID, sizeof ids, ids.data(), &length),
      STATUS_SUCCESS);
  const std::wstring first(reinterpret_cast<const wchar_t*>(ids.data()));
  EXPECT_EQ(first, L"PCI\\VEN_8086&DEV_10D3&SUBSYS_01231028&REV_02");
}

TEST_P(PciConfigTest, IdsATestChangesLaterAreWhatTheNextReadSees) {  // PCI-1
  kemu::Device& nic = AddNic();
  nic.properties().vendor_id = 0x10EC;
  nic.properties().class_code = 0x0C0330;
  const PCI_COMMON_CONFIG config = Read(nic);
  EXPECT_EQ(config.VendorID, 0x10EC);
  EXPECT_EQ(config.BaseClass, 0x0C);
  EXPECT_EQ(config.SubClass, 0x03);
  EXPECT_EQ(config.ProgIf, 0x30);
  EXPECT_EQ(nic.config_space()[0], 0xEC);
}

TEST_P(PciConfigTest, ADeviceOnAnotherBusTypeHasNoPciConfigurationSpace) {  // PCI-2
  machine().AddDevice({.name = "uart",
                       .line = kemu::LineInterrupt{.vector = 0x34, .irql = 3},
                       .properties = {.bus_number = 5, .legacy_bus_type = Isa}});
  USHORT vendor = 0;
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, 0, &vendor, 0, 2), 2u)
      << "bus 0 exists; slot 0 holds no PCI function";
  EXPECT_EQ(vendor, PCI_INVALID_VENDORID);
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 5, 0, &vendor, 0, 2), 0u)
      << "no PCI bus 5: only an ISA device is there";
}

TEST_P(PciConfigTest, ALineVectorTheByteCannotHoldReadsAsUnknownNotAsAnotherLine) {  // PCI-1
  machine().AddDevice({.name = "low", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
  kemu::Device& high = machine().AddDevice(
      {.name = "high", .line = kemu::LineInterrupt{.vector = 0x151, .irql = 5}});
  EXPECT_EQ(Read(high).u.type0.InterruptLine, 0xFF) << "0x151 cut to 0x51 would name 'low'";
  EXPECT_EQ(Read(high).u.type0.InterruptPin, 1);
}

TEST_P(PciConfigTest, AFunctionOtherThanZeroIsInAMultifunctionDevice) {
  kemu::Device& second = machine().AddDevice(
      {.name = "f1", .properties = {.bus_number = 2, .pci_device = 5, .pci_function = 1}});
  EXPECT_EQ(second.pci_bus(), 2u);
  EXPECT_EQ(second.pci_slot(), 5u | 1u << 5);
  const PCI_COMMON_CONFIG config = Read(second);
  EXPECT_TRUE(PCI_MULTIFUNCTION_DEVICE(&config));
  EXPECT_EQ(PCI_CONFIGURATION_TYPE(&config), PCI_DEVICE_TYPE);
  EXPECT_EQ(config.u.type0.InterruptPin, 0) << "no line";
  EXPECT_EQ(config.u.type0.InterruptLine, 0xFF);
  EXPECT_EQ(config.Command, 0) << "nothing to decode";
}

TEST_P(PciConfigTest, AnEmptySlotReturnsTwoWithTheInvalidVendorId) {  // PCI-2
  AddNic();                                                           // slot 0
  PCI_SLOT_NUMBER slot{};
  slot.u.bits.DeviceNumber = 7;
  PCI_COMMON_CONFIG config;
  std::memset(&config, 0, sizeof config);
  EXPECT_EQ(
      HalGetBusDataByOffset(PCIConfiguration, 0, slot.u.AsULONG, &config, 0, PCI_COMMON_HDR_LENGTH),
      2u);
  EXPECT_EQ(config.VendorID, PCI_INVALID_VENDORID);
  USHORT command = 0x1234;
  EXPECT_EQ(HalSetBusDataByOffset(PCIConfiguration, 0, slot.u.AsULONG, &command, 4, 2), 0u)
      << "nothing to write to";
}

TEST_P(PciConfigTest, AMissingBusOrSegmentReturnsZero) {  // PCI-2
  machine().AddDevice({.name = "far", .properties = {.bus_number = 3}});
  UCHAR byte = 0x5A;
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 1, 0, &byte, 0, 1), 0u);
  EXPECT_EQ(byte, 0x5A) << "nothing written";
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 3, 0, &byte, 0, 1), 1u) << "bus 3 exists";
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, 7, &byte, 0, 1), 2u)
      << "bus 0 always exists";
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 1u << 8 | 3, 0, &byte, 0, 1), 0u)
      << "segment 1 holds no bus";
}

TEST_P(PciConfigTest, AccessIsClippedToTheTwoHundredFiftySixBytes) {  // PCI-3
  kemu::Device& nic = AddNic();
  std::array<UCHAR, 16> bytes{};
  EXPECT_EQ(
      HalGetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), bytes.data(), 250, bytes.size()),
      6u);
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), bytes.data(), 256, 4), 0u);
  EXPECT_EQ(HalSetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), bytes.data(), 254, 4), 2u);
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), nullptr, 0, 0), 0u)
      << "nothing asked, nothing read";
}

TEST_P(PciConfigTest, ReadOnlyRegistersKeepTheirValues) {  // PCI-3
  kemu::Device& nic = AddNic();
  const PCI_COMMON_CONFIG before = Read(nic);
  PCI_COMMON_CONFIG garbage;
  std::memset(&garbage, 0x5A, sizeof garbage);
  garbage.Command = before.Command;  // decoding stays on
  std::memcpy(garbage.u.type0.BaseAddresses, before.u.type0.BaseAddresses,
              sizeof before.u.type0.BaseAddresses);
  EXPECT_EQ(HalSetBusData(PCIConfiguration, 0, nic.pci_slot(), &garbage, sizeof garbage),
            sizeof garbage)
      << "every byte is taken, as far as the hardware takes it";
  const PCI_COMMON_CONFIG after = Read(nic);
  EXPECT_EQ(after.VendorID, 0x8086);
  EXPECT_EQ(after.DeviceID, 0x10D3);
  EXPECT_EQ(after.RevisionID, 0x02);
  EXPECT_EQ(after.BaseClass, 0x02);
  EXPECT_EQ(after.HeaderType, PCI_DEVICE_TYPE);
  EXPECT_EQ(after.Status, 0) << "writing ones to the error bits clears them; nothing else moves";
  EXPECT_EQ(after.u.type0.SubVendorID, 0x1028);
  EXPECT_EQ(after.u.type0.InterruptPin, 1);
  EXPECT_EQ(after.u.type0.ROMBaseAddress, 0u) << "no expansion ROM";
  EXPECT_EQ(after.u.type0.InterruptLine, 0x5A) << "the line register is the driver's";
  EXPECT_EQ(after.CacheLineSize, 0x5A);
  EXPECT_EQ(after.LatencyTimer, 0x5A);
  EXPECT_EQ(after.DeviceSpecific[0x20], 0) << "past the capability: unimplemented, reads 0";
}

TEST_P(PciConfigTest, CommandTakesOnlyTheBitsAFunctionImplements) {  // PCI-3
  kemu::Device& nic = AddNic();
  EXPECT_EQ(Write<USHORT>(nic, FIELD_OFFSET(PCI_COMMON_CONFIG, Command), 0xFFFF), 2u);
  EXPECT_EQ(Read(nic).Command, PCI_ENABLE_IO_SPACE | PCI_ENABLE_MEMORY_SPACE |
                                   PCI_ENABLE_BUS_MASTER | PCI_ENABLE_PARITY | PCI_ENABLE_SERR |
                                   PCI_DISABLE_LEVEL_INTERRUPT);
  EXPECT_EQ(nic.config_space()[4] & PCI_ENABLE_BUS_MASTER, PCI_ENABLE_BUS_MASTER)
      << "Device::config_space shows what the driver wrote";
}

TEST_P(PciConfigTest, TheSizingProbeReadsBackEachBarsSize) {  // PCI-4
  kemu::Device& nic = AddNic();
  const ULONG bar0 = FIELD_OFFSET(PCI_COMMON_CONFIG, u.type0.BaseAddresses[0]);
  const ULONG bar1 = bar0 + 4;
  EXPECT_EQ(Write<ULONG>(nic, bar0, 0xFFFFFFFF), 4u);
  EXPECT_EQ(Write<ULONG>(nic, bar1, 0xFFFFFFFF), 4u);
  PCI_COMMON_CONFIG probed = Read(nic);
  EXPECT_EQ(probed.u.type0.BaseAddresses[0], 0xFFFFC000u) << "0x3000 bytes decode 16 KB";
  EXPECT_EQ(probed.u.type0.BaseAddresses[1], 0xFFFFFFE1u) << "32 ports, I/O space";
  EXPECT_EQ(Write<ULONG>(nic, bar0, static_cast<ULONG>(nic.memory_base())), 4u);
  EXPECT_EQ(Write<ULONG>(nic, bar1, nic.port_base()), 4u);
  probed = Read(nic);
  EXPECT_EQ(probed.u.type0.BaseAddresses[0], nic.memory_base());
  EXPECT_EQ(probed.u.type0.BaseAddresses[1], nic.port_base() | PCI_ADDRESS_IO_SPACE);
  EXPECT_EQ(Write<ULONG>(nic, bar0 + 8, 0xFFFFFFFF), 4u);
  EXPECT_EQ(Read(nic).u.type0.BaseAddresses[2], 0u) << "an unimplemented BAR stays 0";
}

TEST_P(PciConfigTest, MovingABarIsNotModelled) {  // PCI-4
  kemu::Device& nic = AddNic();
  const ULONG bar0 = FIELD_OFFSET(PCI_COMMON_CONFIG, u.type0.BaseAddresses[0]);
  try {
    Write<ULONG>(nic, bar0, 0xE0000000);
    ADD_FAILURE() << "expected kemu::NotModelled";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("moving BAR0 from 0xf0000000 to 0xe0000000"));
  }
}

TEST_P(PciConfigTest, AnMsiCapableFunctionListsItsCapabilityEnabledWhereMessagesWereGranted) {
  // PCI-5
  kemu::Device& nic = AddNic(/*messages=*/4);
  const PCI_COMMON_CONFIG config = Read(nic);
  EXPECT_EQ(config.Status & PCI_STATUS_CAPABILITIES_LIST, PCI_STATUS_CAPABILITIES_LIST);
  ASSERT_EQ(config.u.type0.CapabilitiesPtr, 0x40);
  const UCHAR* cap = reinterpret_cast<const UCHAR*>(&config) + 0x40;
  PCI_CAPABILITIES_HEADER header;
  std::memcpy(&header, cap, sizeof header);
  EXPECT_EQ(header.CapabilityID, PCI_CAPABILITY_ID_MSI);
  EXPECT_EQ(header.Next, 0) << "the only capability";
  USHORT control = 0;
  ULONG address = 0;
  USHORT data = 0;
  std::memcpy(&control, cap + 2, sizeof control);
  std::memcpy(&address, cap + 4, sizeof address);
  std::memcpy(&data, cap + 12, sizeof data);
  EXPECT_EQ(control & 0x0E, 2 << 1) << "four messages capable";
  EXPECT_EQ(control & 0x80, 0x80) << "64-bit address capable";
  if (machine().personality().supports_msi) {
    ASSERT_EQ(nic.granted_messages(), 4u);
    EXPECT_EQ(control & 0x01, 0x01) << "enabled";
    EXPECT_EQ(control & 0x70, 2 << 4) << "four messages enabled";
    EXPECT_EQ(address, 0xFEE00000u);
    const auto* translated = nic.translated_resources();
    const CM_PARTIAL_RESOURCE_DESCRIPTOR& message =
        translated->List[0].PartialResourceList.PartialDescriptors[2];  // after memory, ports
    ASSERT_EQ(message.Flags & CM_RESOURCE_INTERRUPT_MESSAGE, CM_RESOURCE_INTERRUPT_MESSAGE);
    EXPECT_EQ(data, message.u.MessageInterrupt.Translated.Vector) << "the first message's vector";
  } else {
    EXPECT_EQ(control & 0x71, 0) << "the hardware has MSI; a pre-Vista OS never enables it";
    EXPECT_EQ(address, 0u);
    EXPECT_EQ(data, 0);
  }
}

TEST_P(PciConfigTest, AnMsixFunctionListsItsTableSize) {  // PCI-5
  kemu::Device& nic = AddNic(/*messages=*/8, /*msix=*/true);
  const PCI_COMMON_CONFIG config = Read(nic);
  ASSERT_EQ(config.u.type0.CapabilitiesPtr, 0x40);
  const UCHAR* cap = reinterpret_cast<const UCHAR*>(&config) + 0x40;
  EXPECT_EQ(cap[0], PCI_CAPABILITY_ID_MSIX);
  USHORT control = 0;
  std::memcpy(&control, cap + 2, sizeof control);
  EXPECT_EQ(control & 0x07FF, 7) << "table size - 1";
  EXPECT_EQ((control & 0x8000) != 0, machine().personality().supports_msi) << "enabled";
}

TEST_P(PciConfigTest, OtherBusTypesReadNothingAndCmosIsNotModelled) {  // PCI-6
  kemu::Device& nic = AddNic();
  UCHAR byte = 0x5A;
  EXPECT_EQ(HalGetBusDataByOffset(EisaConfiguration, 0, nic.pci_slot(), &byte, 0, 1), 0u);
  EXPECT_EQ(HalSetBusData(Pos, 0, 0, &byte, 1), 0u);
  EXPECT_EQ(byte, 0x5A);
  EXPECT_THROW(HalGetBusData(Cmos, 0, 0x0A, &byte, 1), kemu::NotModelled);
}

TEST_P(PciConfigTest, PciAccessAtDispatchLevelIsAllowed) {  // PCI-6
  kemu::Device& nic = AddNic();
  USHORT vendor = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), &vendor, 0, 2), 2u);
  KeLowerIrql(old);
  EXPECT_EQ(vendor, 0x8086);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(PciConfigTest, PciAccessAboveDispatchLevelBugChecks) {  // PCI-6
  kemu::Device& nic = AddNic();
  USHORT vendor = 0;
  const kemu::BugCheck crash = CrashOf([&] {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    (void)HalGetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), &vendor, 0, 2);
  });
  EXPECT_THAT(crash.what(), HasSubstr("HalGetBusDataByOffset was called at IRQL 15"));
}

TEST_P(PciConfigTest, ANullBufferIsAnAccessViolation) {  // PCI-6
  kemu::Device& nic = AddNic();
  const kemu::BugCheck crash = CrashOf(
      [&] { (void)HalSetBusDataByOffset(PCIConfiguration, 0, nic.pci_slot(), nullptr, 4, 2); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled));
  EXPECT_THAT(crash.what(), HasSubstr("HalSetBusDataByOffset was passed NULL for Buffer"));
}

TEST_P(PciConfigTest, ALegacyCDriverFindsItsFunctionAndEnablesBusMastering) {
  machine().AddDevice({.name = "other", .properties = {.vendor_id = 0x10EC, .device_id = 0x8139}});
  kemu::Device& card = machine().AddDevice(
      {.name = "card",
       .line = kemu::LineInterrupt{.vector = 0x53, .irql = 6},
       .memory_bytes = 0x1000,
       .properties = {.vendor_id = 0x1AF4, .device_id = 0x1000, .bus_number = 1, .pci_device = 9}});
  PCI_LEGACY_FUNCTION found{};
  ASSERT_TRUE(PciLegacyFind(0x1AF4, 0x1000, &found));
  EXPECT_EQ(found.Bus, 1u);
  EXPECT_EQ(found.Slot, 9u);
  EXPECT_EQ(found.MemoryBase, card.memory_base());
  EXPECT_EQ(found.InterruptLine, 0x53);
  EXPECT_EQ(found.InterruptPin, 1);
  EXPECT_TRUE(PciLegacyEnableBusMaster(&found));
  EXPECT_EQ(card.config_space()[4] & PCI_ENABLE_BUS_MASTER, PCI_ENABLE_BUS_MASTER);
  EXPECT_EQ(PciLegacyMemoryBarSize(&found), 0x1000u);
  ULONG bar0 = 0;
  std::memcpy(&bar0, card.config_space().data() + 0x10, sizeof bar0);
  EXPECT_EQ(bar0, card.memory_base()) << "the BAR holds its address again";
  PCI_LEGACY_FUNCTION none{};
  EXPECT_FALSE(PciLegacyFind(0xFFFE, 0x0001, &none));
  EXPECT_FALSE(machine().crashed());
}

}  // namespace
