// Physical addresses of host memory, for drivers that hand buffers to a device: the pages
// MmAllocateContiguousMemory(SpecifyCache) returns get one contiguous physical range that honours
// the driver's lowest/highest address and boundary; any other page gets a physical page of its
// own the first time MmGetPhysicalAddress asks for it. Physical pages are handed out lowest first
// in the order they are asked for, so the same run gives the same addresses every time
// (docs/decisions.md, decision 4), and they never overlap the device BAR window
// (model/device_io.hpp).
//
// A device model reads and writes what the driver shared through Machine::HostAddressOf, which
// answers only for memory the driver still owns (a live pool or contiguous block), so a device
// writing through a stale address is an error in the test, never a write into freed host memory.
#ifndef KEMU_EMU_MODEL_PHYSICAL_MEMORY_HPP_
#define KEMU_EMU_MODEL_PHYSICAL_MEMORY_HPP_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>

namespace kemu::model {

class PhysicalMemory {
 public:
  static constexpr std::uint64_t kPageBytes = 0x1000;
  /// Physical memory kemu hands out: 16 MiB up to the device BAR window at 0xF0000000 (the top
  /// 256 MiB below it are left as a PCI hole), then 4 GiB up to 64 GiB, and last 1 MiB up to
  /// 16 MiB: legacy memory, handed out only when a request fits nowhere else (a device that can
  /// address only 24 bits), as Windows keeps it for the devices that need it.
  static constexpr std::uint64_t kLowBegin = 0x01000000;
  static constexpr std::uint64_t kLowEnd = 0xE0000000;
  static constexpr std::uint64_t kHighBegin = 0x100000000;
  static constexpr std::uint64_t kHighEnd = 0x1000000000;

  /// A contiguous range of `bytes` (whole pages) at or above `lowest`, whose last byte is at or
  /// below `highest`, not crossing a multiple of `boundary` (0: no boundary), for the host pages
  /// at `host` (page-aligned). nullopt when no such range is free.
  std::optional<std::uint64_t> MapContiguous(const void* host, std::uint64_t bytes,
                                             std::uint64_t lowest, std::uint64_t highest,
                                             std::uint64_t boundary);
  /// The contiguous range mapped for `host` is free again.
  void UnmapContiguous(const void* host);

  /// MmGetPhysicalAddress: inside a contiguous range, its physical address; elsewhere the
  /// physical page given to the host page the first time it was asked for (a new one now if
  /// none was). 0 for NULL, the first 64 KiB and any page the process cannot read (no valid
  /// page), and when physical memory is exhausted.
  std::uint64_t PhysicalOf(const void* host);
  /// The host address of [physical, physical + bytes), when one contiguous range or one page
  /// holds all of it, or ranges consecutive both physically and in host memory do (a
  /// scatter/gather element across pages); nullptr otherwise. The caller checks that the host
  /// memory is still live.
  void* HostOf(std::uint64_t physical, std::uint64_t bytes) const;

 private:
  struct Range {
    std::uint64_t end;  ///< one past the last physical byte
    std::uintptr_t host;
  };
  /// The lowest free range of `bytes` satisfying the constraints, or nullopt.
  std::optional<std::uint64_t> FindFree(std::uint64_t bytes, std::uint64_t lowest,
                                        std::uint64_t highest, std::uint64_t boundary) const;

  /// Every physical range in use, by its first byte: contiguous blocks and single pages.
  std::map<std::uint64_t, Range> ranges_;
  /// Contiguous blocks: host base -> physical base.
  std::map<std::uintptr_t, std::uint64_t> contiguous_;
  /// Host pages given a physical page by PhysicalOf (host page -> physical page).
  std::unordered_map<std::uintptr_t, std::uint64_t> pages_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_PHYSICAL_MEMORY_HPP_
