/* The C legacy driver of pci_legacy_driver.c, for pci_config_test.cpp. */
#ifndef KEMU_TESTS_UNIT_PCI_LEGACY_DRIVER_H_
#define KEMU_TESTS_UNIT_PCI_LEGACY_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the driver found its function, and what it read from the header. */
typedef struct _PCI_LEGACY_FUNCTION {
  ULONG Bus;
  ULONG Slot; /* a PCI_SLOT_NUMBER */
  ULONG MemoryBase;
  UCHAR InterruptLine;
  UCHAR InterruptPin;
} PCI_LEGACY_FUNCTION, *PPCI_LEGACY_FUNCTION;

/* Scans every bus for the first function with the IDs; FALSE when there is none. */
BOOLEAN PciLegacyFind(USHORT VendorId, USHORT DeviceId, PPCI_LEGACY_FUNCTION Found);
/* Sets PCI_ENABLE_BUS_MASTER in the function's Command register. */
BOOLEAN PciLegacyEnableBusMaster(const PCI_LEGACY_FUNCTION* Function);
/* The size BAR0 decodes, found by the sizing probe; BAR0 keeps its address. */
ULONG PciLegacyMemoryBarSize(const PCI_LEGACY_FUNCTION* Function);

/* Maps the function's InterruptLine with HalGetInterruptVector and connects Isr to it with
 * IoConnectInterrupt, level-sensitive and shared, as a legacy PCI driver does. */
NTSTATUS PciLegacyConnect(const PCI_LEGACY_FUNCTION* Function, PKSERVICE_ROUTINE Isr, PVOID Context,
                          PKINTERRUPT* Interrupt);

/* Translates BAR0's bus address with HalTranslateBusAddress and maps Bytes of it with
 * MmMapIoSpace; NULL when the HAL gives no memory address for it. */
PVOID PciLegacyMapRegisters(const PCI_LEGACY_FUNCTION* Function, ULONG Bytes);

#ifdef __cplusplus
}
#endif

#endif /* KEMU_TESTS_UNIT_PCI_LEGACY_DRIVER_H_ */
