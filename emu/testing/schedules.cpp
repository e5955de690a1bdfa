#include "kemu/testing/schedules.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>

#include "kemu/error.hpp"
#include "kemu/testing/fixtures.hpp"

namespace kemu::testing {
namespace {

std::optional<std::string_view> Variable(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::string_view(text);
}

std::uint64_t ParseCount(std::string_view text, std::string_view source) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw Error(fmt::format("kemu: {} must be N or A..B (decimal schedule seeds), got \"{}\"",
                            source, text));
  }
  return value;
}

// What an exploration run shares between its listener and the fixtures: which seed runs now and
// which tests already failed. Test-harness state, outside the emulator.
struct Exploration {
  bool active = false;
  ScheduleRange range;
  std::uint64_t seed = 0;
  std::set<std::string, std::less<>> failed;
  /// Tests whose machine created system threads: one vCPU does not make them one schedule.
  std::set<std::string, std::less<>> threaded;
};

Exploration& State() {
  static Exploration exploration;
  return exploration;
}

std::string FullName(const ::testing::TestInfo& test) {
  return fmt::format("{}.{}", test.test_suite_name(), test.name());
}

class ScheduleExplorer : public ::testing::EmptyTestEventListener {
 public:
  void OnTestIterationStart(const ::testing::UnitTest&, int iteration) override {
    Exploration& state = State();
    state.seed = state.range.first + static_cast<std::uint64_t>(iteration);
    // Fixtures read the seed where a replay puts it.
    setenv("KEMU_SCHEDULE", std::to_string(state.seed).c_str(), /*overwrite=*/1);
  }
  void OnTestEnd(const ::testing::TestInfo& test) override {
    if (test.result() == nullptr || !test.result()->Failed()) return;
    Exploration& state = State();
    const std::string name = FullName(test);
    if (!state.failed.insert(name).second) return;
    // Under PCT the seed replays only with the strategy, which has no flag (audit round 15, R4).
    const std::optional<std::string_view> strategy = Variable("KEMU_SCHEDULE_STRATEGY");
    if (strategy.has_value() && *strategy == "pct") {
      std::cout << fmt::format(
          "kemu: {} failed under schedule {}: replay with KEMU_SCHEDULE_STRATEGY=pct "
          "KEMU_SCHEDULE={} --gtest_filter='{}'\n",
          name, state.seed, state.seed, name);
      return;
    }
    std::cout << fmt::format(
        "kemu: {} failed under schedule {}: replay with KEMU_SCHEDULE={} (--kemu_schedule={}) "
        "--gtest_filter='{}'\n",
        name, state.seed, state.seed, state.seed, name);
  }
};

}  // namespace

std::optional<ScheduleOptions> ScheduleFromEnvironment() {
  const std::optional<std::string_view> seed = Variable("KEMU_SCHEDULE");
  if (!seed) return std::nullopt;
  ScheduleOptions options{.strategy = Strategy::kRandom,
                          .seed = internal::ParseSeed(*seed, "KEMU_SCHEDULE")};
  if (const std::optional<std::string_view> strategy = Variable("KEMU_SCHEDULE_STRATEGY")) {
    if (*strategy == "pct") {
      options.strategy = Strategy::kPct;
    } else if (*strategy != "random") {
      throw Error(fmt::format(
          "kemu: KEMU_SCHEDULE_STRATEGY must be \"random\" or \"pct\", got \"{}\"", *strategy));
    }
  }
  return options;
}

std::optional<ScheduleRange> SchedulesFromEnvironment() {
  const std::optional<std::string_view> text = Variable("KEMU_SCHEDULES");
  if (!text) return std::nullopt;
  ScheduleRange range;
  if (const std::size_t dots = text->find(".."); dots != std::string_view::npos) {
    range.first = ParseCount(text->substr(0, dots), "KEMU_SCHEDULES");
    range.end = ParseCount(text->substr(dots + 2), "KEMU_SCHEDULES");
  } else {
    range.end = ParseCount(*text, "KEMU_SCHEDULES");
  }
  if (range.end <= range.first || range.end - range.first > 1000000) {
    throw Error(fmt::format(
        "kemu: KEMU_SCHEDULES must name 1 to 1000000 schedules (N or A..B with A < B), got \"{}\"",
        *text));
  }
  return range;
}

bool InstallScheduleExploration() {
  const std::optional<ScheduleRange> range = SchedulesFromEnvironment();
  if (!range) return false;
  Exploration& state = State();
  state.active = true;
  state.range = *range;
  GTEST_FLAG_SET(repeat, static_cast<std::int32_t>(range->end - range->first));
  ::testing::UnitTest::GetInstance()->listeners().Append(new ScheduleExplorer);
  return true;
}

namespace internal {

bool SkipUnderExploration(unsigned processors, std::string_view test_name, const char** reason) {
  const Exploration& state = State();
  if (!state.active) return false;
  if (state.failed.find(test_name) != state.failed.end()) {
    *reason = "failed under an earlier schedule";
    return true;
  }
  // One vCPU runs one context at a time in one order, unless system threads share it: then the
  // schedule decides which ready thread runs, so every seed is explored (audit round 18, Z S3).
  // The first seed runs every test, and tells which created threads.
  if (processors == 1 && state.seed != state.range.first &&
      state.threaded.find(test_name) == state.threaded.end()) {
    *reason = "one vCPU without system threads has one schedule";
    return true;
  }
  return false;
}

void NoteSystemThreads(std::string_view test_name) {
  Exploration& state = State();
  if (state.active) state.threaded.emplace(test_name);
}

}  // namespace internal
}  // namespace kemu::testing
