// A PCI function's configuration space (docs/windows-facts.md §20: the PCI specification's type 0
// header and its MSI and MSI-X capabilities).
#include "model/pci_config.hpp"

#include <fmt/format.h>
#include <wdm.h>

#include <algorithm>
#include <bit>

#include "model/devices.hpp"

namespace kemu::model {
namespace {

// Command bits a conventional function implements: I/O and memory decoding, bus mastering,
// parity and SERR# reporting, and INTx disable.
constexpr std::uint16_t kCommandWritable = PCI_ENABLE_IO_SPACE | PCI_ENABLE_MEMORY_SPACE |
                                           PCI_ENABLE_BUS_MASTER | PCI_ENABLE_PARITY |
                                           PCI_ENABLE_SERR | PCI_DISABLE_LEVEL_INTERRUPT;
// Status bits cleared by writing 1: the error flags.
constexpr std::uint16_t kStatusErrors =
    PCI_STATUS_DATA_PARITY_DETECTED | PCI_STATUS_SIGNALED_TARGET_ABORT |
    PCI_STATUS_RECEIVED_TARGET_ABORT | PCI_STATUS_RECEIVED_MASTER_ABORT |
    PCI_STATUS_SIGNALED_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY_ERROR;

constexpr std::size_t kCommand = 0x04;
constexpr std::size_t kStatus = 0x06;
constexpr std::size_t kFirstBar = 0x10;

// The MSI address an x64 Windows programs for a message to the local APICs (the x86 "fee"
// window, physical destination 0); its data is the message's vector.
constexpr std::uint32_t kMsiAddress = 0xFEE00000;
// MSI's Message Control: 64-bit address capable; enable; multiple-message capable and enable
// (log2 of the count, in bits 1-3 and 4-6).
constexpr std::uint16_t kMsi64Bit = 0x0080;
constexpr std::uint16_t kMsiEnable = 0x0001;
constexpr std::uint16_t kMsiMultipleEnableMask = 0x0070;
// MSI-X's Message Control: table size - 1 in bits 0-10; function mask and enable.
constexpr std::uint16_t kMsixFunctionMask = 0x4000;
constexpr std::uint16_t kMsixEnable = 0x8000;

std::uint16_t Log2Count(unsigned count) {
  return static_cast<std::uint16_t>(std::countr_zero(std::bit_ceil(std::max(count, 1u))));
}

}  // namespace

void PciConfigSpace::Set8(std::size_t offset, std::uint8_t value, std::uint8_t writable) {
  bytes_[offset] = value;
  writable_[offset] = writable;
}

void PciConfigSpace::Set16(std::size_t offset, std::uint16_t value, std::uint16_t writable) {
  Set8(offset, static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(writable));
  Set8(offset + 1, static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(writable >> 8));
}

void PciConfigSpace::Set32(std::size_t offset, std::uint32_t value, std::uint32_t writable) {
  Set16(offset, static_cast<std::uint16_t>(value), static_cast<std::uint16_t>(writable));
  Set16(offset + 2, static_cast<std::uint16_t>(value >> 16),
        static_cast<std::uint16_t>(writable >> 16));
}

std::uint32_t PciConfigSpace::Get32(std::size_t offset) const {
  return std::uint32_t{bytes_[offset]} | std::uint32_t{bytes_[offset + 1]} << 8 |
         std::uint32_t{bytes_[offset + 2]} << 16 | std::uint32_t{bytes_[offset + 3]} << 24;
}

void PciConfigSpace::AddBar(unsigned index, std::uint32_t base, std::uint32_t bytes, bool io) {
  // A BAR decodes a power of two at least 4 ports or 16 bytes large; the address bits below it
  // are hard-wired to 0, so the sizing probe (all ones) reads back the size.
  const std::uint32_t size = std::bit_ceil(std::max(bytes, io ? 4u : 16u));
  const std::uint32_t type = io ? PCI_ADDRESS_IO_SPACE : PCI_TYPE_32BIT;
  const std::uint32_t writable =
      ~(size - 1) & (io ? PCI_ADDRESS_IO_ADDRESS_MASK : PCI_ADDRESS_MEMORY_ADDRESS_MASK);
  Set32(kFirstBar + 4 * index, base | type, writable);
  bars_[index] = {.assigned = base | type, .writable = writable};
}

void PciConfigSpace::SetIdentity(const DeviceProperties& p) {
  Set16(0x00, p.vendor_id);
  Set16(0x02, p.device_id);
  Set8(0x08, p.revision_id);
  Set8(0x09, static_cast<std::uint8_t>(p.class_code));        // programming interface
  Set8(0x0A, static_cast<std::uint8_t>(p.class_code >> 8));   // subclass
  Set8(0x0B, static_cast<std::uint8_t>(p.class_code >> 16));  // base class
  // A function number above 0 exists only in a multi-function device.
  Set8(0x0E, p.pci_function != 0 ? PCI_MULTIFUNCTION | PCI_DEVICE_TYPE : PCI_DEVICE_TYPE);
  Set16(0x2C, p.subsystem_vendor_id);
  Set16(0x2E, p.subsystem_id);
}

void PciConfigSpace::Build(const DeviceState& device) {
  const DeviceConfig& config = device.config;
  const DeviceProperties& p = config.properties;
  bytes_ = {};
  writable_ = {};
  clear_on_one_ = {};
  bars_ = {};
  // Decoding is on for what the PnP manager assigned. Bus mastering stays off: a driver that
  // does DMA enables it (UNCONFIRMED whether pci.sys sets it while starting a function).
  std::uint16_t command = 0;
  if (device.io.port_bytes != 0) command |= PCI_ENABLE_IO_SPACE;
  if (device.io.memory_bytes != 0) command |= PCI_ENABLE_MEMORY_SPACE;
  Set16(kCommand, command, kCommandWritable);
  const bool capability = config.messages > 0;
  Set16(kStatus, capability ? PCI_STATUS_CAPABILITIES_LIST : 0);
  clear_on_one_[kStatus] = static_cast<std::uint8_t>(kStatusErrors);
  clear_on_one_[kStatus + 1] = static_cast<std::uint8_t>(kStatusErrors >> 8);
  Set8(0x0C, 0, 0xFF);  // cache line size
  Set8(0x0D, 0, 0xFF);  // latency timer
  SetIdentity(p);
  unsigned bar = 0;
  if (device.io.memory_bytes != 0) {
    // kemu's memory windows lie below 4 GB (model/device_io.hpp): a 32-bit BAR holds them.
    AddBar(bar++, static_cast<std::uint32_t>(device.io.memory_base), device.io.memory_bytes,
           /*io=*/false);
  }
  if (device.io.port_bytes != 0) {
    AddBar(bar++, device.io.port_base, device.io.port_bytes, /*io=*/true);
  }
  if (capability) Set8(0x34, static_cast<std::uint8_t>(kCapabilityOffset));
  if (config.line) {
    // The raw resource's level, which kemu makes the line's vector; pin INTA#. A vector the byte
    // cannot hold reads "unknown": cut to 8 bits it would name another device's line.
    const std::uint32_t level = config.line->vector;
    Set8(0x3C, level <= 0xFF ? static_cast<std::uint8_t>(level) : 0xFF, 0xFF);
    Set8(0x3D, 1);
  } else {
    Set8(0x3C, 0xFF, 0xFF);  // "unknown or not connected"
  }
  if (!capability) return;
  const std::size_t cap = kCapabilityOffset;
  const auto granted = static_cast<unsigned>(device.messages.size());
  if (config.msix) {
    Set8(cap, PCI_CAPABILITY_ID_MSIX);
    std::uint16_t control = static_cast<std::uint16_t>(std::min(config.messages, 2048u) - 1);
    if (granted > 0) control |= kMsixEnable;
    Set16(cap + 2, control, kMsixEnable | kMsixFunctionMask);
    // The table and pending-bit array offsets (cap + 4, cap + 8) read 0: kemu models neither.
    return;
  }
  Set8(cap, PCI_CAPABILITY_ID_MSI);
  std::uint16_t control =
      kMsi64Bit | static_cast<std::uint16_t>(Log2Count(std::min(config.messages, 32u)) << 1);
  if (granted > 0) control |= kMsiEnable | static_cast<std::uint16_t>(Log2Count(granted) << 4);
  Set16(cap + 2, control, kMsiEnable | kMsiMultipleEnableMask);
  Set32(cap + 4, granted > 0 ? kMsiAddress : 0, 0xFFFFFFFC);  // address, dword aligned
  Set32(cap + 8, 0, 0xFFFFFFFF);                              // address, upper half
  Set16(cap + 12, granted > 0 ? static_cast<std::uint16_t>(device.messages.front().vector) : 0,
        0xFFFF);
}

void PciConfigSpace::Read(std::size_t offset, std::span<std::uint8_t> out) const {
  std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
}

std::string PciConfigSpace::Write(std::size_t offset, std::span<const std::uint8_t> in) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::uint8_t& byte = bytes_[offset + i];
    const std::uint8_t writable = writable_[offset + i];
    byte = static_cast<std::uint8_t>((byte & ~writable) | (in[i] & writable));
    byte = static_cast<std::uint8_t>(byte & ~(in[i] & clear_on_one_[offset + i]));
  }
  for (unsigned index = 0; index < bars_.size(); ++index) {
    const Bar& bar = bars_[index];
    const std::size_t at = kFirstBar + 4 * index;
    if (bar.writable == 0 || at + 4 <= offset || at >= offset + in.size()) continue;
    const std::uint32_t address = Get32(at) & bar.writable;
    if (address == (bar.assigned & bar.writable) || address == bar.writable) continue;
    return fmt::format(
        "HalSetBusDataByOffset moving BAR{} from {:#x} to {:#x} (kemu's device keeps decoding "
        "the address the PnP manager assigned; write the probe of all ones or the assigned "
        "address)",
        index, bar.assigned & bar.writable, address);
  }
  return "";
}

}  // namespace kemu::model
