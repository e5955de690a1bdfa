// The scenario reports people and CI read: the text and Markdown matrix, JUnit XML and the
// per-personality diff. Built from hand-made outcomes, so they test the formats alone; the golden
// files (tests/golden/scenario_*) show what a reader sees (KEMU_UPDATE_GOLDEN=1 rewrites them).
#include "kemu/scenario/report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <wdm.h>

#include <string>
#include <utility>
#include <vector>

#include "../unit/golden.hpp"
#include "scenario/report/line_diff.hpp"

namespace kemu::scenario {
namespace {

using ::kemu::testing::golden::ExpectMatchesGolden;
using ::testing::HasSubstr;
using ::testing::Not;

Connection Connected(std::uint32_t version, std::uint64_t isr_calls, std::uint64_t dpcs) {
  Connection connection;
  connection.version = version;
  connection.message_count = version == CONNECT_MESSAGE_BASED ? 4 : 0;
  connection.isr_calls = isr_calls;
  connection.isr_claimed = isr_calls;
  connection.dpcs_requested = dpcs;
  return connection;
}

// Appends a failure member by member: a braced temporary (`failures = {{{file, 3, 1}, text}}`)
// made GCC 12 at -O2 report its file string "may be used uninitialized" (a false positive).
void AddFailure(Outcome& outcome, const char* file, int line, int column, std::string message) {
  Failure& failure = outcome.failures.emplace_back();
  failure.where.file = file;
  failure.where.line = line;
  failure.where.column = column;
  failure.message = std::move(message);
}

Outcome Passed(const std::string& scenario, Os os, std::uint32_t version) {
  Outcome outcome;
  outcome.scenario = scenario;
  outcome.where = {"scenarios/fallback.yaml", 2, 1};
  outcome.os = os;
  outcome.seed = 7;
  outcome.virtual_time = 15'000;  // 1.5 ms
  outcome.steps_run = 5;
  outcome.connection = Connected(version, 3, 3);
  outcome.start_status = STATUS_SUCCESS;
  outcome.observations = {"start nic0 -> STATUS_SUCCESS",
                          "write nic0 mem 0x00c/4 = 0x00000007",
                          "connect nic0 CONNECT_MESSAGE_BASED messages=4",
                          "receive_frames nic0",
                          "stop nic0",
                          "disconnect nic0",
                          "probe frames_received = 3"};
  return outcome;
}

Outcome Failed(const std::string& scenario, Os os) {
  Outcome outcome = Passed(scenario, os, CONNECT_LINE_BASED);
  outcome.connection->isr_calls = 2;
  AddFailure(outcome, "scenarios/fallback.yaml", 14, 5, "isr_calls: expected 3, got 2");
  outcome.trace_path = "out/report-traces/fallback_connect.win8.1.json";
  return outcome;
}

Outcome Crashed(const std::string& scenario, Os os) {
  Outcome outcome;
  outcome.scenario = scenario;
  outcome.where = {"scenarios/leak.yaml", 1, 1};
  outcome.os = os;
  outcome.seed = 7;
  outcome.virtual_time = 12'345'678;  // 1.2345678 s
  outcome.connection = Connected(CONNECT_FULLY_SPECIFIED, 1, 0);
  outcome.start_status = STATUS_SUCCESS;
  outcome.crash = CrashSummary{.code = 0xC4,
                               .parameters = {0x42, 0, 0, 0},
                               .name = "DRIVER_VERIFIER_DETECTED_VIOLATION",
                               .report = "*** STOP 0xC4"};
  AddFailure(outcome, "scenarios/leak.yaml", 3, 1,
             "unexpected bug check 0xC4 (DRIVER_VERIFIER_DETECTED_VIOLATION)\n"
             "  parameter 1: 0x42 leaked spin lock\n");
  outcome.observations = {"start nic0 -> STATUS_SUCCESS", "crash 0xC4/0x42"};
  return outcome;
}

// Two scenarios; fallback_connect on three personalities (one failing), spin_leak on two (one
// crashing), so the matrix has a missing cell and columns out of first-seen order.
std::vector<Outcome> SampleOutcomes() {
  Outcome never_connected;
  never_connected.scenario = "spin_leak";
  never_connected.os = Os::kWindowsXP;
  never_connected.start_status = STATUS_INSUFFICIENT_RESOURCES;
  return {Passed("fallback_connect", Os::kWindows10, CONNECT_MESSAGE_BASED),
          Passed("fallback_connect", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED),
          Failed("fallback_connect", Os::kWindows81), never_connected,
          Crashed("spin_leak", Os::kWindows7)};
}

// ---------------------------------------------------------------------------------------------
// Golden files.

TEST(ScenarioReportTest, TextMatrixMatchesTheGoldenFile) {
  std::string text;
  for (const Outcome& outcome : SampleOutcomes()) text += FormatProgress(outcome);
  text += "\n" + FormatMatrixText(SampleOutcomes());
  ExpectMatchesGolden(text, "scenario_matrix.txt");
}

TEST(ScenarioReportTest, MarkdownMatrixMatchesTheGoldenFile) {
  ExpectMatchesGolden(FormatMatrixMarkdown(SampleOutcomes(), "out"), "scenario_matrix.md");
}

TEST(ScenarioReportTest, JUnitMatchesTheGoldenFile) {
  ExpectMatchesGolden(FormatJUnit(SampleOutcomes()), "scenario_junit.xml");
}

TEST(ScenarioReportTest, DiffMatchesTheGoldenFile) {
  Outcome xp = Passed("fallback_connect", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED);
  Outcome win10 = Passed("fallback_connect", Os::kWindows10, CONNECT_MESSAGE_BASED);
  xp.observations[2] = "connect nic0 CONNECT_FULLY_SPECIFIED";
  xp.observations.insert(xp.observations.begin() + 1, "write nic0 mem 0x008/4 = 0x00000001");
  win10.observations.push_back("probe messages_used = 4");
  ExpectMatchesGolden(FormatDiff(xp, win10), "scenario_diff.txt");
}

// ---------------------------------------------------------------------------------------------
// Cells and layout.

TEST(ScenarioReportTest, ColumnsFollowPersonalityOrderAndOnlyThoseThatRan) {
  const std::string text = FormatMatrixText(SampleOutcomes());
  const std::string header = text.substr(0, text.find('\n'));
  EXPECT_LT(header.find("xp"), header.find("win7"));
  EXPECT_LT(header.find("win7"), header.find("win8.1"));
  EXPECT_LT(header.find("win8.1"), header.find("win10"));
  EXPECT_THAT(header, Not(HasSubstr("vista")));
  EXPECT_THAT(header, Not(HasSubstr("win11")));
}

// The terminal cell is narrow (nine personalities on a CI log line); Markdown spells it out.
TEST(ScenarioReportTest, TextCellsAbbreviateTheVersionAndShowIsrSlashDpcAndTheBugCheck) {
  const std::string text = FormatMatrixText(SampleOutcomes());
  EXPECT_THAT(text, HasSubstr("ok MSG 3/3"));
  EXPECT_THAT(text, HasSubstr("FAIL LINE 2/3"));
  EXPECT_THAT(text, HasSubstr("FAIL FULL 1/0 0xC4/0x42"));
  EXPECT_THAT(text, HasSubstr("(cells: result, CONNECT_ version (FULL = FULLY_SPECIFIED, "));
}

TEST(ScenarioReportTest, MarkdownCellsNameTheVersionWithoutPrefixTheCountersAndTheBugCheck) {
  const std::string markdown = FormatMatrixMarkdown(SampleOutcomes());
  EXPECT_THAT(markdown, HasSubstr("✅ MESSAGE_BASED isr 3 dpc 3"));
  EXPECT_THAT(markdown, HasSubstr("❌ LINE_BASED isr 2 dpc 3"));
  EXPECT_THAT(markdown, HasSubstr("❌ FULLY_SPECIFIED isr 1 dpc 0 0xC4/0x42"));
  EXPECT_THAT(markdown, Not(HasSubstr("CONNECT_")));
}

TEST(ScenarioReportTest, ARunThatNeverConnectedShowsADash) {
  Outcome outcome;
  outcome.scenario = "s";
  outcome.os = Os::kWindows7;
  EXPECT_THAT(FormatMatrixText({outcome}), HasSubstr("s         ok -\n"));
}

TEST(ScenarioReportTest, NonVerifierBugChecksShowTheCodeAlone) {
  Outcome outcome = Crashed("storm", Os::kWindows10);
  outcome.crash->code = 0xF2;
  EXPECT_THAT(FormatMatrixText({outcome}), HasSubstr("FAIL FULL 1/0 0xF2\n"));
  EXPECT_THAT(FormatMatrixText({outcome}), Not(HasSubstr("0xF2/")));
}

TEST(ScenarioReportTest, MissingCellsAreDashesInTextAndMarkdown) {
  const std::vector<Outcome> outcomes{Passed("a", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED),
                                      Passed("b", Os::kWindows10, CONNECT_MESSAGE_BASED)};
  const std::string text = FormatMatrixText(outcomes);
  EXPECT_THAT(text, HasSubstr("a         ok FULL 3/3  -\n"));
  EXPECT_THAT(text, HasSubstr("b         -            ok MSG 3/3\n"));
  EXPECT_THAT(FormatMatrixMarkdown(outcomes),
              HasSubstr("| a | ✅ FULLY_SPECIFIED isr 3 dpc 3 | — |"));
}

TEST(ScenarioReportTest, RowsKeepFirstSeenOrder) {
  const std::vector<Outcome> outcomes{Passed("zeta", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED),
                                      Passed("alpha", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED)};
  const std::string text = FormatMatrixText(outcomes);
  EXPECT_LT(text.find("zeta"), text.find("alpha"));
}

TEST(ScenarioReportTest, ProgressSaysOkOrFailAndIndentsEachFailureLine) {
  EXPECT_EQ(FormatProgress(Passed("fallback", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED)),
            "[ ok ] fallback @ xp  CONNECT_FULLY_SPECIFIED isr 3 dpc 3\n");
  EXPECT_EQ(FormatProgress(Crashed("leak", Os::kWindows7)),
            "[FAIL] leak @ win7  CONNECT_FULLY_SPECIFIED isr 1 dpc 0 bugcheck 0xC4/0x42 "
            "DRIVER_VERIFIER_DETECTED_VIOLATION\n"
            "       scenarios/leak.yaml:3:1: unexpected bug check 0xC4 "
            "(DRIVER_VERIFIER_DETECTED_VIOLATION)\n"
            "         parameter 1: 0x42 leaked spin lock\n");
}

// ---------------------------------------------------------------------------------------------
// Markdown.

TEST(ScenarioReportTest, MarkdownLinksFailingCellsRelativeToTheLinkBase) {
  const std::string markdown = FormatMatrixMarkdown(SampleOutcomes(), "out");
  EXPECT_THAT(markdown,
              HasSubstr("[❌ LINE_BASED isr 2 dpc 3](report-traces/fallback_connect.win8.1.json)"));
  EXPECT_THAT(FormatMatrixMarkdown(SampleOutcomes(), "out/"),
              HasSubstr("](report-traces/fallback_connect.win8.1.json)"));
}

TEST(ScenarioReportTest, MarkdownKeepsTheTracePathWhenTheLinkBaseIsNotAPrefix) {
  EXPECT_THAT(FormatMatrixMarkdown(SampleOutcomes(), "elsewhere"),
              HasSubstr("](out/report-traces/fallback_connect.win8.1.json)"));
  // "ou" is a string prefix of "out/..." but not a directory of it.
  EXPECT_THAT(FormatMatrixMarkdown(SampleOutcomes(), "ou"),
              HasSubstr("](out/report-traces/fallback_connect.win8.1.json)"));
}

TEST(ScenarioReportTest, MarkdownDoesNotLinkPassingCellsOrCellsWithoutATrace) {
  std::vector<Outcome> outcomes = SampleOutcomes();
  outcomes[0].trace_path = "out/pass.json";
  const std::string markdown = FormatMatrixMarkdown(outcomes, "out");
  EXPECT_THAT(markdown, Not(HasSubstr("pass.json")));
  EXPECT_THAT(markdown, HasSubstr("| ❌ FULLY_SPECIFIED isr 1 dpc 0 0xC4/0x42 |"));
}

TEST(ScenarioReportTest, MarkdownListsFailuresWithTheirLocations) {
  const std::string markdown = FormatMatrixMarkdown(SampleOutcomes());
  EXPECT_THAT(markdown, HasSubstr("### Failures"));
  EXPECT_THAT(markdown,
              HasSubstr("- **fallback\\_connect @ win8.1** `scenarios/fallback.yaml:14:5`: "
                        "isr\\_calls: expected 3, got 2\n"));
}

TEST(ScenarioReportTest, MarkdownEscapesTableSeparatorsInNames) {
  Outcome outcome = Failed("a|b", Os::kWindowsXP);
  outcome.failures[0].message = "expected <a|b>";
  const std::string markdown = FormatMatrixMarkdown({outcome});
  EXPECT_THAT(markdown, HasSubstr("| a\\|b |"));
  EXPECT_THAT(markdown, HasSubstr("expected \\<a\\|b\\>"));
}

TEST(ScenarioReportTest, MarkdownWithoutFailuresHasNoFailureSection) {
  EXPECT_THAT(FormatMatrixMarkdown({Passed("a", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED)}),
              Not(HasSubstr("Failures")));
}

// ---------------------------------------------------------------------------------------------
// JUnit.

TEST(ScenarioReportTest, JUnitEscapesMarkupInNamesAndMessages) {
  Outcome outcome = Failed("a<b>&\"c'", Os::kWindowsXP);
  outcome.failures[0].message = "got <nothing> & \"more\"\x01";
  const std::string xml = FormatJUnit({outcome});
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"a&lt;b&gt;&amp;&quot;c&apos;\""));
  EXPECT_THAT(xml, HasSubstr("got &lt;nothing&gt; &amp; &quot;more&quot;\\x01"));
  EXPECT_THAT(xml, Not(HasSubstr("<nothing>")));
  EXPECT_THAT(xml, Not(HasSubstr("\x01")));
}

