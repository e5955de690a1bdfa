// DMA adapters and their common buffers (see dma_adapters.hpp).
#include "model/dma_adapters.hpp"

#include <fmt/format.h>

#include <optional>

#include "kemu/bugcheck.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr const char* kAllocate = "AllocateCommonBuffer";
constexpr const char* kFree = "FreeCommonBuffer";
constexpr std::uint64_t kPage = 0x1000;

// The last logical address the device reaches, or nullopt for a description IoGetDmaAdapter
// refuses. Version 3 ignores Dma32BitAddresses and Dma64BitAddresses (the DEVICE_DESCRIPTION
// page): a bus master states its reach in DmaAddressWidth, which "must be nonzero and must not
// exceed 64", and a subordinate device has the system DMA controller's, 24 bits in kemu (audit
// round 17, W3). Before version 3, a device with 64-bit addresses reaches everything, a bus master
// 32 bits, and a system (ISA) DMA channel 24 bits. A bus master that sets neither flag gets 32
// bits (UNCONFIRMED: the HAL's default for PCI).
std::optional<std::uint64_t> HighestLogical(const DEVICE_DESCRIPTION& d) {
  if (d.Version >= DEVICE_DESCRIPTION_VERSION3) {
    if (!d.Master) return 0xFFFFFF;
    if (d.DmaAddressWidth == 0 || d.DmaAddressWidth > 64) return std::nullopt;
    if (d.DmaAddressWidth == 64) return ~std::uint64_t{0};
    return (std::uint64_t{1} << d.DmaAddressWidth) - 1;
  }
  if (d.Dma64BitAddresses) return ~std::uint64_t{0};
  if (d.Master || d.Dma32BitAddresses) return 0xFFFFFFFF;
  return 0xFFFFFF;
}

}  // namespace

DmaAdapters::~DmaAdapters() = default;

PDMA_ADAPTER DmaAdapters::Get(const DEVICE_DESCRIPTION& description, PDMA_OPERATIONS operations,
                              PULONG map_registers) {
  const std::optional<std::uint64_t> highest = HighestLogical(description);
  // An invalid description: no adapter, the documented failure (UNCONFIRMED that Windows' check
  // is this one; the page names the rule, not its outcome).
  if (!highest) return nullptr;
  auto adapter = std::make_unique<Adapter>();
  // "Regardless of the version set in the DEVICE_DESCRIPTION structure", IoGetDmaAdapter returns
  // DMA_ADAPTER->Version 1 (its page): a driver learns the table's version from the description
  // it passed, never from here (audit round 17, W1).
  adapter->object.Version = 1;
  adapter->object.Size = sizeof(DMA_ADAPTER);
  adapter->object.DmaOperations = operations;
  adapter->highest = *highest;
  adapter->version = description.Version;
  adapter->master = description.Master != FALSE;
  // One map register per page a transfer of MaximumLength can touch (UNCONFIRMED: Windows may
  // give fewer; a driver must use the count it is given). The count is the adapter's: the most
  // one transfer may use (AllocateAdapterChannel, GetScatterGatherList).
  const std::uint64_t pages = (std::uint64_t{description.MaximumLength} + kPage - 1) / kPage;
  adapter->map_registers = static_cast<ULONG>(pages + 1);
  if (map_registers != nullptr) *map_registers = adapter->map_registers;
  PDMA_ADAPTER handle = &adapter->object;
  adapters_.emplace(handle, std::move(adapter));
  return handle;
}

DmaAdapters::Adapter& DmaAdapters::Live(const char* routine, PDMA_ADAPTER adapter) {
  if (adapter == nullptr) kernel_.verifier().DmaNullAdapter(routine);
  const auto found = adapters_.find(adapter);
  if (found == adapters_.end() || found->second->released) {
    kernel_.verifier().DmaReleasedAdapter(routine, adapter, found != adapters_.end());
  }
  return *found->second;
}

void DmaAdapters::Put(PDMA_ADAPTER adapter) {
  Adapter& live = Live("PutDmaAdapter", adapter);
  if (!live.buffers.empty()) {
    kernel_.verifier().DmaAdapterReleasedWithCommonBuffers("PutDmaAdapter", adapter,
                                                           live.buffers.size());
  }
  // What a transfer holds is given back before the adapter (the 0xE6 parameter table's 0x08,
  // 0x09 and 0x0A), checked in that order. Past a recorded report it stays held.
  if (live.channel) {
    kernel_.verifier().DmaAdapterReleasedWithTransfers(
        "PutDmaAdapter", adapter, dma_violation::kAdapterReleasedWithAdapterChannels, 1);
  } else if (const std::uint64_t registers = RegistersHeld(live); registers != 0) {
    kernel_.verifier().DmaAdapterReleasedWithTransfers(
        "PutDmaAdapter", adapter, dma_violation::kAdapterReleasedWithMapRegisters, registers);
  } else if (!live.lists.empty()) {
    kernel_.verifier().DmaAdapterReleasedWithTransfers(
        "PutDmaAdapter", adapter, dma_violation::kAdapterReleasedWithScatterGatherLists,
        live.lists.size());
  }
  // The buffers still allocated stay pool's (reported as leaks at shutdown); the adapter's memory
  // stays too, so a later call through it is reported.
  live.released = true;
}

