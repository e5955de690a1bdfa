// Device register and port space as drivers reach it: MmMapIoSpace mappings of device BARs, and
// the routing of READ_/WRITE_REGISTER_* and READ_/WRITE_PORT_* to the owning device's
// kemu::Hardware.
#ifndef KEMU_EMU_MODEL_IO_SPACE_HPP_
#define KEMU_EMU_MODEL_IO_SPACE_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

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

  /// One register access of `width` bytes at `address`; an address no mapping covers is a page
  /// fault (0x50).
  std::uint64_t ReadRegister(const volatile void* address, unsigned width);
  void WriteRegister(volatile void* address, unsigned width, std::uint64_t value);
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
    std::uint32_t bar_offset = 0;  ///< offset of `physical` in the device's BAR
    std::uint64_t sequence = 0;    ///< creation order, for reproducible reports
  };
  /// The mapping holding [address, address + width), or nullptr.
  const Mapping* Find(std::uintptr_t address, unsigned width) const;
  const Mapping& Route(std::uintptr_t address, unsigned width, bool write);
  /// Names the mapping an unmapped access just overran, or "" when none is near.
  std::string DescribeNearest(std::uintptr_t address) const;
  DeviceState* PortOwner(std::uint32_t port, unsigned width) const;

  Kernel& kernel_;
  std::map<std::uintptr_t, Mapping> mappings_;  ///< keyed by the address MmMapIoSpace returned
  std::uint64_t next_sequence_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_IO_SPACE_HPP_
