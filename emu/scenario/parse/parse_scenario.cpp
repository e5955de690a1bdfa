// The top level of a scenario file: name, personalities, machine options and faults; the rest
// (devices, steps, expectations) has a file each.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include "kemu/fault_routines.hpp"
#include "scenario/parse/numbers.hpp"
#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario::internal {
namespace {

constexpr std::uint64_t kMaxU64 = ~std::uint64_t{0};
// Bounds that keep one run's memory and time small whatever a file says: the call history is
// reserved when the machine is built (about 100 bytes a call), and an unacknowledged level line
// is delivered storm_threshold times before the storm bug check.
constexpr std::uint64_t kMaxCallHistory = 65536;
constexpr std::uint64_t kMaxStormThreshold = 1000000;
constexpr unsigned kMaxProcessors = 64;
// ScheduleOptions::depth: the Machine refuses more PCT change points than this.
constexpr std::uint64_t kMaxPctDepth = 16;
// A scenario's name becomes a GoogleTest test name, part of trace file names and a report row:
// letters, digits, '_', '.' and '-' are safe in all of them (and in a shell), and the first
// character is not '.' or '-' so that a name is neither a hidden file nor an option.
constexpr std::size_t kMaxNameLength = 100;
constexpr std::string_view kNameRule =
    "letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 100 characters";

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] == '.' || name[0] == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

std::vector<Os> ReadOs(Reader& reader, const YAML::Node& node) {
  std::vector<Os> selected;
  std::vector<YAML::Node> parts;
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) parts.push_back(item);
  } else {
    parts.push_back(node);
  }
  bool valid = true;
  for (const YAML::Node& part : parts) {
    std::optional<std::string> text = ReadScalar(reader, part, "'os'", "a personality selector");
    if (!text) {
      valid = false;
      continue;
    }
    std::string problem = SelectOs(*text, selected);
    if (!problem.empty()) {
      reader.Error(part, fmt::format("bad 'os' selector '{}': {}", *text, problem));
      valid = false;
    }
  }
  if (valid && selected.empty()) reader.Error(node, "'os' selects no personality");
  std::sort(selected.begin(), selected.end());
  selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
  return selected;
}

// `schedule: {strategy: pct, seed: 42, depth: 3}` (kemu::ScheduleOptions).
void ReadSchedule(Reader& reader, const YAML::Node& node, ScheduleOptions& schedule) {
  static const std::vector<std::string> kKeys{"strategy", "seed", "depth"};
  MapReader map(reader, node, "'schedule'", &kKeys);
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "strategy") {
      // In Strategy's order, so that the index is the enumerator.
      if (auto v = ReadChoice(reader, e.value, what, {"default", "random", "pct"})) {
        schedule.strategy = static_cast<Strategy>(*v);
      }
    } else if (e.key == "seed") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxU64)) schedule.seed = *v;
    } else if (e.key == "depth") {
      if (auto v = ReadUnsigned(reader, e.value, what, 1, kMaxPctDepth)) {
        schedule.depth = static_cast<unsigned>(*v);
      }
    }
  }
}

// The vCPU a `processor:`, `busy_processor:` or `release_processor:` step names, or nullopt.
std::optional<unsigned> StepProcessor(const StepBody& body) {
  if (const auto* step = std::get_if<ProcessorStep>(&body)) return step->processor;
  if (const auto* step = std::get_if<BusyProcessorStep>(&body)) return step->processor;
  if (const auto* step = std::get_if<ReleaseProcessorStep>(&body)) return step->processor;
  return std::nullopt;
}

// A step naming a vCPU the machine does not have: both numbers are in the file, so it is an error
// before anything runs, not a failure of the run.
void CheckProcessorSteps(Reader& reader, const Scenario& scenario) {
  const unsigned processors = scenario.machine.processors;
  for (const Step& step : scenario.steps) {
    const std::optional<unsigned> processor = StepProcessor(step.body);
    if (!processor || *processor < processors) continue;
    reader.Error(step.where,
                 fmt::format("'{}: {}' names a vCPU the machine does not have ('machine: "
                             "processors: {}' makes vCPUs 0..{})",
                             step.keyword, *processor, processors, processors - 1));
  }
}