TEST(ScenarioReportTest, JUnitCountsTestsAndFailuresPerScenario) {
  const std::string xml = FormatJUnit(SampleOutcomes());
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"kemu scenarios\" tests=\"5\" failures=\"2\">"));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"fallback_connect\" tests=\"3\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"spin_leak\" tests=\"2\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"fallback_connect\" name=\"win8.1\""));
}

// GoogleTest's own XML gives each test case file, line and time; dashboards link a case to its
// source by them. kemu's time is the run's emulated time, so reports stay deterministic.
TEST(ScenarioReportTest, JUnitTestCaseNamesTheScenarioFileLineAndEmulatedTime) {
  const std::string xml = FormatJUnit(SampleOutcomes());
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"fallback_connect\" name=\"win8.1\" "
                             "file=\"scenarios/fallback.yaml\" line=\"2\" time=\"0.0015000\">"));
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"spin_leak\" name=\"win7\" "
                             "file=\"scenarios/leak.yaml\" line=\"1\" time=\"1.2345678\">"));
  // A suite's time is its cases' total: three runs of 1.5 ms.
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"fallback_connect\" tests=\"3\" failures=\"1\" "
                             "time=\"0.0045000\">"));
}

TEST(ScenarioReportTest, JUnitLeavesOutFileAndLineWhenTheOutcomeHasNoLocation) {
  Outcome outcome;
  outcome.scenario = "built_in_code";
  outcome.os = Os::kWindowsXP;
  const std::string xml = FormatJUnit({outcome});
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"built_in_code\" name=\"xp\" "
                             "time=\"0.0000000\">"));
  EXPECT_THAT(xml, Not(HasSubstr("file=")));
}

