// kemu/scenario/report.hpp — what a set of runs looks like to people and to CI.
//
// The matrix has one row per scenario and one column per personality; a cell says pass or FAIL,
// the CONNECT_* version the driver connected with, its ISR and DPC counts and the bug check, if
// any. Text for terminals, Markdown for CI job summaries (a failing cell links to its trace file),
// JUnit XML for test dashboards, and a diff of two personalities' observable behaviour.
//
//   std::vector<kemu::scenario::Outcome> outcomes = ...;
//   std::cout << kemu::scenario::FormatMatrixText(outcomes);
//   std::ofstream("matrix.md") << kemu::scenario::FormatMatrixMarkdown(outcomes);
#ifndef KEMU_SCENARIO_REPORT_HPP_
#define KEMU_SCENARIO_REPORT_HPP_

#include <string>
#include <vector>

#include "kemu/scenario/runner.hpp"

namespace kemu::scenario {

/// One line of progress for a finished run: "[ ok ] fallback @ xp  CONNECT_FULLY_SPECIFIED isr 3
/// dpc 3" or "[FAIL] ..." followed by each failure, indented.
std::string FormatProgress(const Outcome& outcome);

/// The scenario × personality matrix as an aligned plain-text table (rows in first-seen order,
/// columns oldest personality first; "-" where a scenario did not run), then one line per failure.
std::string FormatMatrixText(const std::vector<Outcome>& outcomes);

/// The same matrix as a GitHub-flavoured Markdown table, followed by a "Failures" section. A
/// failing cell whose Outcome::trace_path is set links to it (relative to `link_base` when that is
/// a prefix of the path).
std::string FormatMatrixMarkdown(const std::vector<Outcome>& outcomes,
                                 const std::string& link_base = "");

/// JUnit XML: one <testsuite> per scenario, one <testcase> per personality.
std::string FormatJUnit(const std::vector<Outcome>& outcomes);

/// Where two runs of one scenario diverged: connect version, counters, crash, and the first
/// differing observation lines with context. "no difference in observable behaviour" when none.
std::string FormatDiff(const Outcome& a, const Outcome& b);

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_REPORT_HPP_
