// kemu/scenario/scenario.hpp — a scenario script, parsed: what one YAML file in scenarios/ says.
//
// A scenario describes a machine, its devices, the faults to inject and an ordered list of steps
// (driver actions, device events, IRQL moves, expectations), once, for a set of personalities.
// The parser (kemu/scenario/parser.hpp) builds it; the runner (kemu/scenario/runner.hpp) plays it
// on one personality at a time. Every piece remembers where in the file it came from, so a
// failed expectation names file, line and column.
//
//   kemu::scenario::Scenario s = kemu::scenario::LoadScenario("scenarios/fallback.yaml");
//   for (kemu::Os os : s.os) {
//     kemu::scenario::Outcome o = kemu::scenario::Run(s, os, factory);
//   }
//
// The YAML keys map one-to-one onto these fields and onto the C++ test API (scenarios/README.md
// has the table): `assert: nic0` is Device::AssertLine(), `run_dpcs` is
// Machine::RunPendingDpcs(), `expect: {isr_calls: 3}` is EXPECT_EQ(connection()->isr_calls, 3).
#ifndef KEMU_SCENARIO_SCENARIO_HPP_
#define KEMU_SCENARIO_SCENARIO_HPP_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/machine.hpp"
#include "kemu/os.hpp"

namespace kemu::scenario {

/// Where something came from: file name, 1-based line and column (0 when unknown).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

/// "file:line:column" (or "file" when line is 0).
std::string FormatLocation(const Location& where);

/// A value the scenario expects, and where it says so.
template <typename T>
struct Expected {
  T value{};
  Location where;
};

/// `bugcheck: none`, `bugcheck: 0xF2`, `bugcheck: 0xC4/0x42` (code / first parameter), or a
/// name: `bugcheck: DRIVER_VERIFIER_DETECTED_VIOLATION/0x42`.
struct BugCheckExpectation {
  bool none = false;  ///< true: the run must not crash
  std::uint32_t code = 0;
  std::optional<std::uint64_t> parameter1;
};

/// What an `expect:` block checks. Every field is optional; only what is given is checked.
struct Expectations {
  /// Which device the device fields refer to; "" = the scenario's driver device (the first
  /// device that is not foreign).
  std::string device;
  /// `connect_version: CONNECT_MESSAGE_BASED` (a name or a number). Like the counters below it
  /// reads the device's current connection, or the last one seen after a step once the driver
  /// disconnected (so a final block still sees what `stop` tore down); 0 (`none`) = the device
  /// was never connected.
  std::optional<Expected<std::uint32_t>> connect_version;
  /// Connection counters (kemu::Connection): current connection, else the last one seen.
  std::optional<Expected<std::uint64_t>> isr_calls;
  std::optional<Expected<std::uint64_t>> isr_claimed;
  std::optional<Expected<std::uint64_t>> dpcs_requested;
  std::optional<Expected<std::uint32_t>> message_count;
  /// Messages the PnP manager granted (Device::granted_messages()).
  std::optional<Expected<std::uint32_t>> granted_messages;
  /// Register values read without side effects (RegisterFile::Peek), by offset.
  std::map<std::uint32_t, Expected<std::uint32_t>> registers;
  /// Named values the driver adapter exposes (DriverAdapter::Probe), by probe name.
  std::map<std::string, Expected<std::int64_t>> probes;
  /// The run's bug check. At the end of a scenario an unexpected bug check always fails.
  std::optional<Expected<BugCheckExpectation>> bugcheck;
  /// IRQL of the running vCPU (Machine::CurrentIrql()).
  std::optional<Expected<std::uint8_t>> irql;
  /// Status the last `start` step returned.
  std::optional<Expected<std::int32_t>> start_status;
};

/// An `expect:` block: expectations for every personality, and per-personality overrides
/// (`os: {xp..ws2003: {connect_version: CONNECT_FULLY_SPECIFIED}}`), applied in file order.
struct ExpectationBlock {
  Location where;
  Expectations all;
  std::vector<std::pair<std::vector<Os>, Expectations>> per_os;

