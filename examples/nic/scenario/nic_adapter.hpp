// nic_adapter.hpp — the example NIC driver as scenario scripts see it: `start`, `stop`, the wire
// side of the card as named actions (`receive_frames: 3`, `interrupt_after_calls: 5`), and the
// driver's statistics and observations as probes (`expect: {probes: {frames_received: 3}}`).
//
// One adapter drives one build of the driver (a NIC_DRIVER table) on one card. It owns the card
// model (NicDevice) and the driver's extension, both of which outlive the run's Machine because
// the runner destroys the adapter last. The card goes behind the first device the scenario
// declares with a memory BAR; other devices (a foreign card sharing the line) get the runner's
// plain registers.
//
//   kemu::scenario::AdapterRegistry registry;
//   kemu_example::AddNicAdapters(registry);       // "nic", "nic_bug_spinlock_at_dirql", ...
//   kemu::scenario::Outcome o = kemu::scenario::Run(scenario, kemu::Os::kWindowsXP,
//                                                   *registry.Find("nic"));
//
// Probes read the extension and the card's registers without side effects and make no kernel
// call, so checking them never changes the machine's trace and still works after a bug check.
#ifndef KEMU_EXAMPLES_NIC_SCENARIO_NIC_ADAPTER_HPP_
#define KEMU_EXAMPLES_NIC_SCENARIO_NIC_ADAPTER_HPP_

#include <cstdint>
#include <string>
#include <vector>

#include "driver/nic_driver.h"
#include "kemu/scenario/driver_adapter.hpp"
#include "nic_device.hpp"

namespace kemu_example {

class NicAdapter : public kemu::scenario::DriverAdapter {
 public:
  /// `driver`: NicDriver or one of its buggy builds (NicDriverBug*).
  explicit NicAdapter(const NIC_DRIVER& driver = NicDriver) : driver_(driver) {}

  kemu::Hardware* HardwareFor(const kemu::DeviceConfig& config) override;
  NTSTATUS Start(kemu::Device& device) override;
  void Stop(kemu::Device& device) override;

  std::vector<kemu::scenario::ActionInfo> Actions() const override;
  void Act(const std::string& action, const kemu::scenario::ActionArgs& args,
           kemu::Device& device) override;

  std::vector<std::string> Probes() const override;
  std::int64_t Probe(const std::string& probe, kemu::Device& device) override;

  /// The card and the driver's state, for C++ tests that look deeper than the probes.
  NicDevice& nic() { return nic_; }
  const NIC_EXTENSION& extension() const { return extension_; }

 private:
  // Throws kemu::Error unless `device` is the one the card sits behind.
  void RequireNic(const kemu::Device& device, const std::string& what) const;

  const NIC_DRIVER& driver_;
  NicDevice nic_;
  std::string nic_name_;  ///< the device the card sits behind; "" until one is chosen
  NIC_EXTENSION extension_{};
  NIC_STATISTICS snapshot_{};  ///< what the last get_statistics returned
};

/// Registers the three builds: "nic" (the default), "nic_bug_spinlock_at_dirql" and
/// "nic_bug_no_ack".
void AddNicAdapters(kemu::scenario::AdapterRegistry& registry);

}  // namespace kemu_example

#endif  // KEMU_EXAMPLES_NIC_SCENARIO_NIC_ADAPTER_HPP_