// A line whose affinity names none of the machine's vCPUs: the PnP manager hands the driver an
// empty processor set and its connect fails (STATUS_INVALID_PARAMETER, or
// STATUS_INVALID_PARAMETER_10 for CONNECT_FULLY_SPECIFIED; docs/windows-facts.md §1.3, §2.5).
// Both numbers are in the file, so it is an error before anything runs, as a `processor:` step is.
void CheckLineAffinities(Reader& reader, const Scenario& scenario) {
  const unsigned processors = scenario.machine.processors;
  const std::uint64_t machine =
      processors >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << processors) - 1;
  for (const DeviceSpec& device : scenario.devices) {
    if (!device.config.line || (device.config.line->affinity & machine) != 0) continue;
    reader.Error(
        device.affinity_where,
        fmt::format("device '{}': 'affinity: {:#x}' names no vCPU of the machine "
                    "('machine: processors: {}' makes vCPUs 0..{}), so its driver's "
                    "connect fails (STATUS_INVALID_PARAMETER)",
                    device.config.name, device.config.line->affinity, processors, processors - 1));
  }
}

// The device a step or expectation names ("": the driver device), or nullptr when none is.
const DeviceSpec* FindDevice(const Scenario& scenario, const std::string& name) {
  const auto device = std::find_if(
      scenario.devices.begin(), scenario.devices.end(),
      [&](const DeviceSpec& d) { return name.empty() ? !d.foreign : d.config.name == name; });
  return device != scenario.devices.end() ? &*device : nullptr;
}

// The size of `device`'s register file when the file says it (`registers:`); a device without
// one may get its model from the driver adapter, which only the run knows.
std::optional<std::uint32_t> RegisterFileSize(const DeviceSpec& device) {
  if (!device.registers) return std::nullopt;
  const std::uint32_t size = device.registers->size != 0
                                 ? device.registers->size
                                 : std::max(device.config.memory_bytes, device.config.port_bytes);
  if (size == 0) return std::nullopt;  // reported by CheckOffsets
  return size;
}

void CheckRegisterOffset(Reader& reader, const Location& where, const DeviceSpec& device,
                         std::uint32_t offset) {
  const std::optional<std::uint32_t> size = RegisterFileSize(device);
  if (!size || (offset < *size && *size - offset >= 4)) return;
  reader.Error(where, fmt::format("register offset {:#x} is outside the {:#x}-byte register file "
                                  "of device '{}'",
                                  offset, *size, device.config.name));
}

void CheckExpectedRegisters(Reader& reader, const Scenario& scenario,
                            const ExpectationBlock& block) {
  const auto check = [&](const Expectations& expected) {
    const DeviceSpec* device = FindDevice(scenario, expected.device);
    if (device == nullptr) return;
    for (const auto& [offset, value] : expected.registers) {
      CheckRegisterOffset(reader, value.where, *device, offset);
    }
  };
  check(block.all);
  for (const auto& [oses, expected] : block.per_os) check(expected);
}

// `raise`, `clear`, `poke` and `expect: registers:` past the register file the device's
// `registers:` describes: the numbers are in the file, so it is an error before anything runs
// (audit round 17, Y4: the driver started and the run failed at the step).
void CheckRegisterSteps(Reader& reader, const Scenario& scenario) {
  for (const Step& step : scenario.steps) {
    if (const auto* access = std::get_if<RegisterStep>(&step.body)) {
      if (const DeviceSpec* device = FindDevice(scenario, access->device)) {
        CheckRegisterOffset(reader, step.where, *device, access->offset);
      }
    } else if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      CheckExpectedRegisters(reader, scenario, expect->block);
    }
  }
  if (scenario.expect) CheckExpectedRegisters(reader, scenario, *scenario.expect);
}

