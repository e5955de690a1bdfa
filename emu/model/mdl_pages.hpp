// The logical addresses behind part of an MDL's buffer, for DMA (dma_transfers.cpp,
// dma_scatter_gather.cpp): the page array MmBuildMdlForNonPagedPool filled gives each page's
// physical page, and with no IOMMU a page's logical address is its physical address. Consecutive
// pages make one run only when their logical addresses are consecutive too.
#ifndef KEMU_EMU_MODEL_MDL_PAGES_HPP_
#define KEMU_EMU_MODEL_MDL_PAGES_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace kemu::model {

/// `bytes` bytes at logical address `logical`.
struct LogicalRun {
  std::uint64_t logical = 0;
  std::uint64_t bytes = 0;
};

/// Whether the MDL's page array describes its pages: built for nonpaged pool, or locked.
bool MdlHasPages(const MDL& mdl);

/// The buffer the MDL describes, as addresses: [begin, end).
struct MdlRange {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
};
MdlRange MdlBufferRange(const MDL& mdl);

/// The bytes of the MDL's buffer from `current_va` to its end; 0 when `current_va` is outside it.
std::uint64_t MdlBytesLeft(const MDL& mdl, std::uintptr_t current_va);

/// The runs for [current_va, current_va + length) of the buffer `mdl` describes, at most
/// `max_runs` of them (the rest of the range left out). nullopt when the range is empty or not
/// inside the buffer.
std::optional<std::vector<LogicalRun>> MdlRuns(const MDL& mdl, std::uintptr_t current_va,
                                               std::uint64_t length,
                                               std::size_t max_runs = SIZE_MAX);

/// The pages [current_va, current_va + length) spans: the map registers a transfer of it uses.
std::uint64_t SpannedPages(std::uintptr_t current_va, std::uint64_t length);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_MDL_PAGES_HPP_
