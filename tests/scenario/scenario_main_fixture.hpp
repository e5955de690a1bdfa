// A fixture that calls ScenarioMain in process with the counting adapter registered as "counter",
// capturing what it prints, in a fresh directory for the test's scenario files.
#ifndef KEMU_TESTS_SCENARIO_SCENARIO_MAIN_FIXTURE_HPP_
#define KEMU_TESTS_SCENARIO_SCENARIO_MAIN_FIXTURE_HPP_

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "counting_adapter.hpp"
#include "kemu/scenario/main.hpp"
#include "scenario_files_for_tests.hpp"

namespace kemu::scenario::testing {

struct MainResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ScenarioMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDirectory(::testing::UnitTest::GetInstance()->current_test_info()->name());
    config_.adapters.Add("counter", CountingFactory(), "counts bumps");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    return WriteFile(dir_ / name, text);
  }

  MainResult Main(std::vector<std::string> args) {
    args.insert(args.begin(), "kemu-scenarios");
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    MainResult result;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    result.exit_code = ScenarioMain(static_cast<int>(args.size()), argv.data(), config_);
    result.out = ::testing::internal::GetCapturedStdout();
    result.err = ::testing::internal::GetCapturedStderr();
    return result;
  }

  std::filesystem::path dir_;
  RunnerConfig config_;
};

}  // namespace kemu::scenario::testing

#endif  // KEMU_TESTS_SCENARIO_SCENARIO_MAIN_FIXTURE_HPP_
