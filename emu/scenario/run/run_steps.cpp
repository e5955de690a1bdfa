// One function per step kind. The runner calls WDK routines here exactly as a driver would, on the
// machine's thread; each step adds its observation line after whatever it caused.
#include <fmt/format.h>
#include <wdm.h>

#include <type_traits>
#include <variant>

#include "kemu/testing/ntstatus.hpp"
#include "scenario/run/session.hpp"

namespace kemu::scenario::internal {
namespace {

std::string Schedule(const DeviceEventStep& event) {
  if (event.after_calls) return fmt::format(" after_calls={}", *event.after_calls);
  if (event.at_us) return fmt::format(" at_us={}", *event.at_us);
  return "";
}

const char* EventWord(DeviceAction action) {
  switch (action) {
    case DeviceAction::kAssertLine:
      return "assert";
    case DeviceAction::kDeassertLine:
      return "deassert";
    case DeviceAction::kPulseLine:
      return "pulse";
    case DeviceAction::kSignalMessage:
      return "message";
  }
  return "?";
}

const char* RegisterWord(RegisterStep::Kind kind) {
  switch (kind) {
    case RegisterStep::Kind::kRaise:
      return "raise";
    case RegisterStep::Kind::kClear:
      return "clear";
    case RegisterStep::Kind::kPoke:
      return "poke";
  }
  return "?";
}

// The adapter's description of `name`, or nullptr (a name Validate() let through is the adapter's
// own business in Act()).
const ActionInfo* FindAction(const std::vector<ActionInfo>& actions, const std::string& name) {
  for (const ActionInfo& info : actions) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

// The scalar form `receive_frames: 3` reaches the parser without the action's parameter names, so
// it stores the value under ""; here, where the adapter is known, it becomes the first parameter
// (Validate() has already rejected a scalar for an action without parameters).
ActionArgs NamedArgs(const ActionStep& action, const ActionInfo* info) {
  auto scalar = action.args.values().find("");
  if (scalar == action.args.values().end() || info == nullptr || info->parameters.empty()) {
    return action.args;
  }
  std::map<std::string, std::string> values = action.args.values();
  values.erase("");
  values.emplace(info->parameters.front(), scalar->second);
  return ActionArgs(action.args.where(), std::move(values));
}

class StepRunner {
 public:
  StepRunner(Session& session, const Step& step) : s_(session), step_(step) {}

  void operator()(const StartStep& start) {
    DeviceSlot& slot = s_.Slot(start.device);
    if (slot.foreign != nullptr) {
      // kemu's foreign driver, not the driver under test: no status to check or remember.
      slot.foreign->Connect();
      s_.Observe("start {} (foreign)", slot.name());
      return;
    }
    const NTSTATUS status = s_.adapter().Start(*slot.device);
    slot.started = NT_SUCCESS(status);
    s_.outcome().start_status = status;
    if (s_.observing()) s_.Observe("start {} -> {}", slot.name(), StatusWord(status));
    if (start.status && status != *start.status) {
      s_.Fail(step_.where,
              fmt::format("start {}: expected {}, got {}", slot.name(),
                          testing::FormatNtStatus(*start.status), testing::FormatNtStatus(status)));
    } else if (!start.status && !NT_SUCCESS(status)) {
      s_.Fail(step_.where, fmt::format("start {}: expected a success status, got {}", slot.name(),
                                       testing::FormatNtStatus(status)));
    }
  }

  void operator()(const StopStep& stop) {
    DeviceSlot& slot = s_.Slot(stop.device);
    if (slot.foreign != nullptr) {
      slot.foreign->Disconnect();
      s_.Observe("stop {} (foreign)", slot.name());
      return;
    }
    s_.adapter().Stop(*slot.device);
    slot.started = false;
    s_.Observe("stop {}", slot.name());
  }

  void operator()(const ActionStep& action) {
    DeviceSlot& slot = s_.Slot(action.device);
    const ActionInfo* info = FindAction(s_.actions(), action.name);
    const ActionArgs args = NamedArgs(action, info);
    std::string line;
    if (s_.observing()) {
      line = action.name + " " + slot.name();
      for (const auto& [name, value] : args.values()) {
        if (name == "device") continue;
        line += ' ';
        line += name;
        line += '=';
        line += value;
      }
    }
    if (!slot.started && info != nullptr && info->needs_started) {
      s_.Observe("{} (not sent: {} is not started)", line, slot.name());
      return;
    }
    s_.adapter().Act(action.name, args, *slot.device);
    s_.Observe(std::move(line));
  }

  void operator()(const DeviceEventStep& event) {
    DeviceSlot& slot = s_.Slot(event.device);
    Device& device = *slot.device;
    if (event.after_calls) {
      device.ScheduleAfterCalls(*event.after_calls, event.action, event.message_id);
    } else if (event.at_us) {
      device.ScheduleAt(*event.at_us, event.action, event.message_id);
    } else {
      device.Perform(event.action, event.message_id);
    }
    if (!s_.observing()) return;
    const std::string id =
        event.action == DeviceAction::kSignalMessage ? fmt::format(" {}", event.message_id) : "";
    s_.Observe("{} {}{}{}", EventWord(event.action), slot.name(), id, Schedule(event));
  }

  void operator()(const RegisterStep& step) {
    DeviceSlot& slot = s_.Slot(step.device);
    RegisterFile& registers = s_.Registers(slot);
    switch (step.kind) {
      case RegisterStep::Kind::kRaise:
        registers.Raise(step.offset, step.value);
        break;
      case RegisterStep::Kind::kClear:
        registers.Clear(step.offset, step.value);
        break;
      case RegisterStep::Kind::kPoke:
        registers.Poke(step.offset, step.value);
        break;
    }
    s_.Observe("{} {} {:#05x} {:#010x}", RegisterWord(step.kind), slot.name(), step.offset,
               step.value);
  }

  void operator()(const IrqlStep& step) {
    if (step.raise) {
      KIRQL old = PASSIVE_LEVEL;
      KeRaiseIrql(step.irql, &old);
      (void)old;  // the scenario names the level to lower to itself
    } else {
      KeLowerIrql(step.irql);
    }
    s_.Observe("{} {}", step.raise ? "raise_irql" : "lower_irql", step.irql);
  }

  void operator()(const ProcessorStep& step) {
    s_.machine().SwitchToProcessor(step.processor);
    s_.Observe("processor {}", step.processor);
  }

  void operator()(const BusyProcessorStep& step) {
    s_.machine().KeepProcessorBusy(step.processor, step.irql);
    s_.Observe("busy_processor {} irql={}", step.processor, step.irql);
  }

  void operator()(const ReleaseProcessorStep& step) {
    // What waited there (DPCs queued on it, interrupts its IRQL masked) runs now, before the
    // observation line.
    s_.machine().ReleaseProcessor(step.processor);
    s_.Observe("release_processor {}", step.processor);
  }

  void operator()(const RunDpcsStep&) {
    s_.machine().RunPendingDpcs();
    s_.Observe("run_dpcs");
  }

  void operator()(const SettleStep&) {
    s_.machine().Settle();
    s_.Observe("settle");
  }

  void operator()(const NmiStep&) {
    s_.machine().RaiseNmi();
    s_.Observe("nmi");
  }

  void operator()(const StallStep& step) {
    KeStallExecutionProcessor(step.microseconds);
    s_.Observe("stall_us {}", step.microseconds);
  }

  void operator()(const AdvanceTimeStep& step) {
    s_.machine().AdvanceTime(step.microseconds);
    s_.Observe("advance_time {}", step.microseconds);
  }

  void operator()(const ExpectStep& step) {
    // Under an exploring schedule, work handed to another vCPU may still be in flight when the
    // script reaches an expectation; it checks the machine once that work is done. The default
    // schedule has run it already, and settling there could run DPCs a script expects to wait.
    // The counters the expectation reads are noted after the settle (audit round 15, Q3).
    if (s_.machine().options().schedule.strategy != Strategy::kDefault) s_.SettleAndNote();
    CheckExpectations(s_, step.block.For(s_.os()), step.block.where, /*final=*/false);
  }

 private:
  Session& s_;
  const Step& step_;
};

}  // namespace

void RunStep(Session& session, const Step& step) {
  std::visit(StepRunner(session, step), step.body);
}

}  // namespace kemu::scenario::internal
