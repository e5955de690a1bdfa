// A PCI function's configuration space: the 256 bytes the HAL's bus-data routines read and write
// (docs/kernel.md, "PCI configuration space"; docs/windows-facts.md §20).
//
//   PciConfigSpace space;
//   space.Build(device);                          // IDs, BARs, interrupt pin, MSI capability
//   std::uint8_t header[64];
//   space.Read(0, header);
//   if (std::string moved = space.Write(0x10, probe); !moved.empty()) { /* not modelled */ }
#ifndef KEMU_EMU_MODEL_PCI_CONFIG_HPP_
#define KEMU_EMU_MODEL_PCI_CONFIG_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kemu {
struct DeviceProperties;
}  // namespace kemu

namespace kemu::model {

struct DeviceState;

class PciConfigSpace {
 public:
  static constexpr std::size_t kSize = 256;
  /// Where the one capability kemu gives an MSI-capable function (MSI or MSI-X) sits.
  static constexpr std::size_t kCapabilityOffset = 0x40;

  /// Lays out the space of `device` as the PnP manager left it after granting its resources:
  /// IDs and class from its properties, one BAR per granted range with decoding enabled, the
  /// interrupt pin and line, and an MSI or MSI-X capability, enabled when messages were granted.
  void Build(const DeviceState& device);

  /// Rewrites the read-only identity registers (IDs, revision, class code, header type) from
  /// `properties`, which a test may have changed since Build: the next read sees the change, as
  /// IoGetDeviceProperty's does. Nothing a driver can write is touched.
  void SetIdentity(const DeviceProperties& properties);

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  /// Copies `out.size()` bytes from `offset`; the caller keeps the range inside kSize.
  void Read(std::size_t offset, std::span<std::uint8_t> out) const;
  /// Writes `in` at `offset` as the hardware takes it: read-only bits keep their values, the
  /// status register's error bits are cleared where a 1 is written, a BAR keeps only its
  /// writable address bits (so all ones reads back its size). Returns what kemu does not model
  /// about the write, "" when nothing: a BAR left at an address other than the assigned one or
  /// the sizing probe (the device's registers do not move).
  std::string Write(std::size_t offset, std::span<const std::uint8_t> in);

 private:
  struct Bar {
    std::uint32_t assigned = 0;  ///< the address and type bits Build wrote; 0: no BAR
    std::uint32_t writable = 0;  ///< the address bits above the decoded size
  };

  void Set8(std::size_t offset, std::uint8_t value, std::uint8_t writable = 0);
  void Set16(std::size_t offset, std::uint16_t value, std::uint16_t writable = 0);
  void Set32(std::size_t offset, std::uint32_t value, std::uint32_t writable = 0);
  void AddBar(unsigned index, std::uint32_t base, std::uint32_t bytes, bool io);
  std::uint32_t Get32(std::size_t offset) const;

  std::array<std::uint8_t, kSize> bytes_{};
  std::array<std::uint8_t, kSize> writable_{};      // bits software may change
  std::array<std::uint8_t, kSize> clear_on_one_{};  // bits a 1 written clears (status errors)
  std::array<Bar, 6> bars_{};
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_PCI_CONFIG_HPP_