PVOID DmaAdapters::AllocateCommonBuffer(PDMA_ADAPTER adapter, ULONG length,
                                        PPHYSICAL_ADDRESS logical, BOOLEAN cache_enabled) {
  Adapter& live = Live(kAllocate, adapter);
  kernel_.verifier().Dereferenced(kAllocate, logical, "LogicalAddress");
  logical->QuadPart = 0;
  // Nothing to allocate: Microsoft documents no bug check, and kemu returns NULL (UNCONFIRMED).
  if (length == 0) return nullptr;
  // An injected failure is the documented one: NULL, as when no memory the device reaches is left.
  if (kernel_.faults().Check(TableRoutine::kAllocateCommonBuffer)) return nullptr;
  void* block = kernel_.pool().Allocate(
      {.routine = kAllocate,
       .id = std::nullopt,
       .type = NonPagedPool,
       .bytes = length,
       .contiguous = true,
       .lowest = 0,
       .highest = live.highest,
       .boundary = 0,
       .cache_type = static_cast<std::uint32_t>(cache_enabled ? MmCached : MmNonCached)});
  if (block == nullptr) return nullptr;
  // No IOMMU: the device's logical address is the physical one.
  const std::uint64_t address = kernel_.physical_memory().PhysicalOf(block);
  logical->QuadPart = static_cast<LONGLONG>(address);
  live.buffers[block] =
      CommonBuffer{.length = length, .logical = address, .cache_enabled = cache_enabled != FALSE};
  return block;
}

void DmaAdapters::FreeCommonBuffer(PDMA_ADAPTER adapter, ULONG length, PHYSICAL_ADDRESS logical,
                                   PVOID virtual_address, BOOLEAN cache_enabled,
                                   const void* call_site) {
  Adapter& live = Live(kFree, adapter);
  const auto found = live.buffers.find(virtual_address);
  if (found == live.buffers.end()) {
    kernel_.verifier().DmaCommonBufferFreedTwice(kFree, virtual_address, OwnerOf(virtual_address));
  }
  const CommonBuffer& buffer = found->second;
  verifier::Verifier& verifier = kernel_.verifier();
  if (length != buffer.length) {
    verifier.CommonBufferFreeMismatch(kFree, virtual_address, common_buffer_free_rule::kLength,
                                      buffer.length);
  } else if (static_cast<std::uint64_t>(logical.QuadPart) != buffer.logical) {
    verifier.CommonBufferFreeMismatch(kFree, virtual_address,
                                      common_buffer_free_rule::kLogicalAddress, buffer.logical);
  } else if ((cache_enabled != FALSE) != buffer.cache_enabled) {
    verifier.CommonBufferFreeMismatch(kFree, virtual_address,
                                      common_buffer_free_rule::kCacheEnabled,
                                      buffer.cache_enabled ? 1 : 0);
  }
  // Past a recorded report, freed as the allocation was made: the buffer is the driver's no more.
  live.buffers.erase(found);
  kernel_.pool().FreeContiguous(kFree, virtual_address, {}, call_site);
}

const void* DmaAdapters::OwnerOf(const void* virtual_address) const {
  for (const auto& [handle, adapter] : adapters_) {
    if (adapter->buffers.contains(virtual_address)) return handle;
  }
  return nullptr;
}

ULONG DmaAdapters::Alignment(PDMA_ADAPTER adapter) {
  Live("GetDmaAlignment", adapter);
  // kemu's devices have no alignment requirement beyond a byte (UNCONFIRMED what a real HAL says
  // for a PCI bus master; 1 is what a device without one gets).
  return 1;
}

std::vector<std::string> DmaAdapters::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (const auto& [handle, adapter] : adapters_) {
    if (adapter->released) continue;
    // What the adapter still holds, so the report names the transfer left unfinished too.
    std::string held;
    if (!adapter->buffers.empty()) {
      held += fmt::format(", {} common buffer(s) still allocated", adapter->buffers.size());
    }
    if (adapter->channel) held += ", its adapter channel still allocated";
    if (const std::uint64_t registers = RegistersHeld(*adapter); registers != 0) {
      held += fmt::format(", {} map register(s) still allocated", registers);
    }
    if (!adapter->lists.empty()) {
      held += fmt::format(", {} scatter/gather list(s) never put", adapter->lists.size());
    }
    if (!held.empty()) held = ", with" + held.substr(1);
    lines.push_back(fmt::format(
        "the DMA adapter at {} from IoGetDmaAdapter was never released (PutDmaAdapter){}",
        static_cast<const void*>(handle), held));
  }
  return lines;
}

std::uintptr_t DmaAdapters::FirstLeak() const {
  for (const auto& [handle, adapter] : adapters_) {
    if (!adapter->released) return reinterpret_cast<std::uintptr_t>(handle);
  }
  return 0;
}

}  // namespace kemu::model
