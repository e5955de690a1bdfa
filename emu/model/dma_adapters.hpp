// DMA adapters (IoGetDmaAdapter, docs/kernel.md "DMA adapters"): the adapter object and its
// operation table, and the common buffers a bus-master device shares with its driver. A common
// buffer is contiguous memory (model/pool.hpp, model/physical_memory.hpp) below the adapter's
// addressing limit; its logical address is its physical address, as on a machine without an
// IOMMU, so a device double reaches it through Machine::HostAddressOf. Each adapter's memory is
// kept until the machine ends, so a call through a released adapter is reported, never a read of
// freed memory. An adapter not released at Machine::Shutdown is a leak; its common buffers are
// pool's leaks.
#ifndef KEMU_EMU_MODEL_DMA_ADAPTERS_HPP_
#define KEMU_EMU_MODEL_DMA_ADAPTERS_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
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
  void FreeCommonBuffer(PDMA_ADAPTER adapter, ULONG length, PHYSICAL_ADDRESS logical,
                        PVOID virtual_address, BOOLEAN cache_enabled);
  ULONG Alignment(PDMA_ADAPTER adapter);

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  struct CommonBuffer {
    ULONG length = 0;
    std::uint64_t logical = 0;
    bool cache_enabled = false;
  };
  struct Adapter {
    DMA_ADAPTER object{};       ///< first: the PDMA_ADAPTER is its address
    std::uint64_t highest = 0;  ///< the last logical address the device reaches
    bool released = false;
    std::map<const void*, CommonBuffer> buffers;  ///< by virtual address
  };

  /// The live adapter `adapter` names; reports a NULL, unknown or released one.
  Adapter& Live(const char* routine, PDMA_ADAPTER adapter);
  /// The adapter whose live common buffer starts at `virtual_address`, or nullptr.
  const void* OwnerOf(const void* virtual_address) const;

  Kernel& kernel_;
  std::map<PDMA_ADAPTER, std::unique_ptr<Adapter>> adapters_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DMA_ADAPTERS_HPP_
