// MDLs for buffers in nonpaged memory (docs/kernel.md, "MDLs"; docs/windows-facts.md §19):
// IoAllocateMdl, IoFreeMdl and MmBuildMdlForNonPagedPool. An MDL is a block of kemu's nonpaged
// pool, so one never freed is reported at shutdown as pool IoAllocateMdl allocated, and
// IoFreeMdl of anything else is the bad free ExFreePool would report.
#include <wdm.h>

#include <cstdint>
#include <optional>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "model/host_memory.hpp"
#include "model/mdl_pages.hpp"

namespace {

using kemu::model::Kernel;

// The tag kemu's MDLs carry in leak reports: "Mdl " as a debugger shows it (UNCONFIRMED which
// tag Windows' MDL allocations use).
constexpr ULONG kMdlTag = 0x206C644D;

// The longest buffer IoAllocateMdl describes on this release (docs/windows-facts.md §19): before
// Vista the PFN array had to keep the MDL's CSHORT Size within 65535 bytes.
std::uint64_t LongestMdlBuffer(const Kernel& kernel) {
  const kemu::Os os = kernel.personality().os;
  if (os >= kemu::Os::kWindows7) return std::uint64_t{4} * 1024 * 1024 * 1024 - PAGE_SIZE;
  if (os >= kemu::Os::kWindowsVista) return std::uint64_t{2} * 1024 * 1024 * 1024 - PAGE_SIZE;
  return std::uint64_t{PAGE_SIZE} * (65535 - sizeof(MDL)) / sizeof(ULONG_PTR);
}

}  // namespace

extern "C" {

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota,
                   PIRP Irp) {
  static constexpr const char* kRoutine = "IoAllocateMdl";
  Kernel& kernel = KEMU_ENTER(IoAllocateMdl, KEMU_ARG(VirtualAddress), KEMU_ARG(Length),
                              KEMU_ARG(SecondaryBuffer), KEMU_ARG(ChargeQuota), KEMU_ARG(Irp));
  kemu::abi::AtMost(kernel, kRoutine, DISPATCH_LEVEL);
  if (Irp != nullptr) kernel.ThrowNotModelled("IoAllocateMdl with an IRP (kemu models no IRPs)");
  // An MDL for no bytes describes nothing (UNCONFIRMED what Windows returns; kemu: NULL, which
  // a driver must handle anyway).
  if (Length == 0) return nullptr;
  // Longer than the release allows: no MDL, as when the pool is exhausted.
  if (Length > LongestMdlBuffer(kernel)) return nullptr;
  const ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
  const std::size_t bytes = sizeof(MDL) + std::size_t{pages} * sizeof(PFN_NUMBER);
  void* block = kernel.pool().Allocate({.routine = kRoutine,
                                        .id = kemu::abi::ExportId::kIoAllocateMdl,
                                        .type = NonPagedPool,
                                        .bytes = bytes,
                                        .tag = kMdlTag});
  if (block == nullptr) return nullptr;
  auto* mdl = static_cast<PMDL>(block);
  mdl->Next = nullptr;
  // Size counts the PFN array too; past what a CSHORT holds it wraps, as the field's width
  // makes it on Windows for an MDL of more than about 4000 pages.
  mdl->Size = static_cast<CSHORT>(bytes);
  mdl->MdlFlags = 0;
  mdl->Process = nullptr;
  mdl->MappedSystemVa = nullptr;
  mdl->StartVa = PAGE_ALIGN(VirtualAddress);
  mdl->ByteCount = Length;
  mdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
  return mdl;
}