// ---------------------------------------------------------------------------------------------
// Diff.

TEST(ScenarioReportTest, DiffOfIdenticalBehaviourSaysSo) {
  const Outcome xp = Passed("fallback", Os::kWindowsXP, CONNECT_MESSAGE_BASED);
  const Outcome win10 = Passed("fallback", Os::kWindows10, CONNECT_MESSAGE_BASED);
  EXPECT_EQ(FormatDiff(xp, win10),
            "diff fallback: xp vs win10: no difference in observable behaviour\n");
}

TEST(ScenarioReportTest, DiffNamesDifferingSummaryValues) {
  const Outcome a = Passed("fallback", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED);
  Outcome b = Crashed("fallback", Os::kWindows10);
  b.observations = a.observations;
  b.start_status = STATUS_INSUFFICIENT_RESOURCES;
  const std::string diff = FormatDiff(a, b);
  EXPECT_THAT(diff, HasSubstr("  isr calls: 3 vs 1\n"));
  EXPECT_THAT(diff,
              HasSubstr("  bug check: none vs 0xC4/0x42 DRIVER_VERIFIER_DETECTED_VIOLATION\n"));
  EXPECT_THAT(diff, HasSubstr("  start status: STATUS_SUCCESS"));
  EXPECT_THAT(diff, Not(HasSubstr("connect version")));
  EXPECT_THAT(diff, Not(HasSubstr("---")));
}

