// kemu_wdk_pci.h — PCI configuration space as drivers read it (PCI_COMMON_CONFIG, PCI_SLOT_NUMBER,
// capability headers and the register bits).
//
// A legacy driver finds and configures its function through HalGetBusDataByOffset and
// HalSetBusDataByOffset (<ntddk.h>) with these layouts. The header is the PCI specification's
// 64-byte type 0 (device) or type 1 (bridge) header; DeviceSpecific holds the rest of the
// 256-byte space, where the capability list lives.
//
//   PCI_COMMON_CONFIG config;
//   PCI_SLOT_NUMBER slot = {0};
//   slot.u.bits.DeviceNumber = 3;
//   if (HalGetBusDataByOffset(PCIConfiguration, 0, slot.u.AsULONG, &config, 0,
//                             PCI_COMMON_HDR_LENGTH) == PCI_COMMON_HDR_LENGTH &&
//       config.VendorID != PCI_INVALID_VENDORID) {
//     config.Command |= PCI_ENABLE_BUS_MASTER;
//     HalSetBusDataByOffset(PCIConfiguration, 0, slot.u.AsULONG, &config.Command,
//                           FIELD_OFFSET(PCI_COMMON_CONFIG, Command), sizeof(config.Command));
//   }
#ifndef KEMU_WDK_PCI_H_
#define KEMU_WDK_PCI_H_

#include "kemu_wdk_base.h"

/// The SlotNumber of the Hal*BusData* routines for PCIConfiguration: device and function.
typedef struct _PCI_SLOT_NUMBER {
  union {
    struct {
      ULONG DeviceNumber : 5;
      ULONG FunctionNumber : 3;
      ULONG Reserved : 24;
    } bits;
    ULONG AsULONG;
  } u;
} PCI_SLOT_NUMBER, *PPCI_SLOT_NUMBER;

#define PCI_TYPE0_ADDRESSES 6
#define PCI_TYPE1_ADDRESSES 2

/// Offsets 0x10-0x3F of a device (header type 0).
struct _PCI_HEADER_TYPE_0 {
  ULONG BaseAddresses[PCI_TYPE0_ADDRESSES];
  ULONG CIS;
  USHORT SubVendorID;
  USHORT SubSystemID;
  ULONG ROMBaseAddress;
  UCHAR CapabilitiesPtr;
  UCHAR Reserved1[3];
  ULONG Reserved2;
  UCHAR InterruptLine;
  UCHAR InterruptPin;
  UCHAR MinimumGrant;
  UCHAR MaximumLatency;
};

/// Offsets 0x10-0x3F of a PCI-to-PCI bridge (header type 1).
struct _PCI_HEADER_TYPE_1 {
  ULONG BaseAddresses[PCI_TYPE1_ADDRESSES];
  UCHAR PrimaryBus;
  UCHAR SecondaryBus;
  UCHAR SubordinateBus;
  UCHAR SecondaryLatency;
  UCHAR IOBase;
  UCHAR IOLimit;
  USHORT SecondaryStatus;
  USHORT MemoryBase;
  USHORT MemoryLimit;
  USHORT PrefetchBase;
  USHORT PrefetchLimit;
  ULONG PrefetchBaseUpper32;
  ULONG PrefetchLimitUpper32;
  USHORT IOBaseUpper16;
  USHORT IOLimitUpper16;
  UCHAR CapabilitiesPtr;
  UCHAR Reserved1[3];
  ULONG ROMBaseAddress;
  UCHAR InterruptLine;
  UCHAR InterruptPin;
  USHORT BridgeControl;
};