  /// `all` with every override that names `os` laid over it, field by field.
  Expectations For(Os os) const;
};

/// A register-file description for a device whose driver adapter supplies no hardware model:
/// `registers: {size: 0x100, values: {0x10: 1}, read_to_clear: [0x18], write_one_to_clear:
/// [0x10], interrupt_status: {0x10: 0xFF}}` (kemu::RegisterFile's test-side API).
struct RegisterSpec {
  Location where;
  std::uint32_t size = 0;  ///< 0: the larger of memory_bytes and port_bytes
  std::map<std::uint32_t, std::uint32_t> values;
  std::vector<std::uint32_t> read_to_clear;
  std::vector<std::uint32_t> write_one_to_clear;
  std::map<std::uint32_t, std::uint32_t> interrupt_status;  ///< offset → cause mask
};

/// One entry of `devices:`.
struct DeviceSpec {
  Location where;
  /// Everything but `hardware`, which the runner fills (adapter model, `registers`, or a plain
  /// RegisterFile when the device has a BAR or ports).
  DeviceConfig config;
  std::optional<RegisterSpec> registers;
  /// Where `line:` and its `affinity:` are written (line 0 when absent), for the checks that
  /// compare them with the machine and the other devices.
  Location line_where;
  Location affinity_where;
  /// `foreign: true`: another driver's device on the same machine. The runner connects kemu's
  /// built-in foreign ISR to its line before the first step (it claims the interrupt while its
  /// own line is asserted and acknowledges by deasserting it) and disconnects it after the last;
  /// or, when a `start` step names the device, at that step (`stop` disconnects it), which puts
  /// its ISR after the driver's on a shared vector.
  bool foreign = false;
};

/// One entry of `faults:` (Machine::InjectFault), armed before the first step.
struct FaultSpec {
  Location where;
  Fault fault;
};

/// `service:` — the driver's service key (\Registry\Machine\System\CurrentControlSet\Services
/// and its name), written before DriverAdapter::Load gets its path (DriverEntry's RegistryPath).
struct ServiceSpec {
  /// Where `service:` is written (the scenario's own position when the file has none): a bug
  /// check in DriverAdapter::Load is reported there.
  Location where;
  /// The key's name; "" = the scenario's `driver:`, or "driver" when that is empty too.
  std::wstring name;
  /// The service key's own values (Start, Type, ...).
  RegistryKey values;
  /// Its Parameters subkey, where a driver keeps its tuning values.
  RegistryKey parameters;
};

/// Named arguments of a driver action, as written: `receive_frames: {count: 3}` gives
/// {"count": "3"}; the scalar form `receive_frames: 3` gives the action's first parameter.
class ActionArgs {
 public:
  ActionArgs() = default;
  ActionArgs(Location where, std::map<std::string, std::string> values)
      : where_(std::move(where)), values_(std::move(values)) {}

  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  /// The argument as an unsigned number (decimal or 0x hex), or `fallback` when it is absent.
  /// Throws ScenarioError (with the step's location) when it is not a number.
  std::uint64_t Unsigned(const std::string& name, std::uint64_t fallback) const;
  /// The argument as written, or `fallback`.
  std::string String(const std::string& name, std::string fallback) const;
  const std::map<std::string, std::string>& values() const { return values_; }
  const Location& where() const { return where_; }

