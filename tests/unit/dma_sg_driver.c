/* A small C17 bus-master driver core for dma_sg_driver_test.cpp: it sends buffers to its device
 * by scatter/gather (GetScatterGatherList) and by packet-based DMA through map registers
 * (AllocateAdapterChannel, MapTransfer), writing each logical run into a descriptor ring as a NIC
 * driver does, so the tests exercise kemu's DMA operations from real C frames. */
#include "dma_sg_driver.h"

#ifdef __cplusplus
#error "dma_sg_driver.c must be compiled as C"
#endif

_Static_assert(sizeof(SCATTER_GATHER_ELEMENT) == 24, "SCATTER_GATHER_ELEMENT is 24 bytes on x64");
_Static_assert(FIELD_OFFSET(SCATTER_GATHER_LIST, Elements) == 16, "the elements follow at 16");
_Static_assert(KeepObject == 1 && DeallocateObjectKeepRegisters == 3, "IO_ALLOCATION_ACTION");

static VOID SgDrvAddDescriptor(PSG_DRV_DEVICE Device, LONGLONG Address, ULONG Length) {
  if (Device->Descriptors < SG_DRV_RING) {
    SG_DRV_DESCRIPTOR *d = &Device->Ring[Device->Descriptors++];
    d->Address = (ULONGLONG)Address;
    d->Length = Length;
    d->Flags = 0;
  }
}

NTSTATUS SgDrvStart(PSG_DRV_DEVICE Device, PDEVICE_OBJECT Pdo, ULONG MaximumLength) {
  DEVICE_DESCRIPTION description;
  RtlZeroMemory(&description, sizeof(description));
  description.Version = DEVICE_DESCRIPTION_VERSION;
  description.Master = TRUE;
  description.ScatterGather = TRUE;
  description.Dma32BitAddresses = TRUE;
  description.InterfaceType = PCIBus;
  description.MaximumLength = MaximumLength;
  Device->Adapter = IoGetDmaAdapter(Pdo, &description, &Device->MapRegisters);
  return Device->Adapter != NULL ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static VOID SgDrvListControl(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                             PSCATTER_GATHER_LIST ScatterGather, PVOID Context) {
  PSG_DRV_DEVICE device = (PSG_DRV_DEVICE)Context;
  ULONG i;
  UNREFERENCED_PARAMETER(DeviceObject);
  device->RoutineIrp = Irp;
  device->RoutineIrql = KeGetCurrentIrql();
  device->Descriptors = 0;
  for (i = 0; i < ScatterGather->NumberOfElements; ++i) {
    SgDrvAddDescriptor(device, ScatterGather->Elements[i].Address.QuadPart,
                       ScatterGather->Elements[i].Length);
  }
  if (device->Descriptors > 0) device->Ring[device->Descriptors - 1].Flags = SG_DRV_LAST;
  device->List = ScatterGather; /* the device owns the buffer until SgDrvSendComplete */
}

NTSTATUS SgDrvSend(PSG_DRV_DEVICE Device, PMDL Mdl) {
  KIRQL oldIrql;
  NTSTATUS status;
  KeRaiseIrql(DISPATCH_LEVEL, &oldIrql); /* as from StartIo */
  status = Device->Adapter->DmaOperations->GetScatterGatherList(
      Device->Adapter, Device->Fdo, Mdl, MmGetMdlVirtualAddress(Mdl), MmGetMdlByteCount(Mdl),
      SgDrvListControl, Device, TRUE);
  KeLowerIrql(oldIrql);
  return status;
}

VOID SgDrvSendComplete(PSG_DRV_DEVICE Device) {
  KIRQL oldIrql;
  KeRaiseIrql(DISPATCH_LEVEL, &oldIrql); /* as from the DPC */
  Device->Adapter->DmaOperations->PutScatterGatherList(Device->Adapter, Device->List, TRUE);
  Device->List = NULL;
  KeLowerIrql(oldIrql);
}

static IO_ALLOCATION_ACTION SgDrvAdapterControl(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                PVOID MapRegisterBase, PVOID Context) {
  PSG_DRV_DEVICE device = (PSG_DRV_DEVICE)Context;
  PUCHAR va = (PUCHAR)MmGetMdlVirtualAddress(device->PacketMdl);
  ULONG left = MmGetMdlByteCount(device->PacketMdl);
  UNREFERENCED_PARAMETER(DeviceObject);
  device->RoutineIrp = Irp;
  device->RoutineIrql = KeGetCurrentIrql();
  device->MapRegisterBase = MapRegisterBase;
  device->Descriptors = 0;
  while (left > 0) {
    ULONG length = left;
    PHYSICAL_ADDRESS logical = device->Adapter->DmaOperations->MapTransfer(
        device->Adapter, device->PacketMdl, MapRegisterBase, va, &length, TRUE);
    SgDrvAddDescriptor(device, logical.QuadPart, length);
    va += length;
    left -= length;
  }
  if (device->Descriptors > 0) device->Ring[device->Descriptors - 1].Flags = SG_DRV_LAST;
  return DeallocateObjectKeepRegisters; /* a bus master keeps only its map registers */
}

NTSTATUS SgDrvSendPacket(PSG_DRV_DEVICE Device, PMDL Mdl) {
  KIRQL oldIrql;
  NTSTATUS status;
  ULONG registers =
      ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), MmGetMdlByteCount(Mdl));
  if (registers > Device->MapRegisters) registers = Device->MapRegisters;
  Device->PacketMdl = Mdl;
  Device->PacketRegisters = registers;
  KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
  status = Device->Adapter->DmaOperations->AllocateAdapterChannel(
      Device->Adapter, Device->Fdo, registers, SgDrvAdapterControl, Device);
  KeLowerIrql(oldIrql);
  return status;
}

VOID SgDrvSendPacketComplete(PSG_DRV_DEVICE Device) {
  KIRQL oldIrql;
  PMDL mdl = Device->PacketMdl;
  KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
  (void)Device->Adapter->DmaOperations->FlushAdapterBuffers(
      Device->Adapter, mdl, Device->MapRegisterBase, MmGetMdlVirtualAddress(mdl),
      MmGetMdlByteCount(mdl), TRUE);
  Device->Adapter->DmaOperations->FreeMapRegisters(Device->Adapter, Device->MapRegisterBase,
                                                   Device->PacketRegisters);
  Device->MapRegisterBase = NULL;
  KeLowerIrql(oldIrql);
}

VOID SgDrvStop(PSG_DRV_DEVICE Device) {
  Device->Adapter->DmaOperations->PutDmaAdapter(Device->Adapter);
  Device->Adapter = NULL;
}
