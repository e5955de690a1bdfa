// Decode(): fuzz bytes -> a scenario. The layout, one decision per byte (ByteReader folds each
// into its range, and past the end every decision is 0):
//   personality, processors 1..4, kernel mode, seed, schedule (strategy, seed, depth);
//   the driver device's interrupt (line or none, mode, sharing, DIRQL, MSI request and grant);
//   foreign devices (how many, each shared with the driver's line or on its own);
//   faults (how many, each routine, status, nth, count, probability);
//   steps (how many, then per step an opcode and its operands).
// A small PnP and IRQL state machine keeps the program one a real system could produce: start
// only when stopped, stop only when started, driver calls and processor switches at
// PASSIVE_LEVEL, lower_irql only below the current level; the program ends at PASSIVE_LEVEL with
// the driver stopped. The harness thus never provokes a bug check itself; any it sees is the
// driver's.
#include <wdm.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "fuzz/byte_reader.hpp"
#include "kemu/fuzz.hpp"
#include "kemu/personality.hpp"

namespace kemu::fuzz {
namespace {

using internal::ByteReader;
using scenario::ActionInfo;
using scenario::Location;
using scenario::Scenario;
using scenario::Step;

constexpr std::uint32_t kDriverVector = 0x51;
constexpr std::uint32_t kForeignVector = 0x61;

// Statuses an injected fault returns (allocators and MmMapIoSpace return NULL whatever it is).
constexpr std::int32_t kFaultStatuses[] = {
    static_cast<std::int32_t>(0xC000009A),  // STATUS_INSUFFICIENT_RESOURCES
    static_cast<std::int32_t>(0xC000000D),  // STATUS_INVALID_PARAMETER
    static_cast<std::int32_t>(0xC00000BB),  // STATUS_NOT_SUPPORTED
    static_cast<std::int32_t>(0xC0000001),  // STATUS_UNSUCCESSFUL
};
// Exact in binary and in decimal, so an emitted scenario reads back the same value.
constexpr double kProbabilities[] = {1.0, 0.5, 0.25, 0.125};

// Every step kind, in opcode order; actions get several opcodes because they drive the driver.
enum class Op : std::uint8_t {
  kStart,
  kStop,
  kAction,
  kAction2,
  kAction3,
  kAction4,
  kEvent,
  kEventAfterCalls,
  kRaiseIrql,
  kLowerIrql,
  kRunDpcs,
  kProcessor,
  kStall,
  kAdvanceTime,
  kCount
};

std::string ScenarioName(const std::string& target) {
  std::string name;
  for (char c : target) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
    name += word ? c : '_';
  }
  if (name.empty() || name.front() == '.' || name.front() == '-') name.insert(0, "fuzz_");
  return name.substr(0, 90) + "_fuzz";
}

class Decoder {
 public:
  Decoder(const FuzzTarget& target, const std::vector<ActionInfo>& actions,
          std::span<const std::uint8_t> data)
      : target_(target), actions_(actions), in_(data) {}

  Scenario Decode() {
    scenario_.where = {"fuzz.yaml", 1, 1};
    scenario_.name = ScenarioName(target_.name);
    scenario_.description = "decoded from fuzz input";
    scenario_.driver = target_.name;
    Personality();
    Machine();
    Devices();
    Faults();
    Steps();
    return std::move(scenario_);
  }

 private:
  void Personality() {
    if (target_.personalities.empty()) {
      scenario_.os = {AllOs()[in_.Index(AllOs().size())]};
    } else {
      scenario_.os = {target_.personalities[in_.Index(target_.personalities.size())]};
    }
  }

  void Machine() {
    MachineOptions& m = scenario_.machine;
    m.processors = static_cast<unsigned>(in_.Range(1, 4));
    switch (in_.Index(3)) {
      case 0:
        m.verifier = true;
        break;
      case 1:
        m.verifier = false;
        m.checked_build = true;
        break;
      default:
        m.verifier = false;
        m.checked_build = false;
        break;
    }
    m.seed = in_.Byte();
    m.storm_threshold = std::max(1u, target_.storm_threshold);
    switch (in_.Index(3)) {
      case 0:
        m.schedule.strategy = Strategy::kDefault;
        break;
      case 1:
        m.schedule.strategy = Strategy::kRandom;
        break;
      default:
        m.schedule.strategy = Strategy::kPct;
        break;
    }
    if (m.schedule.strategy != Strategy::kDefault) {
      m.schedule.seed = in_.Byte();
      m.schedule.depth = static_cast<unsigned>(in_.Range(1, 4));
    }
  }

