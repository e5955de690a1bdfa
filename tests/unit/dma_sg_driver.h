/* The C driver core of dma_sg_driver.c, shared with dma_sg_driver_test.cpp. */
#ifndef KEMU_TESTS_UNIT_DMA_SG_DRIVER_H_
#define KEMU_TESTS_UNIT_DMA_SG_DRIVER_H_

#include <wdm.h>

/* One transmit descriptor of the device's ring: a logical address and a length. */
typedef struct _SG_DRV_DESCRIPTOR {
  ULONGLONG Address;
  ULONG Length;
  ULONG Flags;
} SG_DRV_DESCRIPTOR;

#define SG_DRV_RING 8
#define SG_DRV_LAST 0x1 /* Flags: the packet's last descriptor */

typedef struct _SG_DRV_DEVICE {
  PDEVICE_OBJECT Fdo; /* its CurrentIrp is the packet being sent */
  PDMA_ADAPTER Adapter;
  ULONG MapRegisters;
  SG_DRV_DESCRIPTOR Ring[SG_DRV_RING];
  ULONG Descriptors;
  PIRP RoutineIrp;           /* the IRP the AdapterListControl/AdapterControl routine was given */
  KIRQL RoutineIrql;         /* and the IRQL it ran at */
  PSCATTER_GATHER_LIST List; /* held until the transfer completes */
  PMDL PacketMdl;            /* the packet-based path's MDL, map registers and their count */
  PVOID MapRegisterBase;
  ULONG PacketRegisters;
} SG_DRV_DEVICE, *PSG_DRV_DEVICE;

KEMU_WDK_BEGIN_DECLS

/* Gets the adapter for a 32-bit scatter/gather bus master (transfers of up to MaximumLength). */
NTSTATUS SgDrvStart(PSG_DRV_DEVICE Device, PDEVICE_OBJECT Pdo, ULONG MaximumLength);
/* Sends the buffer Mdl describes: GetScatterGatherList fills the ring. */
NTSTATUS SgDrvSend(PSG_DRV_DEVICE Device, PMDL Mdl);
/* The device finished: PutScatterGatherList. */
VOID SgDrvSendComplete(PSG_DRV_DEVICE Device);
/* The same through map registers: AllocateAdapterChannel and MapTransfer fill the ring. */
NTSTATUS SgDrvSendPacket(PSG_DRV_DEVICE Device, PMDL Mdl);
/* FlushAdapterBuffers and FreeMapRegisters. */
VOID SgDrvSendPacketComplete(PSG_DRV_DEVICE Device);
VOID SgDrvStop(PSG_DRV_DEVICE Device);

KEMU_WDK_END_DECLS

#endif /* KEMU_TESTS_UNIT_DMA_SG_DRIVER_H_ */
