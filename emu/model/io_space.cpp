#include "model/io_space.hpp"

#include <fmt/format.h>

#include <cstring>
#include <iterator>

#include "kemu/hardware.hpp"
#include "model/devices.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr std::uintptr_t kPage = 0x1000;

// x64 in/out instructions take a 16-bit port; the WDK's inline READ_PORT_* truncate the pointer.
std::uint32_t PortNumber(const volatile void* port) {
  return static_cast<std::uint16_t>(reinterpret_cast<std::uintptr_t>(port));
}

std::uint64_t Element(const void* buffer, ULONG index, unsigned width) {
  std::uint64_t value = 0;
  std::memcpy(&value, static_cast<const std::uint8_t*>(buffer) + std::size_t{index} * width, width);
  return value;
}

void SetElement(void* buffer, ULONG index, unsigned width, std::uint64_t value) {
  std::memcpy(static_cast<std::uint8_t*>(buffer) + std::size_t{index} * width, &value, width);
}

}  // namespace

PVOID IoSpace::Map(std::uint64_t physical, SIZE_T bytes, MEMORY_CACHING_TYPE cache_type) {
  const KIRQL irql = kernel_.cpu().irql;
  if (irql > DISPATCH_LEVEL) kernel_.verifier().MapIoSpaceAboveDispatch(irql, physical, bytes);
  // Caching has no observable effect on emulated registers, but an unknown type is a driver bug.
  // Without Verifier the mapping fails with NULL, MmMapIoSpace's documented failure (what Windows
  // does is UNCONFIRMED).
  if (cache_type < MmNonCached || cache_type >= MmMaximumCacheType) {
    kernel_.verifier().EnumArgumentOutOfRange("MmMapIoSpace", "CacheType", cache_type, physical);
    return nullptr;
  }
  if (bytes == 0) return nullptr;
  for (const auto& device : kernel_.devices().all()) {
    const DeviceIo& io = device->io;
    if (!io.MemoryContains(physical, bytes)) continue;
    Mapping mapping;
    const std::uintptr_t page_offset = static_cast<std::uintptr_t>(physical) & (kPage - 1);
    mapping.shadow.assign(page_offset + bytes + kPage, 0);
    const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(mapping.shadow.data());
    // Keep the physical address's offset within its page, as a real mapping does.
    mapping.address = ((start + kPage - 1) & ~(kPage - 1)) + page_offset;
    mapping.bytes = bytes;
    mapping.physical = physical;
    mapping.device = device.get();
    mapping.hardware = io.hardware;
    mapping.bar_offset = static_cast<std::uint32_t>(physical - io.memory_base);
    mapping.sequence = next_sequence_++;
    const std::uintptr_t address = mapping.address;
    mappings_.emplace(address, std::move(mapping));
    return reinterpret_cast<PVOID>(address);
  }
  return nullptr;  // not device memory: kemu has no physical RAM to map
}

void IoSpace::Unmap(PVOID base, SIZE_T bytes) {
  const KIRQL irql = kernel_.cpu().irql;
  // Verifier's table says above APC_LEVEL (0x7B) where the routine's page allows DISPATCH_LEVEL;
  // kemu follows the page and checks above DISPATCH_LEVEL only, where both agree.
  if (irql > DISPATCH_LEVEL) {
    kernel_.verifier().IrqlRuleWithCode("MmUnmapIoSpace", irql, DISPATCH_LEVEL, /*above=*/true,
                                        /*has_code=*/true, verifier_code::kUnmapIoSpaceAboveApc,
                                        {irql, reinterpret_cast<std::uintptr_t>(base), bytes},
                                        {"0x7B: MmUnmapIoSpace above APC_LEVEL", "current IRQL",
                                         "virtual address being unmapped", "number of bytes"});
  }
  const auto it = mappings_.find(reinterpret_cast<std::uintptr_t>(base));
  if (it == mappings_.end() || it->second.bytes != bytes) {
    kernel_.verifier().UnmapUnknownIoSpace(base, bytes,
                                           it == mappings_.end() ? 0 : it->second.bytes);
  }
  last_routed_ = nullptr;
  Unmapped unmapped{.mapping = std::move(it->second),
                    .event = kernel_.trace().sequence(),
                    .cpu = kernel_.current_processor()};
  mappings_.erase(it);
  if (unmapped.mapping.bytes > kShadowKeptBytes) unmapped.mapping.shadow = {};
  unmapped_.push_back(std::move(unmapped));
  if (unmapped_.size() > kUnmappedKept) unmapped_.pop_front();
}

const IoSpace::Mapping* IoSpace::Find(std::uintptr_t address, unsigned width) const {
  auto it = mappings_.upper_bound(address);
  if (it == mappings_.begin()) return nullptr;
  --it;
  const Mapping& mapping = it->second;
  return mapping.Holds(address, width) ? &mapping : nullptr;
}

std::optional<std::uint64_t> IoSpace::PhysicalOf(const void* address) const {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  const Mapping* mapping = Find(at, 1);
  if (mapping == nullptr) return std::nullopt;
  return mapping->physical + (at - mapping->address);
}