// Device steps the file's own numbers make impossible. A `message:` step past the messages the
// device asks for: no personality grants more than `messages` (nor more than `grant_messages`, nor
// any with `withhold_msi`), so the id can never exist; ids below that can still be missing on a
// personality without MSI, which stays a run-time error naming the personality. A line step
// (`assert`, `deassert`, `pulse`) on a device without `line:`: it would do nothing, and the
// scenario would believe it raised an interrupt (audit round 17, Y5).
void CheckDeviceEventSteps(Reader& reader, const Scenario& scenario) {
  for (const Step& step : scenario.steps) {
    const auto* event = std::get_if<DeviceEventStep>(&step.body);
    if (event == nullptr) continue;
    const DeviceSpec* device = FindDevice(scenario, event->device);
    if (device == nullptr) continue;  // an unknown device is reported already
    const DeviceConfig& config = device->config;
    if (event->action != DeviceAction::kSignalMessage) {
      if (!config.line) {
        reader.Error(step.where, fmt::format("'{}' acts on the line of device '{}', which has no "
                                             "line ('line:' is not set; it interrupts only by "
                                             "messages: use 'message: <id>')",
                                             step.keyword, config.name));
      }
      continue;
    }
    unsigned most = config.withhold_msi ? 0 : config.messages;
    if (config.grant_messages) most = std::min(most, *config.grant_messages);
    if (event->message_id < most) continue;
    std::string asks;
    if (config.withhold_msi) {
      asks = "'withhold_msi: true' grants it none";
    } else if (config.grant_messages && *config.grant_messages < config.messages) {
      asks = most == 0 ? std::string("'grant_messages: 0' grants it none")
                       : fmt::format("'grant_messages: {}' grants it at most messages 0..{}", most,
                                     most - 1);
    } else if (config.messages == 0) {
      asks = "it asks for none: 'messages' is 0";
    } else {
      asks = fmt::format("'messages: {}' asks for messages 0..{}", most, most - 1);
    }
    reader.Error(step.where, fmt::format("'message: {}' names a message that device '{}' never "
                                         "has ({})",
                                         event->message_id, config.name, asks));
  }
}

void ReadMachine(Reader& reader, const YAML::Node& node, MachineOptions& options) {
  static const std::vector<std::string> kKeys{
      "processors",      "verifier",          "checked_build", "seed",
      "storm_threshold", "dpc_time_limit_us", "threaded_dpcs", "inactive_interrupts",
      "call_history",    "schedule"};
  MapReader map(reader, node, "'machine'", &kKeys);
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "processors") {
      if (auto v = ReadUnsigned(reader, e.value, what, 1, kMaxProcessors)) {
        options.processors = static_cast<unsigned>(*v);
      }
    } else if (e.key == "verifier") {
      if (auto v = ReadBool(reader, e.value, what)) options.verifier = *v;
    } else if (e.key == "checked_build") {
      if (auto v = ReadBool(reader, e.value, what)) options.checked_build = *v;
    } else if (e.key == "seed") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxU64)) options.seed = *v;
    } else if (e.key == "storm_threshold") {
      if (auto v = ReadUnsigned(reader, e.value, what, 1, kMaxStormThreshold)) {
        options.storm_threshold = static_cast<unsigned>(*v);
      }
    } else if (e.key == "dpc_time_limit_us") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxU64)) {
        options.dpc_time_limit_us = *v;
      }
    } else if (e.key == "threaded_dpcs") {
      if (auto v = ReadBool(reader, e.value, what)) options.threaded_dpcs = *v;
    } else if (e.key == "inactive_interrupts") {
      if (auto v = ReadChoice(reader, e.value, what, {"deliver", "drop", "bugcheck"})) {
        options.inactive_interrupts = static_cast<MachineOptions::InactiveInterrupts>(*v);
      }
    } else if (e.key == "call_history") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxCallHistory)) {
        options.call_history = static_cast<unsigned>(*v);
      }
    } else if (e.key == "schedule") {
      ReadSchedule(reader, e.value, options.schedule);
    }
  }
}

std::optional<double> ReadProbability(Reader& reader, const YAML::Node& node) {
  std::optional<std::string> text = ReadScalar(reader, node, "'probability'", "a number");
  if (!text) return std::nullopt;
  const std::optional<double> value = ParseDecimal(*text);
  if (!value || !(*value >= 0.0 && *value <= 1.0)) {
    reader.Error(node, fmt::format("expected a probability from 0 to 1 for 'probability', got {}",
                                   Describe(node)));
    return std::nullopt;
  }
  return *value;
}

