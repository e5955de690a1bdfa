// The HAL's bus-data routines: a PCI function's configuration space (model/pci_config.hpp;
// docs/windows-facts.md §20). Only PCIConfiguration is served; Microsoft documents every other
// bus data type as deprecated, and a type the platform lacks reads and writes 0 bytes.
#include <ntddk.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include "abi/entry.hpp"
#include "model/devices.hpp"

namespace {

enum class Access { kRead, kWrite };

ULONG BusData(kemu::model::Kernel& kernel, const char* routine, Access access, BUS_DATA_TYPE type,
              ULONG bus_number, ULONG slot_number, PVOID buffer, ULONG offset, ULONG length) {
  // Read as the integer the driver passed: a C caller may pass any value as the enum.
  const auto bus_data_type = static_cast<std::uint32_t>(kemu::abi::Arg(type));
  if (bus_data_type != PCIConfiguration) {
    // Every other type is for IRQL PASSIVE_LEVEL callers. CMOS is the one the HAL may still
    // serve through HalGetBusData and HalSetBusData, and kemu models no CMOS: it says so rather
    // than answer for it.
    kemu::abi::AtMost(kernel, routine, PASSIVE_LEVEL);
    if (bus_data_type == Cmos) {
      kernel.ThrowNotModelled(std::string(routine) + " (Cmos: kemu models no CMOS)");
    }
    return 0;
  }
  kemu::abi::AtMost(kernel, routine, DISPATCH_LEVEL);
  if (length == 0) return 0;
  kernel.verifier().Dereferenced(routine, buffer, "Buffer");
  // BusNumber carries the segment above bit 7; kemu's buses are all in segment 0.
  if ((bus_number >> 8) != 0 || !kernel.devices().PciBusExists(bus_number)) return 0;
  // PCI_SLOT_NUMBER: the device number in bits 0-4, the function number in bits 5-7; the
  // reserved bits above are ignored.
  kemu::model::DeviceState* device =
      kernel.devices().FindPciFunction(bus_number, slot_number & 0x1F, (slot_number >> 5) & 0x7);
  auto* bytes = static_cast<std::uint8_t*>(buffer);
  if (device == nullptr) {
    if (access == Access::kWrite) return 0;
    // An empty slot: the bus exists, nothing answers, VendorID reads PCI_INVALID_VENDORID.
    for (ULONG at = offset; at < 2 && at - offset < length; ++at) bytes[at - offset] = 0xFF;
    return 2;
  }
  device->pci.SetIdentity(device->config.properties);  // a test may have changed them
  constexpr std::size_t kSize = kemu::model::PciConfigSpace::kSize;
  if (offset >= kSize) return 0;
  const auto count = static_cast<ULONG>(std::min<std::size_t>(length, kSize - offset));
  if (access == Access::kRead) {
    device->pci.Read(offset, std::span<std::uint8_t>(bytes, count));
  } else if (const std::string unmodelled =
                 device->pci.Write(offset, std::span<const std::uint8_t>(bytes, count));
             !unmodelled.empty()) {
    kernel.ThrowNotModelled(unmodelled);
  }
  return count;
}

}  // namespace

extern "C" {

ULONG HalGetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
                            PVOID Buffer, ULONG Offset, ULONG Length) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(HalGetBusDataByOffset, KEMU_ARG(BusDataType), KEMU_ARG(BusNumber),
                 KEMU_ARG(SlotNumber), KEMU_ARG(Buffer), KEMU_ARG(Offset), KEMU_ARG(Length));
  return BusData(kernel, "HalGetBusDataByOffset", Access::kRead, BusDataType, BusNumber, SlotNumber,
                 Buffer, Offset, Length);
}

ULONG HalSetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
                            PVOID Buffer, ULONG Offset, ULONG Length) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(HalSetBusDataByOffset, KEMU_ARG(BusDataType), KEMU_ARG(BusNumber),
                 KEMU_ARG(SlotNumber), KEMU_ARG(Buffer), KEMU_ARG(Offset), KEMU_ARG(Length));
  return BusData(kernel, "HalSetBusDataByOffset", Access::kWrite, BusDataType, BusNumber,
                 SlotNumber, Buffer, Offset, Length);
}

ULONG HalGetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer,
                    ULONG Length) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(HalGetBusData, KEMU_ARG(BusDataType), KEMU_ARG(BusNumber), KEMU_ARG(SlotNumber),
                 KEMU_ARG(Buffer), KEMU_ARG(Length));
  return BusData(kernel, "HalGetBusData", Access::kRead, BusDataType, BusNumber, SlotNumber, Buffer,
                 0, Length);
}

ULONG HalSetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer,
                    ULONG Length) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(HalSetBusData, KEMU_ARG(BusDataType), KEMU_ARG(BusNumber), KEMU_ARG(SlotNumber),
                 KEMU_ARG(Buffer), KEMU_ARG(Length));
  return BusData(kernel, "HalSetBusData", Access::kWrite, BusDataType, BusNumber, SlotNumber,
                 Buffer, 0, Length);
}

}  // extern "C"
