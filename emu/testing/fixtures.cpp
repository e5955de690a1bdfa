#include "kemu/testing/fixtures.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "kemu/testing/gtest.hpp"
#include "kemu/testing/schedules.hpp"

namespace kemu::testing {

std::optional<std::uint64_t> SeedFromEnvironment() {
  const char* text = std::getenv("KEMU_SEED");
  // An empty value counts as unset, so `KEMU_SEED= ctest` does not fail every test.
  if (text == nullptr || *text == '\0') return std::nullopt;
  return internal::ParseSeed(text, "KEMU_SEED");
}

bool DebugPrintEchoFromEnvironment() {
  const char* text = std::getenv("KEMU_DBGPRINT");
  return text != nullptr && *text != '\0' && std::string_view(text) != "0";
}

std::optional<std::string> TracePathFromEnvironment() {
  const char* text = std::getenv("KEMU_TRACE");
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::string(text);
}

::testing::internal::ParamGenerator<MachineParam> AllMachines(
    std::initializer_list<unsigned> processors) {
  return ::testing::Combine(AllOs(), Processors(processors), KernelModes());
}

std::string MachineName::operator()(const ::testing::TestParamInfo<MachineParam>& info) const {
  const auto [os, processors, mode] = info.param;
  // A checked kernel keeps "noverifier", the name its tests had before retail joined the axis,
  // so filters and dashboards that name them still match.
  const std::string_view kernel =
      mode == KernelMode::kChecked ? "noverifier" : KernelModeName(mode);
  return fmt::format("{}_{}cpu_{}", OsName()(::testing::TestParamInfo<Os>(os, info.index)),
                     processors, kernel);
}

MachineOptions MachineTest::Options() const {
  const auto [os, processors, mode] = GetParam();
  return WithKernelMode(MachineOptions{.os = os, .processors = processors}, mode);
}

namespace internal {

std::uint64_t ParseSeed(std::string_view text, std::string_view source) {
  std::uint64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error != std::errc() || end != text.data() + text.size()) {
    // A harness error, not a test failure: a mistyped seed would otherwise replay the wrong run.
    throw Error(fmt::format("kemu: {} must be a decimal seed (as reports print it), got \"{}\"",
                            source, text));
  }
  return seed;
}

std::string TraceFileFor(std::string_view path, std::string_view test_name) {
  std::string name;
  for (const char c : test_name) {
    // '.' too: it would read as a second extension.
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    name += keep ? c : '_';
  }
  const std::size_t slash = path.find_last_of('/');
  const std::size_t file_start = slash == std::string_view::npos ? 0 : slash + 1;
  const std::size_t dot = path.find_last_of('.');
  if (dot == std::string_view::npos || dot <= file_start) {
    return fmt::format("{}.{}.json", path, name);  // no extension (a leading dot is not one)
  }
  return fmt::format("{}.{}{}", path.substr(0, dot), name, path.substr(dot));
}

std::optional<std::string> WriteTraceIfFailed(const Machine& machine, bool failed,
                                              std::string_view test_name, std::ostream& out) {
  if (!failed) return std::nullopt;
  const std::optional<std::string> base = TracePathFromEnvironment();
  if (!base) return std::nullopt;
  const std::string file = TraceFileFor(*base, test_name);
  try {
    machine.WriteTrace(file);
  } catch (const Error& error) {
    out << error.what() << '\n';
    return std::nullopt;
  }
  out << "kemu: trace written to " << file << '\n';
  return file;
}

void TestMachine::Start(MachineOptions options) {
  // Installed before anything can throw, so Stop() always has a handler to restore.
  previous_handler_ = SetFailureHandler(&RecordFailure);
  if (const std::optional<std::uint64_t> seed = SeedFromEnvironment()) options.seed = *seed;
  if (DebugPrintEchoFromEnvironment()) options.echo_debug_print = true;
  if (const std::optional<ScheduleOptions> schedule = ScheduleFromEnvironment()) {
    options.schedule.strategy = schedule->strategy;
    options.schedule.seed = schedule->seed;
  }
  // Built even for a test skipped below: GTEST_SKIP returns from this SetUp only, and a fixture
  // that extends SetUp (or TearDown) goes on to use machine() (audit round 16, S1: it followed an
  // empty optional and the test program died with SIGSEGV).
  machine_.emplace(options);
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* reason = nullptr;
  if (test != nullptr &&
      SkipUnderExploration(options.processors,
                           fmt::format("{}.{}", test->test_suite_name(), test->name()), &reason)) {
    GTEST_SKIP() << "kemu: " << reason;
  }
}

void TestMachine::Stop() {
  if (machine_ && !machine_->crashed()) {
    try {
      machine_->Shutdown();
    } catch (const BugCheck& leak) {
      // A skipped test's body did not run, so what its fixture set up was never released: no
      // leak to report.
      if (!::testing::Test::IsSkipped()) RecordFailure(leak);
    }
  }
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (machine_ && test != nullptr) {
    const std::string name = fmt::format("{}.{}", test->test_suite_name(), test->name());
    if (machine_->system_threads_created() > 0) NoteSystemThreads(name);
    if (const auto file =
            WriteTraceIfFailed(*machine_, ::testing::Test::HasFailure(), name, std::cout)) {
      ::testing::Test::RecordProperty("kemu_trace", *file);
    }
  }
  machine_.reset();
  if (previous_handler_) SetFailureHandler(*previous_handler_);
  previous_handler_.reset();
}

}  // namespace internal
}  // namespace kemu::testing
