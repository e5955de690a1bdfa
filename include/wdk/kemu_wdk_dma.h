// kemu_wdk_dma.h — DMA adapters: IoGetDmaAdapter and the common buffers a bus-master device
// shares with its driver.
//
// A driver describes its device's DMA engine (bus master or not, 32- or 64-bit addresses, the
// longest transfer) and gets an adapter object from its PDO. The adapter's operation table holds
// the DMA routines: common buffers for descriptor rings (AllocateCommonBuffer, FreeCommonBuffer),
// packet-based transfers through map registers (AllocateAdapterChannel, MapTransfer,
// FlushAdapterBuffers, FreeMapRegisters, FreeAdapterChannel) and scatter/gather lists
// (GetScatterGatherList, PutScatterGatherList and, from version 2 of the table,
// CalculateScatterGatherList and BuildScatterGatherList). kemu models those (docs/kernel.md, "DMA
// adapters"); every other entry of the table stops the test by name when called.
//
//   DEVICE_DESCRIPTION description = {0};
//   description.Version = DEVICE_DESCRIPTION_VERSION;
//   description.Master = TRUE;
//   description.Dma32BitAddresses = TRUE;
//   description.InterfaceType = PCIBus;
//   description.MaximumLength = 0x10000;
//   ULONG map_registers = 0;
//   PDMA_ADAPTER adapter = IoGetDmaAdapter(pdo, &description, &map_registers);
//   PHYSICAL_ADDRESS ring_logical;
//   PVOID ring = adapter->DmaOperations->AllocateCommonBuffer(adapter, 4096, &ring_logical, FALSE);
//   ...   // the device is given ring_logical.QuadPart
//   adapter->DmaOperations->FreeCommonBuffer(adapter, 4096, ring_logical, ring, FALSE);
//   adapter->DmaOperations->PutDmaAdapter(adapter);
#ifndef KEMU_WDK_DMA_H_
#define KEMU_WDK_DMA_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_cm.h"

/// DEVICE_DESCRIPTION.Version: which version of the adapter's operation table IoGetDmaAdapter
/// returns (1, 1, 2, 3); the adapter's own Version is 1 whatever this is.
#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

/// The transfer width of a system (non-bus-master) DMA channel.
typedef enum _DMA_WIDTH KEMU_WDK_ENUM_INT {
  Width8Bits,
  Width16Bits,
  Width32Bits,
  Width64Bits,
  WidthNoWrap,
  MaximumDmaWidth
} DMA_WIDTH,
    *PDMA_WIDTH;

/// The timing of a system (non-bus-master) DMA channel.
typedef enum _DMA_SPEED KEMU_WDK_ENUM_INT {
  Compatible,
  TypeA,
  TypeB,
  TypeC,
  TypeF,
  MaximumDmaSpeed
} DMA_SPEED,
    *PDMA_SPEED;

