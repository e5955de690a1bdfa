#include "kemu/testing/listener.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

#include "kemu/bugcheck.hpp"

namespace kemu::testing {
namespace {

// The report's first line and its seed line, as emu/model/bugcheck_report.cpp writes them.
constexpr std::string_view kReportStart = "*** kemu bug check 0x";
constexpr std::string_view kSeedLine = "\n  Seed: ";
constexpr std::string_view kScheduleLine = "\n  Schedule: ";

template <typename Integer>
std::optional<Integer> ParseNumber(std::string_view text, int base) {
  Integer value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> BugCheckListener::Summarize(std::string_view failure_message) {
  const std::size_t start = failure_message.find(kReportStart);
  if (start == std::string_view::npos) return std::nullopt;
  const std::string_view report = failure_message.substr(start + kReportStart.size());
  const std::optional<std::uint32_t> code = ParseNumber<std::uint32_t>(report, 16);
  if (!code) return std::nullopt;
  std::string summary = fmt::format("kemu: bug check 0x{:X}", *code);
  const std::string_view name = BugCheckName(*code);
  if (!name.empty()) summary += fmt::format(" {}", name);
  // The seed line belongs to this report only if it comes before the next one.
  const std::size_t seed_at = report.find(kSeedLine);
  if (seed_at != std::string_view::npos && seed_at < report.find(kReportStart)) {
    const auto seed = ParseNumber<std::uint64_t>(report.substr(seed_at + kSeedLine.size()), 10);
    if (seed) summary += fmt::format(", seed {} (replay with KEMU_SEED={})", *seed, *seed);
  }
  // "random seed 6" or "pct seed 3, depth 2": the explored schedule, when it was one.
  const std::size_t schedule_at = report.find(kScheduleLine);
  if (schedule_at != std::string_view::npos && schedule_at < report.find(kReportStart)) {
    const std::string_view line = report.substr(schedule_at + kScheduleLine.size());
    summary += fmt::format(", schedule {}", line.substr(0, line.find(" (")));
  }
  return summary;
}

void BugCheckListener::OnTestStart(const ::testing::TestInfo& /*test_info*/) { summaries_.clear(); }

void BugCheckListener::OnTestPartResult(const ::testing::TestPartResult& result) {
  if (!result.failed()) return;
  if (std::optional<std::string> summary = Summarize(result.message())) {
    summaries_.push_back(*std::move(summary));
  }
}

void BugCheckListener::OnTestEnd(const ::testing::TestInfo& /*test_info*/) {
  for (const std::string& summary : summaries_) *out_ << summary << '\n';
  out_->flush();
  summaries_.clear();
}

}  // namespace kemu::testing
