// kemu_wdk_dma.h — DMA adapters: IoGetDmaAdapter and the common buffers a bus-master device
// shares with its driver.
//
// A driver describes its device's DMA engine (bus master or not, 32- or 64-bit addresses, the
// longest transfer) and gets an adapter object from its PDO. The adapter's operation table holds
// the DMA routines; the ones a driver needs for descriptor rings are AllocateCommonBuffer (memory
// both the driver and the device reach: a virtual address for the driver, a logical address for
// the device), FreeCommonBuffer and PutDmaAdapter. kemu models those (docs/kernel.md, "DMA
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

typedef VOID NTAPI PUT_DMA_ADAPTER(struct _DMA_ADAPTER *DmaAdapter);
typedef PUT_DMA_ADAPTER *PPUT_DMA_ADAPTER;
typedef PVOID NTAPI ALLOCATE_COMMON_BUFFER(struct _DMA_ADAPTER *DmaAdapter, ULONG Length,
                                           PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled);
typedef ALLOCATE_COMMON_BUFFER *PALLOCATE_COMMON_BUFFER;
typedef VOID NTAPI FREE_COMMON_BUFFER(struct _DMA_ADAPTER *DmaAdapter, ULONG Length,
                                      PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                                      BOOLEAN CacheEnabled);
typedef FREE_COMMON_BUFFER *PFREE_COMMON_BUFFER;
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
typedef VOID NTAPI PUT_SCATTER_GATHER_LIST(struct _DMA_ADAPTER *DmaAdapter,
                                           struct _SCATTER_GATHER_LIST *ScatterGather,
                                           BOOLEAN WriteToDevice);
typedef PUT_SCATTER_GATHER_LIST *PPUT_SCATTER_GATHER_LIST;

/// The adapter's operations, in the order and at the offsets Windows x64 has them (0x140 bytes).
/// kemu models PutDmaAdapter, AllocateCommonBuffer, FreeCommonBuffer and GetDmaAlignment; every
/// other entry is a routine that stops the test naming itself (kemu::NotModelled). The entries
/// whose parameters need IRPs or scatter/gather structures kemu does not declare are PVOID here:
/// a driver calling them does not compile against kemu, which says the same thing earlier.
typedef struct _DMA_OPERATIONS {
  ULONG Size;
  PPUT_DMA_ADAPTER PutDmaAdapter;
  PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
  PFREE_COMMON_BUFFER FreeCommonBuffer;
  PVOID AllocateAdapterChannel;
  PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
  PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
  PFREE_MAP_REGISTERS FreeMapRegisters;
  PMAP_TRANSFER MapTransfer;
  PGET_DMA_ALIGNMENT GetDmaAlignment;
  PREAD_DMA_COUNTER ReadDmaCounter;
  PVOID GetScatterGatherList;
  PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
  PVOID CalculateScatterGatherList;
  PVOID BuildScatterGatherList;
  PVOID BuildMdlFromScatterGatherList;
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
KEMU_WDK_STATIC_ASSERT(offsetof(DMA_OPERATIONS, GetDmaAlignment) == 0x48, "GetDmaAlignment");
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
