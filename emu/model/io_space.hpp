// Device register and port space as drivers reach it: MmMapIoSpace mappings of device BARs, and
// the routing of READ_/WRITE_REGISTER_* and READ_/WRITE_PORT_* to the owning device's
// kemu::Hardware.
#ifndef KEMU_EMU_MODEL_IO_SPACE_HPP_
#define KEMU_EMU_MODEL_IO_SPACE_HPP_

#include <wdm.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kemu/hardware.hpp"

namespace kemu::model {

class Kernel;
struct DeviceState;

class IoSpace {
 public:
  explicit IoSpace(Kernel& kernel) : kernel_(kernel) {}

  /// MmMapIoSpace: maps [physical, physical + bytes) when one device BAR holds all of it, else
  /// returns NULL (kemu maps only device memory). The address returned is a kemu-owned host
  /// buffer with the physical address's page offset, so a stray plain dereference reads zeros
  /// instead of crashing the test; only READ_/WRITE_REGISTER_* reach the device.
  PVOID Map(std::uint64_t physical, SIZE_T bytes, MEMORY_CACHING_TYPE cache_type);
  /// MmUnmapIoSpace: `base` and `bytes` must be exactly what a mapping was made with.
  void Unmap(PVOID base, SIZE_T bytes);
  /// The device physical address `address` maps (MmGetPhysicalAddress), or nothing when no
  /// mapping holds it.
  std::optional<std::uint64_t> PhysicalOf(const void* address) const;

  /// One register access of `width` bytes at `address`; an address no mapping covers is a page
  /// fault (0x50). Inline: every READ_/WRITE_REGISTER_* comes through here.
  std::uint64_t ReadRegister(const volatile void* address, unsigned width) {
    const auto at = reinterpret_cast<std::uintptr_t>(address);
    const Mapping& mapping = Route(at, width, false);
    return mapping.hardware->Read(Space::kMemory, mapping.OffsetOf(at), width) & AllOnes(width);
  }
  void WriteRegister(volatile void* address, unsigned width, std::uint64_t value) {
    const auto at = reinterpret_cast<std::uintptr_t>(address);
    const Mapping& mapping = Route(at, width, true);
    PublishToDevice(*mapping.device);
    mapping.hardware->Write(Space::kMemory, mapping.OffsetOf(at), width, value & AllOnes(width));
  }
  /// The buffer variants: `count` accesses to the same register, each moving one element of
  /// `buffer`.
  void ReadRegisterBuffer(const char* routine, const volatile void* address, unsigned width,
                          void* buffer, ULONG count);
  void WriteRegisterBuffer(const char* routine, volatile void* address, unsigned width,
                           const void* buffer, ULONG count);

  /// Port accesses: `port` is truncated to 16 bits as the x64 WDK's in/out instructions do. A port
  /// no device owns reads all ones and ignores writes, as on a PC.
  std::uint64_t ReadPort(const volatile void* port, unsigned width);
  void WritePort(const volatile void* port, unsigned width, std::uint64_t value);
  void ReadPortBuffer(const char* routine, const volatile void* port, unsigned width, void* buffer,
                      ULONG count);
  void WritePortBuffer(const char* routine, const volatile void* port, unsigned width,
                       const void* buffer, ULONG count);

  /// For the race detector: what the driver did before a write to `device` (a register or a
  /// port) happens before the device's next interrupt, whose ISR acquires it (docs/concurrency.md;
  /// audit round 19, C1). Before the write: the device may interrupt inside it.
  void PublishToDevice(const DeviceState& device);

  /// Mappings the driver never unmapped, for Machine::Shutdown (oldest first).
  std::vector<std::string> DescribeMapped() const;
  std::uintptr_t FirstMapped() const;

 private:
  struct Mapping {
    std::vector<std::uint8_t> shadow;  ///< backs the returned address; never read by kemu
    std::uintptr_t address = 0;        ///< what MmMapIoSpace returned
    SIZE_T bytes = 0;
    std::uint64_t physical = 0;
    DeviceState* device = nullptr;
    Hardware* hardware = nullptr;  ///< the device's; it never changes once the device is added
    std::uint32_t bar_offset = 0;  ///< offset of `physical` in the device's BAR
    std::uint64_t sequence = 0;    ///< creation order, for reproducible reports

    /// True when the mapping holds [at, at + width).
    bool Holds(std::uintptr_t at, unsigned width) const {
      return at - address <= bytes && bytes - (at - address) >= width;
    }
    /// Where `at` is in the device's memory space.
    std::uint32_t OffsetOf(std::uintptr_t at) const {
      return static_cast<std::uint32_t>(bar_offset + (at - address));
    }
  };
  static std::uint64_t AllOnes(unsigned width) {
    return width >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (width * 8)) - 1;
  }
  /// The mapping holding [address, address + width), or nullptr.
  const Mapping* Find(std::uintptr_t address, unsigned width) const;
  /// The mapping holding the access; a page fault when there is none. The last mapping routed
  /// through is tried first: mappings never overlap (each lies in its own shadow buffer), so when
  /// it holds the access it is the one Find would return.
  const Mapping& Route(std::uintptr_t address, unsigned width, bool write) {
    if (last_routed_ != nullptr && last_routed_->Holds(address, width)) [[likely]] {
      return *last_routed_;
    }
    return RouteSlow(address, width, write);
  }
  const Mapping& RouteSlow(std::uintptr_t address, unsigned width, bool write);
  /// What an access to `address`, which no mapping holds, did wrong: used a mapping since
  /// unmapped (named, with the MmUnmapIoSpace), overran one (named), or reached unmapped space.
  std::string DescribeMiss(std::uintptr_t address) const;
  DeviceState* PortOwner(std::uint32_t port, unsigned width) const;

  Kernel& kernel_;
  std::map<std::uintptr_t, Mapping> mappings_;  ///< keyed by the address MmMapIoSpace returned
  /// The last kUnmappedKept mappings MmUnmapIoSpace removed, oldest first, so an access after
  /// the unmap names it (audit round 19, C3). A small mapping keeps its shadow buffer, so the
  /// host does not hand the address out again while the record says it was this mapping.
  struct Unmapped {
    Mapping mapping;
    std::uint64_t event = 0;  ///< the MmUnmapIoSpace call's trace event
    unsigned cpu = 0;
  };
  static constexpr std::size_t kUnmappedKept = 16;
  static constexpr SIZE_T kShadowKeptBytes = SIZE_T{1} << 20;
  std::deque<Unmapped> unmapped_;
  std::uint64_t next_sequence_ = 0;
  /// The mapping the last register access went through (a driver's accesses mostly go to one
  /// BAR), or nullptr; std::map keeps it in place until it is unmapped.
  const Mapping* last_routed_ = nullptr;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_IO_SPACE_HPP_
