#include "model/devices.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "kemu/error.hpp"
#include "model/device_properties.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr CSHORT kIoTypeDevice = 3;  // IO_TYPE_DEVICE

// A CM_RESOURCE_LIST with one full descriptor holding `partials`, as PnP hands it to a driver.
std::vector<std::uint8_t> BuildResourceList(
    const std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR>& partials, ULONG bus_number) {
  if (partials.empty()) return {};
  constexpr std::size_t kHeader = offsetof(CM_RESOURCE_LIST, List) +
                                  offsetof(CM_FULL_RESOURCE_DESCRIPTOR, PartialResourceList) +
                                  offsetof(CM_PARTIAL_RESOURCE_LIST, PartialDescriptors);
  const std::size_t size = kHeader + partials.size() * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
  std::vector<std::uint8_t> bytes(size, 0);
  auto* list = reinterpret_cast<PCM_RESOURCE_LIST>(bytes.data());
  list->Count = 1;
  list->List[0].InterfaceType = PCIBus;
  list->List[0].BusNumber = bus_number;
  list->List[0].PartialResourceList.Version = 1;
  list->List[0].PartialResourceList.Revision = 1;
  list->List[0].PartialResourceList.Count = static_cast<ULONG>(partials.size());
  std::memcpy(list->List[0].PartialResourceList.PartialDescriptors, partials.data(),
              partials.size() * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR));
  return bytes;
}

// A PCI function is device 0..31, function 0..7 on its bus: DevicePropertyAddress and the
// location string cannot describe anything else.
void CheckPciLocation(const DeviceConfig& config) {
  const DeviceProperties& p = config.properties;
  if (p.pci_device && *p.pci_device > 31) {
    throw Error(fmt::format("kemu: device '{}': properties.pci_device must be 0..31, got {}",
                            config.name, *p.pci_device));
  }
  if (p.pci_function > 7) {
    throw Error(fmt::format("kemu: device '{}': properties.pci_function must be 0..7, got {}",
                            config.name, p.pci_function));
  }
}

}  // namespace

bool DeviceState::OwnsMessageVector(ULONG vector) const {
  return std::any_of(messages.begin(), messages.end(),
                     [vector](const MessageVector& m) { return m.vector == vector; });
}

bool DeviceState::OwnsVector(ULONG vector) const {
  if (HasLine() && config.line->vector == vector) return true;
  return std::any_of(messages.begin(), messages.end(),
                     [vector](const MessageVector& m) { return m.vector == vector; });
}

Device& Devices::Add(DeviceConfig config) {
  const KIRQL highest = HighestDirql(kernel_.personality());
  // IRQL 0 is a passive-level line (e.g. routed through a GPIO controller), which Windows 8+
  // drivers connect with a passive-level ISR; anything else must be a device IRQL.
  if (config.line && config.line->irql != PASSIVE_LEVEL &&
      (config.line->irql < kLowestDirql || config.line->irql > highest)) {
    throw Error(fmt::format(
        "kemu: device '{}': a line interrupt's IRQL must be a device IRQL {}..{} (above "
        "DISPATCH_LEVEL, below SYNCH_LEVEL {}) or 0 for a passive-level line, got {}",
        config.name, kLowestDirql, highest, highest + 1, config.line->irql));
  }
  if (config.line) {
    for (const auto& other : devices_) {
      if (other->OwnsMessageVector(config.line->vector)) {
        throw Error("kemu: device '" + config.name + "': vector " +
                    std::to_string(config.line->vector) + " is already an MSI vector of '" +
                    other->config.name + "'; pick a line vector below " +
                    std::to_string(kFirstMessageVector) + " or add the device first");
      }
    }
  }
  CheckPciLocation(config);
  auto device = std::make_unique<DeviceState>();
  device->config = std::move(config);
  device->index = static_cast<unsigned>(devices_.size());
  // The device's keys are its DeviceRegistry, which Device::registry() hands the test.
  kernel_.registry_keys().AddDevice(*device);
  kernel_.registry().Attach(device->hardware_key, &device->config.registry.device);
  kernel_.registry().Attach(device->software_key, &device->config.registry.driver);
  device->pdo.Type = kIoTypeDevice;
  device->pdo.Size = sizeof(DEVICE_OBJECT);
  device->pdo.ReferenceCount = 1;
  GrantResources(*device);
  device->pci.Build(*device);
  device->facade = std::make_unique<Device>(kernel_, *device);
  AttachHardware(*device);
  devices_.push_back(std::move(device));
  return *devices_.back()->facade;
}

ULONG Devices::AllocateMessageVector() {
  // Message vectors never coincide with a line vector some device already uses.
  for (;;) {
    const ULONG vector = next_message_vector_++;
    const bool taken = std::any_of(devices_.begin(), devices_.end(), [vector](const auto& d) {
      return d->config.line && d->config.line->vector == vector;
    });
    if (!taken) return vector;
  }
}

DeviceState* Devices::FindByPdo(PDEVICE_OBJECT pdo) {
  for (auto& device : devices_) {
    if (&device->pdo == pdo) return device.get();
  }
  return nullptr;
}

