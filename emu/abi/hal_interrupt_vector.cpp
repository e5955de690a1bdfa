// HalGetInterruptVector: a legacy driver's bus-relative interrupt mapped to what
// IoConnectInterrupt takes (docs/windows-facts.md §20). kemu's PnP manager reports a line's raw
// level as its vector, so the level a driver reads from its resources or its PCI InterruptLine
// names the device; the vector, DIRQL and affinity are the line's translated resource.
#include <fmt/format.h>
#include <ntddk.h>

#include "abi/entry.hpp"
#include "model/devices.hpp"

extern "C" ULONG HalGetInterruptVector(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                       ULONG BusInterruptLevel, ULONG BusInterruptVector,
                                       PKIRQL Irql, PKAFFINITY Affinity) {
  static constexpr const char* kRoutine = "HalGetInterruptVector";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(HalGetInterruptVector, KEMU_ARG(InterfaceType), KEMU_ARG(BusNumber),
                 KEMU_ARG(BusInterruptLevel), KEMU_ARG(BusInterruptVector), KEMU_ARG(Irql),
                 KEMU_ARG(Affinity));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kernel.verifier().Dereferenced(kRoutine, Irql, "Irql");
  kernel.verifier().Dereferenced(kRoutine, Affinity, "Affinity");
  // Read as the integer the driver passed: a C caller may pass any value as the enum.
  const auto type = static_cast<INTERFACE_TYPE>(kemu::abi::Arg(InterfaceType));
  const kemu::model::DeviceState* device =
      kernel.devices().FindByBusInterrupt(type, BusNumber, BusInterruptLevel);
  if (device == nullptr) {
    // A HAL maps any interrupt its controllers have; kemu has only its devices' lines, and a
    // vector no device raises would be a made-up answer.
    kernel.ThrowNotModelled(fmt::format(
        "{} for bus-relative level {:#x} on bus {} of interface type {}: no device of the "
        "machine has that line (kemu's raw level of a line is its vector)",
        kRoutine, BusInterruptLevel, BusNumber, static_cast<int>(type)));
  }
  const kemu::LineInterrupt& line = *device->config.line;
  *Irql = line.irql;
  *Affinity = static_cast<KAFFINITY>(line.affinity) & kernel.active_processors();
  return line.vector;
}
