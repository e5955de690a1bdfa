// The example NIC driver's fuzz target: see nic_fuzz_target.hpp.
#include "nic_fuzz_target.hpp"

#include <fmt/format.h>

#include "kemu/error.hpp"
#include "nic_adapter.hpp"

namespace kemu_example {

kemu::fuzz::FuzzTarget NicFuzzTarget(const std::string& adapter) {
  kemu::scenario::AdapterRegistry registry;
  AddNicAdapters(registry);
  const kemu::scenario::AdapterFactory* factory = registry.Find(adapter);
  if (adapter.empty() || factory == nullptr) {
    throw kemu::Error("kemu_example: no NIC adapter named '" + adapter + "'");
  }
  kemu::fuzz::FuzzTarget target;
  target.name = adapter;
  target.factory = *factory;
  // The card sits behind the first device with a BAR (NicAdapter::HardwareFor).
  target.device = {.name = "nic0", .memory_bytes = 0x200};
  target.arguments = {
      {.action = "receive_frames", .parameter = "count", .min = 0, .max = 8},
      {.action = "receive_frames", .parameter = "length", .min = 1, .max = 1514},
      {.action = "stage_frames", .parameter = "count", .min = 0, .max = 8},
      {.action = "stage_frames", .parameter = "length", .min = 1, .max = 1514},
      {.action = "set_link", .parameter = "up", .min = 0, .max = 1},
      {.action = "interrupt_after_calls", .parameter = "calls", .min = 1, .max = 12},
  };
  // The driver believes it is connected exactly when kemu has its ISR connected.
  target.invariant = [](kemu::scenario::DriverAdapter& nic, kemu::Device& device) -> std::string {
    const std::int64_t version = nic.Probe("connect_version", device);
    const bool connected = device.connection() != nullptr;
    if ((version != 0) == connected) return "";
    return fmt::format("the driver's ConnectVersion is {} but kemu has {} connection", version,
                       connected ? "a" : "no");
  };
  return target;
}

}  // namespace kemu_example
