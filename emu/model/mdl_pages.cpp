// Logical runs of an MDL's buffer (see mdl_pages.hpp).
#include "model/mdl_pages.hpp"

#include <algorithm>

namespace kemu::model {
namespace {

constexpr std::uint64_t kPage = PAGE_SIZE;

}  // namespace

bool MdlHasPages(const MDL& mdl) {
  return (mdl.MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_PAGES_LOCKED)) != 0;
}

MdlRange MdlBufferRange(const MDL& mdl) {
  // The buffer as numbers: MmGetMdlVirtualAddress's pointer arithmetic is undefined for an MDL
  // of the NULL page (IoAllocateMdl's VirtualAddress is optional; UBSan found it under kemu's
  // kernel-API fuzzer).
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(mdl.StartVa) + mdl.ByteOffset;
  return {.begin = begin, .end = begin + mdl.ByteCount};
}

std::uint64_t MdlBytesLeft(const MDL& mdl, std::uintptr_t current_va) {
  const MdlRange buffer = MdlBufferRange(mdl);
  return current_va < buffer.begin || current_va > buffer.end ? 0 : buffer.end - current_va;
}

std::optional<std::vector<LogicalRun>> MdlRuns(const MDL& mdl, std::uintptr_t current_va,
                                               std::uint64_t length, std::size_t max_runs) {
  if (length == 0 || length > MdlBytesLeft(mdl, current_va)) return std::nullopt;
  const std::uintptr_t page_base = reinterpret_cast<std::uintptr_t>(mdl.StartVa);
  const PFN_NUMBER* pfns = reinterpret_cast<const PFN_NUMBER*>(&mdl + 1);
  std::vector<LogicalRun> runs;
  std::uintptr_t at = current_va;
  std::uint64_t left = length;
  while (left > 0) {
    const std::uint64_t offset = at % kPage;
    const std::uint64_t index = (at - page_base) / kPage;
    const std::uint64_t logical = (std::uint64_t{pfns[index]} << PAGE_SHIFT) + offset;
    const std::uint64_t bytes = std::min(left, kPage - offset);
    if (!runs.empty() && runs.back().logical + runs.back().bytes == logical) {
      runs.back().bytes += bytes;
    } else {
      if (runs.size() == max_runs) break;
      runs.push_back({.logical = logical, .bytes = bytes});
    }
    at += bytes;
    left -= bytes;
  }
  return runs;
}

std::uint64_t SpannedPages(std::uintptr_t current_va, std::uint64_t length) {
  if (length == 0) return 0;
  const std::uint64_t first = current_va / kPage;
  const std::uint64_t last = (current_va + length - 1) / kPage;
  return last - first + 1;
}

}  // namespace kemu::model