  void Devices() {
    scenario::DeviceSpec driver;
    driver.where = Here();
    driver.config = target_.device;
    driver.config.hardware = nullptr;
    if (driver.config.name.empty()) driver.config.name = "dev0";
    if (in_.Range(0, 7) != 0) {
      driver.config.line = LineInterrupt{
          .vector = kDriverVector,
          .irql = static_cast<std::uint8_t>(in_.Range(3, 11)),
          .mode = in_.Bool() ? Trigger::kEdge : Trigger::kLevel,
          .shared = in_.Bool(),
      };
    }
    driver.config.messages = static_cast<unsigned>(in_.Range(0, 8));
    driver.config.msix = driver.config.messages > 0 && in_.Bool();
    driver.config.grant_messages = std::nullopt;
    driver.config.withhold_msi = false;
    if (driver.config.messages > 0) {
      switch (in_.Index(4)) {
        case 1:
          driver.config.grant_messages = static_cast<unsigned>(in_.Range(0, 2));
          break;
        case 2:
          driver.config.withhold_msi = true;
          break;
        default:
          break;
      }
    }
    scenario_.devices.push_back(driver);

    const unsigned foreign = static_cast<unsigned>(in_.Range(0, target_.max_foreign_devices));
    for (unsigned i = 0; i < foreign; ++i) {
      scenario::DeviceSpec other;
      other.where = Here();
      other.foreign = true;
      other.config.name = "other" + std::to_string(i);
      const std::optional<LineInterrupt>& line = scenario_.devices.front().config.line;
      if (line && line->shared && in_.Bool()) {
        other.config.line = *line;  // on the driver's line: its ISR decides whose interrupt
      } else {
        other.config.line = LineInterrupt{
            .vector = kForeignVector + i,
            .irql = static_cast<std::uint8_t>(in_.Range(3, 11)),
            .mode = in_.Bool() ? Trigger::kEdge : Trigger::kLevel,
        };
      }
      scenario_.devices.push_back(other);
    }
  }

  void Faults() {
    if (target_.fault_routines.empty()) return;
    const std::size_t count = in_.Range(0, 3);
    for (std::size_t i = 0; i < count; ++i) {
      scenario::FaultSpec spec;
      spec.where = Here();
      spec.fault.routine = target_.fault_routines[in_.Index(target_.fault_routines.size())];
      spec.fault.status = kFaultStatuses[in_.Index(std::size(kFaultStatuses))];
      spec.fault.nth = in_.Range(1, 8);
      spec.fault.count = in_.Range(0, 3);
      spec.fault.probability = kProbabilities[in_.Index(std::size(kProbabilities))];
      scenario_.faults.push_back(spec);
    }
  }

  void Steps() {
    const std::size_t count = in_.Range(0, target_.max_steps);
    scenario_.steps.reserve(count + 2);  // steps are large; a fuzzer decodes every input
    for (std::size_t i = 0; i < count; ++i) OneStep();
    if (irql_ != PASSIVE_LEVEL) Add("lower_irql", scenario::IrqlStep{.raise = false, .irql = 0});
    if (started_) Add("stop", scenario::StopStep{});
  }

  void OneStep() {
    const auto op = static_cast<Op>(in_.Byte() % static_cast<std::uint8_t>(Op::kCount));
    const bool passive = irql_ == PASSIVE_LEVEL;
    switch (op) {
      case Op::kStart:
        if (!started_ && passive) {
          started_ = true;
          return Add("start", scenario::StartStep{});
        }
        break;
      case Op::kStop:
        if (started_ && passive) {
          started_ = false;
          return Add("stop", scenario::StopStep{});
        }
        break;
      case Op::kAction:
      case Op::kAction2:
      case Op::kAction3:
      case Op::kAction4:
        if (started_ && passive && !actions_.empty()) return Action();
        break;
      case Op::kEvent:
      case Op::kEventAfterCalls:
        if (Event(op == Op::kEventAfterCalls)) return;
        break;
      case Op::kRaiseIrql:
        if (irql_ < DISPATCH_LEVEL) {
          irql_ = static_cast<std::uint8_t>(in_.Range(irql_ + 1, DISPATCH_LEVEL));
          return Add("raise_irql", scenario::IrqlStep{.raise = true, .irql = irql_});
        }
        break;
      case Op::kLowerIrql:
        if (!passive) {
          irql_ = static_cast<std::uint8_t>(in_.Range(PASSIVE_LEVEL, irql_ - 1));
          return Add("lower_irql", scenario::IrqlStep{.raise = false, .irql = irql_});
        }
        break;
      case Op::kProcessor:
        if (passive && scenario_.machine.processors > 1) {
          const auto cpu = static_cast<unsigned>(in_.Index(scenario_.machine.processors));
          return Add("processor", scenario::ProcessorStep{.processor = cpu});
        }
        break;
      case Op::kStall:
        return Add("stall_us", scenario::StallStep{static_cast<std::uint32_t>(in_.Range(1, 200))});
      case Op::kAdvanceTime:
        if (passive) {
          const auto us = static_cast<std::uint32_t>(in_.Range(1, 2000));
          return Add("advance_time", scenario::AdvanceTimeStep{us});
        }
        break;
      case Op::kRunDpcs:
      case Op::kCount:
        break;
    }
    // Not possible in this state: drain DPCs, which is always possible.
    Add("run_dpcs", scenario::RunDpcsStep{});
  }