TEST(ScenarioReportTest, DiffOfAConnectionAgainstNoneSaysNone) {
  Outcome a = Passed("fallback", Os::kWindowsXP, CONNECT_FULLY_SPECIFIED);
  Outcome b = a;
  b.os = Os::kWindows2000;
  b.connection.reset();
  EXPECT_THAT(FormatDiff(a, b), HasSubstr("  connect version: CONNECT_FULLY_SPECIFIED vs none\n"));
}

TEST(ScenarioReportTest, LineDiffShowsOnlyChangesWithTwoLinesOfContext) {
  std::vector<std::string> a;
  for (int i = 0; i < 20; ++i) a.push_back("line " + std::to_string(i));
  std::vector<std::string> b = a;
  b[10] = "changed";
  const internal::LineDiff diff = internal::DiffLines(a, b);
  EXPECT_TRUE(diff.aligned);
  EXPECT_EQ(internal::FormatHunks(diff, a, b),
            "@@ -9,5 +9,5 @@\n"
            "  line 8\n"
            "  line 9\n"
            "- line 10\n"
            "+ changed\n"
            "  line 11\n"
            "  line 12\n");
}

TEST(ScenarioReportTest, LineDiffHandlesInsertionsAtEitherEnd) {
  const std::vector<std::string> a{"x", "y"};
  const std::vector<std::string> b{"w", "x", "y", "z"};
  EXPECT_EQ(internal::FormatHunks(internal::DiffLines(a, b), a, b),
            "@@ -1,2 +1,4 @@\n"
            "+ w\n"
            "  x\n"
            "  y\n"
            "+ z\n");
}

TEST(ScenarioReportTest, LineDiffOfHugeInputsFallsBackToTheFirstDivergence) {
  std::vector<std::string> a{"same"};
  std::vector<std::string> b{"same"};
  for (int i = 0; i < 100; ++i) {
    // Appended, not `"a" + std::to_string(i)`: that draws a false GCC 12 -Wrestrict at -O2.
    a.push_back("a");
    a.back() += std::to_string(i);
    b.push_back("b");
    b.back() += std::to_string(i);
  }
  const internal::LineDiff diff = internal::DiffLines(a, b, /*max_cells=*/100);
  EXPECT_FALSE(diff.aligned);
  EXPECT_EQ(internal::FormatHunks(diff, a, b), "@@ -1,2 +1,2 @@\n  same\n- a0\n+ b0\n");
}

}  // namespace
}  // namespace kemu::scenario
