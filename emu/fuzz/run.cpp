// kemu::fuzz::Run(): one decoded (or emitted and parsed) scenario with the target's adapter, its
// invariant checked after every driver call that returned, and the outcome judged.
#include <fmt/format.h>

#include <memory>
#include <utility>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/error.hpp"
#include "kemu/fuzz.hpp"

namespace kemu::fuzz {
namespace {

using scenario::ActionArgs;
using scenario::ActionInfo;
using scenario::DriverAdapter;

// What the run's adapter reports back to Run(): the first failed invariant and every start status.
struct RunRecord {
  std::string violation;
  std::vector<std::int32_t> start_statuses;
};

// Forwards to the target's adapter, records what Start returned and checks the invariant after
// Start, Stop and Act. The first failure is kept in the record and ends the run as a harness error
// (kemu::Error), which stops the steps the way a bug check does.
class CheckedAdapter : public DriverAdapter {
 public:
  CheckedAdapter(std::unique_ptr<DriverAdapter> inner, const FuzzTarget& target,
                 std::shared_ptr<RunRecord> record)
      : inner_(std::move(inner)), target_(target), record_(std::move(record)) {}

  Hardware* HardwareFor(const DeviceConfig& config) override { return inner_->HardwareFor(config); }
  // DriverEntry, which the scenario runner calls too: the fuzz run must load the driver alike.
  void Load(PUNICODE_STRING registry_path) override { inner_->Load(registry_path); }
  NTSTATUS Start(Device& device) override {
    const NTSTATUS status = inner_->Start(device);
    record_->start_statuses.push_back(status);
    Check(device, "start");
    return status;
  }
  void Stop(Device& device) override {
    inner_->Stop(device);
    Check(device, "stop");
  }
  std::vector<ActionInfo> Actions() const override { return inner_->Actions(); }
  void Act(const std::string& action, const ActionArgs& args, Device& device) override {
    inner_->Act(action, args, device);
    Check(device, action);
  }
  std::vector<std::string> Probes() const override { return inner_->Probes(); }
  std::int64_t Probe(const std::string& probe, Device& device) override {
    return inner_->Probe(probe, device);
  }

 private:
  void Check(Device& device, const std::string& after) {
    if (!target_.invariant) return;
    std::string failed = target_.invariant(*inner_, device);
    if (failed.empty()) return;
    record_->violation = fmt::format("after {}: {}", after, failed);
    throw Error("kemu fuzz: invariant failed " + record_->violation);
  }

  std::unique_ptr<DriverAdapter> inner_;
  const FuzzTarget& target_;
  std::shared_ptr<RunRecord> record_;
};

std::string CrashReason(const scenario::CrashSummary& crash) {
  std::string code = fmt::format("0x{:X}", crash.code);
  if (crash.code == bugcheck::kDriverVerifierDetectedViolation) {
    code += fmt::format("/0x{:X}", crash.parameters[0]);
  }
  return fmt::format("bug check {}{}{}", code, crash.name.empty() ? "" : " ", crash.name);
}

}  // namespace

Verdict Run(const FuzzTarget& target, const scenario::Scenario& scenario, Detail detail) {
  auto record = std::make_shared<RunRecord>();
  scenario::AdapterFactory factory;
  if (target.factory) {
    factory = [&target, record]() -> std::unique_ptr<DriverAdapter> {
      std::unique_ptr<DriverAdapter> inner = target.factory();
      if (inner == nullptr) return nullptr;
      return std::make_unique<CheckedAdapter>(std::move(inner), target, record);
    };
  }
  const Os os = scenario.os.empty() ? Os::kWindows10 : scenario.os.front();
  Verdict verdict;
  verdict.outcome = scenario::Run(
      scenario, os, factory, {.keep_trace = false, .observe = detail == Detail::kObservations});
  const std::optional<scenario::CrashSummary>& crash = verdict.outcome.crash;
  // A failed invariant stops the steps before anything else went wrong; a bug check after it can
  // only be Shutdown() finding what the unfinished program left behind, so the invariant is the
  // finding.
  if (!record->violation.empty()) {
    verdict.finding = true;
    verdict.reason = "invariant failed " + record->violation;
  } else if (crash && !(target.expected_crash && target.expected_crash(*crash))) {
    verdict.finding = true;
    verdict.reason = CrashReason(*crash);
  } else if (!crash && !verdict.outcome.error.empty()) {
    // Stopped by an error, not a bug check: most often the driver calls a routine this
    // personality lacks (kemu::MissingExport: it would not load there). The scenario runner fails
    // the emitted file the same way, so it is a finding. A failed start and an argument the
    // adapter refused are failures of the run but no error.
    verdict.finding = true;
    verdict.reason = "the run failed without a bug check: " + verdict.outcome.error;
  }
  verdict.start_statuses = std::move(record->start_statuses);
  return verdict;
}

}  // namespace kemu::fuzz