// The common header's fields, spelled once for both structures below: C has no inheritance, and
// drivers name the fields directly on either (config.VendorID, config.u.type0.InterruptLine).
#define KEMU_WDK_PCI_COMMON_HEADER_FIELDS \
  USHORT VendorID;                        \
  USHORT DeviceID;                        \
  USHORT Command;                         \
  USHORT Status;                          \
  UCHAR RevisionID;                       \
  UCHAR ProgIf;                           \
  UCHAR SubClass;                         \
  UCHAR BaseClass;                        \
  UCHAR CacheLineSize;                    \
  UCHAR LatencyTimer;                     \
  UCHAR HeaderType;                       \
  UCHAR BIST;                             \
  union {                                 \
    struct _PCI_HEADER_TYPE_0 type0;      \
    struct _PCI_HEADER_TYPE_1 type1;      \
  } u;

/// The 64-byte header every PCI function has.
typedef struct _PCI_COMMON_HEADER {
  KEMU_WDK_PCI_COMMON_HEADER_FIELDS
} PCI_COMMON_HEADER, *PPCI_COMMON_HEADER;

/// The whole 256-byte configuration space: the header, then the device-specific area.
typedef struct _PCI_COMMON_CONFIG {
  KEMU_WDK_PCI_COMMON_HEADER_FIELDS
  UCHAR DeviceSpecific[192];
} PCI_COMMON_CONFIG, *PPCI_COMMON_CONFIG;

#define PCI_COMMON_HDR_LENGTH (FIELD_OFFSET(PCI_COMMON_CONFIG, DeviceSpecific))
#define PCI_EXTENDED_CONFIG_LENGTH 0x1000

#define PCI_MAX_DEVICES 32
#define PCI_MAX_FUNCTION 8
#define PCI_MAX_BRIDGE_NUMBER 0xFF
#define PCI_MAX_SEGMENT_NUMBER 0xFFFF

/// VendorID of a slot with no function: an absent device reads all ones.
#define PCI_INVALID_VENDORID 0xFFFF

// HeaderType.
#define PCI_MULTIFUNCTION 0x80
#define PCI_DEVICE_TYPE 0x00
#define PCI_BRIDGE_TYPE 0x01
#define PCI_CARDBUS_BRIDGE_TYPE 0x02
#define PCI_CONFIGURATION_TYPE(config) \
  (((PPCI_COMMON_CONFIG)(config))->HeaderType & ~PCI_MULTIFUNCTION)
#define PCI_MULTIFUNCTION_DEVICE(config) \
  ((((PPCI_COMMON_CONFIG)(config))->HeaderType & PCI_MULTIFUNCTION) != 0)

// Command.
#define PCI_ENABLE_IO_SPACE 0x0001
#define PCI_ENABLE_MEMORY_SPACE 0x0002
#define PCI_ENABLE_BUS_MASTER 0x0004
#define PCI_ENABLE_SPECIAL_CYCLES 0x0008
#define PCI_ENABLE_WRITE_AND_INVALIDATE 0x0010
#define PCI_ENABLE_VGA_COMPATIBLE_PALETTE 0x0020
#define PCI_ENABLE_PARITY 0x0040
#define PCI_ENABLE_WAIT_CYCLE 0x0080
#define PCI_ENABLE_SERR 0x0100
#define PCI_ENABLE_FAST_BACK_TO_BACK 0x0200
#define PCI_DISABLE_LEVEL_INTERRUPT 0x0400

// Status. The error bits (0x0100 and 0x0800 up) are cleared by writing 1 to them.
#define PCI_STATUS_INTERRUPT_PENDING 0x0008
#define PCI_STATUS_CAPABILITIES_LIST 0x0010
#define PCI_STATUS_66MHZ_CAPABLE 0x0020
#define PCI_STATUS_UDF_SUPPORTED 0x0040
#define PCI_STATUS_FAST_BACK_TO_BACK 0x0080
#define PCI_STATUS_DATA_PARITY_DETECTED 0x0100
#define PCI_STATUS_DEVSEL 0x0600
#define PCI_STATUS_SIGNALED_TARGET_ABORT 0x0800
#define PCI_STATUS_RECEIVED_TARGET_ABORT 0x1000
#define PCI_STATUS_RECEIVED_MASTER_ABORT 0x2000
#define PCI_STATUS_SIGNALED_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY_ERROR 0x8000

