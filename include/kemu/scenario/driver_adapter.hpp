// kemu/scenario/driver_adapter.hpp — how scenario steps reach a driver's entry points.
//
// A scenario says `start`, `receive_frames: 3`, `expect: {probes: {frames_received: 3}}`; the
// driver adapter, written once per driver, says what those mean for that driver's code. The runner
// makes a fresh adapter (through an AdapterFactory) for every scenario × personality run, before
// the Machine is built, and destroys it after the Machine.
//
//   class MyAdapter : public kemu::scenario::DriverAdapter {
//    public:
//     void Load(PUNICODE_STRING registry_path) override {  // the scenario's `service:` key
//       entry_status_ = MyDriverEntry(&driver_, registry_path);
//     }
//     NTSTATUS Start(kemu::Device& device) override {
//       return MyStartDevice(&ext_, device.pdo(), device.raw_resources(),
//                            device.translated_resources());
//     }
//     void Stop(kemu::Device&) override { MyStopDevice(&ext_); }
//     std::vector<kemu::scenario::ActionInfo> Actions() const override {
//       return {{.name = "send", .parameters = {"bytes"}, .help = "queue one transmit"}};
//     }
//     void Act(const std::string& action, const kemu::scenario::ActionArgs& args,
//              kemu::Device& device) override {
//       MySend(&ext_, args.Unsigned("bytes", 64));
//     }
//     std::vector<std::string> Probes() const override { return {"sent"}; }
//     std::int64_t Probe(const std::string& probe, kemu::Device&) override { return ext_.Sent; }
//    private:
//     MY_DRIVER driver_{};
//     NTSTATUS entry_status_ = STATUS_SUCCESS;
//     MY_EXTENSION ext_{};
//   };
//
//   registry.Add("mydriver", [] { return std::make_unique<MyAdapter>(); });
#ifndef KEMU_SCENARIO_DRIVER_ADAPTER_HPP_
#define KEMU_SCENARIO_DRIVER_ADAPTER_HPP_

#include <wdm.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/hardware.hpp"
#include "kemu/scenario/scenario.hpp"

namespace kemu::scenario {

/// An unsigned-number argument of an action and the values it accepts, known before the run:
/// Validate() rejects anything else when the file is loaded, at the step's file:line:column.
struct ArgumentRange {
  std::string parameter;
  std::uint64_t minimum = 0;
  std::uint64_t maximum = UINT64_MAX;
};

/// A named action the adapter offers to scenarios.
struct ActionInfo {
  std::string name;
  /// Argument names it accepts; the scalar form (`name: 3`) sets the first.
  std::vector<std::string> parameters;
  std::string help;
  /// A request the driver serves (an IOCTL, an OID, a statistics query), not a hardware event.
  /// Windows sends requests only to a device whose start succeeded, so while the device is not
  /// started (before its first successful `start`, after a failed one, after `stop`) the runner
  /// does not call Act() for it and observes the step as not sent.
  bool needs_started = false;
  /// The arguments that must be unsigned numbers (decimal or 0x hex), each with its range.
  std::vector<ArgumentRange> numbers = {};
};

/// The driver side of a scenario. Every call runs on the machine's thread with the run's Machine
/// current, at whatever IRQL the scenario left the running vCPU.
class DriverAdapter {
 public:
  virtual ~DriverAdapter() = default;

  /// The hardware model behind a device the scenario declares, or nullptr to use the scenario's
  /// `registers:` (or a plain RegisterFile). Called once per device before Machine::AddDevice;
  /// the adapter owns the model and keeps it alive until the adapter is destroyed.
  virtual Hardware* HardwareFor(const DeviceConfig& config) {
    (void)config;
    return nullptr;
  }

  /// Loading the driver: call its DriverEntry here with `registry_path`, the service key the
  /// scenario's `service:` wrote (valid while the Machine lives). Called once per run, after the
  /// devices are added and the faults armed, before the first step. The default does nothing.
  virtual void Load(PUNICODE_STRING registry_path) { (void)registry_path; }

  /// IRP_MN_START_DEVICE for `device` (the `start` step): the driver's start routine.
  virtual NTSTATUS Start(Device& device) = 0;
  /// IRP_MN_STOP_DEVICE / REMOVE (the `stop` step).
  virtual void Stop(Device& device) = 0;

  /// Actions scenarios may name as steps. The runner rejects a scenario naming any other before
  /// anything runs.
  virtual std::vector<ActionInfo> Actions() const { return {}; }
  /// Performs `action` (one of Actions()) on the driver instance of `device`.
  virtual void Act(const std::string& action, const ActionArgs& args, Device& device);

  /// Names of the values `expect: {probes: ...}` may check.
  virtual std::vector<std::string> Probes() const { return {}; }
  /// The current value of `probe` (one of Probes()) for the driver instance of `device`.
  virtual std::int64_t Probe(const std::string& probe, Device& device);
};

/// Makes a fresh adapter for one run.
using AdapterFactory = std::function<std::unique_ptr<DriverAdapter>()>;

/// Adapters by name; a scenario picks one with `driver:`.
class AdapterRegistry {
 public:
  /// Registers `factory` as `name`; throws kemu::Error if the name is taken or empty.
  void Add(std::string name, AdapterFactory factory, std::string description = "");
  /// The factory for `name`; "" means the default (the first registered). nullptr if unknown.
  const AdapterFactory* Find(const std::string& name) const;
  /// Registered names, in registration order.
  std::vector<std::string> Names() const;
  const std::string& Description(const std::string& name) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string name;
    AdapterFactory factory;
    std::string description;
  };
  std::vector<Entry> entries_;
};

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_DRIVER_ADAPTER_HPP_
