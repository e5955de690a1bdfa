// EmitScenario(): a scenario as YAML in the format scenarios/README.md describes, written so that
// the parser reads back the same machine, devices, faults and steps. It covers everything Decode()
// produces; `expect:` steps and `registers:` blocks, which it never produces, become comments.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "kemu/bugcheck.hpp"
#include "kemu/fuzz.hpp"
#include "kemu/schedule.hpp"

namespace kemu::fuzz {
namespace {

using scenario::Scenario;

// A name or a decimal number as written; anything else as a YAML single-quoted scalar (quotes
// doubled), so no text can change the document's structure or read as a boolean or null.
std::string Quoted(const std::string& text) {
  const auto plain_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  static constexpr const char* kReserved[] = {"true", "false", "null", "yes", "no",
                                              "on",   "off",   "y",    "n",   "~"};
  bool plain = !text.empty() && text.front() != '.' && text.front() != '-' &&
               std::all_of(text.begin(), text.end(), plain_char);
  for (const char* word : kReserved) {
    std::string lower;
    for (char c : text) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == word) plain = false;
  }
  if (plain) return text;
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string Status(std::int32_t status) {
  return fmt::format("0x{:08X}", static_cast<std::uint32_t>(status));
}

// "{device: other0, after_calls: 3}" from the pairs given, "" when there are none.
std::string FlowMap(const std::vector<std::pair<std::string, std::string>>& entries) {
  if (entries.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i != 0) out += ", ";
    out += entries[i].first + ": " + entries[i].second;
  }
  return out + "}";
}

class StepWriter {
 public:
  // `statuses`: what the driver's start steps returned in the run being written, in order.
  StepWriter(std::string& out, const Scenario& s, const std::vector<std::int32_t>& statuses)
      : out_(out), scenario_(s), statuses_(statuses) {}

  void operator()(const scenario::StartStep& step) {
    std::vector<std::pair<std::string, std::string>> args;
    if (!step.device.empty()) args.emplace_back("device", Quoted(step.device));
    std::optional<std::int32_t> status = step.status;
    if (!Foreign(step.device) && starts_ < statuses_.size()) status = statuses_[starts_++];
    if (status) args.emplace_back("status", Status(*status));
    Line("start", FlowMap(args));
  }
  void operator()(const scenario::StopStep& step) {
    Line("stop", step.device.empty() ? "" : Quoted(step.device));
  }
  void operator()(const scenario::ActionStep& step) {
    std::vector<std::pair<std::string, std::string>> args;
    if (!step.device.empty()) args.emplace_back("device", Quoted(step.device));
    for (const auto& [name, value] : step.args.values()) {
      // The scalar form's value (stored under "") goes to the first parameter, as written.
      if (name.empty()) return Line(step.name, Quoted(value));
      args.emplace_back(name, Quoted(value));
    }
    Line(step.name, FlowMap(args));
  }
  void operator()(const scenario::DeviceEventStep& step) {
    static constexpr const char* kWords[] = {"assert", "deassert", "pulse", "message"};
    std::vector<std::pair<std::string, std::string>> args;
    if (step.action == DeviceAction::kSignalMessage) {
      args.emplace_back("id", std::to_string(step.message_id));
    }
    if (!step.device.empty()) args.emplace_back("device", Quoted(step.device));
    if (step.after_calls) args.emplace_back("after_calls", std::to_string(*step.after_calls));
    if (step.at_us) args.emplace_back("at_us", std::to_string(*step.at_us));
    Line(kWords[static_cast<int>(step.action)], FlowMap(args));
  }
  void operator()(const scenario::RegisterStep& step) {
    std::vector<std::pair<std::string, std::string>> args;
    if (!step.device.empty()) args.emplace_back("device", Quoted(step.device));
    args.emplace_back("register", fmt::format("0x{:X}", step.offset));
    const bool poke = step.kind == scenario::RegisterStep::Kind::kPoke;
    args.emplace_back(poke ? "value" : "bits", fmt::format("0x{:X}", step.value));
    const char* word = poke                                                ? "poke"
                       : step.kind == scenario::RegisterStep::Kind::kRaise ? "raise"
                                                                           : "clear";
    Line(word, FlowMap(args));
  }
  void operator()(const scenario::IrqlStep& step) {
    Line(step.raise ? "raise_irql" : "lower_irql", std::to_string(step.irql));
  }
  void operator()(const scenario::ProcessorStep& step) {
    Line("processor", std::to_string(step.processor));
  }
  void operator()(const scenario::BusyProcessorStep& step) {
    Line("busy_processor", FlowMap({{"processor", std::to_string(step.processor)},
                                    {"irql", std::to_string(step.irql)}}));
  }
  void operator()(const scenario::ReleaseProcessorStep& step) {
    Line("release_processor", std::to_string(step.processor));
  }
  void operator()(const scenario::RunDpcsStep&) { Line("run_dpcs", ""); }
  void operator()(const scenario::NmiStep&) { Line("nmi", ""); }
  void operator()(const scenario::SettleStep&) { Line("settle", ""); }
  void operator()(const scenario::StallStep& step) {
    Line("stall_us", std::to_string(step.microseconds));
  }
  void operator()(const scenario::AdvanceTimeStep& step) {
    Line("advance_time", std::to_string(step.microseconds));
  }
  void operator()(const scenario::ExpectStep&) {
    out_ += "  # (an expect: step here is not written out)\n";
  }

 private:
  void Line(const std::string& keyword, const std::string& value) {
    out_ += value.empty() ? fmt::format("  - {}\n", keyword)
                          : fmt::format("  - {}: {}\n", keyword, value);
  }

