// JUnit XML for test dashboards (Jenkins, GitLab, GitHub test reporters): one <testsuite> per
// scenario, one <testcase> per personality it ran on.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/scenario/report.hpp"
#include "scenario/report/report_matrix.hpp"
#include "scenario/report/visible_text.hpp"

namespace kemu::scenario {
namespace {

// Escapes for attribute values (where a raw newline would be normalised to a space) and element
// text. XML 1.0 cannot carry most control characters even as references, nor bytes that are not
// UTF-8 in a document that says it is: both become visible "\xNN" text first.
std::string EscapeXml(std::string_view text, bool attribute = true) {
  std::string out;
  for (char c : internal::VisibleText(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JUnit's time is in seconds; the run's emulated time is in 100 ns units. Emulated rather than
// host time, so the same scenarios give the same report on every machine and every run.
std::string Seconds(std::uint64_t time_100ns) {
  return fmt::format("{}.{:07}", time_100ns / 10'000'000, time_100ns % 10'000'000);
}

// The attributes GoogleTest's own XML gives a test case (file, line, time), so dashboards link
// each case to the scenario file. file and line are left out when the outcome has no location.
std::string TestCaseAttributes(const Outcome& outcome) {
  std::string out = fmt::format("classname=\"{}\" name=\"{}\"", EscapeXml(outcome.scenario),
                                EscapeXml(OsName(outcome.os)));
  if (!outcome.where.file.empty()) {
    out += fmt::format(" file=\"{}\"", EscapeXml(outcome.where.file));
    if (outcome.where.line > 0) out += fmt::format(" line=\"{}\"", outcome.where.line);
  }
  return out + fmt::format(" time=\"{}\"", Seconds(outcome.virtual_time));
}

std::string TestCase(const Outcome& outcome) {
  std::string out = fmt::format("    <testcase {}>\n", TestCaseAttributes(outcome));
  if (!outcome.passed()) {
    std::string details;
    for (const Failure& failure : outcome.failures) {
      details += internal::FailureText(failure) + "\n";
    }
    // Dashboards show the message attribute as a one-line summary; the body has everything.
    const std::string first = internal::FailureText(outcome.failures.front());
    out += fmt::format("      <failure message=\"{}\" type=\"scenario\">{}</failure>\n",
                       EscapeXml(first.substr(0, first.find('\n'))), EscapeXml(details, false));
  }
  std::string system_out =
      fmt::format("seed {}\nresult {} {}\n", outcome.seed, outcome.passed() ? "pass" : "FAIL",
                  internal::CellDetails(outcome));
  if (outcome.schedules != 0) {
    system_out +=
        fmt::format("{}, the last schedule {} seed {}\n", internal::SchedulesPlayed(outcome),
                    StrategyName(outcome.schedule.strategy), outcome.schedule.seed);
  }
  if (!outcome.trace_path.empty()) system_out += "trace " + outcome.trace_path + "\n";
  out += fmt::format("      <system-out>{}</system-out>\n", EscapeXml(system_out, false));
  return out + "    </testcase>\n";
}

}  // namespace

std::string FormatJUnit(const std::vector<Outcome>& outcomes) {
  const internal::Matrix matrix(outcomes);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"kemu scenarios\" tests=\"{}\" failures=\"{}\">\n",
                     outcomes.size(), internal::CountFailed(outcomes));
  for (const std::string& scenario : matrix.rows()) {
    std::vector<const Outcome*> runs;
    for (const Outcome& outcome : outcomes) {
      if (outcome.scenario == scenario) runs.push_back(&outcome);
    }
    // Oldest personality first, as in the matrix, whatever order the runs finished in.
    std::stable_sort(runs.begin(), runs.end(),
                     [](const Outcome* a, const Outcome* b) { return a->os < b->os; });
    std::size_t failures = 0;
    std::uint64_t time = 0;
    std::string cases;
    for (const Outcome* outcome : runs) {
      if (!outcome->passed()) ++failures;
      time += outcome->virtual_time;
      cases += TestCase(*outcome);
    }
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{}\">\n",
                       EscapeXml(scenario), runs.size(), failures, Seconds(time));
    out += cases + "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

}  // namespace kemu::scenario