// A pool tag as reports and the debugger show it: four characters, the first the tag's low byte
// ("NcRx" for the driver's 'xRcN').
std::optional<std::uint32_t> ReadTag(Reader& reader, const YAML::Node& node) {
  std::optional<std::string> text = ReadScalar(reader, node, "'tag'", "a pool tag");
  if (!text) return std::nullopt;
  const bool printable = std::all_of(text->begin(), text->end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  if (text->size() != 4 || !printable) {
    reader.Error(node, fmt::format("expected a pool tag of 4 characters for 'tag', as reports "
                                   "show it (first character = low byte), got {}",
                                   Describe(node)));
    return std::nullopt;
  }
  std::uint32_t tag = 0;
  for (int i = 3; i >= 0; --i) tag = (tag << 8) | static_cast<unsigned char>((*text)[i]);
  return tag;
}

// Machine::InjectFault would refuse the routine once the run started: said here, before anything
// runs, with the closest name a fault may have.
bool CheckFaultRoutine(Reader& reader, const YAML::Node& node, const std::string& name) {
  const std::vector<std::string>& known = FaultRoutines();
  if (std::find(known.begin(), known.end(), name) != known.end()) return true;
  const std::string close = ClosestMatch(name, known);
  reader.Error(node, close.empty()
                         ? fmt::format("no fault can be injected into '{}' (faults apply to {})",
                                       name, JoinOr(known))
                         : fmt::format("no fault can be injected into '{}' (did you mean '{}'?)",
                                       name, close));
  return false;
}

std::optional<FaultSpec> ReadFault(Reader& reader, const YAML::Node& node) {
  static const std::vector<std::string> kKeys{"routine", "status",      "nth",
                                              "count",   "probability", "tag"};
  MapReader map(reader, node, "a fault", &kKeys);
  if (!map.ok()) return std::nullopt;
  FaultSpec spec{reader.Where(node), {}};
  map.Require("routine");
  map.Require("status");
  std::optional<YAML::Node> routine;  // read: checked against the status and tag below
  std::optional<YAML::Node> status;
  std::optional<YAML::Node> tag;
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "routine") {
      if (auto v = ReadString(reader, e.value, what)) {
        spec.fault.routine = *v;
        if (CheckFaultRoutine(reader, e.value, *v)) routine = e.value;
      }
    } else if (e.key == "status") {
      if (auto v = ReadStatus(reader, e.value, what)) {
        spec.fault.status = *v;
        status = e.value;
      }
    } else if (e.key == "nth") {
      if (auto v = ReadUnsigned(reader, e.value, what, 1, kMaxU64)) spec.fault.nth = *v;
    } else if (e.key == "count") {
      if (auto v = ReadUnsigned(reader, e.value, what, 0, kMaxU64)) spec.fault.count = *v;
    } else if (e.key == "probability") {
      if (auto v = ReadProbability(reader, e.value)) spec.fault.probability = *v;
    } else if (e.key == "tag") {
      if (auto v = ReadTag(reader, e.value)) {
        spec.fault.tag = *v;
        tag = e.value;
      }
    }
  }
  if (routine && tag && spec.fault.tag != 0 && !FaultTakesTag(spec.fault.routine)) {
    reader.Error(*tag, fmt::format("a fault's 'tag' narrows a pool allocator's faults to one "
                                   "tag; {} allocates no pool",
                                   spec.fault.routine));
  }
  // NT_SUCCESS: success and informational statuses, the ones with the sign bit clear.
  if (routine && status && FaultReturnsStatus(spec.fault.routine) && spec.fault.status >= 0) {
    reader.Error(*status,
                 fmt::format("a fault's 'status' must make {} fail, got {}, which NT_SUCCESS "
                             "accepts; Windows never returns success without doing the work",
                             spec.fault.routine, Describe(*status)));
  }
  return spec;
}

