// IoGetDmaAdapter and the adapter's operation table (model/dma_adapters.hpp). The operations are
// not kernel exports: a driver reaches them only through the table, so each enters the call
// itself (recorded in the call history like an export) and checks its IRQL.
#include <wdm.h>

#include <string>

#include "abi/entry.hpp"
#include "kemu/error.hpp"
#include "model/devices.hpp"

namespace {

using kemu::model::CallArg;

// The running machine's kernel; an operation called with no machine is refused by name.
kemu::model::Kernel& KernelFor(const char* name) {
  kemu::Machine* const machine = kemu::model::current_machine;
  if (machine == nullptr) throw kemu::NoMachine(name);
  return machine->kernel();
}

template <std::size_t N>
kemu::model::Kernel& EnterOperation(const char* name, const CallArg (&args)[N]) {
  kemu::model::Kernel& kernel = KernelFor(name);
  kernel.EnterCall(name, args);
  return kernel;
}

kemu::model::Kernel& EnterOperation(const char* name) {
  kemu::model::Kernel& kernel = KernelFor(name);
  kernel.EnterCall(name);
  return kernel;
}

#define KEMU_ENTER_OPERATION(name, ...) EnterOperation(name, {__VA_ARGS__})

// Each operation's page gives its highest IRQL (PASSIVE_LEVEL for most); under DMA verification a
// call above it is 0xE6 / 0x13.
void AtMost(kemu::model::Kernel& kernel, const char* routine, KIRQL maximum) {
  const KIRQL irql = kernel.irql().Current();
  if (irql > maximum) kernel.verifier().DmaImproperIrql(routine, maximum, irql);
}
void AtPassive(kemu::model::Kernel& kernel, const char* routine) {
  AtMost(kernel, routine, PASSIVE_LEVEL);
}

VOID NTAPI PutDmaAdapter(PDMA_ADAPTER DmaAdapter) {
  static constexpr const char* kName = "PutDmaAdapter";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(kName, KEMU_ARG(DmaAdapter));
  // Its page: IRQL <= DISPATCH_LEVEL (helper W of audit round 17 found kemu asked PASSIVE_LEVEL).
  AtMost(kernel, kName, DISPATCH_LEVEL);
  kernel.dma_adapters().Put(DmaAdapter);
}

PVOID NTAPI AllocateCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length,
                                 PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled) {
  static constexpr const char* kName = "AllocateCommonBuffer";
  kemu::model::Kernel& kernel =
      KEMU_ENTER_OPERATION(kName, KEMU_ARG(DmaAdapter), KEMU_ARG(Length), KEMU_ARG(LogicalAddress),
                           KEMU_ARG(CacheEnabled));
  AtPassive(kernel, kName);
  return kernel.dma_adapters().AllocateCommonBuffer(DmaAdapter, Length, LogicalAddress,
                                                    CacheEnabled);
}

VOID NTAPI FreeCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                            PVOID VirtualAddress, BOOLEAN CacheEnabled) {
  static constexpr const char* kName = "FreeCommonBuffer";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(Length), KEMU_ARG(LogicalAddress.QuadPart),
      KEMU_ARG(VirtualAddress), KEMU_ARG(CacheEnabled));
  AtPassive(kernel, kName);
  kernel.dma_adapters().FreeCommonBuffer(DmaAdapter, Length, LogicalAddress, VirtualAddress,
                                         CacheEnabled, __builtin_return_address(0));
}

ULONG NTAPI GetDmaAlignment(PDMA_ADAPTER DmaAdapter) {
  static constexpr const char* kName = "GetDmaAlignment";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(kName, KEMU_ARG(DmaAdapter));
  AtPassive(kernel, kName);  // PASSIVE_LEVEL, as the common-buffer operations
  return kernel.dma_adapters().Alignment(DmaAdapter);
}

// Packet-based DMA (model/dma_transfers.cpp). The IRQL each page gives: AllocateAdapterChannel,
// FreeAdapterChannel and FreeMapRegisters "DISPATCH_LEVEL", MapTransfer and FlushAdapterBuffers
// "<= DISPATCH_LEVEL". kemu checks the maximum only: a call below DISPATCH_LEVEL works, the
// driver's routine still runs at DISPATCH_LEVEL (docs/differences.md).
NTSTATUS NTAPI AllocateAdapterChannel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                      ULONG NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine,
                                      PVOID Context) {
  static constexpr const char* kName = "AllocateAdapterChannel";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(DeviceObject), KEMU_ARG(NumberOfMapRegisters),
      KEMU_ARG(ExecutionRoutine), KEMU_ARG(Context));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  return kernel.dma_adapters().AllocateAdapterChannel(
      DmaAdapter, DeviceObject, NumberOfMapRegisters, ExecutionRoutine, Context);
}

