// kemu::Device: the test's handle on an emulated device.
#include "kemu/device.hpp"

#include "model/devices.hpp"
#include "model/kernel.hpp"

namespace kemu {
namespace {

PCM_RESOURCE_LIST AsList(std::vector<std::uint8_t>& bytes) {
  return bytes.empty() ? nullptr : reinterpret_cast<PCM_RESOURCE_LIST>(bytes.data());
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
Hardware* Device::hardware() const { return state_.io.hardware; }
std::uint64_t Device::memory_base() const { return state_.io.memory_base; }
std::uint32_t Device::port_base() const { return state_.io.port_base; }
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
  if (calls == 0) calls = 1;
  kernel_.interrupts().Schedule(state_, action, message_id, kernel_.trace().calls() + calls, 0);
}

void Device::ScheduleAt(std::uint64_t time_us, DeviceAction action, std::uint32_t message_id) {
  // Time 0 is "now"; store at least one tick so 0 keeps meaning "not time-based".
  const std::uint64_t at = time_us * 10 == 0 ? 1 : time_us * 10;
  kernel_.interrupts().Schedule(state_, action, message_id, 0, at);
  kernel_.interrupts().RunDueEvents();
}

const Connection* Device::connection() const {
  if (state_.connection == nullptr) return nullptr;
  // Pending is a property of the controller, computed when asked rather than kept in step.
  state_.connection->stats.pending = kernel_.interrupts().PendingCount(*state_.connection);
  return &state_.connection->stats;
}

}  // namespace kemu
