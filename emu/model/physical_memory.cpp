#include "model/physical_memory.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "model/host_memory.hpp"

namespace kemu::model {
namespace {

constexpr std::uint64_t kPageMask = PhysicalMemory::kPageBytes - 1;
// Host addresses below this (NULL and the first 64 KiB) have no physical page.
constexpr std::uintptr_t kNoPageBelow = 0x10000;
// Legacy memory begins at 1 MiB (physical_memory.hpp says why it is handed out last).
constexpr std::uint64_t kLegacyBegin = 0x00100000;

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

}  // namespace

std::optional<std::uint64_t> PhysicalMemory::FindFree(std::uint64_t bytes, std::uint64_t lowest,
                                                      std::uint64_t highest,
                                                      std::uint64_t boundary) const {
  if (bytes == 0 || (boundary != 0 && bytes > boundary)) return std::nullopt;
  // Legacy memory last: a request that fits elsewhere leaves it to the ones that fit only there.
  constexpr std::array<std::pair<std::uint64_t, std::uint64_t>, 3> kWindows{
      {{kLowBegin, kLowEnd}, {kHighBegin, kHighEnd}, {kLegacyBegin, kLowBegin}}};
  for (const auto& [window_begin, window_end] : kWindows) {
    std::uint64_t at = AlignUp(std::max(lowest, window_begin), kPageBytes);
    // Every step moves `at` up (past a range in use, or to the next boundary), so this ends.
    while (at < window_end && bytes <= window_end - at) {
      if (at + bytes - 1 > highest) break;  // the rest of this window is too high as well
      if (boundary != 0 && at / boundary != (at + bytes - 1) / boundary) {
        at = AlignUp(at + 1, boundary);
        continue;
      }
      // The first range in use that ends after `at`: the one starting at or before it, else
      // the next one.
      auto next = ranges_.upper_bound(at);
      if (next != ranges_.begin()) {
        const auto before = std::prev(next);
        if (before->second.end > at) {
          at = AlignUp(before->second.end, kPageBytes);
          continue;
        }
      }
      if (next != ranges_.end() && next->first < at + bytes) {
        at = AlignUp(next->second.end, kPageBytes);
        continue;
      }
      return at;
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> PhysicalMemory::MapContiguous(const void* host, std::uint64_t bytes,
                                                           std::uint64_t lowest,
                                                           std::uint64_t highest,
                                                           std::uint64_t boundary) {
  const std::uint64_t span = AlignUp(bytes, kPageBytes);
  const std::optional<std::uint64_t> physical = FindFree(span, lowest, highest, boundary);
  if (!physical) return std::nullopt;
  const auto base = reinterpret_cast<std::uintptr_t>(host);
  // Pages of this memory that had a physical page of their own (an earlier pool block there)
  // now belong to the contiguous range: their old physical pages are free.
  for (std::uintptr_t page = base; page < base + span; page += kPageBytes) {
    if (const auto it = pages_.find(page); it != pages_.end()) {
      ranges_.erase(it->second);
      pages_.erase(it);
    }
  }
  ranges_[*physical] = Range{.end = *physical + span, .host = base};
  contiguous_[base] = *physical;
  return physical;
}

void PhysicalMemory::UnmapContiguous(const void* host) {
  const auto it = contiguous_.find(reinterpret_cast<std::uintptr_t>(host));
  if (it == contiguous_.end()) return;
  ranges_.erase(it->second);
  contiguous_.erase(it);
}

std::uint64_t PhysicalMemory::PhysicalOf(const void* host) {
  const auto address = reinterpret_cast<std::uintptr_t>(host);
  // No page is ever valid there, on Windows (the no-access region below the lowest user address)
  // or on a host (mmap_min_addr): such an address has no physical page, and Windows answers 0
  // for an address whose page is not valid (observed; Microsoft's page only says the address
  // must be valid, UNCONFIRMED).
  if (address < kNoPageBelow) return 0;
  if (auto it = contiguous_.upper_bound(address); it != contiguous_.begin()) {
    --it;
    const Range& range = ranges_.at(it->second);
    if (address - it->first < range.end - it->second) return it->second + (address - it->first);
  }
  const std::uintptr_t page = address & ~std::uintptr_t{kPageMask};
  auto found = pages_.find(page);
  // A page the process cannot read is not valid either: 0, as for the first 64 KiB, never a
  // physical page a device could then be pointed at (audit round 17, W6). Stack, static data and
  // every live block are readable, so what a driver may hand a device keeps its page. A page that
  // went back to the host since it was given one loses it (the host may map something else
  // there, which gets a page of its own).
  if (FirstUnreadable(host, 1)) {
    if (found != pages_.end()) {
      ranges_.erase(found->second);
      pages_.erase(found);
    }
    return 0;
  }
  if (found == pages_.end()) {
    const std::optional<std::uint64_t> physical = FindFree(kPageBytes, 0, UINT64_MAX, 0);
    if (!physical) return 0;
    ranges_[*physical] = Range{.end = *physical + kPageBytes, .host = page};
    found = pages_.emplace(page, *physical).first;
  }
  return found->second + (address & kPageMask);
}

void* PhysicalMemory::HostOf(std::uint64_t physical, std::uint64_t bytes) const {
  auto it = ranges_.upper_bound(physical);
  if (it == ranges_.begin()) return nullptr;
  --it;
  const std::uint64_t offset = physical - it->first;
  const std::uint64_t size = it->second.end - it->first;
  if (offset >= size) return nullptr;
  // A run may go on into the next ranges when they follow it both physically and in host memory:
  // consecutive pages of one pool block given consecutive physical pages, as a scatter/gather
  // element joins them (model/mdl_pages.hpp).
  const std::uintptr_t host = it->second.host + offset;
  std::uint64_t covered = size - offset;
  auto last = it;
  while (bytes > covered) {
    const auto next = std::next(last);
    if (next == ranges_.end() || next->first != last->second.end ||
        next->second.host != last->second.host + (last->second.end - last->first)) {
      return nullptr;
    }
    covered += next->second.end - next->first;
    last = next;
  }
  return reinterpret_cast<void*>(host);
}

}  // namespace kemu::model