PHYSICAL_ADDRESS NTAPI MapTransfer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                   PVOID CurrentVa, PULONG Length, BOOLEAN WriteToDevice) {
  static constexpr const char* kName = "MapTransfer";
  kemu::model::Kernel& kernel =
      KEMU_ENTER_OPERATION(kName, KEMU_ARG(DmaAdapter), KEMU_ARG(Mdl), KEMU_ARG(MapRegisterBase),
                           KEMU_ARG(CurrentVa), KEMU_ARG(Length), KEMU_ARG(WriteToDevice));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  return kernel.dma_adapters().MapTransfer(DmaAdapter, Mdl, MapRegisterBase, CurrentVa, Length,
                                           WriteToDevice);
}

BOOLEAN NTAPI FlushAdapterBuffers(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                  PVOID CurrentVa, ULONG Length, BOOLEAN WriteToDevice) {
  static constexpr const char* kName = "FlushAdapterBuffers";
  kemu::model::Kernel& kernel =
      KEMU_ENTER_OPERATION(kName, KEMU_ARG(DmaAdapter), KEMU_ARG(Mdl), KEMU_ARG(MapRegisterBase),
                           KEMU_ARG(CurrentVa), KEMU_ARG(Length), KEMU_ARG(WriteToDevice));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  return kernel.dma_adapters().FlushAdapterBuffers(DmaAdapter, Mdl, MapRegisterBase, CurrentVa,
                                                   Length, WriteToDevice);
}

VOID NTAPI FreeMapRegisters(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase,
                            ULONG NumberOfMapRegisters) {
  static constexpr const char* kName = "FreeMapRegisters";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(MapRegisterBase), KEMU_ARG(NumberOfMapRegisters));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  kernel.dma_adapters().FreeMapRegisters(DmaAdapter, MapRegisterBase, NumberOfMapRegisters);
}

VOID NTAPI FreeAdapterChannel(PDMA_ADAPTER DmaAdapter) {
  static constexpr const char* kName = "FreeAdapterChannel";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(kName, KEMU_ARG(DmaAdapter));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  kernel.dma_adapters().FreeAdapterChannel(DmaAdapter);
}

// Scatter/gather lists (model/dma_scatter_gather.cpp): GetScatterGatherList,
// BuildScatterGatherList and PutScatterGatherList at "DISPATCH_LEVEL" (kemu checks the maximum),
// CalculateScatterGatherList at any IRQL (its page).
NTSTATUS NTAPI GetScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                    PVOID CurrentVa, ULONG Length,
                                    PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                    BOOLEAN WriteToDevice) {
  static constexpr const char* kName = "GetScatterGatherList";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(DeviceObject), KEMU_ARG(Mdl), KEMU_ARG(CurrentVa),
      KEMU_ARG(Length), KEMU_ARG(ExecutionRoutine), KEMU_ARG(Context), KEMU_ARG(WriteToDevice));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  return kernel.dma_adapters().GetScatterGatherList(
      DmaAdapter, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine, Context, WriteToDevice);
}

NTSTATUS NTAPI BuildScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                      PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                      PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                      BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                      ULONG ScatterGatherLength) {
  static constexpr const char* kName = "BuildScatterGatherList";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(DeviceObject), KEMU_ARG(Mdl), KEMU_ARG(CurrentVa),
      KEMU_ARG(Length), KEMU_ARG(ExecutionRoutine), KEMU_ARG(Context), KEMU_ARG(WriteToDevice),
      KEMU_ARG(ScatterGatherBuffer), KEMU_ARG(ScatterGatherLength));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  return kernel.dma_adapters().BuildScatterGatherList(
      DmaAdapter, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine, Context, WriteToDevice,
      ScatterGatherBuffer, ScatterGatherLength);
}

NTSTATUS NTAPI CalculateScatterGatherList(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa,
                                          ULONG Length, PULONG ScatterGatherListSize,
                                          PULONG pNumberOfMapRegisters) {
  static constexpr const char* kName = "CalculateScatterGatherList";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(Mdl), KEMU_ARG(CurrentVa), KEMU_ARG(Length),
      KEMU_ARG(ScatterGatherListSize), KEMU_ARG(pNumberOfMapRegisters));
  return kernel.dma_adapters().CalculateScatterGatherList(
      DmaAdapter, Mdl, CurrentVa, Length, ScatterGatherListSize, pNumberOfMapRegisters);
}