const IoSpace::Mapping& IoSpace::RouteSlow(std::uintptr_t address, unsigned width, bool write) {
  const Mapping* mapping = Find(address, width);
  if (mapping == nullptr) {
    kernel_.verifier().UnmappedRegisterAccess(address, width, write, DescribeMiss(address));
  }
  last_routed_ = mapping;
  return *mapping;
}

std::string IoSpace::DescribeMiss(std::uintptr_t address) const {
  // A register read after the stop path unmapped the BAR (a DPC still running, say): the advice
  // to map the range would point the wrong way. Newest first: the latest unmap there is the one.
  for (auto it = unmapped_.rbegin(); it != unmapped_.rend(); ++it) {
    const Mapping& mapping = it->mapping;
    if (address - mapping.address >= mapping.bytes) continue;
    return fmt::format(
        "The mapping of device '{}' at {:#x} ({:#x} bytes) held it until MmUnmapIoSpace "
        "unmapped it at trace event #{} on vCPU {}: this access comes after the unmap. End "
        "every use of the registers (disconnect the interrupt, flush the DPCs) before "
        "unmapping them.",
        mapping.device->config.name, mapping.address, mapping.bytes, it->event, it->cpu);
  }
  std::string why = "Map the device's CmResourceTypeMemory range first, and stay inside it.";
  // An off-by-one past a mapping is the common case; say which mapping the driver overran.
  auto it = mappings_.upper_bound(address);
  if (it == mappings_.begin()) return why;
  const Mapping& mapping = std::prev(it)->second;
  const std::uintptr_t end = mapping.address + mapping.bytes;
  if (address >= end + kPage) return why;
  return why + fmt::format(
                   " The mapping of device '{}' at {:#x} is {:#x} bytes long; this access starts "
                   "at offset {:#x}.",
                   mapping.device->config.name, mapping.address, mapping.bytes,
                   address - mapping.address);
}

void IoSpace::ReadRegisterBuffer(const char* routine, const volatile void* address, unsigned width,
                                 void* buffer, ULONG count) {
  if (count > 0 && buffer == nullptr) kernel_.verifier().NullArgument(routine, "Buffer");
  for (ULONG i = 0; i < count; ++i) SetElement(buffer, i, width, ReadRegister(address, width));
}

void IoSpace::WriteRegisterBuffer(const char* routine, volatile void* address, unsigned width,
                                  const void* buffer, ULONG count) {
  if (count > 0 && buffer == nullptr) kernel_.verifier().NullArgument(routine, "Buffer");
  for (ULONG i = 0; i < count; ++i) WriteRegister(address, width, Element(buffer, i, width));
}

DeviceState* IoSpace::PortOwner(std::uint32_t port, unsigned width) const {
  for (const auto& device : kernel_.devices().all()) {
    if (device->io.PortsContain(port, width)) return device.get();
  }
  return nullptr;
}

std::uint64_t IoSpace::ReadPort(const volatile void* port, unsigned width) {
  const std::uint32_t number = PortNumber(port);
  DeviceState* device = PortOwner(number, width);
  // Nothing drives the bus for an unclaimed port, so the pull-ups read as all ones.
  if (device == nullptr) return AllOnes(width);
  return device->io.hardware->Read(Space::kPort, number - device->io.port_base, width) &
         AllOnes(width);
}

void IoSpace::PublishToDevice(const DeviceState& device) { kernel_.race().Release(&device); }

void IoSpace::WritePort(const volatile void* port, unsigned width, std::uint64_t value) {
  const std::uint32_t number = PortNumber(port);
  DeviceState* device = PortOwner(number, width);
  if (device == nullptr) return;
  PublishToDevice(*device);
  device->io.hardware->Write(Space::kPort, number - device->io.port_base, width,
                             value & AllOnes(width));
}

void IoSpace::ReadPortBuffer(const char* routine, const volatile void* port, unsigned width,
                             void* buffer, ULONG count) {
  if (count > 0 && buffer == nullptr) kernel_.verifier().NullArgument(routine, "Buffer");
  for (ULONG i = 0; i < count; ++i) SetElement(buffer, i, width, ReadPort(port, width));
}

void IoSpace::WritePortBuffer(const char* routine, const volatile void* port, unsigned width,
                              const void* buffer, ULONG count) {
  if (count > 0 && buffer == nullptr) kernel_.verifier().NullArgument(routine, "Buffer");
  for (ULONG i = 0; i < count; ++i) WritePort(port, width, Element(buffer, i, width));
}

std::vector<std::string> IoSpace::DescribeMapped() const {
  std::map<std::uint64_t, std::string> ordered;
  for (const auto& [address, mapping] : mappings_) {
    ordered.emplace(
        mapping.sequence,
        fmt::format("MmMapIoSpace mapping of {:#x} bytes of device '{}' (physical "
                    "{:#x}) at {:#x} was never unmapped (MmUnmapIoSpace)",
                    mapping.bytes, mapping.device->config.name, mapping.physical, address));
  }
  std::vector<std::string> out;
  out.reserve(ordered.size());
  for (auto& entry : ordered) out.push_back(std::move(entry.second));
  return out;
}

std::uintptr_t IoSpace::FirstMapped() const {
  const Mapping* first = nullptr;
  for (const auto& entry : mappings_) {
    if (first == nullptr || entry.second.sequence < first->sequence) first = &entry.second;
  }
  return first == nullptr ? 0 : first->address;
}

}  // namespace kemu::model
