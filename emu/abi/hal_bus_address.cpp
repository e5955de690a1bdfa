// HalTranslateBusAddress: a legacy driver's bus-relative register address (a BAR it read from
// configuration space) mapped to the address the processor uses (docs/windows-facts.md §20). x64
// has one physical address space and keeps ports as ports, so an address in a device's granted
// range translates to itself, in the space it was given in.
#include <fmt/format.h>
#include <ntddk.h>

#include "abi/entry.hpp"
#include "model/devices.hpp"

extern "C" BOOLEAN HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                          PHYSICAL_ADDRESS BusAddress, PULONG AddressSpace,
                                          PPHYSICAL_ADDRESS TranslatedAddress) {
  static constexpr const char* kRoutine = "HalTranslateBusAddress";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(HalTranslateBusAddress, KEMU_ARG(InterfaceType), KEMU_ARG(BusNumber),
                 kemu::model::CallArg{"BusAddress", kemu::abi::Arg(BusAddress.QuadPart)},
                 KEMU_ARG(AddressSpace), KEMU_ARG(TranslatedAddress));
  kernel.verifier().Dereferenced(kRoutine, AddressSpace, "AddressSpace");
  kernel.verifier().Dereferenced(kRoutine, TranslatedAddress, "TranslatedAddress");
  // Read as the integer the driver passed: a C caller may pass any value as the enum.
  const auto type = static_cast<INTERFACE_TYPE>(kemu::abi::Arg(InterfaceType));
  const ULONG space = *AddressSpace;
  if (space > 1) {
    // Other values select spaces of other architectures' HALs (dense and sparse Alpha memory);
    // x64 documents only 0 and 1.
    kernel.ThrowNotModelled(fmt::format(
        "{} with *AddressSpace {:#x} (kemu knows 0, memory, and 1, I/O ports)", kRoutine, space));
  }
  const auto address = static_cast<std::uint64_t>(BusAddress.QuadPart);
  if (kernel.devices().FindByBusAddress(type, BusNumber, address, /*port=*/space == 1) == nullptr) {
    // A HAL translates whatever its buses decode; kemu knows only its devices' ranges, and a
    // translation of an address no device answers would be made up.
    kernel.ThrowNotModelled(fmt::format(
        "{} of {} address {:#x} on bus {} of interface type {}: no device of the machine was "
        "granted it",
        kRoutine, space == 1 ? "I/O port" : "memory", address, BusNumber, static_cast<int>(type)));
  }
  TranslatedAddress->QuadPart = BusAddress.QuadPart;
  *AddressSpace = space;
  return TRUE;
}
