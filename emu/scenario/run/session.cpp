// A run's life: hardware, machine, devices, faults and foreign drivers; the steps; shutdown and
// the final `expect:`. Every part that can crash the emulated system or hit a harness error runs
// under Guard(), so nothing but std::bad_alloc leaves Run().
#include "scenario/run/session.hpp"

#include <fmt/format.h>

#include <new>

#include "kemu/error.hpp"
#include "kemu/scenario/parser.hpp"
#include "scenario/run/register_spec.hpp"

namespace kemu::scenario::internal {

Session::Session(const Scenario& scenario, Os os, DriverAdapter& adapter, const RunOptions& options,
                 Outcome& outcome)
    : scenario_(scenario), os_(os), adapter_(adapter), options_(options), outcome_(outcome) {}

// Finish() has shut the machine down (or it crashed), so its destructor reports no leaks.
Session::~Session() = default;

void Session::Play() {
  if (!BuildHardware()) return;
  if (StartMachine()) PlaySteps();
  Finish();
}

void Session::Fail(const Location& where, std::string message) {
  outcome_.failures.push_back({where, std::move(message)});
}

bool Session::Guard(const Location& where, const std::function<void()>& body) {
  try {
    body();
    return true;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const BugCheck& crash) {
    RecordCrash(crash, where);
  } catch (const ScenarioError& error) {
    // A bad action argument: the diagnostics carry the step's location already.
    for (const Diagnostic& diagnostic : error.diagnostics()) {
      Fail(diagnostic.where, diagnostic.message);
    }
    harness_error_ = true;
  } catch (const std::exception& error) {
    Fail(where, error.what());
    if (outcome_.error.empty()) outcome_.error = error.what();
    harness_error_ = true;
  }
  return false;
}

void Session::RecordCrash(const BugCheck& crash, const Location& where) {
  // A crashed machine raises the same bug check on every later kernel call; the first is the one.
  if (outcome_.crash) return;
  outcome_.crash = CrashSummary{.code = crash.code(),
                                .parameters = crash.parameters(),
                                .name = std::string(crash.name()),
                                .report = crash.report()};
  crash_where_ = where;
  // Parameter 1 only for 0xC4, where it is the verifier's sub-code; elsewhere it can be a host
  // address, which would make identical runs differ.
  if (!observing()) return;
  std::string line = "bugcheck " + FormatBugCheckCode(crash.code());
  if (crash.code() == bugcheck::kDriverVerifierDetectedViolation) {
    line += fmt::format("/0x{:X}", crash.parameter(0));
  }
  Observe(std::move(line));
}

const std::vector<ActionInfo>& Session::actions() {
  if (!actions_) actions_ = adapter_.Actions();
  return *actions_;
}

DeviceSlot& Session::Slot(const std::string& name) {
  if (name.empty()) {
    if (driver_slot_ == nullptr) {
      throw Error("the scenario has no driver device (every device is foreign)");
    }
    return *driver_slot_;
  }
  for (DeviceSlot& slot : slots_) {
    if (slot.name() == name) return slot;
  }
  throw Error("unknown device '" + name + "'");
}

RegisterFile& Session::Registers(DeviceSlot& slot) {
  if (slot.registers == nullptr) throw Error("device " + slot.name() + " has no register file");
  return *slot.registers;
}

bool Session::BuildHardware() {
  slots_.reserve(scenario_.devices.size());
  bool ok = true;
  for (const DeviceSpec& spec : scenario_.devices) {
    DeviceSlot slot;
    slot.spec = &spec;
    slots_.push_back(slot);
    ok = Guard(spec.where, [&] { BuildDevice(spec); }) && ok;
  }
  for (DeviceSlot& slot : slots_) {
    if (!slot.spec->foreign) {
      driver_slot_ = &slot;
      break;
    }
  }
  return ok;
}

void Session::BuildDevice(const DeviceSpec& spec) {
  DeviceSlot& slot = slots_.back();
  Hardware* hardware = adapter_.HardwareFor(spec.config);
  if (hardware != nullptr && spec.registers) {
    throw Error("device " + spec.config.name +
                ": the driver adapter supplies its hardware model, so the scenario cannot give "
                "it registers:");
  }
  if (hardware != nullptr) {
    slot.registers = dynamic_cast<RegisterFile*>(hardware);
  } else if (std::unique_ptr<RegisterFile> file = BuildRegisterFile(spec)) {
    slot.registers = file.get();
    hardware = file.get();
    owned_files_.push_back(std::move(file));
  }
  if (hardware == nullptr) return;
  if (!observing()) {
    slot.hardware = hardware;  // the recorder only writes observation lines
    return;
  }
  recorders_.push_back(
      std::make_unique<RecordingHardware>(spec.config.name, *hardware, outcome_.observations));
  slot.hardware = recorders_.back().get();
}

bool Session::StartMachine() {
  MachineOptions machine_options = scenario_.machine;
  machine_options.os = os_;
  machine_options.seed = outcome_.seed;
  machine_options.schedule = outcome_.schedule;
  machine_options.on_bug_check = BugCheckAction::kThrow;
  machine_options.trace = options_.keep_trace;
  if (!Guard(scenario_.where, [&] { machine_ = std::make_unique<Machine>(machine_options); })) {
    return false;
  }
  for (DeviceSlot& slot : slots_) {
    DeviceConfig config = slot.spec->config;
    config.hardware = slot.hardware;
    if (!Guard(slot.spec->where, [&] { slot.device = &machine_->AddDevice(config); })) {
      return false;
    }
  }
  // Foreign ISRs before the faults: a fault counts calls from when it is armed and is meant for
  // the driver under test, not for kemu's own foreign driver. A foreign device that a `start`
  // step names connects at that step instead, so a scenario can choose the order of the ISRs on
  // a shared line (kemu calls them in connection order).
  for (DeviceSlot& slot : slots_) {
    if (!slot.spec->foreign) continue;
    foreign_.push_back(std::make_unique<ForeignDriver>(*slot.device));
    slot.foreign = foreign_.back().get();
    if (StartedByAStep(slot)) continue;
    if (!Guard(slot.spec->where, [&] { slot.foreign->Connect(); })) return false;
  }
  for (const FaultSpec& fault : scenario_.faults) {
    if (!Guard(fault.where, [&] { machine_->InjectFault(fault.fault); })) return false;
  }
  if (!LoadDriver()) return false;
  NoteConnections();
  return true;
}

bool Session::LoadDriver() {
  // The service key as the file wrote it, then DriverEntry through the adapter: after the faults
  // (they are meant for the driver, DriverEntry included), before the first step, as Windows
  // loads a driver before it starts a device.
  const std::wstring service = ServiceName(scenario_);
  return Guard(scenario_.service.where, [&] {
    Registry& registry = machine_->registry();
    for (const auto& [name, value] : scenario_.service.values.values()) {
      registry.Service(service).Set(name, value);
    }
    for (const auto& [name, value] : scenario_.service.parameters.values()) {
      registry.ServiceParameters(service).Set(name, value);
    }
    adapter_.Load(registry.RegistryPath(service));
  });
}

bool Session::StartedByAStep(const DeviceSlot& slot) const {
  for (const Step& step : scenario_.steps) {
    const auto* start = std::get_if<StartStep>(&step.body);
    if (start != nullptr && start->device == slot.name()) return true;
  }
  return false;
}

void Session::PlaySteps() {
  for (const Step& step : scenario_.steps) {
    ++outcome_.steps_run;
    const bool completed = Guard(step.where, [&] { RunStep(*this, step); });
    NoteConnections();
    if (!completed) break;
  }
}

void Session::Finish() {
  if (machine_ != nullptr) {
    // Not after a harness error: the run is abandoned, and the error may have left the vCPU above
    // PASSIVE_LEVEL (a driver call cut short), where the foreign driver's disconnect would add a
    // bug check of kemu's own making to the report (audit round 20, D3).
    for (auto& foreign : foreign_) {
      if (machine_->crashed() || harness_error_) break;
      Guard(scenario_.where, [&] { foreign->Disconnect(); });
    }
    // Leaks bug-check here; once shut down (or crashed) the Machine's destructor stays quiet.
    // After a harness error the steps that would have released things never ran, so what is
    // left is not the driver's bug: the run's failure is the error alone.
    if (harness_error_) {
      machine_->Abandon();
    } else {
      Guard(scenario_.where, [&] { machine_->Shutdown(); });
    }
  }
  if (!harness_error_) {
    const Expectations expected = scenario_.expect ? scenario_.expect->For(os_) : Expectations{};
    const Location& where = scenario_.expect ? scenario_.expect->where : scenario_.where;
    CheckExpectations(*this, expected, where, /*final=*/true);
  }
  if (machine_ != nullptr) {
    outcome_.virtual_time = machine_->InterruptTime();
    ObserveTotals();
    if (options_.keep_trace) outcome_.trace_json = machine_->TraceJson();
  }
}

}  // namespace kemu::scenario::internal
