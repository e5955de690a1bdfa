// kemu_wdk_cm.h — hardware resource lists (CM_RESOURCE_LIST and its descriptors).
//
// The PnP manager hands a started device its raw and translated resources in these structures;
// drivers walk them to find the interrupt to connect. The descriptors are packed to 4 bytes as on
// Windows, which makes CM_PARTIAL_RESOURCE_DESCRIPTOR 20 bytes on x64.
//
//   PCM_PARTIAL_RESOURCE_LIST list = &translated->List[0].PartialResourceList;
//   for (ULONG i = 0; i < list->Count; ++i) {
//     PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
//     if (d->Type == CmResourceTypeInterrupt && !(d->Flags & CM_RESOURCE_INTERRUPT_MESSAGE)) {
//       vector = d->u.Interrupt.Vector; irql = (KIRQL)d->u.Interrupt.Level;
//     }
//   }
#ifndef KEMU_WDK_CM_H_
#define KEMU_WDK_CM_H_

#include "kemu_wdk_base.h"

/// Bus type a resource list describes.
typedef enum _INTERFACE_TYPE KEMU_WDK_ENUM_INT {
  InterfaceTypeUndefined = -1,
  Internal = 0,
  Isa = 1,
  Eisa = 2,
  MicroChannel = 3,
  TurboChannel = 4,
  PCIBus = 5,
  VMEBus = 6,
  NuBus = 7,
  PCMCIABus = 8,
  CBus = 9,
  MPIBus = 10,
  MPSABus = 11,
  ProcessorInternal = 12,
  InternalPowerBus = 13,
  PNPISABus = 14,
  PNPBus = 15,
  Vmcs = 16,
  ACPIBus = 17,
  MaximumInterfaceType
} INTERFACE_TYPE,
    *PINTERFACE_TYPE;

/// Stored in the UCHAR ShareDisposition of a descriptor.
typedef enum _CM_SHARE_DISPOSITION KEMU_WDK_ENUM_INT {
  CmResourceShareUndetermined = 0,
  CmResourceShareDeviceExclusive = 1,
  CmResourceShareDriverExclusive = 2,
  CmResourceShareShared = 3
} CM_SHARE_DISPOSITION;

// Descriptor types (CM_PARTIAL_RESOURCE_DESCRIPTOR.Type).
#define CmResourceTypeNull 0
#define CmResourceTypePort 1
#define CmResourceTypeInterrupt 2
#define CmResourceTypeMemory 3
#define CmResourceTypeDma 4
#define CmResourceTypeDeviceSpecific 5
#define CmResourceTypeBusNumber 6
#define CmResourceTypeMemoryLarge 7
#define CmResourceTypeNonArbitrated 128
#define CmResourceTypeConfigData 128
#define CmResourceTypeDevicePrivate 129
#define CmResourceTypePcCardConfig 130
#define CmResourceTypeMfCardConfig 131
#define CmResourceTypeConnection 132

// Interrupt descriptor flags.
#define CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE 0x0000
#define CM_RESOURCE_INTERRUPT_LATCHED 0x0001
#define CM_RESOURCE_INTERRUPT_MESSAGE 0x0002
#define CM_RESOURCE_INTERRUPT_POLICY_INCLUDED 0x0004
#define CM_RESOURCE_INTERRUPT_SECONDARY_INTERRUPT 0x0010
#define CM_RESOURCE_INTERRUPT_WAKE_HINT 0x0020
#define CM_RESOURCE_INTERRUPT_LEVEL_LATCHED_BITS 0x0001
/// MaximumVector of an interrupt requirement that asks for message-signalled interrupts.
#define CM_RESOURCE_INTERRUPT_MESSAGE_TOKEN ((ULONG)-2)

// Memory and port descriptor flags.
#define CM_RESOURCE_MEMORY_READ_WRITE 0x0000
#define CM_RESOURCE_MEMORY_READ_ONLY 0x0001
#define CM_RESOURCE_MEMORY_WRITE_ONLY 0x0002
#define CM_RESOURCE_PORT_MEMORY 0x0000
#define CM_RESOURCE_PORT_IO 0x0001

#pragma pack(push, 4)

