// FormatDiff: how a driver's observable behaviour differs between two personalities (--diff).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "kemu/scenario/report.hpp"
#include "kemu/testing/ntstatus.hpp"
#include "scenario/report/line_diff.hpp"
#include "scenario/report/report_matrix.hpp"
#include "scenario/report/visible_text.hpp"

namespace kemu::scenario {
namespace {

std::string ConnectText(const Outcome& outcome) {
  return outcome.connection ? ConnectVersionName(outcome.connection->version) : "none";
}

std::string CrashText(const Outcome& outcome) {
  if (!outcome.crash) return "none";
  std::string text = internal::BugCheckCell(outcome);
  if (!outcome.crash->name.empty()) text += " " + outcome.crash->name;
  return text;
}

std::string StartText(const Outcome& outcome) {
  return outcome.start_status ? testing::FormatNtStatus(*outcome.start_status) : "none";
}

template <typename Field>
std::string CounterText(const Outcome& outcome, Field field) {
  return outcome.connection ? std::to_string((*outcome.connection).*field) : "-";
}

// "  isr calls: 3 vs 4" for each summary value that differs.
std::string SummaryDifferences(const Outcome& a, const Outcome& b) {
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> rows{
      {"connect version", {ConnectText(a), ConnectText(b)}},
      {"message count",
       {CounterText(a, &Connection::message_count), CounterText(b, &Connection::message_count)}},
      {"isr calls",
       {CounterText(a, &Connection::isr_calls), CounterText(b, &Connection::isr_calls)}},
      {"isr claimed",
       {CounterText(a, &Connection::isr_claimed), CounterText(b, &Connection::isr_claimed)}},
      {"dpcs requested",
       {CounterText(a, &Connection::dpcs_requested), CounterText(b, &Connection::dpcs_requested)}},
      {"bug check", {CrashText(a), CrashText(b)}},
      {"start status", {StartText(a), StartText(b)}},
  };
  std::string out;
  for (const auto& [what, values] : rows) {
    if (values.first != values.second) {
      out += fmt::format("  {}: {} vs {}\n", what, values.first, values.second);
    }
  }
  return out;
}

}  // namespace

std::string FormatDiff(const Outcome& a, const Outcome& b) {
  const std::string heading =
      a.scenario == b.scenario
          ? fmt::format("diff {}: {} vs {}", a.scenario, OsName(a.os), OsName(b.os))
          : fmt::format("diff {} vs {}", internal::RunName(a), internal::RunName(b));
  const std::string summary = SummaryDifferences(a, b);
  const internal::LineDiff lines = internal::DiffLines(a.observations, b.observations);
  const std::string hunks = internal::FormatHunks(lines, a.observations, b.observations);
  if (summary.empty() && hunks.empty()) {
    return internal::VisibleText(heading + ": no difference in observable behaviour\n");
  }
  std::string out = heading + "\n" + summary;
  if (!hunks.empty()) {
    out += fmt::format("--- {}\n+++ {}\n", OsName(a.os), OsName(b.os)) + hunks;
    if (!lines.aligned) {
      out += "  (too many observations to align; showing the first divergence only)\n";
    }
  }
  // Observations quote action arguments from the scenario file as written.
  return internal::VisibleText(out);
}

}  // namespace kemu::scenario
