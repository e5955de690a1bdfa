/* A legacy (non-PnP) driver's device discovery for pci_config_test.cpp, written in C17 against
 * <ntddk.h> as NT 4-era drivers find their hardware: walk every bus, slot and function with
 * HalGetBusDataByOffset until the vendor and device ID match, take the BAR and interrupt line
 * from the header, turn bus mastering on with HalSetBusDataByOffset, map the BAR at the address
 * HalTranslateBusAddress gives, and connect the ISR to the vector HalGetInterruptVector maps the
 * line to. */
#include "pci_legacy_driver.h"

#include <ntddk.h>

#ifdef __cplusplus
#error "pci_legacy_driver.c must be compiled as C"
#endif

BOOLEAN PciLegacyFind(USHORT VendorId, USHORT DeviceId, PPCI_LEGACY_FUNCTION Found) {
  ULONG bus;
  for (bus = 0; bus <= PCI_MAX_BRIDGE_NUMBER; ++bus) {
    ULONG device;
    for (device = 0; device < PCI_MAX_DEVICES; ++device) {
      ULONG function;
      for (function = 0; function < PCI_MAX_FUNCTION; ++function) {
        PCI_SLOT_NUMBER slot;
        PCI_COMMON_CONFIG config;
        ULONG read;
        slot.u.AsULONG = 0;
        slot.u.bits.DeviceNumber = device;
        slot.u.bits.FunctionNumber = function;
        read = HalGetBusDataByOffset(PCIConfiguration, bus, slot.u.AsULONG, &config, 0,
                                     PCI_COMMON_HDR_LENGTH);
        if (read == 0) goto next_bus;                                       /* no such bus */
        if (read == 2 || config.VendorID == PCI_INVALID_VENDORID) continue; /* empty slot */
        if (config.VendorID != VendorId || config.DeviceID != DeviceId) continue;
        if (PCI_CONFIGURATION_TYPE(&config) != PCI_DEVICE_TYPE) continue;
        Found->Bus = bus;
        Found->Slot = slot.u.AsULONG;
        Found->MemoryBase = config.u.type0.BaseAddresses[0] & PCI_ADDRESS_MEMORY_ADDRESS_MASK;
        Found->InterruptLine = config.u.type0.InterruptLine;
        Found->InterruptPin = config.u.type0.InterruptPin;
        return TRUE;
      }
    }
  next_bus:;
  }
  return FALSE;
}

BOOLEAN PciLegacyEnableBusMaster(const PCI_LEGACY_FUNCTION* Function) {
  USHORT command = 0;
  if (HalGetBusDataByOffset(PCIConfiguration, Function->Bus, Function->Slot, &command,
                            FIELD_OFFSET(PCI_COMMON_CONFIG, Command),
                            sizeof(command)) != sizeof(command)) {
    return FALSE;
  }
  command |= PCI_ENABLE_BUS_MASTER;
  return HalSetBusDataByOffset(PCIConfiguration, Function->Bus, Function->Slot, &command,
                               FIELD_OFFSET(PCI_COMMON_CONFIG, Command),
                               sizeof(command)) == sizeof(command);
}

ULONG PciLegacyMemoryBarSize(const PCI_LEGACY_FUNCTION* Function) {
  /* The PCI specification's sizing: write all ones, read back the mask, restore the address. */
  const ULONG offset = FIELD_OFFSET(PCI_COMMON_CONFIG, u.type0.BaseAddresses[0]);
  ULONG original = 0;
  ULONG probe = 0xFFFFFFFF;
  HalGetBusDataByOffset(PCIConfiguration, Function->Bus, Function->Slot, &original, offset,
                        sizeof(original));
  HalSetBusDataByOffset(PCIConfiguration, Function->Bus, Function->Slot, &probe, offset,
                        sizeof(probe));
  HalGetBusDataByOffset(PCIConfiguration, Function->Bus, Function->Slot, &probe, offset,
                        sizeof(probe));
  HalSetBusDataByOffset(PCIConfiguration, Function->Bus, Function->Slot, &original, offset,
                        sizeof(original));
  return ~(probe & PCI_ADDRESS_MEMORY_ADDRESS_MASK) + 1;
}

NTSTATUS PciLegacyConnect(const PCI_LEGACY_FUNCTION* Function, PKSERVICE_ROUTINE Isr, PVOID Context,
                          PKINTERRUPT* Interrupt) {
  KIRQL irql = 0;
  KAFFINITY affinity = 0;
  const ULONG vector = HalGetInterruptVector(PCIBus, Function->Bus, Function->InterruptLine,
                                             Function->InterruptLine, &irql, &affinity);
  return IoConnectInterrupt(Interrupt, Isr, Context, NULL, vector, irql, irql, LevelSensitive, TRUE,
                            affinity, FALSE);
}

PVOID PciLegacyMapRegisters(const PCI_LEGACY_FUNCTION* Function, ULONG Bytes) {
  ULONG space = 0; /* memory */
  PHYSICAL_ADDRESS bus_address;
  PHYSICAL_ADDRESS translated;
  bus_address.QuadPart = Function->MemoryBase;
  if (!HalTranslateBusAddress(PCIBus, Function->Bus, bus_address, &space, &translated) ||
      space != 0) {
    return NULL;
  }
  return MmMapIoSpace(translated, Bytes, MmNonCached);
}