std::vector<FaultSpec> ReadFaults(Reader& reader, const YAML::Node& node) {
  std::vector<FaultSpec> faults;
  if (!node.IsSequence()) {
    reader.Error(node, fmt::format("expected a list for 'faults', got {}", Describe(node)));
    return faults;
  }
  for (const YAML::Node& item : node) {
    if (auto fault = ReadFault(reader, item)) faults.push_back(std::move(*fault));
  }
  return faults;
}

// Every device a step or expectation names must be declared; one device must be the driver's.
void CheckDevices(Context& context, const std::vector<DeviceSpec>& devices,
                  const YAML::Node& node) {
  std::vector<std::string> names;
  bool driver_device = false;
  for (const DeviceSpec& device : devices) {
    names.push_back(device.config.name);
    driver_device = driver_device || !device.foreign;
  }
  if (!devices.empty() && !driver_device) {
    context.reader.Error(node, "every device is foreign; the driver needs one of its own");
  }
  for (const auto& [name, where] : context.device_uses) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    const std::string close = ClosestMatch(name, names);
    context.reader.Error(where, close.empty() ? fmt::format("unknown device '{}' (declared: {})",
                                                            name, JoinOr(names))
                                              : fmt::format("unknown device '{}' (did you mean "
                                                            "'{}'?)",
                                                            name, close));
  }
}

}  // namespace

Scenario BuildScenario(Context& context, const YAML::Node& root) {
  static const std::vector<std::string> kKeys{"scenario", "description", "driver",  "os",
                                              "machine",  "devices",     "service", "faults",
                                              "steps",    "expect"};
  Reader& reader = context.reader;
  Scenario scenario;
  scenario.where = reader.Where(root);
  scenario.service.where = scenario.where;
  scenario.driver_where = scenario.where;
  scenario.name = std::filesystem::path(reader.file()).stem().string();
  scenario.os.assign(AllOs().begin(), AllOs().end());
  MapReader map(reader, root, "the scenario", &kKeys);
  if (!map.ok()) {
    context.driver_known = false;
    return scenario;
  }
  bool named = false;
  const MapEntry* devices = map.Require("devices");
  map.Require("steps");
  for (const MapEntry& e : map.entries()) {
    const std::string what = Quote(e.key);
    if (e.key == "scenario") {
      if (auto v = ReadString(reader, e.value, what)) {
        scenario.name = *v;
        if (!ValidName(*v)) {
          reader.Error(e.value, fmt::format("bad scenario name {} (allowed: {})", Describe(e.value),
                                            kNameRule));
        }
      }
      named = true;
    } else if (e.key == "description") {
      if (auto v = ReadString(reader, e.value, what)) scenario.description = *v;
    } else if (e.key == "driver") {
      if (auto v = ReadString(reader, e.value, what)) {
        scenario.driver = *v;
        scenario.driver_where = reader.Where(e.value);
      } else {
        context.driver_known = false;
      }
    } else if (e.key == "os") {
      scenario.os = ReadOs(reader, e.value);
    } else if (e.key == "machine") {
      ReadMachine(reader, e.value, scenario.machine);
    } else if (e.key == "devices") {
      scenario.devices = ParseDevices(context, e.value);
    } else if (e.key == "service") {
      if (auto service = ReadServiceRegistry(reader, e.value))
        scenario.service = std::move(*service);
    } else if (e.key == "faults") {
      scenario.faults = ReadFaults(reader, e.value);
    } else if (e.key == "steps") {
      scenario.steps = ParseSteps(context, e.value);
    } else if (e.key == "expect") {
      scenario.expect = ParseExpectationBlock(context, e.value, "'expect'");
    }
  }
  if (!named && !ValidName(scenario.name)) {
    reader.Error(Location{reader.file(), 0, 0},
                 fmt::format("the file name gives the scenario a bad name {} (allowed: {}); name "
                             "it with a 'scenario' key",
                             Quote(scenario.name), kNameRule));
  }
  if (devices != nullptr) CheckDevices(context, scenario.devices, devices->value);
  CheckProcessorSteps(reader, scenario);
  CheckLineAffinities(reader, scenario);
  CheckDeviceEventSteps(reader, scenario);
  CheckRegisterSteps(reader, scenario);
  return scenario;
}

}  // namespace kemu::scenario::internal
