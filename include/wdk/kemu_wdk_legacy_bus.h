// kemu_wdk_legacy_bus.h — the HAL's routines for drivers that find their own hardware (<ntddk.h>
// only): read and write a PCI function's configuration space, map its bus-relative interrupt to
// the vector, DIRQL and affinity IoConnectInterrupt takes, and its bus addresses to the ones
// MmMapIoSpace and the port routines take.
//
// Only PCIConfiguration is served by the bus-data routines; Microsoft documents every other
// BUS_DATA_TYPE as deprecated, and kemu answers them with 0 bytes, as a platform without that bus
// does. The PCI routines may be called at IRQL <= DISPATCH_LEVEL. Reading a slot with no function
// returns 2 with VendorID PCI_INVALID_VENDORID; a bus that does not exist returns 0.
//
//   PCI_COMMON_CONFIG config;
//   if (HalGetBusDataByOffset(PCIConfiguration, bus, slot, &config, 0, PCI_COMMON_HDR_LENGTH) ==
//       PCI_COMMON_HDR_LENGTH) {
//     KIRQL irql;
//     KAFFINITY affinity;
//     ULONG vector = HalGetInterruptVector(PCIBus, bus, config.u.type0.InterruptLine,
//                                          config.u.type0.InterruptLine, &irql, &affinity);
//     IoConnectInterrupt(&interrupt, MyIsr, context, NULL, vector, irql, irql, LevelSensitive,
//                        TRUE, affinity, FALSE);
//   }
#ifndef KEMU_WDK_LEGACY_BUS_H_
#define KEMU_WDK_LEGACY_BUS_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_cm.h"
#include "kemu_wdk_ke.h"
#include "kemu_wdk_pci.h"

/// Which configuration space the Hal*BusData* routines address.
typedef enum _BUS_DATA_TYPE KEMU_WDK_ENUM_INT {
  ConfigurationSpaceUndefined = -1,
  Cmos = 0,
  EisaConfiguration = 1,
  Pos = 2,
  CbusConfiguration = 3,
  PCIConfiguration = 4,
  VMEConfiguration = 5,
  NuBusConfiguration = 6,
  PCMCIAConfiguration = 7,
  MPIConfiguration = 8,
  MPSAConfiguration = 9,
  PNPISAConfiguration = 10,
  SgiInternalConfiguration = 11,
  MaximumBusDataType = 12
} BUS_DATA_TYPE,
    *PBUS_DATA_TYPE;

KEMU_WDK_STATIC_ASSERT(sizeof(BUS_DATA_TYPE) == 4, "BUS_DATA_TYPE is a 4-byte enum");

KEMU_WDK_BEGIN_DECLS

/// Copies up to Length bytes of the slot's configuration space, from Offset, into Buffer; returns
/// how many it copied. BusNumber carries the segment in bits 8 and up.
NTHALAPI ULONG NTAPI HalGetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber,
                                           ULONG SlotNumber, PVOID Buffer, ULONG Offset,
                                           ULONG Length);
/// Writes Length bytes from Buffer into the slot's configuration space at Offset; returns how
/// many it wrote. Read-only registers keep their values.
NTHALAPI ULONG NTAPI HalSetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber,
                                           ULONG SlotNumber, PVOID Buffer, ULONG Offset,
                                           ULONG Length);
/// HalGetBusDataByOffset from offset 0.
NTHALAPI ULONG NTAPI HalGetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
                                   PVOID Buffer, ULONG Length);
/// HalSetBusDataByOffset at offset 0.
NTHALAPI ULONG NTAPI HalSetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
                                   PVOID Buffer, ULONG Length);

/// The system vector for a bus-relative interrupt level (and vector) on bus BusNumber of type
/// InterfaceType, with its DIRQL in *Irql and the processors it may interrupt in *Affinity: the
/// three values to pass, unchanged, to IoConnectInterrupt. IRQL PASSIVE_LEVEL. Obsolete, kept for
/// drivers of devices the PnP manager does not enumerate.
NTHALAPI ULONG NTAPI HalGetInterruptVector(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                           ULONG BusInterruptLevel, ULONG BusInterruptVector,
                                           PKIRQL Irql, PKAFFINITY Affinity);

/// Translates BusAddress on bus BusNumber of type InterfaceType into the address the processor
/// uses: *AddressSpace is 0 for memory (pass *TranslatedAddress to MmMapIoSpace) or 1 for I/O
/// ports on entry, and says which space *TranslatedAddress is in on return. TRUE once translated.
/// On x64 both spaces translate to themselves. Obsolete, kept for drivers of devices the PnP
/// manager does not enumerate (they read their BARs from configuration space):
///
///   ULONG space = 0;  // memory
///   PHYSICAL_ADDRESS cpu;
///   PHYSICAL_ADDRESS bar = {.QuadPart = config.u.type0.BaseAddresses[0] & ~0xFull};
///   if (HalTranslateBusAddress(PCIBus, bus, bar, &space, &cpu) && space == 0)
///     registers = MmMapIoSpace(cpu, 0x1000, MmNonCached);
NTHALAPI BOOLEAN NTAPI HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                              PHYSICAL_ADDRESS BusAddress, PULONG AddressSpace,
                                              PPHYSICAL_ADDRESS TranslatedAddress);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_LEGACY_BUS_H_
