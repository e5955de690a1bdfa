// One scenario × personality run in progress: the machine, the devices with their hardware, the
// foreign drivers, and the Outcome being filled. Run() (run.cpp) drives it; the step functions
// (run_steps.cpp) and the expectation checks (check_expectations.cpp) work through it.
#ifndef KEMU_EMU_SCENARIO_RUN_SESSION_HPP_
#define KEMU_EMU_SCENARIO_RUN_SESSION_HPP_

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/device.hpp"
#include "kemu/hardware.hpp"
#include "kemu/machine.hpp"
#include "kemu/scenario/driver_adapter.hpp"
#include "kemu/scenario/runner.hpp"
#include "kemu/scenario/scenario.hpp"
#include "scenario/run/foreign_device.hpp"
#include "scenario/run/recording_hardware.hpp"

namespace kemu::scenario::internal {

/// A declared device and what the run knows about it.
struct DeviceSlot {
  const DeviceSpec* spec = nullptr;
  Device* device = nullptr;
  /// The device's RegisterFile underneath the recorder (from `registers:`, a plain one, or the
  /// adapter's model when that is a RegisterFile), or nullptr.
  RegisterFile* registers = nullptr;
  /// What the Machine sees as the device's hardware: the recorder around the model, or nullptr.
  Hardware* hardware = nullptr;
  /// kemu's foreign driver for a `foreign: true` device (owned by the Session), else nullptr.
  ForeignDriver* foreign = nullptr;
  /// The device's last connection (Device::last_connection) after a step: it survives `stop`,
  /// with what the ISR did up to the disconnect.
  std::optional<Connection> last_seen;
  /// The driver device's last `start` succeeded and no `stop` followed (ActionInfo::needs_started).
  bool started = false;
  /// Version and message count of the connection the observations last reported, if any.
  std::optional<std::pair<std::uint32_t, std::uint32_t>> reported;

  const std::string& name() const { return spec->config.name; }
};

class Session {
 public:
  Session(const Scenario& scenario, Os os, DriverAdapter& adapter, const RunOptions& options,
          Outcome& outcome);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  /// Sets up, plays every step, shuts down and checks the final `expect:`.
  void Play();

  // What steps and expectations use.
  const Scenario& scenario() const { return scenario_; }
  Os os() const { return os_; }
  DriverAdapter& adapter() { return adapter_; }
  Machine& machine() { return *machine_; }
  Outcome& outcome() { return outcome_; }
  /// The device `name` names ("": the driver device). Throws kemu::Error when there is none.
  DeviceSlot& Slot(const std::string& name);
  /// The slot's RegisterFile; throws kemu::Error "device X has no register file".
  RegisterFile& Registers(DeviceSlot& slot);
  /// Whether the run keeps observation lines (RunOptions::observe); a step formats none when not.
  bool observing() const { return options_.observe; }
  void Observe(std::string line) {
    if (observing()) outcome_.observations.push_back(std::move(line));
  }
  template <typename... Args>
  void Observe(fmt::format_string<Args...> format, Args&&... args) {
    if (observing())
      outcome_.observations.push_back(fmt::format(format, std::forward<Args>(args)...));
  }
  /// Machine::Settle, then each device's connection counters noted as at a step's end: what an
  /// `expect:` reads after the settle includes the ISRs and DPCs it ran.
  void SettleAndNote();
  /// The adapter's actions, asked for once per run.
  const std::vector<ActionInfo>& actions();
  void Fail(const Location& where, std::string message);
  /// Where the run's bug check happened (the step, or the scenario for shutdown).
  const Location& crash_where() const { return crash_where_; }

 private:
  /// Runs `body`; a bug check becomes the run's crash, any other error a failure at `where`.
  /// False when `body` did not complete.
  bool Guard(const Location& where, const std::function<void()>& body);
  void RecordCrash(const BugCheck& crash, const Location& where);
  /// Hardware for every device (adapter model, `registers:`, plain file), each behind a recorder.
  bool BuildHardware();
  void BuildDevice(const DeviceSpec& spec);
  /// The Machine, its devices and faults, the foreign drivers' ISRs, then LoadDriver.
  bool StartMachine();
  /// Writes the `service:` key and calls DriverAdapter::Load with its RegistryPath.
  bool LoadDriver();
  /// True when a `start` step names the (foreign) device, which then connects at that step.
  bool StartedByAStep(const DeviceSlot& slot) const;
  void PlaySteps();
  /// Foreign ISRs off, Machine::Shutdown, the final `expect:`, the closing observations.
  void Finish();
  /// Copies each device's connection into its slot (and the driver's into the Outcome), and
  /// reports connects and disconnects.
  void NoteConnections();
  void ObserveTotals();

  const Scenario& scenario_;
  const Os os_;
  DriverAdapter& adapter_;
  const RunOptions& options_;
  Outcome& outcome_;

  // Declared before the machine, so they outlive it (the Machine calls into hardware until it
  // is destroyed).
  std::vector<std::unique_ptr<RegisterFile>> owned_files_;
  std::vector<std::unique_ptr<RecordingHardware>> recorders_;
  std::vector<DeviceSlot> slots_;
  std::vector<std::unique_ptr<ForeignDriver>> foreign_;
  std::unique_ptr<Machine> machine_;

  DeviceSlot* driver_slot_ = nullptr;
  /// A harness error (kemu::Error, a bad scenario) stopped the run: the final `expect:` is not
  /// checked, its state being arbitrary.
  bool harness_error_ = false;
  Location crash_where_;
  std::optional<std::vector<ActionInfo>> actions_;  ///< actions(), once asked for
};

/// Performs one step (run_steps.cpp).
void RunStep(Session& session, const Step& step);

/// Checks `expected` at `block` and adds a Failure for each value that does not hold
/// (check_expectations.cpp). `final`: the end-of-run block, which also judges the run's crash.
void CheckExpectations(Session& session, const Expectations& expected, const Location& block,
                       bool final);

/// "0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION" (name omitted when unknown).
std::string FormatBugCheckCode(std::uint32_t code);
/// A status by name for observations ("STATUS_SUCCESS"; "NTSTATUS 0x..." without a name).
std::string StatusWord(std::int32_t status);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_RUN_SESSION_HPP_