DeviceState* Devices::FindPciFunction(std::uint32_t bus, unsigned device, unsigned function) {
  for (auto& state : devices_) {
    const DeviceProperties& p = state->config.properties;
    if (p.legacy_bus_type == PCIBus && p.bus_number == bus && PciDeviceNumber(*state) == device &&
        p.pci_function == function) {
      return state.get();
    }
  }
  return nullptr;
}

DeviceState* Devices::FindByBusInterrupt(INTERFACE_TYPE type, std::uint32_t bus,
                                         std::uint32_t level) {
  for (auto& state : devices_) {
    const DeviceProperties& p = state->config.properties;
    if (state->config.line && state->config.line->vector == level && p.bus_number == bus &&
        p.legacy_bus_type == type) {
      return state.get();
    }
  }
  return nullptr;
}

DeviceState* Devices::FindByBusAddress(INTERFACE_TYPE type, std::uint32_t bus,
                                       std::uint64_t address, bool port) {
  for (auto& state : devices_) {
    const DeviceProperties& p = state->config.properties;
    if (p.bus_number != bus || p.legacy_bus_type != type) continue;
    const DeviceIo& io = state->io;
    const bool held = port ? io.port_bytes != 0 && address >= io.port_base &&
                                 address - io.port_base < io.port_bytes
                           : io.memory_bytes != 0 && address >= io.memory_base &&
                                 address - io.memory_base < io.memory_bytes;
    if (held) return state.get();
  }
  return nullptr;
}

bool Devices::PciBusExists(std::uint32_t bus) const {
  return bus == 0 || std::any_of(devices_.begin(), devices_.end(), [bus](const auto& state) {
           const DeviceProperties& p = state->config.properties;
           return p.legacy_bus_type == PCIBus && p.bus_number == bus;
         });
}

void Devices::GrantResources(DeviceState& device) {
  const Personality& personality = kernel_.personality();
  const DeviceConfig& config = device.config;
  std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR> raw;
  std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR> translated;
  GrantIoResources(device, raw, translated);  // memory and port descriptors come first
  const KAFFINITY all = kernel_.active_processors();
  // docs/windows-facts.md §8.3: a request the PnP manager cannot grant in full gets exactly one
  // message; tests can also cap or withhold the grant (DeviceConfig::grant_messages, withhold_msi).
  unsigned granted = 0;
  if (config.messages > 0 && personality.supports_msi && !config.withhold_msi) {
    granted = config.messages <= personality.max_messages ? config.messages : 1;
    if (config.grant_messages) granted = std::min(granted, *config.grant_messages);
  }
  if (granted > 0) {
    for (unsigned i = 0; i < granted; ++i) {
      device.messages.push_back({AllocateMessageVector(), 0});
      device.messages.back().irql = static_cast<KIRQL>(
          std::min<ULONG>(device.messages.back().vector >> 4, HighestDirql(personality)));
    }
    // MSI: one descriptor for all messages; MSI-X: one per message.
    const unsigned descriptors = config.msix ? granted : 1;
    for (unsigned i = 0; i < descriptors; ++i) {
      CM_PARTIAL_RESOURCE_DESCRIPTOR r{};
      r.Type = CmResourceTypeInterrupt;
      r.ShareDisposition = CmResourceShareDeviceExclusive;
      r.Flags = CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;
      CM_PARTIAL_RESOURCE_DESCRIPTOR t = r;
      r.u.MessageInterrupt.Raw.MessageCount = static_cast<USHORT>(config.msix ? 1 : granted);
      r.u.MessageInterrupt.Raw.Vector = device.messages[i].vector;
      r.u.MessageInterrupt.Raw.Affinity = all;
      t.u.MessageInterrupt.Translated.Level = device.messages[i].irql;
      t.u.MessageInterrupt.Translated.Vector = device.messages[i].vector;
      t.u.MessageInterrupt.Translated.Affinity = all;
      raw.push_back(r);
      translated.push_back(t);
    }
  } else if (config.line) {
    const LineInterrupt& line = *config.line;
    CM_PARTIAL_RESOURCE_DESCRIPTOR r{};
    r.Type = CmResourceTypeInterrupt;
    r.ShareDisposition = line.shared ? CmResourceShareShared : CmResourceShareDeviceExclusive;
    r.Flags = line.mode == Trigger::kEdge ? CM_RESOURCE_INTERRUPT_LATCHED
                                          : CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE;
    CM_PARTIAL_RESOURCE_DESCRIPTOR t = r;
    // kemu uses the system vector as the bus-relative IRQ too; drivers connect from the
    // translated list, which carries the DIRQL.
    r.u.Interrupt.Level = line.vector;
    r.u.Interrupt.Vector = line.vector;
    r.u.Interrupt.Affinity = static_cast<KAFFINITY>(line.affinity);
    t.u.Interrupt.Level = line.irql;
    t.u.Interrupt.Vector = line.vector;
    t.u.Interrupt.Affinity = static_cast<KAFFINITY>(line.affinity) & all;
    raw.push_back(r);
    translated.push_back(t);
  }
  const ULONG bus = config.properties.bus_number;
  device.raw_resources = BuildResourceList(raw, bus);
  device.translated_resources = BuildResourceList(translated, bus);
}

}  // namespace kemu::model
