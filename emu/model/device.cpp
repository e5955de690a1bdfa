// kemu::Device: the test's handle on an emulated device.
#include "kemu/device.hpp"

#include "model/device_properties.hpp"
#include "model/devices.hpp"
#include "model/kernel.hpp"

namespace kemu {
namespace {

constexpr std::uint64_t kNever = ~std::uint64_t{0};

PCM_RESOURCE_LIST AsList(std::vector<std::uint8_t>& bytes) {
  return bytes.empty() ? nullptr : reinterpret_cast<PCM_RESOURCE_LIST>(bytes.data());
}

// The call counter's value `calls` calls after `now`. 0 means the next call, as 1 does.
// Saturating: a count past the end of the counter's range is a call that never comes, not one
// that wrapped round to the next.
std::uint64_t CallFromNow(std::uint64_t now, std::uint64_t calls) {
  const std::uint64_t after = calls == 0 ? 1 : calls;
  return after > kNever - now ? kNever : now + after;
}

}  // namespace

// Hardware that outlives the machine sees the device gone instead of a dangling pointer.
Device::~Device() { *self_ = nullptr; }

const std::string& Device::name() const { return state_.config.name; }
PDEVICE_OBJECT Device::pdo() { return &state_.pdo; }
PCM_RESOURCE_LIST Device::raw_resources() { return AsList(state_.raw_resources); }
PCM_RESOURCE_LIST Device::translated_resources() { return AsList(state_.translated_resources); }
unsigned Device::granted_messages() const { return static_cast<unsigned>(state_.messages.size()); }
const DeviceConfig& Device::config() const { return state_.config; }
DeviceProperties& Device::properties() { return state_.config.properties; }
DeviceRegistry& Device::registry() { return state_.config.registry; }
Hardware* Device::hardware() const { return state_.io.hardware; }
std::uint64_t Device::memory_base() const { return state_.io.memory_base; }
std::uint32_t Device::port_base() const { return state_.io.port_base; }
std::span<const std::uint8_t> Device::config_space() const {
  state_.pci.SetIdentity(state_.config.properties);  // what properties() changed since
  return state_.pci.bytes();
}
std::uint32_t Device::pci_bus() const { return state_.config.properties.bus_number; }
std::uint32_t Device::pci_slot() const {
  // PCI_SLOT_NUMBER: the device number in bits 0-4, the function number in bits 5-7.
  return model::PciDeviceNumber(state_) | std::uint32_t{state_.config.properties.pci_function} << 5;
}
bool Device::line_asserted() const { return state_.line_asserted; }

void Device::AssertLine() { kernel_.interrupts().AssertLine(state_); }
void Device::DeassertLine() { kernel_.interrupts().DeassertLine(state_); }
void Device::PulseLine() { kernel_.interrupts().PulseLine(state_); }
void Device::SignalMessage(std::uint32_t message_id) {
  kernel_.interrupts().SignalMessage(state_, message_id);
}

void Device::Perform(DeviceAction action, std::uint32_t message_id) {
  kernel_.interrupts().Perform(state_, action, message_id);
}

void Device::ScheduleAfterCalls(std::uint64_t calls, DeviceAction action,
                                std::uint32_t message_id) {
  kernel_.interrupts().Schedule(state_, action, message_id,
                                CallFromNow(kernel_.trace().calls(), calls), std::nullopt);
}

void Device::ScheduleAfterCalls(std::uint64_t calls, std::function<void()> hardware) {
  kernel_.interrupts().Schedule(state_, std::move(hardware),
                                CallFromNow(kernel_.trace().calls(), calls));
}

void Device::ScheduleAt(std::uint64_t time_us, DeviceAction action, std::uint32_t message_id) {
  // Virtual time counts 100 ns units in 64 bits; a later time saturates to the end of it.
  constexpr std::uint64_t kTicksPerMicrosecond = 10;
  const std::uint64_t at =
      time_us > kNever / kTicksPerMicrosecond ? kNever : time_us * kTicksPerMicrosecond;
  kernel_.interrupts().Schedule(state_, action, message_id, std::nullopt, at);
  // A time already reached (time 0 included) is due now, not at the next kernel call.
  kernel_.interrupts().RunDueEvents();
}

void Device::CancelScheduled() { kernel_.interrupts().CancelScheduled(state_); }

const Connection* Device::connection() const {
  if (state_.connection == nullptr) return nullptr;
  // Pending is a property of the controller, computed when asked rather than kept in step.
  state_.connection->stats.pending = kernel_.interrupts().PendingCount(*state_.connection);
  return &state_.connection->stats;
}

const Connection* Device::last_connection() const {
  if (state_.connection != nullptr) return connection();
  return state_.last_connection ? &*state_.last_connection : nullptr;
}

}  // namespace kemu
