// Plain-text reports for a terminal: a progress line per run and the aligned matrix.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kemu/scenario/report.hpp"
#include "scenario/report/report_matrix.hpp"
#include "scenario/report/visible_text.hpp"

namespace kemu::scenario {
namespace {

constexpr std::string_view kFailureIndent = "       ";

void AppendRow(std::string& out, const std::vector<std::string>& cells,
               const std::vector<std::size_t>& widths) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size()) line += std::string(widths[i] - cells[i].size() + 2, ' ');
  }
  out += line + "\n";
}

}  // namespace

std::string FormatProgress(const Outcome& outcome) {
  std::string line =
      fmt::format("[{}] {} ", outcome.passed() ? " ok " : "FAIL", internal::RunName(outcome));
  if (outcome.connection && outcome.connection->version != 0) {
    line += fmt::format(" {} {}", ConnectVersionName(outcome.connection->version),
                        internal::CountersCell(outcome));
  } else {
    line += " not connected";
  }
  if (outcome.crash) {
    line += " bugcheck " + internal::BugCheckCell(outcome);
    if (!outcome.crash->name.empty()) line += " " + outcome.crash->name;
  }
  if (outcome.schedules != 0) line += ", " + internal::SchedulesPlayed(outcome);
  line += "\n";
  for (const Failure& failure : outcome.failures) {
    line += internal::IndentLines(internal::FailureText(failure), kFailureIndent);
  }
  // Failure messages quote scenario files and adapters: no raw escape sequence reaches a terminal.
  return internal::VisibleText(line);
}

std::string FormatMatrixText(const std::vector<Outcome>& outcomes) {
  const internal::Matrix matrix(outcomes);
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header{"scenario"};
  for (Os os : matrix.columns()) header.emplace_back(OsName(os));
  table.push_back(std::move(header));
  for (std::size_t row = 0; row < matrix.rows().size(); ++row) {
    std::vector<std::string> cells{matrix.rows()[row]};
    for (std::size_t column = 0; column < matrix.columns().size(); ++column) {
      const Outcome* outcome = matrix.At(row, column);
      cells.push_back(outcome == nullptr ? "-" : internal::CompactCell(*outcome));
    }
    table.push_back(std::move(cells));
  }
  std::vector<std::size_t> widths(table.front().size(), 0);
  for (const auto& cells : table) {
    for (std::size_t i = 0; i < cells.size(); ++i) widths[i] = std::max(widths[i], cells[i].size());
  }
  std::string out;
  for (const auto& cells : table) AppendRow(out, cells, widths);

  out += fmt::format("({})\n\n{}\n", internal::kCompactLegend, internal::Summary(outcomes));
  for (const Outcome& outcome : outcomes) {
    for (const Failure& failure : outcome.failures) {
      out +=
          fmt::format("FAIL {}: {}\n", internal::RunName(outcome), internal::FailureText(failure));
    }
  }
  return internal::VisibleText(out);
}

}  // namespace kemu::scenario