 private:
  Location where_;
  std::map<std::string, std::string> values_;
};

// The steps. Device names default to the driver device (see Expectations::device).

/// `start` / `start: {device: nic0, status: STATUS_INSUFFICIENT_RESOURCES}`:
/// DriverAdapter::Start. Without `status` any NT_SUCCESS status passes.
struct StartStep {
  std::string device;
  std::optional<std::int32_t> status;
};
/// `stop` / `stop: nic0`: DriverAdapter::Stop.
struct StopStep {
  std::string device;
};
/// Any other key: a named action of the driver adapter (`receive_frames: 3`).
struct ActionStep {
  std::string name;
  std::string device;
  ActionArgs args;
};
/// `assert`, `deassert`, `pulse`, `message: N` (Device::AssertLine, DeassertLine, PulseLine,
/// SignalMessage), at once or scheduled: `{after_calls: N}` (Device::ScheduleAfterCalls) or
/// `{at_us: T}` (Device::ScheduleAt).
struct DeviceEventStep {
  std::string device;
  DeviceAction action = DeviceAction::kAssertLine;
  std::uint32_t message_id = 0;
  std::optional<std::uint64_t> after_calls;
  std::optional<std::uint64_t> at_us;
};
/// `raise: {register: 0x8, bits: 0x1}`, `clear: ...`, `poke: {register: 0x4, value: 1}`:
/// RegisterFile::Raise, Clear and Poke on the device's registers.
struct RegisterStep {
  enum class Kind { kRaise, kClear, kPoke };
  Kind kind = Kind::kRaise;
  std::string device;
  std::uint32_t offset = 0;
  std::uint32_t value = 0;  ///< bits for raise/clear, the value for poke
};
/// `raise_irql: DISPATCH_LEVEL` / `lower_irql: 0` (KeRaiseIrql / KeLowerIrql; a name or number).
struct IrqlStep {
  bool raise = true;
  std::uint8_t irql = 0;
};
/// `processor: 1` (Machine::SwitchToProcessor).
struct ProcessorStep {
  unsigned processor = 0;
};
/// `busy_processor: 1` or `busy_processor: {processor: 1, irql: HIGH_LEVEL}`
/// (Machine::KeepProcessorBusy: the vCPU is busy with work the test does not model).
struct BusyProcessorStep {
  unsigned processor = 0;
  std::uint8_t irql = 2;  ///< DISPATCH_LEVEL (the default) to HIGH_LEVEL
};
/// `release_processor: 1` (Machine::ReleaseProcessor: the busy work ends now).
struct ReleaseProcessorStep {
  unsigned processor = 0;
};
/// `run_dpcs` (Machine::RunPendingDpcs).
struct RunDpcsStep {};
/// `settle` (Machine::Settle: pending interrupts, DPCs on every vCPU that can take them and work
/// items run, other vCPUs finish what they run or reach a wait; virtual time does not move).
struct SettleStep {};
/// `nmi` (Machine::RaiseNmi: a nonmaskable interrupt on the running processor; the driver's NMI
/// callbacks run at HIGH_LEVEL, and one none claims is bug check 0x80).
struct NmiStep {};
/// `stall_us: 50` (KeStallExecutionProcessor: virtual time moves, scheduled events fire).
struct StallStep {
  std::uint32_t microseconds = 0;
};
/// `advance_time: 1000` (Machine::AdvanceTime, in microseconds: the machine idles, timers due
/// expire, scheduled events fire; no driver call is made).
struct AdvanceTimeStep {
  std::uint32_t microseconds = 0;
};
/// `expect: {...}` between steps.
struct ExpectStep {
  ExpectationBlock block;
};

using StepBody =
    std::variant<StartStep, StopStep, ActionStep, DeviceEventStep, RegisterStep, IrqlStep,
                 ProcessorStep, BusyProcessorStep, ReleaseProcessorStep, RunDpcsStep, SettleStep,
                 NmiStep, StallStep, AdvanceTimeStep, ExpectStep>;

struct Step {
  Location where;
  std::string keyword;  ///< the step's key as written ("start", "assert", "receive_frames")
  StepBody body;
};

/// One scenario file.
struct Scenario {
  Location where;
  /// `scenario:`; defaults to the file name without extension.
  std::string name;
  std::string description;
  /// `driver:` — which registered adapter runs it; "" = the runner's default.
  std::string driver;
  /// Where the `driver:` value is written (`where` when the file names none): an unknown driver
  /// is reported there.
  Location driver_where;
  /// `os:` — where it runs, oldest first (`all`, a name, a list, or a range `vista..win11`).
  std::vector<Os> os;
  /// `machine:` — processors, verifier, checked_build, seed, storm_threshold,
  /// inactive_interrupts, call_history, schedule (strategy, seed, depth). `os` is set per run.
  MachineOptions machine;
  std::vector<DeviceSpec> devices;
  ServiceSpec service;
  std::vector<FaultSpec> faults;
  std::vector<Step> steps;
  /// The final `expect:` block, checked after the last step.
  std::optional<ExpectationBlock> expect;
};

/// The service key name `scenario` loads its driver from: ServiceSpec::name, else the scenario's
/// `driver:`, else "driver".
std::wstring ServiceName(const Scenario& scenario);

/// Name of a CONNECT_* version ("CONNECT_MESSAGE_BASED"; "none" for 0; the number otherwise).
std::string ConnectVersionName(std::uint32_t version);
/// Inverse of ConnectVersionName (also accepts "none"); std::nullopt for anything else.
std::optional<std::uint32_t> ParseConnectVersion(std::string_view name);

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_SCENARIO_HPP_
