// The matrix as GitHub-flavoured Markdown, for CI job summaries ($GITHUB_STEP_SUMMARY): a table
// whose failing cells link to their traces, then the failures with their scenario locations.
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

// Failure messages quote YAML, C identifiers and <angle> names; each of these characters would
// otherwise start emphasis, code, a link, an HTML tag or a new table cell. Control characters and
// bytes that are not UTF-8 become visible "\xNN" first (whose backslash is then escaped too).
std::string EscapeMarkdown(std::string_view text) {
  std::string out;
  for (char c : internal::VisibleText(text)) {
    if (std::string_view("\\`*_[]<>|#").find(c) != std::string_view::npos) out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

// A link destination may not contain spaces or unbalanced parentheses.
std::string EscapeLinkTarget(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '(' || c == ')' || c == '<' || c == '>') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::string RelativeTo(const std::string& path, std::string base) {
  if (base.empty()) return path;
  if (!base.ends_with('/')) base += '/';
  if (path.rfind(base, 0) == 0) return path.substr(base.size());
  return path;
}

std::string Cell(const Outcome* outcome, const std::string& link_base) {
  if (outcome == nullptr) return "—";
  const std::string text =
      fmt::format("{} {}", outcome->passed() ? "✅" : "❌", internal::CellDetails(*outcome));
  if (outcome->passed() || outcome->trace_path.empty()) return text;
  return fmt::format("[{}]({})", text,
                     EscapeLinkTarget(RelativeTo(outcome->trace_path, link_base)));
}

std::string TableRow(const std::vector<std::string>& cells) {
  std::string row = "|";
  for (const std::string& cell : cells) row += " " + cell + " |";
  return row + "\n";
}

std::string Failures(const std::vector<Outcome>& outcomes) {
  std::string out;
  for (const Outcome& outcome : outcomes) {
    for (const Failure& failure : outcome.failures) {
      const std::string where = FormatLocation(failure.where);
      out += fmt::format("- **{}**", EscapeMarkdown(internal::RunName(outcome)));
      if (!where.empty()) out += fmt::format(" `{}`", where);
      out += ": ";
      // A bug-check report spans lines; the first says what happened, the rest go in a block.
      const std::size_t newline = failure.message.find('\n');
      out += EscapeMarkdown(failure.message.substr(0, newline)) + "\n";
      if (newline != std::string::npos) {
        std::string rest = failure.message.substr(newline + 1);
        while (rest.ends_with('\n')) rest.pop_back();
        if (!rest.empty()) {
          out += "\n  ```text\n" + internal::IndentLines(internal::VisibleText(rest), "  ") +
                 "  ```\n";
        }
      }
    }
  }
  return out;
}

}  // namespace

std::string FormatMatrixMarkdown(const std::vector<Outcome>& outcomes,
                                 const std::string& link_base) {
  const internal::Matrix matrix(outcomes);
  std::vector<std::string> header{"scenario"};
  std::vector<std::string> rule{"---"};
  for (Os os : matrix.columns()) {
    header.emplace_back(OsName(os));
    rule.emplace_back("---");
  }
  std::string out = "## Scenario matrix\n\n" + TableRow(header) + TableRow(rule);
  for (std::size_t row = 0; row < matrix.rows().size(); ++row) {
    std::vector<std::string> cells{EscapeMarkdown(matrix.rows()[row])};
    for (std::size_t column = 0; column < matrix.columns().size(); ++column) {
      cells.push_back(Cell(matrix.At(row, column), link_base));
    }
    out += TableRow(cells);
  }
  out += '\n';
  out += internal::Summary(outcomes);
  out += ".\n";
  if (internal::CountFailed(outcomes) != 0) {
    out += "\n### Failures\n\n";
    out += Failures(outcomes);
  }
  return out;
}

}  // namespace kemu::scenario