/// One resource. `u` is read according to Type (and, for interrupts, the MESSAGE flag).
/// Interrupt Level is a ULONG: kemu does not model the NT_PROCESSOR_GROUPS split into Level/Group.
typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
  UCHAR Type;
  UCHAR ShareDisposition;
  USHORT Flags;
  union {
    struct {
      PHYSICAL_ADDRESS Start;
      ULONG Length;
    } Generic, Port, Memory;
    struct {
      ULONG Level;
      ULONG Vector;
      KAFFINITY Affinity;
    } Interrupt;
    struct {
      KEMU_WDK_EXTENSION union {
        struct {
          USHORT Reserved;
          USHORT MessageCount;
          ULONG Vector;
          KAFFINITY Affinity;
        } Raw;
        struct {
          ULONG Level;
          ULONG Vector;
          KAFFINITY Affinity;
        } Translated;
      };
    } MessageInterrupt;
    struct {
      PHYSICAL_ADDRESS Start;
      ULONG Length40;
    } Memory40;
    struct {
      PHYSICAL_ADDRESS Start;
      ULONG Length48;
    } Memory48;
    struct {
      PHYSICAL_ADDRESS Start;
      ULONG Length64;
    } Memory64;
    struct {
      ULONG Channel;
      ULONG Port;
      ULONG Reserved1;
    } Dma;
    struct {
      ULONG Data[3];
    } DevicePrivate;
    struct {
      ULONG Start;
      ULONG Length;
      ULONG Reserved;
    } BusNumber;
    struct {
      ULONG DataSize;
      ULONG Reserved1;
      ULONG Reserved2;
    } DeviceSpecificData;
    struct {
      UCHAR Class;
      UCHAR Type;
      UCHAR Reserved1;
      UCHAR Reserved2;
      ULONG IdLowPart;
      ULONG IdHighPart;
    } Connection;
  } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;

/// Descriptors of one bus; PartialDescriptors has Count entries.
typedef struct _CM_PARTIAL_RESOURCE_LIST {
  USHORT Version;
  USHORT Revision;
  ULONG Count;
  CM_PARTIAL_RESOURCE_DESCRIPTOR PartialDescriptors[1];
} CM_PARTIAL_RESOURCE_LIST, *PCM_PARTIAL_RESOURCE_LIST;

typedef struct _CM_FULL_RESOURCE_DESCRIPTOR {
  INTERFACE_TYPE InterfaceType;
  ULONG BusNumber;
  CM_PARTIAL_RESOURCE_LIST PartialResourceList;
} CM_FULL_RESOURCE_DESCRIPTOR, *PCM_FULL_RESOURCE_DESCRIPTOR;

/// What IRP_MN_START_DEVICE carries (raw and translated); List has Count entries.
typedef struct _CM_RESOURCE_LIST {
  ULONG Count;
  CM_FULL_RESOURCE_DESCRIPTOR List[1];
} CM_RESOURCE_LIST, *PCM_RESOURCE_LIST;

#pragma pack(pop)

// Layout checks (Windows x64 numbers).
KEMU_WDK_STATIC_ASSERT(sizeof(INTERFACE_TYPE) == 4, "INTERFACE_TYPE is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(CM_SHARE_DISPOSITION) == 4, "CM_SHARE_DISPOSITION is 4 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u) == 4, "descriptor union at 4");
#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR) == 20,
                       "CM_PARTIAL_RESOURCE_DESCRIPTOR is 20 bytes on x64 (pack 4)");
KEMU_WDK_STATIC_ASSERT(KEMU_WDK_ALIGNOF(CM_PARTIAL_RESOURCE_DESCRIPTOR) == 4,
                       "descriptor aligned to 4");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Level) == 4,
                       "u.Interrupt.Level at 4");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Vector) == 8,
                       "u.Interrupt.Vector at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Affinity) == 12,
                       "u.Interrupt.Affinity at 12");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR,
                                u.MessageInterrupt.Raw.MessageCount) == 6,
                       "u.MessageInterrupt.Raw.MessageCount at 6");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR,
                                u.MessageInterrupt.Translated.Affinity) == 12,
                       "u.MessageInterrupt.Translated.Affinity at 12");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Port.Length) == 12,
                       "u.Port.Length at 12");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_PARTIAL_RESOURCE_LIST, PartialDescriptors) == 8,
                       "partial descriptors at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(CM_RESOURCE_LIST, List[0].PartialResourceList.PartialDescriptors) ==
                           20,
                       "first partial descriptor at byte 20 of a CM_RESOURCE_LIST");
#endif

#endif  // KEMU_WDK_CM_H_
