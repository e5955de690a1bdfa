// What a user reads when a scenario file is wrong: every file in tests/golden/scenario_errors/
// is an invalid scenario, and <case>.txt next to it holds the exact diagnostics (of the parser,
// or of Validate against NamesOnlyAdapter when the file parses). KEMU_UPDATE_GOLDEN=1 rewrites
// the .txt files after an intended change; review the diff before committing it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kemu/scenario/parser.hpp"
#include "test_adapter.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kDirectory = fs::path(KEMU_GOLDEN_DIR) / "scenario_errors";

std::vector<std::string> Cases() {
  std::vector<std::string> cases;
  for (const fs::directory_entry& entry : fs::directory_iterator(kDirectory)) {
    if (entry.path().extension() == ".yaml") cases.push_back(entry.path().stem().string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The diagnostics for one case, one per line, as ScenarioError::what() prints them.
std::string Diagnose(const std::string& name) {
  const std::string file = name + ".yaml";
  try {
    const kemu::scenario::Scenario scenario =
        kemu::scenario::ParseScenario(ReadFile(kDirectory / file), file);
    const kemu::scenario::testing::NamesOnlyAdapter adapter;
    std::vector<kemu::scenario::Diagnostic> problems = kemu::scenario::Validate(scenario, adapter);
    if (problems.empty()) return "(no diagnostics)\n";
    return kemu::scenario::ScenarioError(std::move(problems)).what();
  } catch (const kemu::scenario::ScenarioError& e) {
    return e.what();
  }
}

class ScenarioErrorsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioErrorsTest, DiagnosticsMatchTheGoldenFile) {
  const std::string actual = Diagnose(GetParam());
  EXPECT_NE(actual, "(no diagnostics)\n") << GetParam() << ".yaml is valid";
  const fs::path golden = kDirectory / (GetParam() + ".txt");
  const char* update = std::getenv("KEMU_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; KEMU_UPDATE_GOLDEN=1 creates it";
  EXPECT_EQ(actual, ReadFile(golden))
      << "differs from " << golden << " (KEMU_UPDATE_GOLDEN=1 rewrites it)";
}

INSTANTIATE_TEST_SUITE_P(Cases, ScenarioErrorsTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