VOID NTAPI PutScatterGatherList(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                BOOLEAN WriteToDevice) {
  static constexpr const char* kName = "PutScatterGatherList";
  kemu::model::Kernel& kernel = KEMU_ENTER_OPERATION(
      kName, KEMU_ARG(DmaAdapter), KEMU_ARG(ScatterGather), KEMU_ARG(WriteToDevice));
  AtMost(kernel, kName, DISPATCH_LEVEL);
  kernel.dma_adapters().PutScatterGatherList(DmaAdapter, ScatterGather, WriteToDevice);
}

// Every other entry: stops the test naming the operation (kemu::NotModelled), never a made-up
// result. The stub reads none of its arguments, so one signature serves every entry.
template <const char* kOperation>
void NTAPI NotModelledOperation() {
  kemu::model::Kernel& kernel = EnterOperation(kOperation);
  kernel.ThrowNotModelled(std::string("the DMA adapter operation ") + kOperation);
}

#define KEMU_DMA_STUB(name)               \
  constexpr char k##name##Name[] = #name; \
  PVOID const k##name##Stub = reinterpret_cast<PVOID>(&NotModelledOperation<k##name##Name>)

KEMU_DMA_STUB(ReadDmaCounter);
KEMU_DMA_STUB(BuildMdlFromScatterGatherList);
KEMU_DMA_STUB(GetDmaAdapterInfo);
KEMU_DMA_STUB(GetDmaTransferInfo);
KEMU_DMA_STUB(InitializeDmaTransferContext);
KEMU_DMA_STUB(AllocateCommonBufferEx);
KEMU_DMA_STUB(AllocateAdapterChannelEx);
KEMU_DMA_STUB(ConfigureAdapterChannel);
KEMU_DMA_STUB(CancelAdapterChannel);
KEMU_DMA_STUB(MapTransferEx);
KEMU_DMA_STUB(GetScatterGatherListEx);
KEMU_DMA_STUB(BuildScatterGatherListEx);
KEMU_DMA_STUB(FlushAdapterBuffersEx);
KEMU_DMA_STUB(FreeAdapterObject);
KEMU_DMA_STUB(CancelMappedTransfer);
KEMU_DMA_STUB(AllocateDomainCommonBuffer);
KEMU_DMA_STUB(FlushDmaBuffer);
KEMU_DMA_STUB(JoinDmaDomain);
KEMU_DMA_STUB(LeaveDmaDomain);
KEMU_DMA_STUB(GetDmaDomain);
KEMU_DMA_STUB(AllocateCommonBufferWithBounds);
KEMU_DMA_STUB(AllocateCommonBufferVector);
KEMU_DMA_STUB(GetCommonBufferFromVectorByIndex);
KEMU_DMA_STUB(FreeCommonBufferFromVector);
KEMU_DMA_STUB(FreeCommonBufferVector);
KEMU_DMA_STUB(CreateCommonBufferFromMdl);

template <typename T>
T As(PVOID stub) {
  return reinterpret_cast<T>(stub);
}

