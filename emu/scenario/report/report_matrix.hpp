// What the text, Markdown and JUnit reports share: which personalities and scenarios a set of
// outcomes covers, and the words a matrix cell is made of. Kept in one place so that the three
// formats cannot drift apart.
#ifndef KEMU_EMU_SCENARIO_REPORT_REPORT_MATRIX_HPP_
#define KEMU_EMU_SCENARIO_REPORT_REPORT_MATRIX_HPP_

#include <string>
#include <string_view>
#include <vector>

#include "kemu/os.hpp"
#include "kemu/scenario/runner.hpp"

namespace kemu::scenario::internal {

/// The outcomes laid out as rows (scenarios, first seen first) × columns (personalities that
/// appear, oldest first). A cell is nullptr when the scenario did not run on that personality; when
/// it ran twice the first outcome is shown.
class Matrix {
 public:
  explicit Matrix(const std::vector<Outcome>& outcomes);

  const std::vector<std::string>& rows() const { return rows_; }
  const std::vector<Os>& columns() const { return columns_; }
  const Outcome* At(std::size_t row, std::size_t column) const;

 private:
  std::vector<std::string> rows_;
  std::vector<Os> columns_;
  std::vector<const Outcome*> cells_;  // rows_.size() × columns_.size(), row-major
};

/// "MESSAGE_BASED" (the CONNECT_ version without its prefix), or "-" when the driver never
/// connected.
std::string ConnectCell(const Outcome& outcome);

/// "isr 3 dpc 2", or "" when the driver never connected.
std::string CountersCell(const Outcome& outcome);

/// "0xF2" or "0xC4/0x42" (the verifier's sub-code), or "" when the run did not crash.
std::string BugCheckCell(const Outcome& outcome);

/// Everything after pass/FAIL, space-separated: "MESSAGE_BASED isr 3 dpc 3 0xF2".
std::string CellDetails(const Outcome& outcome);

/// The terminal's narrower cell, so nine personalities fit a CI log line: "ok MSG 3/3",
/// "FAIL LINE 101/2 0xF2" (result, version abbreviated as in kConnectLegend, ISR calls / DPCs
/// requested, bug check).
std::string CompactCell(const Outcome& outcome);

/// Explains CompactCell's abbreviations, for the line under the text matrix.
inline constexpr std::string_view kCompactLegend =
    "cells: result, CONNECT_ version (FULL = FULLY_SPECIFIED, LINE = LINE_BASED, "
    "MSG = MESSAGE_BASED, GROUP = FULLY_SPECIFIED_GROUP, PASSIVE = MESSAGE_BASED_PASSIVE), "
    "ISR calls/DPCs requested, bug check";

/// "file:line:column: message" (just the message when the failure has no location).
std::string FailureText(const Failure& failure);

/// Every line of `text` prefixed with `indent` and ended with '\n' (multi-line failure messages
/// such as bug-check reports keep their shape under a list item or an indent).
std::string IndentLines(std::string_view text, std::string_view indent);

/// Runs that did not pass.
std::size_t CountFailed(const std::vector<Outcome>& outcomes);

/// "9 runs, 8 passed, 1 failed" (and ", 9000 schedules played" when the runs explored schedules).
std::string Summary(const std::vector<Outcome>& outcomes);

/// "1000 schedules" (or "1 schedule") for a run that explored schedules, "" for a single run.
std::string SchedulesPlayed(const Outcome& outcome);

/// "fallback @ win8.1".
std::string RunName(const Outcome& outcome);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_REPORT_REPORT_MATRIX_HPP_