VOID IoFreeMdl(PMDL Mdl) {
  Kernel& kernel = KEMU_ENTER(IoFreeMdl, KEMU_ARG(Mdl));
  kemu::abi::AtMost(kernel, "IoFreeMdl", DISPATCH_LEVEL);
  kernel.verifier().Dereferenced("IoFreeMdl", Mdl, "Mdl");
  kernel.pool().Free("IoFreeMdl", Mdl, std::nullopt, __builtin_return_address(0));
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList) {
  static constexpr const char* kRoutine = "MmBuildMdlForNonPagedPool";
  Kernel& kernel = KEMU_ENTER(MmBuildMdlForNonPagedPool, KEMU_ARG(MemoryDescriptorList));
  kemu::abi::AtMost(kernel, kRoutine, DISPATCH_LEVEL);
  kernel.verifier().Dereferenced(kRoutine, MemoryDescriptorList, "MemoryDescriptorList");
  // A wild MDL pointer is the kernel's page fault, not kemu's process faulting (audit round 19,
  // B-S5). An MDL from IoAllocateMdl is in pool, readable without asking the host.
  if (!kernel.pool().ExtentOf(MemoryDescriptorList)) {
    if (const auto bad = kemu::model::FirstUnreadable(MemoryDescriptorList, sizeof(MDL))) {
      kernel.verifier().UnreadableArgument(kRoutine, "MemoryDescriptorList", sizeof(MDL), *bad);
    }
  }
  PMDL mdl = MemoryDescriptorList;
  // Under Verifier a buffer in the freed special pool is the page fault the routine's look at
  // its pages takes: 0xD5, as for any pointer into freed pool (audit round 19, B-S2).
  const kemu::model::MdlRange buffer = kemu::model::MdlBufferRange(*mdl);
  kemu::abi::CheckNotFreed(kernel, kRoutine, buffer.begin, "the MDL's buffer");
  // The pages behind the buffer, each by the physical page MmGetPhysicalAddress gives it.
  const ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(buffer.begin, mdl->ByteCount);
  PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
  // The PFN array follows the MDL inside its pool block, sized by IoAllocateMdl. A driver that
  // grew ByteCount (or moved StartVa) since needs more entries than the block holds: Windows
  // would write past it, kemu reports that instead (an MDL outside kemu's pool is not checked).
  if (const auto extent = kernel.pool().ExtentOf(mdl)) {
    const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(pfns);
    const std::uintptr_t end = extent->base + extent->bytes;
    const std::uintptr_t room = first >= end ? 0 : (end - first) / sizeof(PFN_NUMBER);
    if (pages > room) {
      kernel.verifier().MdlTooSmallForBuffer(kRoutine, mdl, extent->bytes, pfns + room, pages);
      return;
    }
  }
  // A buffer longer than the pool block it starts in: IoAllocateMdl was given too long a Length.
  if (const auto block = kernel.pool().ExtentOf(reinterpret_cast<const void*>(buffer.begin));
      block && buffer.end > block->base + block->bytes) {
    kernel.verifier().MdlBufferBeyondPoolBlock(
        kRoutine, mdl, reinterpret_cast<const void*>(buffer.begin), mdl->ByteCount,
        reinterpret_cast<const void*>(block->base), block->bytes,
        reinterpret_cast<const void*>(block->base + block->bytes));
  }
  for (ULONG i = 0; i < pages; ++i) {
    const std::uintptr_t page =
        reinterpret_cast<std::uintptr_t>(mdl->StartVa) + std::uintptr_t{i} * PAGE_SIZE;
    pfns[i] = static_cast<PFN_NUMBER>(
        kernel.physical_memory().PhysicalOf(reinterpret_cast<const void*>(page)) >> PAGE_SHIFT);
  }
  // Nonpaged pool is mapped already: its system address is the buffer's own.
  mdl->MappedSystemVa = reinterpret_cast<PVOID>(buffer.begin);
  mdl->MdlFlags = static_cast<CSHORT>(mdl->MdlFlags | MDL_SOURCE_IS_NONPAGED_POOL);
}

// Pure arithmetic on the address, at any IRQL (its page): Base is never read.
SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length) {
  KEMU_ENTER(MmSizeOfMdl, KEMU_ARG(Base), KEMU_ARG(Length));
  return sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length);
}

}  // extern "C"
