#include "model/kernel.hpp"

#include <cstdio>
#include <cstdlib>

#include "kemu/error.hpp"
#include "verifier/report.hpp"

namespace kemu::model {

Kernel::Kernel(const MachineOptions& options)
    : options_(options),
      personality_(GetPersonality(options.os)),
      prng_(options.seed),
      calls_(options.call_history),
      verifier_(*this),
      irql_(*this),
      spin_locks_(*this),
      dpcs_(*this),
      devices_(*this),
      interrupts_(*this),
      io_space_(*this),
      faults_(prng_) {
  cpus_.reserve(options.processors);
  for (unsigned i = 0; i < options.processors; ++i) cpus_.push_back(std::make_unique<Cpu>(i));
}

KAFFINITY Kernel::active_processors() const {
  return cpus_.size() >= 64 ? ~KAFFINITY{0} : (KAFFINITY{1} << cpus_.size()) - 1;
}

void Kernel::SwitchTo(unsigned index) {
  if (index >= cpus_.size()) {
    throw Error("kemu: no vCPU " + std::to_string(index) + " (the machine has " +
                std::to_string(cpus_.size()) + ")");
  }
  current_ = index;
}

void Kernel::EnterCall(const char* routine, std::initializer_list<CallArg> args) {
  if (crash_) throw *crash_;
  Record(routine, args);
  // Every kernel call is a point where a scheduled interrupt can land (DESIGN.md decision 5).
  interrupts_.RunDueEvents();
}

void Kernel::AdvanceTime(std::uint64_t microseconds) {
  clock_.AdvanceMicroseconds(microseconds);
  interrupts_.RunDueEvents();
}

void Kernel::Record(const char* routine, std::initializer_list<CallArg> args) {
  CallRecord record;
  record.sequence = calls_.total() + 1;
  record.cpu = current_;
  record.irql = cpu().irql;
  record.time_100ns = clock_.now_100ns();
  record.routine = routine;
  for (const CallArg& arg : args) {
    if (record.arg_count == record.args.size()) break;
    record.args[record.arg_count++] = arg;
  }
  calls_.Record(record);
}

void Kernel::NoteEvent(const char* what, std::initializer_list<CallArg> args) {
  Record(what, args);
}

kemu::BugCheck Kernel::MakeBugCheck(const verifier::Violation& violation) const {
  return kemu::BugCheck(violation.code, violation.parameters,
                        verifier::FormatReport(*this, violation));
}

void Kernel::Throw(kemu::BugCheck bug_check) {
  crash_ = bug_check;
  if (options_.on_bug_check == BugCheckAction::kAbort) {
    std::fputs(bug_check.what(), stderr);
    std::abort();
  }
  throw bug_check;
}

void Kernel::BugCheck(const verifier::Violation& violation) {
  kemu::BugCheck bug_check = MakeBugCheck(violation);
  if (options_.on_bug_check == BugCheckAction::kRecord) {
    recorded_.push_back(std::move(bug_check));
    return;
  }
  Throw(std::move(bug_check));
}

void Kernel::Crash(const verifier::Violation& violation) {
  kemu::BugCheck bug_check = MakeBugCheck(violation);
  if (options_.on_bug_check == BugCheckAction::kRecord) recorded_.push_back(bug_check);
  Throw(std::move(bug_check));
}

void Kernel::AppendDebugOutput(const std::string& text) {
  debug_output_ += text;
  if (options_.echo_debug_print) std::fputs(text.c_str(), stderr);
}

}  // namespace kemu::model
