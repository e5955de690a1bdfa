#include "model/kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "kemu/error.hpp"
#include "model/bugcheck_report.hpp"
#include "personality/exports.hpp"
#include "race/symbol_table.hpp"
#include "race/symbolize.hpp"

namespace kemu::model {
namespace {

// `bug_check`'s report with `nested` (the head of the report of a bug check a bug-check callback
// raised while the callbacks ran for it) after its own summary, before the machine's description.
kemu::BugCheck WithNestedReport(const kemu::BugCheck& bug_check, const std::string& nested) {
  std::string report = bug_check.report();
  std::string shown =
      "\n\n  A bug-check callback broke a rule while it ran, and kemu called no "
      "further callbacks:\n";
  std::size_t begin = 0;
  while (begin <= nested.size()) {  // each line indented once more
    const std::size_t end = std::min(nested.find('\n', begin), nested.size());
    const std::string line = nested.substr(begin, end - begin);
    shown += (line.empty() ? "  |" : "  | " + line) + "\n";
    begin = end + 1;
  }
  shown.pop_back();
  report.insert(MachineContextOffset(report), shown);
  return kemu::BugCheck(bug_check.code(), bug_check.parameters(), std::move(report));
}

}  // namespace

Kernel::Kernel(const MachineOptions& options)
    : options_(options),
      personality_(GetPersonality(options.os)),
      prng_(options.seed),
      trace_(options.call_history, options.trace ? options.trace_capacity : 0),
      verifier_(*this, options),
      irql_(*this),
      spin_locks_(*this, options.processors),
      ex_spin_locks_(*this, options.processors),
      dpcs_(*this, options.threaded_dpcs),
      devices_(*this),
      interrupts_(*this),
      io_space_(*this),
      faults_(prng_),
      pool_(*this),
      dispatcher_(*this),
      resources_(*this),
      timers_(*this),
      work_items_(*this),
      dma_adapters_(*this),
      lookasides_(*this),
      generic_calls_(*this),
      ipi_calls_(*this),
      affinity_(*this),
      error_log_(*this),
      bugcheck_callbacks_(*this),
      nmi_callbacks_(*this, options.processors),
      handles_(*this),
      registry_keys_(*this),
      system_threads_(*this),
      race_(*this, options.race_detection, options.processors),
      scheduler_(*this, options.schedule, options.processors) {
  for (std::size_t id = 0; id < callable_.size(); ++id) {
    callable_[id] = personality::IsCallable(
        personality::Info(static_cast<personality::ExportId>(id)), options.os);
  }
  special_pool_ = verifier_.mode() == verifier::CheckMode::kVerifier;
  // 2^62 calls take centuries, and a count added to it cannot wrap to Allotment::kNever.
  constexpr std::uint64_t kUnreachable = std::uint64_t{1} << 62;
  allotment_calls_ = options.dpc_time_limit_us == 0 || options.dpc_time_limit_us > kUnreachable
                         ? kUnreachable
                         : options.dpc_time_limit_us;
  cpus_.reserve(options.processors);
  for (unsigned i = 0; i < options.processors; ++i) cpus_.push_back(std::make_unique<Cpu>(i));
  SetCurrentProcessor(0);
}

Kernel::~Kernel() { scheduler_.Teardown(); }

unsigned Kernel::test_processor() const { return scheduler_.test_processor(); }

bool Kernel::exploring() const { return scheduler_.exploring(); }

void Kernel::QuietSchedulePoint() { scheduler_.QuietPoint(); }

std::string Kernel::DescribePoolAddress(std::uintptr_t address) const {
  return pool_.DescribeAddress(address);
}

std::string Kernel::MachineContext() const { return FormatMachineContext(*this); }

KAFFINITY Kernel::active_processors() const {
  return cpus_.size() >= 64 ? ~KAFFINITY{0} : (KAFFINITY{1} << cpus_.size()) - 1;
}

void Kernel::EndWith(std::exception_ptr failure) {
  if (crashed()) return;
  ended_ = std::move(failure);
  failed_ = ended_ != nullptr;
}

void Kernel::ThrowIfCrashed() const {
  if (crash_) throw *crash_;
  if (ended_) std::rethrow_exception(ended_);
}

std::string Kernel::RunningContext() const { return scheduler_.DescribeRunning(); }

namespace {

// " (CapDpcForIsr)": the driver routine by its symbol name, else by address; "" when unknown.
std::string RoutineSuffix(const void* routine) {
  if (routine == nullptr) return "";
  const std::string name = race::FunctionNameAt(reinterpret_cast<std::uintptr_t>(routine));
  return name.empty() ? fmt::format(" (routine at {})", routine) : fmt::format(" ({})", name);
}

}  // namespace

std::string Kernel::RunningCallback() const {
  std::string kind;
  const void* routine = nullptr;
  unsigned index = 0;
  // The calling vCPU first: it is the one whose callback made the call.
  for (unsigned n = 0; n < processor_count() && kind.empty(); ++n) {
    const unsigned i = (current_ + n) % processor_count();
    index = i;
    const Allotment& outermost = cpus_[i]->allotment;
    if (const void* nmi = nmi_callbacks_.running_routine(i)) {
      kind = "an NMI callback";  // it interrupted whatever ran there, ISRs included
      routine = nmi;
    } else if (const ConnectionRecord* isr = interrupts_.running_isr(i)) {
      kind = "an ISR";
      routine = isr->is_message_table ? reinterpret_cast<const void*>(isr->message_isr)
                                      : reinterpret_cast<const void*>(isr->isr);
    } else if (cpus_[i]->sync_depth > 0) {
      kind = "a KeSynchronizeExecution routine";
    } else if (cpus_[i]->dpc_depth > 0) {
      // The outermost routine's allotment names it while it runs (model/allotment.hpp); a
      // threaded DPC runs at PASSIVE_LEVEL, which is what a report about it must explain.
      const bool known = outermost.call_limit != Allotment::kNever && !outermost.isr;
      kind = known && outermost.threaded ? "a threaded DPC routine" : "a DPC routine";
      if (known) routine = outermost.routine;
    }
  }
  if (kind.empty()) return "";
  return fmt::format("{} on vCPU {} at IRQL {} on {}{}", kind, index, cpus_[index]->irql,
                     personality_.display_name, RoutineSuffix(routine));
}

std::string Kernel::DescribeCode(std::uintptr_t pc) const {
  if (pc == 0) return "";
  const auto names = race::NameCode({pc});
  const auto it = names.find(pc);
  return it != names.end() ? race::Describe(it->second) : "";
}

std::string Kernel::DescribeLock(std::uintptr_t lock) const {
  if (std::string connection = interrupts_.DescribeLock(lock); !connection.empty()) {
    return connection;
  }
  return pool_.DescribeAddress(lock);
}

void Kernel::EnterAfterFailure() {
  ThrowIfCrashed();
  // The first point after instrumented code found a race where an exception can be thrown.
  if (race_.pending()) race_.RaisePending();
}

void Kernel::AdvanceTime(std::uint64_t microseconds) {
  AdvanceTimeTo(clock_.now_100ns() + microseconds * 10);
}

void Kernel::AdvanceTimeTo(std::uint64_t target_100ns) {
  // Timers expire and scheduled device actions happen at their own times, in time order, so a
  // DPC reading the clock sees when it fired, and an interrupt due before a timeout is serviced
  // before the timeout's DPC runs (audit round 17, Y3: it came at the end of the jump). At the
  // same moment the device acts first.
  for (;;) {
    const std::optional<std::uint64_t> timer = timers_.NextDue();
    const std::optional<std::uint64_t> event = interrupts_.NextEventTime();
    std::optional<std::uint64_t> next;
    if (timer && *timer <= target_100ns) next = timer;
    if (event && *event <= target_100ns && (!next || *event <= *next)) next = event;
    if (!next) break;
    if (*next > clock_.now_100ns()) clock_.Advance100ns(*next - clock_.now_100ns());
    if (event && *event == *next) interrupts_.RunDueEvents();
    if (timer && *timer <= clock_.now_100ns()) timers_.ExpireDue();
  }
  if (target_100ns > clock_.now_100ns()) clock_.Advance100ns(target_100ns - clock_.now_100ns());
  CheckAllotment();
  interrupts_.RunDueEvents();
}

void Kernel::CheckAllotment() {
  Allotment& allotment = cpu().allotment;
  const std::uint64_t limit_us = options_.dpc_time_limit_us;
  if (allotment.call_limit == Allotment::kNever || limit_us == 0) return;  // no routine, or off
  const std::uint64_t used_us = AllotmentUsedUs(allotment);
  if (used_us > limit_us) {
    verifier_.RoutineOverran(allotment.routine, allotment.object, allotment.isr, allotment.threaded,
                             used_us, limit_us);
  }
  // At most allotment_calls_ ahead, so a limit near 2^64 cannot wrap the count.
  allotment.call_limit = trace_.calls() + std::min(limit_us - used_us, allotment_calls_);
}

void Kernel::ThrowNotModelled(std::string what) {
  const std::string called_from = RunningCallback();
  kemu::NotModelled not_modelled(std::move(what), called_from);
  if (!called_from.empty()) End(not_modelled);
  throw not_modelled;
}

void Kernel::NoteBugCheck(const verifier::Violation& violation) {
  const std::string_view name = BugCheckName(violation.code);
  // BugCheckName's names are string literals, so the trace may keep the pointer.
  Note(TraceKind::kBugCheck, name.empty() ? "BUGCHECK" : name.data(),
       {{"Code", violation.code},
        {"Arg1", violation.parameters[0]},
        {"Arg2", violation.parameters[1]},
        {"Arg3", violation.parameters[2]}});
}

kemu::BugCheck Kernel::MakeBugCheck(const verifier::Violation& violation) const {
  // An exception nothing handles in a system thread (a work item's worker thread or the driver's
  // own PsCreateSystemThread thread, not an ISR or DPC that interrupted it) is 0x7E
  // SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, not 0x1E: the same exception code, with the exception
  // and context records' addresses, which kemu has not (audit round 19, B-S4).
  const Cpu& running = cpu();
  verifier::Violation shown = violation;
  const bool system_thread =
      dispatcher_.InWorkerThread() ||
      system_threads_.IsLiveObject(reinterpret_cast<const void*>(dispatcher_.CurrentThread()));
  if (shown.code == bugcheck::kKmodeExceptionNotHandled && system_thread &&
      running.dispatching == 0 && running.dpc_depth == 0) {
    shown.code = bugcheck::kSystemThreadExceptionNotHandled;
    shown.parameters[2] = 0;
    shown.parameters[3] = 0;
    shown.parameter_names[2] = "exception record address (not available in kemu)";
    shown.parameter_names[3] = "context record address (not available in kemu)";
  }
  // A rule broken inside a bug-check callback: the report says which callback.
  if (const std::string& inside = bugcheck_callbacks_.running_callback(); !inside.empty()) {
    shown.summary += "\n  " + inside;
  }
  return kemu::BugCheck(shown.code, shown.parameters, FormatReport(*this, shown));
}

void Kernel::Throw(kemu::BugCheck bug_check) {
  // The machine stops: the driver's bug-check callbacks run first, while their kernel calls
  // (register and port accesses) still work.
  bugcheck_callbacks_.Run(bug_check.code());
  if (std::optional<std::string> nested = bugcheck_callbacks_.TakeNested()) {
    bug_check = WithNestedReport(bug_check, *nested);
  }
  crash_ = bug_check;
  failed_ = true;
  if (options_.on_bug_check == BugCheckAction::kAbort) {
    std::fputs(bug_check.what(), stderr);
    std::abort();
  }
  throw bug_check;
}

void Kernel::BugCheck(const verifier::Violation& violation) {
  NoteBugCheck(violation);
  kemu::BugCheck bug_check = MakeBugCheck(violation);
  if (options_.on_bug_check == BugCheckAction::kRecord) {
    recorded_.push_back(std::move(bug_check));
    return;
  }
  Throw(std::move(bug_check));
}

void Kernel::Crash(const verifier::Violation& violation) {
  NoteBugCheck(violation);
  kemu::BugCheck bug_check = MakeBugCheck(violation);
  if (options_.on_bug_check == BugCheckAction::kRecord) recorded_.push_back(bug_check);
  Throw(std::move(bug_check));
}

void Kernel::NoteRace(std::uintptr_t address, std::uint64_t size) {
  Note(TraceKind::kDataRace, "data race", {AddressArg("Address", address), {"Size", size}});
}

void Kernel::RaiseRace(const kemu::DataRace& race) {
  switch (options_.on_bug_check) {
    case BugCheckAction::kAbort:
      std::fputs(race.what(), stderr);
      std::abort();
    case BugCheckAction::kRecord:
      recorded_.push_back(race);
      return;
    case BugCheckAction::kThrow:
      break;
  }
  End(race);
}

void Kernel::AppendDebugOutput(const std::string& text) {
  debug_output_ += text;
  if (options_.echo_debug_print) std::fputs(text.c_str(), stderr);
}

}  // namespace kemu::model