  void Action() {
    const ActionInfo& info = actions_[in_.Index(actions_.size())];
    std::map<std::string, std::string> values;
    for (const std::string& parameter : info.parameters) {
      std::uint64_t min = 0;
      std::uint64_t max = 15;
      for (const ArgumentRange& range : target_.arguments) {
        if (range.action == info.name && range.parameter == parameter) {
          min = range.min;
          max = std::max(range.min, range.max);
        }
      }
      values[parameter] = std::to_string(in_.Range(min, max));
    }
    const Location where = Here();
    Add(info.name, scenario::ActionStep{.name = info.name,
                                        .device = "",
                                        .args = scenario::ActionArgs(where, std::move(values))});
  }

  // A line or message event on a foreign device, or on the driver's own when the target allows.
  bool Event(bool after_calls) {
    const std::size_t first = target_.raw_events_on_driver_device ? 0 : 1;
    if (scenario_.devices.size() <= first) return false;
    const std::size_t index = first + in_.Index(scenario_.devices.size() - first);
    const scenario::DeviceSpec& device = scenario_.devices[index];
    scenario::DeviceEventStep event;
    event.device = device.config.name;
    const unsigned granted = device.foreign ? 0 : GrantedMessages(device.config);
    if (!device.config.line && granted == 0) return false;
    static constexpr const char* kWords[] = {"assert", "deassert", "pulse", "message"};
    std::size_t kind = in_.Index(granted > 0 ? 4 : 3);
    if (!device.config.line) kind = 3;  // a message-only device
    event.action = static_cast<DeviceAction>(kind);
    if (event.action == DeviceAction::kSignalMessage) {
      event.message_id = static_cast<std::uint32_t>(in_.Index(granted));
    }
    if (after_calls) event.after_calls = in_.Range(1, 8);
    Add(kWords[kind], std::move(event));
    return true;
  }

  // Messages the PnP manager grants the device on the chosen personality (DeviceConfig's rules):
  // a message event names only those, since signalling another is a harness error.
  unsigned GrantedMessages(const DeviceConfig& config) const {
    const kemu::Personality& personality = GetPersonality(scenario_.os.front());
    if (config.messages == 0 || !personality.supports_msi || config.withhold_msi) return 0;
    unsigned granted = config.messages > personality.max_messages ? 1 : config.messages;
    if (config.grant_messages) granted = std::min(granted, *config.grant_messages);
    return granted;
  }

  Location Here() const { return {"fuzz.yaml", static_cast<int>(scenario_.steps.size()) + 1, 1}; }

  void Add(std::string keyword, scenario::StepBody body) {
    scenario_.steps.push_back(Step{Here(), std::move(keyword), std::move(body)});
  }

  const FuzzTarget& target_;
  const std::vector<ActionInfo>& actions_;
  ByteReader in_;
  Scenario scenario_;
  bool started_ = false;
  std::uint8_t irql_ = PASSIVE_LEVEL;
};

}  // namespace

std::vector<ActionInfo> TargetActions(const FuzzTarget& target) {
  if (!target.factory) return {};
  const std::unique_ptr<scenario::DriverAdapter> adapter = target.factory();
  return adapter != nullptr ? adapter->Actions() : std::vector<ActionInfo>{};
}

Scenario Decode(const FuzzTarget& target, const std::vector<ActionInfo>& actions,
                std::span<const std::uint8_t> data) {
  return Decoder(target, actions, data).Decode();
}

Scenario Decode(const FuzzTarget& target, std::span<const std::uint8_t> data) {
  return Decode(target, TargetActions(target), data);
}

}  // namespace kemu::fuzz
