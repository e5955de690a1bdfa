// Packet-based DMA through an adapter (see dma_adapters.hpp): the adapter channel, map
// registers, MapTransfer and FlushAdapterBuffers, as Microsoft's pages for each routine describe
// them (docs/kernel.md, "DMA adapters").
#include <fmt/format.h>

#include <algorithm>

#include "kemu/bugcheck.hpp"
#include "kemu/error.hpp"
#include "model/dma_adapters.hpp"
#include "model/kernel.hpp"
#include "model/mdl_pages.hpp"

namespace kemu::model {
namespace {

constexpr const char* kAllocateChannel = "AllocateAdapterChannel";
constexpr const char* kMapTransfer = "MapTransfer";
constexpr const char* kFlush = "FlushAdapterBuffers";
constexpr const char* kFreeRegisters = "FreeMapRegisters";
constexpr const char* kFreeChannel = "FreeAdapterChannel";
constexpr std::uint64_t kPage = PAGE_SIZE;

std::uintptr_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

}  // namespace

KIRQL DmaAdapters::EnterDispatch() {
  Cpu& cpu = kernel_.cpu();
  const KIRQL old = cpu.irql;
  if (old < DISPATCH_LEVEL) kernel_.WriteIrql(cpu, DISPATCH_LEVEL);
  return old;
}

void DmaAdapters::LeaveDispatch(KIRQL old) {
  // Lowering back runs what DISPATCH_LEVEL kept pending (DPCs), as after any raised section.
  if (kernel_.irql().Current() > old) kernel_.irql().Set(old);
}

DmaAdapters::MapRegisterSet* DmaAdapters::LiveRegisters(Adapter& adapter, const void* base) {
  const auto found = adapter.register_sets.find(base);
  return found == adapter.register_sets.end() ? nullptr : &found->second;
}

std::uint64_t DmaAdapters::MapRegisterSet::MappedRegisters() const {
  std::uint64_t registers = 0;
  for (const Mapping& mapping : mapped) registers += mapping.registers;
  return registers;
}

std::uint64_t DmaAdapters::MapRegisterSet::MappedBytes() const {
  std::uint64_t bytes = 0;
  for (const Mapping& mapping : mapped) bytes += mapping.end - mapping.begin;
  return bytes;
}

void DmaAdapters::ReleaseChannelRegisters(const char* routine, Adapter& adapter) {
  if (adapter.channel_registers == nullptr) return;
  const auto found = adapter.register_sets.find(adapter.channel_registers);
  if (routine != nullptr && found != adapter.register_sets.end()) {
    CheckUnmapped(routine, found->first, found->second);
  }
  if (found != adapter.register_sets.end()) adapter.register_sets.erase(found);
  adapter.channel_registers = nullptr;
}

void DmaAdapters::CheckUnmapped(const char* routine, const void* base, const MapRegisterSet& set) {
  // The Bug Check 0xE6 page, 0x10: "tried to free its map registers while some were still
  // mapped". Without DMA verification Windows frees them and the transfer's data is lost.
  if (!set.mapped.empty() && kernel_.verifier().mode() == verifier::CheckMode::kVerifier) {
    kernel_.verifier().DmaFreedWhileMapped(routine, base, set.MappedRegisters());
  }
}

void DmaAdapters::CheckTransferRange(const char* routine, const MDL* mdl, std::uintptr_t current_va,
                                     std::uint64_t length, bool range) {
  verifier::Verifier& verifier = kernel_.verifier();
  if (verifier.mode() != verifier::CheckMode::kVerifier) return;
  if (length == 0) verifier.DmaZeroLengthTransfer(routine);  // the page's 0x21
  const auto [start, end] = MdlBufferRange(*mdl);
  // 0x1F: "Virtual buffer address is before the first MDL" (0x01), "after the first MDL" (0x02).
  if (current_va < start || current_va >= end) {
    verifier.DmaBufferOutsideMdl(routine, reinterpret_cast<const void*>(current_va), mdl,
                                 current_va >= end);
  }
  // 0x1B: "this address is not within the bounds of this MDL", here the first byte past it.
  if (range && length > end - current_va) {
    verifier.DmaRangePastMdl(routine, reinterpret_cast<const void*>(end), mdl, length);
  }
}

std::uint64_t DmaAdapters::RegistersHeld(const Adapter& adapter) {
  std::uint64_t held = 0;
  for (const auto& [base, set] : adapter.register_sets) held += set.count;
  return held;
}

void DmaAdapters::RequireBusMaster(const char* routine, const Adapter& adapter) {
  // A system (subordinate) DMA channel's transfer programs the system DMA controller, which
  // kemu does not emulate.
  if (!adapter.master) {
    kernel_.ThrowNotModelled(fmt::format(
        "{} on a system DMA channel's adapter (kemu models bus-master DMA only)", routine));
  }
}

NTSTATUS DmaAdapters::AllocateAdapterChannel(PDMA_ADAPTER adapter, PDEVICE_OBJECT device,
                                             ULONG registers, PDRIVER_CONTROL routine,
                                             PVOID context) {
  Adapter& live = Live(kAllocateChannel, adapter);
  verifier::Verifier& verifier = kernel_.verifier();
  verifier.Dereferenced(kAllocateChannel, device, "DeviceObject");
  verifier.Dereferenced(kAllocateChannel, routine, "ExecutionRoutine");
  // The page: more map registers than IoGetDmaAdapter gave is STATUS_INSUFFICIENT_RESOURCES, the
  // routine not called. DMA verification stops there with 0xE6 / 0x0C instead.
  if (registers > live.map_registers) {
    if (verifier.mode() == verifier::CheckMode::kVerifier) {
      verifier.DmaTooManyMapRegisters(kAllocateChannel, registers, live.map_registers);
    }
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  // One channel per adapter. Windows queues a second request until FreeAdapterChannel; DMA
  // verification reports it (0xE6 / 0x0B), and kemu, which keeps no queue, stops by name
  // otherwise.
  if (live.channel) {
    if (verifier.mode() == verifier::CheckMode::kVerifier) {
      verifier.DmaTooManyAdapterChannels(kAllocateChannel, adapter);
    }
    kernel_.ThrowNotModelled(
        "AllocateAdapterChannel while the adapter channel is allocated (Windows queues the "
        "request until FreeAdapterChannel)");
  }
  // Never 0 and never a host pointer: 16 apart, as an allocation's address would be.
  auto* const base = reinterpret_cast<void*>(next_register_base_);
  next_register_base_ += 16;
  live.register_sets.emplace(base, MapRegisterSet{.count = registers, .mapped = {}});
  live.channel = true;
  live.channel_registers = base;
  // The channel and registers are free at once (nothing else holds them), so the routine runs
  // now, before AllocateAdapterChannel returns, as the page allows.
  const KIRQL old = EnterDispatch();
  const IO_ALLOCATION_ACTION action = routine(device, device->CurrentIrp, base, context);
  LeaveDispatch(old);
  switch (action) {
    case KeepObject:  // both stay the driver's until FreeAdapterChannel
      break;
    case DeallocateObject:  // the registers go back now: anything mapped is lost
      ReleaseChannelRegisters(kAllocateChannel, live);
      live.channel = false;
      break;
    case DeallocateObjectKeepRegisters:  // the registers stay the driver's until FreeMapRegisters
      live.channel = false;
      live.channel_registers = nullptr;
      break;
    default:
      // Microsoft documents the three actions only; kemu does not guess what another means. The
      // channel and the registers are given back first, so the test can still release the
      // adapter.
      ReleaseChannelRegisters(nullptr, live);
      live.channel = false;
      throw Error(fmt::format(
          "kemu: the AdapterControl routine AllocateAdapterChannel ran returned {}, which is no "
          "IO_ALLOCATION_ACTION: return KeepObject, DeallocateObject or "
          "DeallocateObjectKeepRegisters",
          static_cast<int>(action)));
  }
  return STATUS_SUCCESS;
}

PHYSICAL_ADDRESS DmaAdapters::MapTransfer(PDMA_ADAPTER adapter, PMDL mdl, PVOID map_register_base,
                                          PVOID current_va, PULONG length,
                                          BOOLEAN /*write_to_device*/) {
  Adapter& live = Live(kMapTransfer, adapter);
  RequireBusMaster(kMapTransfer, live);
  verifier::Verifier& verifier = kernel_.verifier();
  verifier.Dereferenced(kMapTransfer, mdl, "Mdl");
  verifier.Dereferenced(kMapTransfer, length, "Length");
  MapRegisterSet* set = LiveRegisters(live, map_register_base);
  if (set == nullptr) {
    throw Error(fmt::format(
        "kemu: MapTransfer was given MapRegisterBase {}, which is no map registers this adapter "
        "holds: pass the one the AdapterControl routine was given, before FreeMapRegisters or "
        "FreeAdapterChannel gives it back",
        map_register_base));
  }
  if (!MdlHasPages(*mdl)) {
    throw Error(fmt::format(
        "kemu: MapTransfer was given the MDL at {}, whose page array was never filled: build it "
        "with MmBuildMdlForNonPagedPool first",
        static_cast<const void*>(mdl)));
  }
  const std::uintptr_t va = Address(current_va);
  CheckTransferRange(kMapTransfer, mdl, va, *length, /*range=*/true);
  // The transfer goes through the map registers allocated, one page each from CurrentVa's page.
  const std::uint64_t room = std::uint64_t{set->count} * kPage;
  const std::uint64_t offset = va % kPage;
  const std::uint64_t mappable = room > offset ? room - offset : 0;
  const std::uint64_t asked = std::min<std::uint64_t>(*length, mappable);
  const auto runs = MdlRuns(*mdl, va, asked, 1);
  if (!runs) {
    throw Error(fmt::format(
        "kemu: MapTransfer was given CurrentVa {} and Length {:#x}, not inside the MDL's buffer "
        "({:#x} bytes from {}){}",
        current_va, *length, mdl->ByteCount, MmGetMdlVirtualAddress(mdl),
        mappable == 0 ? " (or a MapRegisterBase of no map registers)" : ""));
  }
  const LogicalRun& run = runs->front();
  // The page's physical address must be one the device reaches; Windows would copy through a
  // map register's buffer below the limit (double buffering), which kemu does not model.
  if (run.logical + run.bytes - 1 > live.highest) {
    kernel_.ThrowNotModelled(fmt::format(
        "MapTransfer of a page at logical address {:#x}, above the {:#x} the device reaches "
        "(double buffering through map registers)",
        run.logical, live.highest));
  }
  if (kernel_.verifier().mode() == verifier::CheckMode::kVerifier) NoteMapping(*set, va, run.bytes);
  // What is contiguous from CurrentVa: a driver maps the rest with further calls.
  *length = static_cast<ULONG>(run.bytes);
  PHYSICAL_ADDRESS logical;
  logical.QuadPart = static_cast<LONGLONG>(run.logical);
  return logical;
}

void DmaAdapters::NoteMapping(MapRegisterSet& set, std::uintptr_t va, std::uint64_t bytes) {
  verifier::Verifier& verifier = kernel_.verifier();
  const std::uintptr_t end = va + bytes;
  // The Bug Check 0xE6 page, 0x1D: "tried to map an address range that was already mapped".
  for (const MapRegisterSet::Mapping& mapping : set.mapped) {
    if (va < mapping.end && end > mapping.begin) {
      verifier.DmaRangeMappedTwice(kMapTransfer, reinterpret_cast<const void*>(va),
                                   reinterpret_cast<const void*>(end),
                                   reinterpret_cast<const void*>(std::max(va, mapping.begin)));
    }
  }
  // 0x0D, "did not flush its adapter buffers": the registers are all taken by mappings not
  // flushed since (UNCONFIRMED that Windows counts them per page as kemu does).
  const std::uint64_t registers = SpannedPages(va, bytes);
  if (set.MappedRegisters() + registers > set.count) {
    verifier.DmaBuffersNotFlushed(kMapTransfer, set.MappedBytes() + bytes,
                                  std::uint64_t{set.count} * kPage);
  }
  set.mapped.push_back({.begin = va, .end = end, .registers = registers});
}

BOOLEAN DmaAdapters::FlushAdapterBuffers(PDMA_ADAPTER adapter, PMDL mdl, PVOID map_register_base,
                                         PVOID current_va, ULONG length,
                                         BOOLEAN /*write_to_device*/) {
  Adapter& live = Live(kFlush, adapter);
  RequireBusMaster(kFlush, live);
  verifier::Verifier& verifier = kernel_.verifier();
  verifier.Dereferenced(kFlush, mdl, "Mdl");
  MapRegisterSet* set = LiveRegisters(live, map_register_base);
  if (set == nullptr) {
    // The Bug Check 0xE6 page, 0x20: "tried to flush a map register that hasn't been mapped".
    // Without DMA verification Microsoft gives no outcome: kemu stops the test.
    if (verifier.mode() == verifier::CheckMode::kVerifier) {
      verifier.DmaFlushUnmappedRegisters(kFlush, map_register_base, current_va, mdl);
    }
    throw Error(fmt::format(
        "kemu: FlushAdapterBuffers was given MapRegisterBase {}, which is no map registers this "
        "adapter holds: flush before FreeMapRegisters or FreeAdapterChannel",
        map_register_base));
  }
  // The 0xE6 table's 0x00 / 0x1: flushing more than the MDL has left.
  const std::uint64_t left = MdlBytesLeft(*mdl, Address(current_va));
  if (length > left) verifier.DmaFlushPastMdlEnd(kFlush, left, length);
  // The transfer's mappings in the flushed range end here: the registers may be mapped again.
  const std::uintptr_t begin = Address(current_va);
  const std::uintptr_t end = begin + length;
  std::erase_if(set->mapped, [begin, end](const MapRegisterSet::Mapping& mapping) {
    return mapping.begin < end && mapping.end > begin;
  });
  // No map register buffers to copy back and no cache to write back: host memory is coherent
  // with kemu's devices, so the data is already where it belongs.
  return TRUE;
}

void DmaAdapters::FreeMapRegisters(PDMA_ADAPTER adapter, PVOID map_register_base, ULONG registers) {
  Adapter& live = Live(kFreeRegisters, adapter);
  MapRegisterSet* set = LiveRegisters(live, map_register_base);
  if (set == nullptr) {
    kernel_.verifier().DmaMapRegistersFreedTwice(kFreeRegisters, map_register_base, registers);
  }
  // The page: NumberOfMapRegisters must be the number allocated. It documents no outcome;
  // Windows would free some other count, kemu stops the test.
  if (registers != set->count) {
    throw Error(fmt::format(
        "kemu: FreeMapRegisters was given NumberOfMapRegisters {} for the MapRegisterBase {}, "
        "which holds {}: pass the number AllocateAdapterChannel was asked for",
        registers, map_register_base, set->count));
  }
  CheckUnmapped(kFreeRegisters, map_register_base, *set);
  live.register_sets.erase(map_register_base);
  if (live.channel_registers == map_register_base) live.channel_registers = nullptr;
}

void DmaAdapters::FreeAdapterChannel(PDMA_ADAPTER adapter) {
  Adapter& live = Live(kFreeChannel, adapter);
  if (!live.channel) kernel_.verifier().DmaAdapterChannelFreedTwice(kFreeChannel, adapter);
  // The page: the channel and the map registers allocated with it are released.
  ReleaseChannelRegisters(kFreeChannel, live);
  live.channel = false;
}

}  // namespace kemu::model
