// What a scenario file may be: at most kMaxScenarioFileBytes and kMaxScenarioSteps (an error at the
// first byte or step past the limit, without reading further), one YAML document (a second one is
// found however the first ends), and a name from a character set that is safe as a GoogleTest
// name, a file name and a report row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kemu/scenario/parser.hpp"

namespace {

using ::kemu::scenario::Diagnostic;
using ::kemu::scenario::kMaxScenarioFileBytes;
using ::kemu::scenario::kMaxScenarioSteps;
using ::kemu::scenario::LoadScenario;
using ::kemu::scenario::ParseScenario;
using ::kemu::scenario::ScenarioError;
using ::testing::HasSubstr;

constexpr const char* kMinimal = "devices: [{name: nic0}]\nsteps: []\n";

// The diagnostics ParseScenario throws, or none.
std::vector<Diagnostic> Problems(const std::string& yaml, const std::string& file = "t.yaml") {
  try {
    ParseScenario(yaml, file);
  } catch (const ScenarioError& e) {
    return e.diagnostics();
  }
  return {};
}

std::string Steps(std::size_t count) {
  std::string yaml = "devices: [{name: nic0}]\nsteps:\n";
  for (std::size_t i = 0; i < count; ++i) yaml += "  - run_dpcs\n";
  return yaml;
}

TEST(ParseLimitsTest, AFileOverTheSizeLimitIsAnErrorAtTheFirstByteOverIt) {
  // 64-byte lines: byte kMaxScenarioFileBytes is the first of line kMax/64 + 1.
  std::string yaml = kMinimal;
  const std::string comment = "#" + std::string(62, 'x') + "\n";
  while (yaml.size() < kMaxScenarioFileBytes + 100) yaml += comment;
  const std::vector<Diagnostic> problems = Problems(yaml);
  ASSERT_EQ(problems.size(), 1u);
  const std::size_t before = kMaxScenarioFileBytes - std::string(kMinimal).size();
  EXPECT_EQ(problems[0].where.line, static_cast<int>(2 + before / 64 + 1));
  EXPECT_EQ(problems[0].where.column, static_cast<int>(before % 64 + 1));
  EXPECT_THAT(problems[0].message, HasSubstr("4194304 bytes, 4 MiB"));
}

TEST(ParseLimitsTest, AFileOfExactlyTheSizeLimitParses) {
  std::string yaml = kMinimal;
  // Appended piece by piece: `"#" + std::string(...)` draws a false GCC 12 -Wrestrict at -O2.
  yaml += '#';
  yaml.append(kMaxScenarioFileBytes - yaml.size() - 1, 'x');
  yaml += '\n';
  ASSERT_EQ(yaml.size(), kMaxScenarioFileBytes);
  EXPECT_TRUE(Problems(yaml).empty());
}

TEST(ParseLimitsTest, LoadingAnEndlessFileStopsAtTheSizeLimit) {
  try {
    LoadScenario("/dev/zero");
    FAIL() << "no error";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].where.line, 1);
    EXPECT_EQ(e.diagnostics()[0].where.column, static_cast<int>(kMaxScenarioFileBytes + 1));
  }
}

TEST(ParseLimitsTest, MoreStepsThanTheLimitIsAnErrorAtTheFirstStepOverIt) {
  // One diagnostic: the first kMaxScenarioSteps steps are fine.
  const std::vector<Diagnostic> problems = Problems(Steps(kMaxScenarioSteps + 1));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(FormatDiagnostic(problems[0]),
            "t.yaml:100003:5: error: too many steps: a scenario has at most 100000; this is step "
            "100001");
}

TEST(ParseLimitsTest, TrailingDocumentMarkersWithoutContentAreNotASecondDocument) {
  for (const char* tail : {"...\n", "...\n# the end\n", "---\n", "--- ~\n", "...\r\n"}) {
    EXPECT_TRUE(Problems(std::string(kMinimal) + tail).empty()) << tail;
  }
}

TEST(ParseLimitsTest, ASecondDocumentIsFoundWhateverEndsTheFirst) {
  for (const char* tail :
       {"---\nsteps: []\n", "...\n---\nsteps: []\n", "--- [1]\n", "...\nsteps: []\n"}) {
    const std::vector<Diagnostic> problems = Problems(std::string(kMinimal) + tail);
    ASSERT_EQ(problems.size(), 1u) << tail;
    EXPECT_THAT(problems[0].message, HasSubstr("holds one YAML document")) << tail;
  }
  const std::vector<Diagnostic> crlf =
      Problems("devices: [{name: nic0}]\r\nsteps: []\r\n---\r\nsteps: []\r\n");
  ASSERT_EQ(crlf.size(), 1u);
  EXPECT_EQ(crlf[0].where.line, 4);
}

TEST(ParseLimitsTest, AnExplicitFirstDocumentStartIsNotASecondDocument) {
  EXPECT_TRUE(Problems(std::string("%YAML 1.2\n---\n") + kMinimal + "...\n").empty());
}

TEST(ParseLimitsTest, ScenarioNamesMayUseLettersDigitsUnderscoreDotAndDash) {
  EXPECT_EQ(ParseScenario(std::string("scenario: Msi-granted.v2_1\n") + kMinimal, "t.yaml").name,
            "Msi-granted.v2_1");
  EXPECT_EQ(
      ParseScenario(std::string("scenario: ") + std::string(100, 'n') + "\n" + kMinimal, "t.yaml")
          .name.size(),
      100u);
}

TEST(ParseLimitsTest, ScenarioNamesOutsideTheCharacterSetAreErrorsAtTheName) {
  // Double-quoted YAML: \t is a tab, \e an ESC, \xe9 the UTF-8 of U+00E9.
  const std::string too_long(101, 'n');
  for (const std::string& name :
       {std::string("two words"), std::string("-dash"), std::string(".hidden"), std::string("a/b"),
        std::string("tab\\there"), std::string("\\e[31mred"), std::string("caf\\xe9"),
        std::string(), too_long}) {
    const std::vector<Diagnostic> problems =
        Problems(std::string("scenario: \"") + name + "\"\n" + kMinimal);
    ASSERT_EQ(problems.size(), 1u) << name;
    EXPECT_EQ(problems[0].where.line, 1) << name;
    EXPECT_EQ(problems[0].where.column, 11) << name;
    EXPECT_THAT(problems[0].message, HasSubstr("bad scenario name")) << name;
  }
}

TEST(ParseLimitsTest, AFileNameOutsideTheCharacterSetNeedsAScenarioKey) {
  const std::vector<Diagnostic> problems = Problems(kMinimal, "dir/two words.yaml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].message,
              HasSubstr("the file name gives the scenario a bad name 'two words'"));
  EXPECT_EQ(
      ParseScenario(std::string("scenario: two_words\n") + kMinimal, "dir/two words.yaml").name,
      "two_words");
}

}  // namespace
