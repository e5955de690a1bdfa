#include "model/bugcheck_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/schedule.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

std::string_view ModeName(const MachineOptions& options) {
  if (options.verifier) return "Driver Verifier on";
  return options.checked_build ? "checked kernel, verifier off" : "retail kernel, verifier off";
}

// The driver's last words: the tail of what it printed, which often says what it was doing.
void AppendDebugOutput(std::string_view output, std::string& out) {
  constexpr std::size_t kLines = 8;
  std::vector<std::string_view> lines;
  while (!output.empty()) {
    const std::size_t newline = output.find('\n');
    lines.push_back(output.substr(0, newline));
    output.remove_prefix(newline == std::string_view::npos ? output.size() : newline + 1);
  }
  if (lines.empty()) return;
  const std::size_t first = lines.size() > kLines ? lines.size() - kLines : 0;
  out += fmt::format("  Debug output (last {} of {} line{}):\n", lines.size() - first, lines.size(),
                     lines.size() == 1 ? "" : "s");
  for (std::size_t i = first; i < lines.size(); ++i) out += fmt::format("    | {}\n", lines[i]);
}

// The error log entries the driver wrote last: what it thought went wrong before the crash.
void AppendErrorLog(const std::vector<ErrorLogEntry>& entries, std::string& out) {
  constexpr std::size_t kEntries = 4;
  if (entries.empty()) return;
  const std::size_t first = entries.size() > kEntries ? entries.size() - kEntries : 0;
  out += fmt::format("  Error log (last {} of {} entr{}):\n", entries.size() - first,
                     entries.size(), entries.size() == 1 ? "y" : "ies");
  for (std::size_t i = first; i < entries.size(); ++i) {
    const ErrorLogEntry& entry = entries[i];
    out += fmt::format(
        "    | ErrorCode 0x{:08X} UniqueErrorValue 0x{:X} FinalStatus 0x{:08X} DumpData {} ULONG{} "
        "(vCPU {}, t={}us)\n",
        static_cast<std::uint32_t>(entry.error_code), entry.unique_error_value,
        static_cast<std::uint32_t>(entry.final_status), entry.dump_data.size(),
        entry.dump_data.size() == 1 ? "" : "s", entry.cpu, entry.time_100ns / 10);
  }
}

}  // namespace

std::string FormatReport(const Kernel& kernel, const verifier::Violation& violation) {
  std::string name(BugCheckName(violation.code));
  std::string out = fmt::format("*** kemu bug check 0x{:08X} {}\n", violation.code,
                                name.empty() ? "(unnamed)" : name);
  for (std::size_t i = 0; i < 4; ++i) {
    const char* meaning = violation.parameter_names[i];
    out += fmt::format("    Arg{}: 0x{:016x}{}{}\n", i + 1, violation.parameters[i],
                       meaning != nullptr ? "  " : "", meaning != nullptr ? meaning : "");
  }
  out += fmt::format("\n  {}\n\n", violation.summary);
  return out + FormatMachineContext(kernel);
}

std::size_t MachineContextOffset(std::string_view report) {
  // FormatReport ends the summary with a blank line, and FormatMachineContext starts here.
  return std::min(report.find("\n\n  Machine:"), report.size());
}

std::string FormatMachineContext(const Kernel& kernel) {
  const Personality& personality = kernel.personality();
  const MachineOptions& options = kernel.options();
  std::string out;
  out += fmt::format("  Machine: {} ({}.{}.{}{}{}), {} vCPU{}, {}\n", personality.display_name,
                     personality.major_version, personality.minor_version, personality.build_number,
                     personality.csd_version.empty() ? "" : " ", personality.csd_version,
                     kernel.processor_count(), kernel.processor_count() == 1 ? "" : "s",
                     ModeName(options));
  out += fmt::format("  Seed: {} (replay with KEMU_SEED={})\n", options.seed, options.seed);
  // An explored schedule is half of what reproduces the run: its strategy and seed (and PCT's
  // depth) give the same interleaving again.
  const ScheduleOptions& schedule = options.schedule;
  if (schedule.strategy != Strategy::kDefault) {
    out += fmt::format(
        "  Schedule: {} seed {}{} (replay with KEMU_SCHEDULE_STRATEGY={} KEMU_SCHEDULE={} in a "
        "kemu::testing fixture, or MachineOptions::schedule = {{.strategy = {}, .seed = {}{}}})\n",
        StrategyName(schedule.strategy), schedule.seed,
        schedule.strategy == Strategy::kPct ? fmt::format(", depth {}", schedule.depth) : "",
        StrategyName(schedule.strategy), schedule.seed,
        schedule.strategy == Strategy::kPct ? "kemu::Strategy::kPct" : "kemu::Strategy::kRandom",
        schedule.seed,
        schedule.strategy == Strategy::kPct ? fmt::format(", .depth = {}", schedule.depth) : "");
  }
  const auto recent = kernel.trace().RecentCalls();
  if (!recent.empty()) {
    // #n is the event's number in the trace (which also numbers IRQL changes, locks, ...), so a
    // line here can be found in the exported timeline.
    out += fmt::format("  Last kernel calls, oldest first ({} in all; #n = trace event):\n",
                       kernel.trace().calls());
    for (const TraceEvent& call : recent) {
      out += fmt::format("    #{:<5} vCPU{} IRQL {:>2}  t={}us  {}\n", call.sequence, call.cpu,
                         call.irql, call.time_100ns / 10, Trace::Describe(call));
    }
  }
  AppendDebugOutput(kernel.debug_output(), out);
  AppendErrorLog(kernel.error_log().written(), out);
  return out;
}

}  // namespace kemu::model