/// What the driver says about its device's DMA engine.
typedef struct _DEVICE_DESCRIPTION {
  ULONG Version;
  BOOLEAN Master;  ///< a bus-master device (else a system DMA channel)
  BOOLEAN ScatterGather;
  BOOLEAN DemandMode;
  BOOLEAN AutoInitialize;
  BOOLEAN Dma32BitAddresses;  ///< the device reaches 32-bit logical addresses
  BOOLEAN IgnoreCount;
  BOOLEAN Reserved1;
  BOOLEAN Dma64BitAddresses;  ///< the device reaches 64-bit logical addresses
  ULONG BusNumber;
  ULONG DmaChannel;
  INTERFACE_TYPE InterfaceType;
  DMA_WIDTH DmaWidth;
  DMA_SPEED DmaSpeed;
  ULONG MaximumLength;  ///< the longest transfer, in bytes
  ULONG DmaPort;
  ULONG DmaAddressWidth;  ///< version 3
  ULONG DmaControllerInstance;
  ULONG DmaRequestLine;
  PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

KEMU_WDK_STATIC_ASSERT(offsetof(DEVICE_DESCRIPTION, BusNumber) == 0xC, "BusNumber at 0xC");
KEMU_WDK_STATIC_ASSERT(offsetof(DEVICE_DESCRIPTION, MaximumLength) == 0x20, "MaximumLength");
KEMU_WDK_STATIC_ASSERT(offsetof(DEVICE_DESCRIPTION, DeviceAddress) == 0x38, "DeviceAddress");
KEMU_WDK_STATIC_ASSERT(sizeof(DEVICE_DESCRIPTION) == 0x40, "DEVICE_DESCRIPTION is 64 bytes");

struct _DMA_ADAPTER;
struct _MDL;
struct _SCATTER_GATHER_LIST;

/// What an AdapterControl routine (DRIVER_CONTROL) tells the system to do with the adapter
/// channel and the map registers it was given: keep both (the driver frees them later with
/// FreeAdapterChannel), release both now, or release the channel and keep the map registers (the
/// driver frees them later with FreeMapRegisters; what a bus master returns).
typedef enum _IO_ALLOCATION_ACTION KEMU_WDK_ENUM_INT {
  KeepObject = 1,
  DeallocateObject,
  DeallocateObjectKeepRegisters
} IO_ALLOCATION_ACTION,
    *PIO_ALLOCATION_ACTION;

/// The driver's AdapterControl routine, run at DISPATCH_LEVEL once the adapter channel and the
/// map registers AllocateAdapterChannel asked for are the driver's. Irp is the device object's
/// CurrentIrp; MapRegisterBase is opaque, for MapTransfer, FlushAdapterBuffers and
/// FreeMapRegisters.
typedef IO_ALLOCATION_ACTION NTAPI DRIVER_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                  PVOID MapRegisterBase, PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;

/// One run of logical addresses a scatter/gather transfer covers. x64: 24 bytes.
typedef struct _SCATTER_GATHER_ELEMENT {
  PHYSICAL_ADDRESS Address;  ///< the logical address the device uses
  ULONG Length;              ///< bytes from Address
  ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

KEMU_WDK_STATIC_ASSERT(offsetof(SCATTER_GATHER_ELEMENT, Length) == 8, "Length at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(SCATTER_GATHER_ELEMENT, Reserved) == 0x10, "Reserved at 0x10");
KEMU_WDK_STATIC_ASSERT(sizeof(SCATTER_GATHER_ELEMENT) == 0x18,
                       "SCATTER_GATHER_ELEMENT is 24 bytes");

/// A scatter/gather list: NumberOfElements runs, the elements following the header at 0x10.
/// Windows declares Elements as an open array (the structure is 16 bytes there); C++20 has no
/// open arrays, so kemu declares one element, as its other variable-length structures do. Size a
/// list with FIELD_OFFSET(SCATTER_GATHER_LIST, Elements) + n * sizeof(SCATTER_GATHER_ELEMENT), or
/// with what CalculateScatterGatherList returns.
typedef struct _SCATTER_GATHER_LIST {
  ULONG NumberOfElements;
  ULONG_PTR Reserved;
  SCATTER_GATHER_ELEMENT Elements[1];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

KEMU_WDK_STATIC_ASSERT(offsetof(SCATTER_GATHER_LIST, Reserved) == 8, "Reserved at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(SCATTER_GATHER_LIST, Elements) == 0x10, "Elements at 0x10");

/// The driver's AdapterListControl routine, run at DISPATCH_LEVEL with the scatter/gather list
/// GetScatterGatherList or BuildScatterGatherList built; Irp is the device object's CurrentIrp.
/// The list is the driver's until it gives it back with PutScatterGatherList.
typedef VOID NTAPI DRIVER_LIST_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                       PSCATTER_GATHER_LIST ScatterGather, PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;

typedef VOID NTAPI PUT_DMA_ADAPTER(struct _DMA_ADAPTER *DmaAdapter);
typedef PUT_DMA_ADAPTER *PPUT_DMA_ADAPTER;
typedef PVOID NTAPI ALLOCATE_COMMON_BUFFER(struct _DMA_ADAPTER *DmaAdapter, ULONG Length,
                                           PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled);
typedef ALLOCATE_COMMON_BUFFER *PALLOCATE_COMMON_BUFFER;
typedef VOID NTAPI FREE_COMMON_BUFFER(struct _DMA_ADAPTER *DmaAdapter, ULONG Length,
                                      PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                                      BOOLEAN CacheEnabled);
typedef FREE_COMMON_BUFFER *PFREE_COMMON_BUFFER;
typedef NTSTATUS NTAPI ALLOCATE_ADAPTER_CHANNEL(struct _DMA_ADAPTER *DmaAdapter,
                                                PDEVICE_OBJECT DeviceObject,
                                                ULONG NumberOfMapRegisters,
                                                PDRIVER_CONTROL ExecutionRoutine, PVOID Context);
typedef ALLOCATE_ADAPTER_CHANNEL *PALLOCATE_ADAPTER_CHANNEL;
typedef ULONG NTAPI GET_DMA_ALIGNMENT(struct _DMA_ADAPTER *DmaAdapter);
typedef GET_DMA_ALIGNMENT *PGET_DMA_ALIGNMENT;
typedef ULONG NTAPI READ_DMA_COUNTER(struct _DMA_ADAPTER *DmaAdapter);
typedef READ_DMA_COUNTER *PREAD_DMA_COUNTER;
typedef VOID NTAPI FREE_ADAPTER_CHANNEL(struct _DMA_ADAPTER *DmaAdapter);
typedef FREE_ADAPTER_CHANNEL *PFREE_ADAPTER_CHANNEL;
typedef VOID NTAPI FREE_MAP_REGISTERS(struct _DMA_ADAPTER *DmaAdapter, PVOID MapRegisterBase,
                                      ULONG NumberOfMapRegisters);
typedef FREE_MAP_REGISTERS *PFREE_MAP_REGISTERS;
typedef BOOLEAN NTAPI FLUSH_ADAPTER_BUFFERS(struct _DMA_ADAPTER *DmaAdapter, struct _MDL *Mdl,
                                            PVOID MapRegisterBase, PVOID CurrentVa, ULONG Length,
                                            BOOLEAN WriteToDevice);
typedef FLUSH_ADAPTER_BUFFERS *PFLUSH_ADAPTER_BUFFERS;
typedef PHYSICAL_ADDRESS NTAPI MAP_TRANSFER(struct _DMA_ADAPTER *DmaAdapter, struct _MDL *Mdl,
                                            PVOID MapRegisterBase, PVOID CurrentVa, PULONG Length,
                                            BOOLEAN WriteToDevice);
typedef MAP_TRANSFER *PMAP_TRANSFER;
typedef NTSTATUS NTAPI GET_SCATTER_GATHER_LIST(struct _DMA_ADAPTER *DmaAdapter,
                                               PDEVICE_OBJECT DeviceObject, struct _MDL *Mdl,
                                               PVOID CurrentVa, ULONG Length,
                                               PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                               BOOLEAN WriteToDevice);
typedef GET_SCATTER_GATHER_LIST *PGET_SCATTER_GATHER_LIST;
typedef VOID NTAPI PUT_SCATTER_GATHER_LIST(struct _DMA_ADAPTER *DmaAdapter,
                                           struct _SCATTER_GATHER_LIST *ScatterGather,
                                           BOOLEAN WriteToDevice);
typedef PUT_SCATTER_GATHER_LIST *PPUT_SCATTER_GATHER_LIST;
typedef NTSTATUS NTAPI CALCULATE_SCATTER_GATHER_LIST_SIZE(struct _DMA_ADAPTER *DmaAdapter,
                                                          struct _MDL *Mdl, PVOID CurrentVa,
                                                          ULONG Length,
                                                          PULONG ScatterGatherListSize,
                                                          PULONG pNumberOfMapRegisters);
typedef CALCULATE_SCATTER_GATHER_LIST_SIZE *PCALCULATE_SCATTER_GATHER_LIST_SIZE;
typedef NTSTATUS NTAPI BUILD_SCATTER_GATHER_LIST(
    struct _DMA_ADAPTER *DmaAdapter, PDEVICE_OBJECT DeviceObject, struct _MDL *Mdl, PVOID CurrentVa,
    ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context, BOOLEAN WriteToDevice,
    PVOID ScatterGatherBuffer, ULONG ScatterGatherLength);
typedef BUILD_SCATTER_GATHER_LIST *PBUILD_SCATTER_GATHER_LIST;
typedef NTSTATUS NTAPI BUILD_MDL_FROM_SCATTER_GATHER_LIST(struct _DMA_ADAPTER *DmaAdapter,
                                                          PSCATTER_GATHER_LIST ScatterGather,
                                                          struct _MDL *OriginalMdl,
                                                          struct _MDL **TargetMdl);
typedef BUILD_MDL_FROM_SCATTER_GATHER_LIST *PBUILD_MDL_FROM_SCATTER_GATHER_LIST;

/// The adapter's operations, in the order and at the offsets Windows x64 has them (0x140 bytes).
/// Version 1 of the table ends with PutScatterGatherList, version 2 (DEVICE_DESCRIPTION_VERSION2,
/// Windows XP) adds the three after it, version 3 (Windows 8) the rest. kemu models the entries
/// up to BuildScatterGatherList but ReadDmaCounter (docs/kernel.md, "DMA adapters"); every other
/// entry is a routine that stops the test naming itself (kemu::NotModelled). The version 3
/// entries, which take structures kemu does not declare, are PVOID here: a driver calling them
/// does not compile against kemu, which says the same thing earlier.
typedef struct _DMA_OPERATIONS {
  ULONG Size;
  PPUT_DMA_ADAPTER PutDmaAdapter;
  PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
  PFREE_COMMON_BUFFER FreeCommonBuffer;
  PALLOCATE_ADAPTER_CHANNEL AllocateAdapterChannel;
  PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
  PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
  PFREE_MAP_REGISTERS FreeMapRegisters;
  PMAP_TRANSFER MapTransfer;
  PGET_DMA_ALIGNMENT GetDmaAlignment;
  PREAD_DMA_COUNTER ReadDmaCounter;
  PGET_SCATTER_GATHER_LIST GetScatterGatherList;
  PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
  PCALCULATE_SCATTER_GATHER_LIST_SIZE CalculateScatterGatherList;  ///< version 2 from here on
  PBUILD_SCATTER_GATHER_LIST BuildScatterGatherList;
  PBUILD_MDL_FROM_SCATTER_GATHER_LIST BuildMdlFromScatterGatherList;
  PVOID GetDmaAdapterInfo;  ///< version 3 from here on
  PVOID GetDmaTransferInfo;
  PVOID InitializeDmaTransferContext;
  PVOID AllocateCommonBufferEx;
  PVOID AllocateAdapterChannelEx;
  PVOID ConfigureAdapterChannel;
  PVOID CancelAdapterChannel;
  PVOID MapTransferEx;
  PVOID GetScatterGatherListEx;
  PVOID BuildScatterGatherListEx;
  PVOID FlushAdapterBuffersEx;
  PVOID FreeAdapterObject;
  PVOID CancelMappedTransfer;
  PVOID AllocateDomainCommonBuffer;
  PVOID FlushDmaBuffer;
  PVOID JoinDmaDomain;
  PVOID LeaveDmaDomain;
  PVOID GetDmaDomain;
  PVOID AllocateCommonBufferWithBounds;
  PVOID AllocateCommonBufferVector;
  PVOID GetCommonBufferFromVectorByIndex;
  PVOID FreeCommonBufferFromVector;
  PVOID FreeCommonBufferVector;
  PVOID CreateCommonBufferFromMdl;
} DMA_OPERATIONS, *PDMA_OPERATIONS;

KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, PutDmaAdapter) == 0x8, "PutDmaAdapter at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, AllocateAdapterChannel) == 0x20,
                       "AllocateAdapterChannel at 0x20");
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, MapTransfer) == 0x40, "MapTransfer at 0x40");
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, GetDmaAlignment) == 0x48, "GetDmaAlignment");
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, GetScatterGatherList) == 0x58,
                       "GetScatterGatherList at 0x58");
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, BuildScatterGatherList) == 0x70,
                       "BuildScatterGatherList at 0x70");
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, GetDmaAdapterInfo) == 0x80, "GetDmaAdapterInfo");
KEMU_WDK_STATIC_ASSERT(sizeof(DMA_OPERATIONS) == 0x140, "DMA_OPERATIONS is 0x140 bytes");

/// The adapter object: the system's; the driver reads only DmaOperations. Version is 1 whatever
/// the description's version, so it cannot tell the operation table's version.
typedef struct _DMA_ADAPTER {
  USHORT Version;
  USHORT Size;
  PDMA_OPERATIONS DmaOperations;
} DMA_ADAPTER, *PDMA_ADAPTER;

KEMU_WDK_STATIC_ASSERT(offsetof(DMA_ADAPTER, DmaOperations) == 8, "DmaOperations at 8");

KEMU_WDK_BEGIN_DECLS

/// PASSIVE_LEVEL. The adapter for the DMA engine `DeviceDescription` describes, on the device
/// whose PDO is `PhysicalDeviceObject` (optional: NULL is a legacy driver's call, answered from
/// the description alone); *NumberOfMapRegisters is the most map registers one transfer may use.
/// NULL when no adapter fits the description.
NTKERNELAPI PDMA_ADAPTER NTAPI IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
                                               PDEVICE_DESCRIPTION DeviceDescription,
                                               PULONG NumberOfMapRegisters);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_DMA_H_
