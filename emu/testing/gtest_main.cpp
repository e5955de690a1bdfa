// main() of kemu::gtest_main, and the parsing of kemu's command-line flags.
#include "kemu/testing/gtest_main.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kemu/error.hpp"
#include "kemu/testing/fixtures.hpp"
#include "kemu/testing/listener.hpp"
#include "kemu/testing/schedules.hpp"

namespace kemu::testing::internal {
namespace {

constexpr std::string_view kFlagPrefix = "--kemu_";
constexpr std::string_view kSeedFlag = "--kemu_seed=";
constexpr std::string_view kTraceFlag = "--kemu_trace=";
constexpr std::string_view kScheduleFlag = "--kemu_schedule=";
constexpr std::string_view kSchedulesFlag = "--kemu_schedules=";

// Handles one --kemu_ flag. Each sets the environment variable of the same meaning, which is
// where fixtures look (SeedFromEnvironment, TracePathFromEnvironment): the flag and the variable
// cannot disagree, and death-test children inherit them.
void ApplyKemuFlag(std::string_view flag) {
  if (flag.starts_with(kSeedFlag)) {
    const std::string_view value = flag.substr(kSeedFlag.size());
    ParseSeed(value, "--kemu_seed");
    setenv("KEMU_SEED", std::string(value).c_str(), /*overwrite=*/1);
    return;
  }
  if (flag.starts_with(kTraceFlag)) {
    const std::string_view value = flag.substr(kTraceFlag.size());
    if (value.empty()) {
      throw Error("kemu: --kemu_trace needs a file name, e.g. --kemu_trace=out.json");
    }
    setenv("KEMU_TRACE", std::string(value).c_str(), /*overwrite=*/1);
    return;
  }
  if (flag.starts_with(kScheduleFlag)) {
    const std::string_view value = flag.substr(kScheduleFlag.size());
    ParseSeed(value, "--kemu_schedule");
    setenv("KEMU_SCHEDULE", std::string(value).c_str(), /*overwrite=*/1);
    return;
  }
  if (flag.starts_with(kSchedulesFlag)) {
    setenv("KEMU_SCHEDULES", std::string(flag.substr(kSchedulesFlag.size())).c_str(),
           /*overwrite=*/1);
    SchedulesFromEnvironment();  // a malformed value is an error now, not in every test
    return;
  }
  throw Error("kemu: unknown flag " + std::string(flag) +
              " (kemu flags: --kemu_seed=<n>, --kemu_trace=<file.json>, --kemu_schedule=<n>, "
              "--kemu_schedules=<N or A..B>)");
}

}  // namespace

void ParseKemuFlags(int* argc, char** argv) {
  if (*argc < 1) return;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(kFlagPrefix)) {
      ApplyKemuFlag(arg);
    } else {
      argv[kept++] = argv[i];
    }
  }
  // argv[argc] stays a null pointer, as main() received it.
  if (kept < *argc) argv[kept] = nullptr;
  *argc = kept;
}

}  // namespace kemu::testing::internal

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  try {
    kemu::testing::internal::ParseKemuFlags(&argc, argv);
    // Checked once here so a bad KEMU_SEED is one clear error, not a failure in every fixture.
    kemu::testing::SeedFromEnvironment();
    kemu::testing::ScheduleFromEnvironment();
    kemu::testing::InstallScheduleExploration();
  } catch (const kemu::Error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return EXIT_FAILURE;
  }
  ::testing::UnitTest::GetInstance()->listeners().Append(new kemu::testing::BugCheckListener);
  return RUN_ALL_TESTS();
}