// Base address registers.
#define PCI_ADDRESS_IO_SPACE 0x00000001
#define PCI_ADDRESS_MEMORY_TYPE_MASK 0x00000006
#define PCI_ADDRESS_MEMORY_PREFETCHABLE 0x00000008
#define PCI_ADDRESS_IO_ADDRESS_MASK 0xFFFFFFFC
#define PCI_ADDRESS_MEMORY_ADDRESS_MASK 0xFFFFFFF0
#define PCI_ADDRESS_ROM_ADDRESS_MASK 0xFFFFF800
#define PCI_TYPE_32BIT 0
#define PCI_TYPE_20BIT 2
#define PCI_TYPE_64BIT 4
#define PCI_ROMADDRESS_ENABLED 0x00000001

/// Every capability in the list starts with its ID and the offset of the next (0: the last).
typedef struct _PCI_CAPABILITIES_HEADER {
  UCHAR CapabilityID;
  UCHAR Next;
} PCI_CAPABILITIES_HEADER, *PPCI_CAPABILITIES_HEADER;

#define PCI_CAPABILITY_ID_POWER_MANAGEMENT 0x01
#define PCI_CAPABILITY_ID_AGP 0x02
#define PCI_CAPABILITY_ID_VPD 0x03
#define PCI_CAPABILITY_ID_SLOT_ID 0x04
#define PCI_CAPABILITY_ID_MSI 0x05
#define PCI_CAPABILITY_ID_CPCI_HOTSWAP 0x06
#define PCI_CAPABILITY_ID_PCIX 0x07
#define PCI_CAPABILITY_ID_HYPERTRANSPORT 0x08
#define PCI_CAPABILITY_ID_VENDOR_SPECIFIC 0x09
#define PCI_CAPABILITY_ID_DEBUG_PORT 0x0A
#define PCI_CAPABILITY_ID_CPCI_RES_CTRL 0x0B
#define PCI_CAPABILITY_ID_SHPC 0x0C
#define PCI_CAPABILITY_ID_P2P_SSID 0x0D
#define PCI_CAPABILITY_ID_AGP_TARGET 0x0E
#define PCI_CAPABILITY_ID_SECURE 0x0F
#define PCI_CAPABILITY_ID_PCI_EXPRESS 0x10
#define PCI_CAPABILITY_ID_MSIX 0x11

// Layout checks (the PCI specification's offsets).
KEMU_WDK_STATIC_ASSERT(sizeof(PCI_SLOT_NUMBER) == 4, "PCI_SLOT_NUMBER is one ULONG");
KEMU_WDK_STATIC_ASSERT(sizeof(PCI_COMMON_HEADER) == 64, "PCI_COMMON_HEADER is 64 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(PCI_COMMON_CONFIG) == 256, "PCI_COMMON_CONFIG is 256 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(PCI_COMMON_CONFIG, u.type0.BaseAddresses) == 0x10, "BAR0 at 0x10");
KEMU_WDK_STATIC_ASSERT(offsetof(PCI_COMMON_CONFIG, u.type0.SubVendorID) == 0x2C,
                       "SubVendorID at 0x2C");
KEMU_WDK_STATIC_ASSERT(offsetof(PCI_COMMON_CONFIG, u.type0.CapabilitiesPtr) == 0x34,
                       "CapabilitiesPtr at 0x34");
KEMU_WDK_STATIC_ASSERT(offsetof(PCI_COMMON_CONFIG, u.type0.InterruptLine) == 0x3C,
                       "InterruptLine at 0x3C");
KEMU_WDK_STATIC_ASSERT(offsetof(PCI_COMMON_CONFIG, u.type1.BridgeControl) == 0x3E,
                       "BridgeControl at 0x3E");
KEMU_WDK_STATIC_ASSERT(offsetof(PCI_COMMON_CONFIG, DeviceSpecific) == 0x40,
                       "DeviceSpecific at 0x40");

#endif  // KEMU_WDK_PCI_H_
