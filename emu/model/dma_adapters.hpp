// DMA adapters (IoGetDmaAdapter, docs/kernel.md "DMA adapters"): the adapter object and its
// operation table, and the common buffers a bus-master device shares with its driver. A common
// buffer is contiguous memory (model/pool.hpp, model/physical_memory.hpp) below the adapter's
// addressing limit; its logical address is its physical address, as on a machine without an
// IOMMU, so a device double reaches it through Machine::HostAddressOf. Each adapter's memory is
// kept until the machine ends, so a call through a released adapter is reported, never a read of
// freed memory. An adapter not released at Machine::Shutdown is a leak; its common buffers are
// pool's leaks.
//
// Packet-based DMA and scatter/gather (dma_transfers.cpp): each adapter has the map registers
// IoGetDmaAdapter counted and one adapter channel. A MapRegisterBase is kemu's record of one
// allocation of map registers (opaque to the driver, as on Windows); a scatter/gather list is
// built from the MDL's page array, its logical addresses the pages' physical addresses (no
// IOMMU), so a device double reaches them through Machine::HostAddressOf as it reaches a common
// buffer.
#ifndef KEMU_EMU_MODEL_DMA_ADAPTERS_HPP_
#define KEMU_EMU_MODEL_DMA_ADAPTERS_HPP_

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace kemu::model {

class Kernel;

class DmaAdapters {
 public:
  explicit DmaAdapters(Kernel& kernel) : kernel_(kernel) {}
  DmaAdapters(const DmaAdapters&) = delete;
  DmaAdapters& operator=(const DmaAdapters&) = delete;
  ~DmaAdapters();

  /// IoGetDmaAdapter for the device whose PDO the caller has checked (or for a legacy driver's
  /// NULL PDO): the adapter, or nullptr when the description is invalid (a version 3 bus master's
  /// DmaAddressWidth 0 or above 64).
  PDMA_ADAPTER Get(const DEVICE_DESCRIPTION& description, PDMA_OPERATIONS operations,
                   PULONG map_registers);
  /// The operations (the caller has entered the call and checked the IRQL).
  void Put(PDMA_ADAPTER adapter);
  PVOID AllocateCommonBuffer(PDMA_ADAPTER adapter, ULONG length, PPHYSICAL_ADDRESS logical,
                             BOOLEAN cache_enabled);
  /// `call_site`: the driver's call of FreeCommonBuffer (Pool::Free).
  void FreeCommonBuffer(PDMA_ADAPTER adapter, ULONG length, PHYSICAL_ADDRESS logical,
                        PVOID virtual_address, BOOLEAN cache_enabled, const void* call_site);
  ULONG Alignment(PDMA_ADAPTER adapter);

  /// Packet-based DMA (dma_transfers.cpp; the caller has entered the call and checked the IRQL).
  NTSTATUS AllocateAdapterChannel(PDMA_ADAPTER adapter, PDEVICE_OBJECT device, ULONG registers,
                                  PDRIVER_CONTROL routine, PVOID context);
  PHYSICAL_ADDRESS MapTransfer(PDMA_ADAPTER adapter, PMDL mdl, PVOID map_register_base,
                               PVOID current_va, PULONG length, BOOLEAN write_to_device);
  BOOLEAN FlushAdapterBuffers(PDMA_ADAPTER adapter, PMDL mdl, PVOID map_register_base,
                              PVOID current_va, ULONG length, BOOLEAN write_to_device);
  void FreeMapRegisters(PDMA_ADAPTER adapter, PVOID map_register_base, ULONG registers);
  void FreeAdapterChannel(PDMA_ADAPTER adapter);
  /// Scatter/gather lists (dma_scatter_gather.cpp).
  NTSTATUS GetScatterGatherList(PDMA_ADAPTER adapter, PDEVICE_OBJECT device, PMDL mdl,
                                PVOID current_va, ULONG length, PDRIVER_LIST_CONTROL routine,
                                PVOID context, BOOLEAN write_to_device);
  NTSTATUS BuildScatterGatherList(PDMA_ADAPTER adapter, PDEVICE_OBJECT device, PMDL mdl,
                                  PVOID current_va, ULONG length, PDRIVER_LIST_CONTROL routine,
                                  PVOID context, BOOLEAN write_to_device, PVOID buffer,
                                  ULONG buffer_length);
  NTSTATUS CalculateScatterGatherList(PDMA_ADAPTER adapter, PMDL mdl, PVOID current_va,
                                      ULONG length, PULONG list_size, PULONG registers);
  void PutScatterGatherList(PDMA_ADAPTER adapter, PSCATTER_GATHER_LIST list,
                            BOOLEAN write_to_device);

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  struct CommonBuffer {
    ULONG length = 0;
    std::uint64_t logical = 0;
    bool cache_enabled = false;
  };
  /// One allocation of map registers, found by the MapRegisterBase the driver is given: an
  /// address in the upper half, where no host pointer lies, from a counter that never repeats,
  /// so a base freed already is never taken for a newer allocation and a second free is
  /// reported. Only live allocations are kept: a test making millions of transfers through one
  /// adapter keeps nothing of the finished ones and finds a base in constant time.
  struct MapRegisterSet {
    ULONG count = 0;
    /// What MapTransfer mapped through these registers and no FlushAdapterBuffers has flushed
    /// since: driver virtual ranges [begin, end), and the registers (pages) they take. DMA
    /// verification reports mapping past the registers, mapping a range twice and freeing
    /// registers still mapped.
    struct Mapping {
      std::uintptr_t begin = 0;
      std::uintptr_t end = 0;
      std::uint64_t registers = 0;
    };
    std::vector<Mapping> mapped;
    std::uint64_t MappedRegisters() const;
    std::uint64_t MappedBytes() const;
  };
  /// A scatter/gather list the driver holds until PutScatterGatherList.
  struct ScatterGatherList {
    /// GetScatterGatherList's list is kemu's memory beside the adapter, not pool, so a list put
    /// twice is the adapter's to report (0xE6 / 0x06), not special pool's freed-block access;
    /// nullptr for BuildScatterGatherList's, which is in the driver's buffer.
    std::unique_ptr<std::byte[]> storage;
  };
  struct Adapter {
    DMA_ADAPTER object{};       ///< first: the PDMA_ADAPTER is its address
    std::uint64_t highest = 0;  ///< the last logical address the device reaches
    ULONG version = 0;          ///< DEVICE_DESCRIPTION.Version: which table entries exist
    bool master = false;        ///< a bus master (else a system DMA channel)
    ULONG map_registers = 0;    ///< what IoGetDmaAdapter gave: the most one transfer may use
    bool released = false;
    std::map<const void*, CommonBuffer> buffers;  ///< by virtual address
    bool channel = false;  ///< the adapter channel is allocated (AllocateAdapterChannel)
    const void* channel_registers = nullptr;  ///< the base allocated with the channel
    std::unordered_map<const void*, MapRegisterSet> register_sets;  ///< live, by base
    std::map<const void*, ScatterGatherList> lists;                 ///< held by the driver
    /// The memory of the lists put last, kept a while so that a list put twice is never
    /// mistaken for a newer one at the same address.
    std::deque<std::unique_ptr<std::byte[]>> retired_lists;
    std::uint64_t lists_allocated = 0;
    std::uint64_t lists_freed = 0;
  };

  /// The live adapter `adapter` names; reports a NULL, unknown or released one.
  Adapter& Live(const char* routine, PDMA_ADAPTER adapter);
  /// The live map registers `base` names on `adapter`, or nullptr.
  static MapRegisterSet* LiveRegisters(Adapter& adapter, const void* base);
  /// Gives back the map registers allocated with the channel, if it still holds them (`routine`
  /// names who gives them back if they are still mapped).
  void ReleaseChannelRegisters(const char* routine, Adapter& adapter);
  /// Under DMA verification, records MapTransfer's mapping of `bytes` at `va` through `set`,
  /// reporting a range mapped twice (0x1D) and registers all mapped already (0x0D).
  void NoteMapping(MapRegisterSet& set, std::uintptr_t va, std::uint64_t bytes);
  /// Under DMA verification, reports registers given back while still mapped.
  void CheckUnmapped(const char* routine, const void* base, const MapRegisterSet& set);
  /// Under DMA verification, reports a zero-length transfer and a CurrentVa outside the MDL's
  /// buffer (0x21, 0x1F); `range` also a range running past its end (0x1B).
  void CheckTransferRange(const char* routine, const MDL* mdl, std::uintptr_t current_va,
                          std::uint64_t length, bool range);
  /// Map registers the adapter holds, in all.
  static std::uint64_t RegistersHeld(const Adapter& adapter);
  /// Stops by name for what kemu does not model of a transfer: a system DMA channel's.
  void RequireBusMaster(const char* routine, const Adapter& adapter);
  /// The system runs the driver's AdapterControl and AdapterListControl routines at
  /// DISPATCH_LEVEL: EnterDispatch raises to it if below (returning the IRQL to go back to),
  /// LeaveDispatch lowers back.
  KIRQL EnterDispatch();
  void LeaveDispatch(KIRQL old);
  /// The list's elements for [current_va, current_va + length) of `mdl`, or the status that
  /// refuses it; `list` may be nullptr (only count). Shared by Get, Build and Calculate.
  NTSTATUS Elements(const char* routine, const Adapter& adapter, const MDL* mdl,
                    std::uintptr_t current_va, ULONG length, ULONG* count,
                    PSCATTER_GATHER_LIST list, ULONG capacity);
  /// Gives the built list to the driver's routine and records it.
  NTSTATUS HandOver(Adapter& adapter, PDEVICE_OBJECT device, PSCATTER_GATHER_LIST list,
                    std::unique_ptr<std::byte[]> storage, PDRIVER_LIST_CONTROL routine,
                    PVOID context);
  /// The adapter whose live common buffer starts at `virtual_address`, or nullptr.
  const void* OwnerOf(const void* virtual_address) const;

  Kernel& kernel_;
  std::map<PDMA_ADAPTER, std::unique_ptr<Adapter>> adapters_;
  /// The next MapRegisterBase (see MapRegisterSet).
  std::uintptr_t next_register_base_ = 0xFFFF'D000'0000'0000;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DMA_ADAPTERS_HPP_