  bool Foreign(const std::string& name) const {
    for (const scenario::DeviceSpec& device : scenario_.devices) {
      if (device.config.name == name) return device.foreign;
    }
    return false;  // "": the driver device
  }

  std::string& out_;
  const Scenario& scenario_;
  const std::vector<std::int32_t>& statuses_;
  std::size_t starts_ = 0;
};

void WriteMachine(const MachineOptions& m, std::string& out) {
  out += "machine:\n";
  out += fmt::format("  processors: {}\n", m.processors);
  out += fmt::format("  verifier: {}\n", m.verifier);
  out += fmt::format("  checked_build: {}\n", m.checked_build);
  out += fmt::format("  seed: {}\n", m.seed);
  out += fmt::format("  storm_threshold: {}\n", m.storm_threshold);
  out += fmt::format("  call_history: {}\n", m.call_history);
  out += fmt::format("  schedule: {{strategy: {}, seed: {}, depth: {}}}\n",
                     StrategyName(m.schedule.strategy), m.schedule.seed, m.schedule.depth);
}

void WriteDevice(const scenario::DeviceSpec& spec, std::string& out) {
  const DeviceConfig& d = spec.config;
  out += fmt::format("  - name: {}\n", Quoted(d.name));
  if (d.line) {
    out += fmt::format("    line: {{vector: 0x{:X}, irql: {}, mode: {}, shared: {}", d.line->vector,
                       d.line->irql, d.line->mode == Trigger::kEdge ? "edge" : "level",
                       d.line->shared);
    if (d.line->affinity != ~std::uint64_t{0}) {
      out += fmt::format(", affinity: 0x{:X}", d.line->affinity);
    }
    out += "}\n";
  }
  if (d.messages != 0) out += fmt::format("    messages: {}\n", d.messages);
  if (d.msix) out += "    msix: true\n";
  if (d.grant_messages) out += fmt::format("    grant_messages: {}\n", *d.grant_messages);
  if (d.withhold_msi) out += "    withhold_msi: true\n";
  if (d.memory_bytes != 0) out += fmt::format("    memory_bytes: 0x{:X}\n", d.memory_bytes);
  if (d.port_bytes != 0) out += fmt::format("    port_bytes: {}\n", d.port_bytes);
  if (spec.registers) out += "    # (a registers: block here is not written out)\n";
  if (spec.foreign) out += "    foreign: true\n";
}

std::string BugCheckValue(const scenario::CrashSummary& crash) {
  std::string value = fmt::format("0x{:X}", crash.code);
  // Parameter 1 only for 0xC4 (the verifier's sub-code); elsewhere it may be a host address.
  if (crash.code == bugcheck::kDriverVerifierDetectedViolation) {
    value += fmt::format("/0x{:X}", crash.parameters[0]);
  }
  return value;
}

}  // namespace

std::string EmitScenario(const Scenario& s, const Verdict* verdict) {
  const scenario::Outcome* outcome = verdict != nullptr ? &verdict->outcome : nullptr;
  static const std::vector<std::int32_t> kNoStatuses;
  std::string out = "# Written by kemu's fuzz target (include/kemu/fuzz.hpp).\n";
  if (outcome != nullptr) {
    if (outcome->crash) {
      out += fmt::format("# The fuzz run ended in bug check {} {} after {} step(s).\n",
                         BugCheckValue(*outcome->crash), outcome->crash->name, outcome->steps_run);
      if (!verdict->reason.empty()) out += "# Finding: " + verdict->reason + "\n";
      out +=
          "# The final expect names it, so this file passes while the bug is there: make it\n"
          "# `bugcheck: none` once the driver is fixed.\n";
    } else if (verdict->finding) {
      // A failure without a bug check (a routine the personality lacks): the runner fails the
      // file with the same message, before any expectation is checked.
      out += fmt::format("# The fuzz run failed after {} step(s) without a bug check.\n",
                         outcome->steps_run);
      out += "# Finding: " + verdict->reason + "\n";
      out +=
          "# The scenario runner fails this file the same way while the driver has the problem;\n"
          "# it passes once the driver is fixed.\n";
    } else {
      out +=
          fmt::format("# The fuzz run ran {} step(s) without a bug check.\n", outcome->steps_run);
    }
  }
  out += fmt::format("scenario: {}\n", Quoted(s.name));
  if (!s.description.empty()) out += fmt::format("description: {}\n", Quoted(s.description));
  if (!s.driver.empty()) out += fmt::format("driver: {}\n", Quoted(s.driver));
  std::string os;
  for (Os one : s.os) os += (os.empty() ? "" : ", ") + std::string(OsName(one));
  out += fmt::format("os: {}\n", os.empty() ? "all" : os);
  WriteMachine(s.machine, out);
  out += "devices:\n";
  for (const scenario::DeviceSpec& device : s.devices) WriteDevice(device, out);
  if (!s.faults.empty()) {
    out += "faults:\n";
    for (const scenario::FaultSpec& f : s.faults) {
      out += fmt::format("  - {{routine: {}, status: {}, nth: {}, count: {}, probability: {}}}\n",
                         Quoted(f.fault.routine), Status(f.fault.status), f.fault.nth,
                         f.fault.count, f.fault.probability);
    }
  }
  if (s.steps.empty()) {
    out += "steps: []\n";
  } else {
    out += "steps:\n";
    StepWriter writer(out, s, verdict != nullptr ? verdict->start_statuses : kNoStatuses);
    for (const scenario::Step& step : s.steps) std::visit(writer, step.body);
  }
  if (outcome != nullptr) {
    out += fmt::format("expect:\n  bugcheck: {}\n",
                       outcome->crash ? BugCheckValue(*outcome->crash) : "none");
  }
  return out;
}

}  // namespace kemu::fuzz