// One table for every adapter: the driver reads it, never writes it.
DMA_OPERATIONS operations = {
    .Size = sizeof(DMA_OPERATIONS),
    .PutDmaAdapter = &PutDmaAdapter,
    .AllocateCommonBuffer = &AllocateCommonBuffer,
    .FreeCommonBuffer = &FreeCommonBuffer,
    .AllocateAdapterChannel = &AllocateAdapterChannel,
    .FlushAdapterBuffers = &FlushAdapterBuffers,
    .FreeAdapterChannel = &FreeAdapterChannel,
    .FreeMapRegisters = &FreeMapRegisters,
    .MapTransfer = &MapTransfer,
    .GetDmaAlignment = &GetDmaAlignment,
    .ReadDmaCounter = As<PREAD_DMA_COUNTER>(kReadDmaCounterStub),
    .GetScatterGatherList = &GetScatterGatherList,
    .PutScatterGatherList = &PutScatterGatherList,
    .CalculateScatterGatherList = &CalculateScatterGatherList,
    .BuildScatterGatherList = &BuildScatterGatherList,
    .BuildMdlFromScatterGatherList =
        As<PBUILD_MDL_FROM_SCATTER_GATHER_LIST>(kBuildMdlFromScatterGatherListStub),
    .GetDmaAdapterInfo = kGetDmaAdapterInfoStub,
    .GetDmaTransferInfo = kGetDmaTransferInfoStub,
    .InitializeDmaTransferContext = kInitializeDmaTransferContextStub,
    .AllocateCommonBufferEx = kAllocateCommonBufferExStub,
    .AllocateAdapterChannelEx = kAllocateAdapterChannelExStub,
    .ConfigureAdapterChannel = kConfigureAdapterChannelStub,
    .CancelAdapterChannel = kCancelAdapterChannelStub,
    .MapTransferEx = kMapTransferExStub,
    .GetScatterGatherListEx = kGetScatterGatherListExStub,
    .BuildScatterGatherListEx = kBuildScatterGatherListExStub,
    .FlushAdapterBuffersEx = kFlushAdapterBuffersExStub,
    .FreeAdapterObject = kFreeAdapterObjectStub,
    .CancelMappedTransfer = kCancelMappedTransferStub,
    .AllocateDomainCommonBuffer = kAllocateDomainCommonBufferStub,
    .FlushDmaBuffer = kFlushDmaBufferStub,
    .JoinDmaDomain = kJoinDmaDomainStub,
    .LeaveDmaDomain = kLeaveDmaDomainStub,
    .GetDmaDomain = kGetDmaDomainStub,
    .AllocateCommonBufferWithBounds = kAllocateCommonBufferWithBoundsStub,
    .AllocateCommonBufferVector = kAllocateCommonBufferVectorStub,
    .GetCommonBufferFromVectorByIndex = kGetCommonBufferFromVectorByIndexStub,
    .FreeCommonBufferFromVector = kFreeCommonBufferFromVectorStub,
    .FreeCommonBufferVector = kFreeCommonBufferVectorStub,
    .CreateCommonBufferFromMdl = kCreateCommonBufferFromMdlStub,
};

// The first release that knows each DEVICE_DESCRIPTION version: 2 from Windows XP, 3 from
// Windows 8 (Microsoft's DEVICE_DESCRIPTION page).
bool VersionKnownTo(ULONG version, kemu::Os os) {
  if (version == DEVICE_DESCRIPTION_VERSION3) return os >= kemu::Os::kWindows8;
  if (version == DEVICE_DESCRIPTION_VERSION2) return os >= kemu::Os::kWindowsXP;
  return true;
}

}  // namespace

extern "C" {

PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
                             PDEVICE_DESCRIPTION DeviceDescription, PULONG NumberOfMapRegisters) {
  static constexpr const char* kRoutine = "IoGetDmaAdapter";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoGetDmaAdapter, KEMU_ARG(PhysicalDeviceObject), KEMU_ARG(DeviceDescription),
                 KEMU_ARG(NumberOfMapRegisters));
  AtPassive(kernel, kRoutine);
  // PhysicalDeviceObject is optional: NULL is a legacy (non-PnP) driver's call, which Windows
  // answers from the description alone (the HAL's adapter for its InterfaceType and BusNumber;
  // "Getting an Adapter Object"). kemu's adapter never depended on the device, so it is the same
  // adapter (UNCONFIRMED for details such as InterfaceTypeUndefined, which has no PDO to ask;
  // audit round 17, W2). A pointer that is no emulated device's PDO stays 0xCA.
  if (PhysicalDeviceObject != nullptr &&
      kernel.devices().FindByPdo(PhysicalDeviceObject) == nullptr) {
    kernel.verifier().InvalidPdo(kRoutine, PhysicalDeviceObject);
  }
  kernel.verifier().Dereferenced(kRoutine, DeviceDescription, "DeviceDescription");
  kernel.verifier().Dereferenced(kRoutine, NumberOfMapRegisters, "NumberOfMapRegisters");
  const ULONG version = DeviceDescription->Version;
  if (version > DEVICE_DESCRIPTION_VERSION3) {
    kernel.verifier().DmaUnknownDescriptionVersion(kRoutine, version);
  }
  // A version the release predates: no adapter (UNCONFIRMED; the documented failure is NULL).
  if (!VersionKnownTo(version, kernel.personality().os)) return nullptr;
  // An injected failure is the documented one: no adapter, NULL.
  if (kernel.faults().Check(kemu::abi::ExportId::kIoGetDmaAdapter)) return nullptr;
  return kernel.dma_adapters().Get(*DeviceDescription, &operations, NumberOfMapRegisters);
}

}  // extern "C"
