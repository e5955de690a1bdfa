// LoadScenario and LoadScenarios: files and directories on disk.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kemu/scenario/parser.hpp"

namespace {

namespace fs = std::filesystem;

using ::kemu::scenario::LoadScenario;
using ::kemu::scenario::LoadScenarios;
using ::kemu::scenario::ScenarioError;

// A fresh directory under the test's temporary directory, removed afterwards.
class LoadScenariosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) / (std::string("kemu_load_") + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Write(const std::string& relative, const std::string& text) {
    const fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  fs::path root_;
};

constexpr const char* kValid = "devices: [{name: nic0}]\nsteps: [start]\n";

TEST_F(LoadScenariosTest, LoadScenarioNamesTheScenarioAfterTheFile) {
  const std::string path = Write("fallback.yaml", kValid);
  const kemu::scenario::Scenario s = LoadScenario(path);
  EXPECT_EQ(s.name, "fallback");
  EXPECT_EQ(s.where.file, path);
  EXPECT_EQ(s.steps.size(), 1u);
}

TEST_F(LoadScenariosTest, UnreadableFileIsADiagnostic) {
  const std::string path = (root_ / "missing.yaml").string();
  try {
    LoadScenario(path);
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": error: cannot read file: No such file or directory\n");
  }
}

TEST_F(LoadScenariosTest, DirectoriesAreSearchedRecursivelyInPathOrder) {
  Write("b.yaml", kValid);
  Write("a/z.yml", kValid);
  Write("a/notes.txt", "not a scenario");
  Write("c.yaml", kValid);
  std::vector<std::string> names;
  for (const auto& s : LoadScenarios({root_.string()})) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"z", "b", "c"}));
}

TEST_F(LoadScenariosTest, OneInvalidFileLoadsNothingAndReportsItsDiagnostics) {
  Write("good.yaml", kValid);
  const std::string bad = Write("bad.yaml", "devices: [{name: nic0}]\nsteps: [start]\nstep: 1\n");
  try {
    LoadScenarios({root_.string()});
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(FormatDiagnostic(e.diagnostics()[0]),
              bad + ":3:1: error: unknown key 'step' in the scenario (did you mean 'steps'?)");
  }
}

TEST_F(LoadScenariosTest, DiagnosticsOfEveryFileAreGathered) {
  const std::string first = Write("one.yaml", "steps: []\n");
  const std::string second = Write("two.yaml", "devices: [{name: nic0}]\n");
  try {
    LoadScenarios({first, second});
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()),
              first + ":1:1: error: missing required key 'devices' in the scenario\n" + second +
                  ":1:1: error: missing required key 'steps' in the scenario\n");
  }
}

TEST_F(LoadScenariosTest, DuplicateScenarioNamesAcrossFilesAreAnError) {
  const std::string first = Write("a.yaml", std::string("scenario: same\n") + kValid);
  const std::string second = Write("b.yaml", std::string("scenario: same\n") + kValid);
  try {
    LoadScenarios({root_.string()});
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()),
              second + ":1:1: error: duplicate scenario name 'same' (also in " + first + ":1:1)\n");
  }
}

TEST_F(LoadScenariosTest, MissingPathIsADiagnostic) {
  const std::string path = (root_ / "nowhere").string();
  EXPECT_THROW(LoadScenarios({path}), ScenarioError);
}

}  // namespace
