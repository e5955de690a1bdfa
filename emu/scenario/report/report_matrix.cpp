// The matrix layout and cell words shared by every report format.
#include "scenario/report/report_matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "kemu/bugcheck.hpp"

namespace kemu::scenario::internal {
namespace {

constexpr std::string_view kConnectPrefix = "CONNECT_";

std::size_t OsIndex(Os os) { return static_cast<std::size_t>(os); }

}  // namespace

Matrix::Matrix(const std::vector<Outcome>& outcomes) {
  std::array<bool, kOsCount> seen{};
  for (const Outcome& outcome : outcomes) {
    seen[OsIndex(outcome.os)] = true;
    if (std::find(rows_.begin(), rows_.end(), outcome.scenario) == rows_.end()) {
      rows_.push_back(outcome.scenario);
    }
  }
  for (Os os : AllOs()) {
    if (seen[OsIndex(os)]) columns_.push_back(os);
  }
  cells_.assign(rows_.size() * columns_.size(), nullptr);
  for (const Outcome& outcome : outcomes) {
    const auto row = static_cast<std::size_t>(
        std::find(rows_.begin(), rows_.end(), outcome.scenario) - rows_.begin());
    const auto column = static_cast<std::size_t>(
        std::find(columns_.begin(), columns_.end(), outcome.os) - columns_.begin());
    const Outcome*& cell = cells_[row * columns_.size() + column];
    if (cell == nullptr) cell = &outcome;
  }
}

const Outcome* Matrix::At(std::size_t row, std::size_t column) const {
  return cells_[row * columns_.size() + column];
}

std::string ConnectCell(const Outcome& outcome) {
  if (!outcome.connection || outcome.connection->version == 0) return "-";
  std::string name = ConnectVersionName(outcome.connection->version);
  if (name.rfind(kConnectPrefix, 0) == 0) name.erase(0, kConnectPrefix.size());
  return name;
}

std::string CountersCell(const Outcome& outcome) {
  if (!outcome.connection) return "";
  return fmt::format("isr {} dpc {}", outcome.connection->isr_calls,
                     outcome.connection->dpcs_requested);
}

std::string BugCheckCell(const Outcome& outcome) {
  if (!outcome.crash) return "";
  // Verifier bug checks are all 0xC4; the first parameter says which rule fired, so it is part
  // of what a reader needs to tell two cells apart. Other codes read well alone.
  if (outcome.crash->code == bugcheck::kDriverVerifierDetectedViolation) {
    return fmt::format("0x{:X}/0x{:X}", outcome.crash->code, outcome.crash->parameters[0]);
  }
  return fmt::format("0x{:X}", outcome.crash->code);
}

std::string CellDetails(const Outcome& outcome) {
  std::string text = ConnectCell(outcome);
  for (const std::string& part : {CountersCell(outcome), BugCheckCell(outcome)}) {
    if (!part.empty()) text += " " + part;
  }
  return text;
}

std::string CompactCell(const Outcome& outcome) {
  std::string version = ConnectCell(outcome);
  static constexpr std::pair<std::string_view, std::string_view> kShort[] = {
      {"FULLY_SPECIFIED", "FULL"},
      {"LINE_BASED", "LINE"},
      {"MESSAGE_BASED", "MSG"},
      {"FULLY_SPECIFIED_GROUP", "GROUP"},
      {"MESSAGE_BASED_PASSIVE", "PASSIVE"}};
  for (const auto& [name, abbreviation] : kShort) {
    if (version == name) version = abbreviation;
  }
  std::string text = fmt::format("{} {}", outcome.passed() ? "ok" : "FAIL", version);
  if (outcome.connection) {
    text +=
        fmt::format(" {}/{}", outcome.connection->isr_calls, outcome.connection->dpcs_requested);
  }
  const std::string crash = BugCheckCell(outcome);
  if (!crash.empty()) text += " " + crash;
  return text;
}

std::string FailureText(const Failure& failure) {
  std::string message = failure.message;
  while (message.ends_with('\n')) message.pop_back();
  const std::string where = FormatLocation(failure.where);
  return where.empty() ? message : where + ": " + message;
}

std::string IndentLines(std::string_view text, std::string_view indent) {
  std::string out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    out += fmt::format("{}{}\n", indent, text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return out;
}

std::size_t CountFailed(const std::vector<Outcome>& outcomes) {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(),
                                                [](const Outcome& o) { return !o.passed(); }));
}

std::string Summary(const std::vector<Outcome>& outcomes) {
  const std::size_t failed = CountFailed(outcomes);
  std::string summary = fmt::format("{} runs, {} passed, {} failed", outcomes.size(),
                                    outcomes.size() - failed, failed);
  std::uint64_t schedules = 0;
  for (const Outcome& outcome : outcomes) schedules += outcome.schedules;
  // Only explorations say it, so that the reports of plain runs stay as they were.
  if (schedules != 0) summary += fmt::format(", {} schedules played", schedules);
  return summary;
}

std::string SchedulesPlayed(const Outcome& outcome) {
  if (outcome.schedules == 0) return "";
  return fmt::format("{} schedule{}", outcome.schedules, outcome.schedules == 1 ? "" : "s");
}

std::string RunName(const Outcome& outcome) {
  return fmt::format("{} @ {}", outcome.scenario, OsName(outcome.os));
}

}  // namespace kemu::scenario::internal
