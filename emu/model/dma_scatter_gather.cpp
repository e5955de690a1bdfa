// Scatter/gather lists through an adapter (see dma_adapters.hpp): GetScatterGatherList,
// BuildScatterGatherList, CalculateScatterGatherList and PutScatterGatherList, as Microsoft's
// pages for each routine describe them (docs/kernel.md, "DMA adapters").
#include <fmt/format.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "kemu/bugcheck.hpp"
#include "kemu/error.hpp"
#include "model/dma_adapters.hpp"
#include "model/kernel.hpp"
#include "model/mdl_pages.hpp"
#include "model/output_range.hpp"

namespace kemu::model {
namespace {

constexpr const char* kGet = "GetScatterGatherList";
constexpr const char* kBuild = "BuildScatterGatherList";
constexpr const char* kCalculate = "CalculateScatterGatherList";
constexpr const char* kPut = "PutScatterGatherList";

// How many put lists' memory an adapter keeps (DmaAdapters::Adapter::retired_lists).
constexpr std::size_t kRetiredLists = 64;

std::uintptr_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// The bytes of a list of `elements` elements: the header, then the elements (Windows declares
// the array open, so its list is this size too).
ULONG ListBytes(ULONG elements) {
  return static_cast<ULONG>(offsetof(SCATTER_GATHER_LIST, Elements) +
                            std::size_t{elements} * sizeof(SCATTER_GATHER_ELEMENT));
}

// A transfer moves at least a byte: Microsoft documents none of zero bytes, and kemu does not
// guess what a list for it would hold.
void RequireBytes(const char* routine, ULONG length) {
  if (length == 0) {
    throw Error(
        fmt::format("kemu: {} was given Length 0: a transfer moves at least one byte", routine));
  }
}

// The version 2 entries (Calculate, Build) exist only in the table a DEVICE_DESCRIPTION_VERSION2
// description gets (their pages: "set to DEVICE_DESCRIPTION_VERSION2"); kemu's one table has them
// for every adapter, so a call through an older adapter is stopped here.
void RequireVersion2(const char* routine, ULONG version) {
  if (version < DEVICE_DESCRIPTION_VERSION2) {
    throw Error(fmt::format(
        "kemu: {} is in version 2 of the adapter's operations, but this adapter was got with a "
        "DEVICE_DESCRIPTION of Version {}: ask IoGetDmaAdapter with DEVICE_DESCRIPTION_VERSION2 "
        "(Windows XP and later)",
        routine, version));
  }
}

}  // namespace

NTSTATUS DmaAdapters::Elements(const char* routine, const Adapter& adapter, const MDL* mdl,
                               std::uintptr_t current_va, ULONG length, ULONG* count,
                               PSCATTER_GATHER_LIST list, ULONG capacity) {
  if (!MdlHasPages(*mdl)) {
    throw Error(fmt::format(
        "kemu: {} was given the MDL at {}, whose page array was never filled: build it with "
        "MmBuildMdlForNonPagedPool first",
        routine, static_cast<const void*>(mdl)));
  }
  // A transfer longer than the first MDL of a chain continues in the next (NDIS hands a miniport
  // its packet so); kemu's lists cover one MDL's buffer (docs/differences.md).
  if (mdl->Next != nullptr && length > MdlBytesLeft(*mdl, current_va)) {
    kernel_.ThrowNotModelled(fmt::format(
        "{} of {:#x} bytes across a chain of MDLs (the MDL at {} has {:#x} bytes from CurrentVa "
        "and a Next); kemu builds lists within one MDL",
        routine, length, static_cast<const void*>(mdl), MdlBytesLeft(*mdl, current_va)));
  }
  const std::optional<std::vector<LogicalRun>> runs = MdlRuns(*mdl, current_va, length);
  // The pages: "The buffer is too small for the requested transfer" (Get), "The specified Length
  // is too big to fit within the buffer" (Build, Calculate).
  if (!runs) return STATUS_BUFFER_TOO_SMALL;
  for (const LogicalRun& run : *runs) {
    // Windows would copy through map registers' buffers below the limit (double buffering),
    // which kemu does not model.
    if (run.logical + run.bytes - 1 > adapter.highest) {
      kernel_.ThrowNotModelled(fmt::format(
          "{} of a page at logical address {:#x}, above the {:#x} the device reaches (double "
          "buffering through map registers)",
          routine, run.logical, adapter.highest));
    }
  }
  *count = static_cast<ULONG>(runs->size());
  if (list == nullptr) return STATUS_SUCCESS;
  if (capacity < *count) return STATUS_BUFFER_TOO_SMALL;
  list->NumberOfElements = *count;
  list->Reserved = 0;
  for (ULONG i = 0; i < *count; ++i) {
    SCATTER_GATHER_ELEMENT& element = list->Elements[i];
    element.Address.QuadPart = static_cast<LONGLONG>((*runs)[i].logical);
    element.Length = static_cast<ULONG>((*runs)[i].bytes);
    element.Reserved = 0;
  }
  return STATUS_SUCCESS;
}

NTSTATUS DmaAdapters::HandOver(Adapter& adapter, PDEVICE_OBJECT device, PSCATTER_GATHER_LIST list,
                               std::unique_ptr<std::byte[]> storage, PDRIVER_LIST_CONTROL routine,
                               PVOID context) {
  adapter.lists[list] = ScatterGatherList{.storage = std::move(storage)};
  ++adapter.lists_allocated;
  // The map registers are free at once, so the routine runs now, at DISPATCH_LEVEL, before the
  // call returns (the page allows either).
  const KIRQL old = EnterDispatch();
  routine(device, device->CurrentIrp, list, context);
  LeaveDispatch(old);
  return STATUS_SUCCESS;
}

NTSTATUS DmaAdapters::GetScatterGatherList(PDMA_ADAPTER adapter, PDEVICE_OBJECT device, PMDL mdl,
                                           PVOID current_va, ULONG length,
                                           PDRIVER_LIST_CONTROL routine, PVOID context,
                                           BOOLEAN /*write_to_device*/) {
  Adapter& live = Live(kGet, adapter);
  RequireBusMaster(kGet, live);
  verifier::Verifier& verifier = kernel_.verifier();
  verifier.Dereferenced(kGet, device, "DeviceObject");
  verifier.Dereferenced(kGet, mdl, "Mdl");
  verifier.Dereferenced(kGet, routine, "ExecutionRoutine");
  const std::uintptr_t va = Address(current_va);
  CheckTransferRange(kGet, mdl, va, length, /*range=*/false);
  RequireBytes(kGet, length);
  // The page: "the number of map registers required for the transfer is greater than the value
  // returned by IoGetDmaAdapter".
  if (SpannedPages(va, length) > live.map_registers) return STATUS_INSUFFICIENT_RESOURCES;
  ULONG count = 0;
  if (const NTSTATUS status = Elements(kGet, live, mdl, va, length, &count, nullptr, 0);
      !NT_SUCCESS(status)) {
    return status;
  }
  // The list is the system's memory: kemu's, beside the adapter (ScatterGatherList::storage).
  auto storage = std::make_unique<std::byte[]>(ListBytes(count));
  auto* list = reinterpret_cast<PSCATTER_GATHER_LIST>(storage.get());
  (void)Elements(kGet, live, mdl, va, length, &count, list, count);
  return HandOver(live, device, list, std::move(storage), routine, context);
}

NTSTATUS DmaAdapters::BuildScatterGatherList(PDMA_ADAPTER adapter, PDEVICE_OBJECT device, PMDL mdl,
                                             PVOID current_va, ULONG length,
                                             PDRIVER_LIST_CONTROL routine, PVOID context,
                                             BOOLEAN /*write_to_device*/, PVOID buffer,
                                             ULONG buffer_length) {
  Adapter& live = Live(kBuild, adapter);
  RequireVersion2(kBuild, live.version);
  RequireBusMaster(kBuild, live);
  verifier::Verifier& verifier = kernel_.verifier();
  verifier.Dereferenced(kBuild, device, "DeviceObject");
  verifier.Dereferenced(kBuild, mdl, "Mdl");
  verifier.Dereferenced(kBuild, routine, "ExecutionRoutine");
  verifier.Dereferenced(kBuild, buffer, "ScatterGatherBuffer");
  const std::uintptr_t va = Address(current_va);
  CheckTransferRange(kBuild, mdl, va, length, /*range=*/false);
  RequireBytes(kBuild, length);
  if (SpannedPages(va, length) > live.map_registers) return STATUS_INSUFFICIENT_RESOURCES;
  ULONG count = 0;
  if (const NTSTATUS status = Elements(kBuild, live, mdl, va, length, &count, nullptr, 0);
      !NT_SUCCESS(status)) {
    return status;
  }
  // The driver's buffer must hold the whole list (CalculateScatterGatherList says how much).
  if (buffer_length < ListBytes(count)) return STATUS_BUFFER_TOO_SMALL;
  // A ScatterGatherLength larger than the driver's pool block would have kemu write the list past
  // it, into host memory that is no longer the block's (audit round 19, A1): 0xCD, nothing written.
  CheckOutputRange(kernel_, kBuild, "ScatterGatherBuffer", buffer, ListBytes(count));
  auto* list = static_cast<PSCATTER_GATHER_LIST>(buffer);
  (void)Elements(kBuild, live, mdl, va, length, &count, list, count);
  return HandOver(live, device, list, nullptr, routine, context);
}

NTSTATUS DmaAdapters::CalculateScatterGatherList(PDMA_ADAPTER adapter, PMDL mdl, PVOID current_va,
                                                 ULONG length, PULONG list_size, PULONG registers) {
  Adapter& live = Live(kCalculate, adapter);
  RequireVersion2(kCalculate, live.version);
  kernel_.verifier().Dereferenced(kCalculate, list_size, "ScatterGatherListSize");
  RequireBytes(kCalculate, length);
  const std::uintptr_t va = Address(current_va);
  const std::uint64_t pages = SpannedPages(va, length);
  if (pages > live.map_registers) return STATUS_INSUFFICIENT_RESOURCES;
  // Without an MDL, the largest list the buffer can need: one element per page (the page).
  ULONG count = static_cast<ULONG>(pages);
  if (mdl != nullptr) {
    if (const NTSTATUS status = Elements(kCalculate, live, mdl, va, length, &count, nullptr, 0);
        !NT_SUCCESS(status)) {
      return status;
    }
  }
  *list_size = ListBytes(count);
  if (registers != nullptr) *registers = static_cast<ULONG>(pages);
  return STATUS_SUCCESS;
}

void DmaAdapters::PutScatterGatherList(PDMA_ADAPTER adapter, PSCATTER_GATHER_LIST list,
                                       BOOLEAN /*write_to_device*/) {
  Adapter& live = Live(kPut, adapter);
  const auto found = live.lists.find(list);
  if (found == live.lists.end()) {
    kernel_.verifier().DmaScatterGatherListFreedTwice(kPut, list, live.lists_allocated,
                                                      live.lists_freed + 1);
  }
  std::unique_ptr<std::byte[]> storage = std::move(found->second.storage);
  live.lists.erase(found);
  ++live.lists_freed;
  // Nothing to flush (host memory is coherent with kemu's devices). The memory of a list
  // GetScatterGatherList made is kept a while, so a second put of it is reported; one in the
  // driver's buffer stays the driver's.
  if (storage != nullptr) {
    live.retired_lists.push_back(std::move(storage));
    if (live.retired_lists.size() > kRetiredLists) live.retired_lists.pop_front();
  }
}

}  // namespace kemu::model
