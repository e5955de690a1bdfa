// The runner program (ScenarioMain) end to end, in process: command line, exit codes, progress and
// matrix output, report, JUnit and trace files, --os, --diff, --list, and that invalid input runs
// nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "counting_adapter.hpp"
#include "kemu/scenario/main.hpp"
#include "kemu/version.hpp"
#include "scenario_files_for_tests.hpp"
#include "scenario_main_fixture.hpp"

namespace kemu::scenario {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::kBrokenYaml;
using testing::kCountsYaml;
using testing::kFailsYaml;
using testing::kUnknownDriverYaml;
using ::testing::Not;
using testing::ReadFile;
using testing::WriteFile;

using testing::MainResult;
using testing::ScenarioMainTest;

// ---------------------------------------------------------------------------------------------
// Running and exit codes.

TEST_F(ScenarioMainTest, PassingScenariosExitZeroWithProgressAndMatrix) {
  const MainResult result = Main({Write("counts.yaml", kCountsYaml)});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("[ ok ] counts @ xp"));
  EXPECT_THAT(result.out, HasSubstr("[ ok ] counts @ win10"));
  EXPECT_THAT(result.out, HasSubstr("scenario  xp"));
  EXPECT_THAT(result.out, HasSubstr("2 runs, 2 passed, 0 failed"));
  EXPECT_LT(result.out.find("@ xp"), result.out.find("@ win10"));
}

TEST_F(ScenarioMainTest, AFailedExpectationExitsOneAndNamesItsLine) {
  Write("counts.yaml", kCountsYaml);
  const std::string fails = Write("fails.yaml", kFailsYaml);
  const MainResult result = Main({dir_.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("[ ok ] fails @ xp"));
  EXPECT_THAT(result.out, HasSubstr("[FAIL] fails @ win10"));
  EXPECT_THAT(result.out, HasSubstr(fails + ":"));
  EXPECT_THAT(result.out, HasSubstr("4 runs, 3 passed, 1 failed"));
}

TEST_F(ScenarioMainTest, DefaultPathsApplyWhenTheCommandLineNamesNone) {
  config_.default_paths = {Write("counts.yaml", kCountsYaml)};
  EXPECT_EQ(Main({}).exit_code, 0);
}

TEST_F(ScenarioMainTest, NoPathsAtAllIsAUsageError) {
  const MainResult result = Main({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("no scenario files"));
}

TEST_F(ScenarioMainTest, OsFilterRunsOnlyTheSelectedPersonalities) {
  const MainResult result = Main({Write("counts.yaml", kCountsYaml), "--os=vista.."});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("counts @ win10"));
  EXPECT_THAT(result.out, Not(HasSubstr("counts @ xp")));
}

TEST_F(ScenarioMainTest, AnOsFilterThatSelectsNothingIsAnError) {
  const MainResult result = Main({Write("counts.yaml", kCountsYaml), "--os=win7"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

TEST_F(ScenarioMainTest, DriverOverridesEveryScenariosDriver) {
  const MainResult result = Main({Write("lost.yaml", kUnknownDriverYaml), "--driver=counter"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("[ ok ] lost @ xp"));
}

// ---------------------------------------------------------------------------------------------
// Invalid input: exit 2, nothing runs.

TEST_F(ScenarioMainTest, AnInvalidFileRunsNothingAndExitsTwo) {
  Write("counts.yaml", kCountsYaml);
  const std::string broken = Write("broken.yaml", kBrokenYaml);
  const MainResult result = Main({dir_.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(broken + ":5:1: error:"));
  EXPECT_THAT(result.err, HasSubstr("stepz"));
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

TEST_F(ScenarioMainTest, AnUnknownDriverIsReportedAtTheScenarioAndRunsNothing) {
  Write("counts.yaml", kCountsYaml);
  const std::string lost = Write("lost.yaml", kUnknownDriverYaml);
  const MainResult result = Main({dir_.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(lost));
  EXPECT_THAT(result.err, HasSubstr("unknown driver 'countr' (did you mean 'counter'?)"));
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

TEST_F(ScenarioMainTest, AnActionTheAdapterDoesNotOfferRunsNothing) {
  std::string yaml = kCountsYaml;
  yaml.replace(yaml.find("bump:"), 5, "bumb:");
  const MainResult result = Main({Write("typo.yaml", yaml)});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("bumb"));
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

TEST_F(ScenarioMainTest, StructuralAndAdapterErrorsAreReportedInOnePassSortedByPosition) {
  // Two kinds of error: the parser's (a bad number, an unknown expect key, a step value) and the
  // adapter's (an action and a probe `counter` does not offer). Before, the adapter's appeared
  // only once the others were fixed.
  const std::string file = Write("both.yaml", R"(scenario: both
driver: counter
os: xp
devices:
  - name: dev0
    memory_bytes: 0x100
steps:
  - start
  - bumb: {by: 2}
  - stall_us: -5
  - expect: {probes: {countr: 2}}
  - run_dpcs: 3
  - stop
expect:
  isr_call: 1
)");
  const MainResult result = Main({file});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            file + ":9:5: error: unknown step or action 'bumb' (did you mean 'bump'?)\n" + file +
                ":10:15: error: expected a number (decimal or 0x hex) for 'stall_us', got '-5'\n" +
                file + ":11:23: error: unknown probe 'countr' (did you mean 'counter'?)\n" + file +
                ":12:15: error: 'run_dpcs' takes no value, got '3'\n" + file +
                ":15:3: error: unknown key 'isr_call' in 'expect' (did you mean 'isr_calls'?)\n"
                "nothing was run\n");
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

TEST_F(ScenarioMainTest, AnUnknownDriverIsReportedWithTheFilesOtherErrors) {
  std::string yaml = kUnknownDriverYaml;
  yaml += "  - stall_us: x\n";
  const std::string lost = Write("lost.yaml", yaml);
  const MainResult result = Main({lost});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(lost + ":2:9: error: unknown driver 'countr' (did you mean "
                                           "'counter'?); registered: counter"));
  EXPECT_THAT(result.err, HasSubstr(lost + ":8:15: error: expected a number"));
}

TEST_F(ScenarioMainTest, BadFlagsAreUsageErrors) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  for (const char* flag : {"--bogus", "--os=winxp", "--seed=abc", "--diff=xp", "--diff=xp,xp",
                           "--diff=xp,nope", "--driver=countr"}) {
    const MainResult result = Main({counts, flag});
    EXPECT_EQ(result.exit_code, 2) << flag;
    EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]"))) << flag;
  }
  EXPECT_EQ(Main({counts, "--os=xp", "--diff=xp,win10"}).exit_code, 2);
  EXPECT_THAT(Main({counts, "--driver=countr"}).err, HasSubstr("did you mean 'counter'?"));
}

TEST_F(ScenarioMainTest, HelpExitsZero) {
  const MainResult result = Main({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("--report"));
  EXPECT_THAT(result.out, HasSubstr("--diff"));
}

TEST_F(ScenarioMainTest, HelpListsTheExitCodes) {
  const MainResult result = Main({"--help"});
  EXPECT_THAT(result.out, HasSubstr("Exit codes: 0 every run passed"));
  EXPECT_THAT(result.out, HasSubstr("1 some run failed"));
  EXPECT_THAT(result.out, HasSubstr("2 bad command line"));
  EXPECT_THAT(result.out, HasSubstr("--version"));
}

TEST_F(ScenarioMainTest, VersionPrintsKemusVersionAndExitsZero) {
  const MainResult result = Main({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "kemu " KEMU_VERSION_STRING "\n");
}

TEST_F(ScenarioMainTest, PersonalityTyposSuggestTheClosestName) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  const MainResult os = Main({counts, "--os=xp,wn10"});
  EXPECT_EQ(os.exit_code, 2);
  EXPECT_THAT(os.err, HasSubstr("--os: bad selector 'xp,wn10': unknown personality 'wn10' (did "
                                "you mean 'win10'?)"));
  const MainResult diff = Main({counts, "--diff=vist,win10"});
  EXPECT_EQ(diff.exit_code, 2);
  EXPECT_THAT(diff.err, HasSubstr("--diff: unknown personality 'vist' (did you mean 'vista'?)"));
}

TEST_F(ScenarioMainTest, AnOutOfRangeSeedSaysSo) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  const MainResult big = Main({counts, "--seed=18446744073709551616"});
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_THAT(big.err, HasSubstr("--seed: 18446744073709551616 is out of range (expected "
                                 "0..0xffffffffffffffff)"));
  EXPECT_THAT(Main({counts, "--seed=0x10000000000000000"}).err, HasSubstr("is out of range"));
  EXPECT_THAT(Main({counts, "--seed=-1"}).err, HasSubstr("'-1' is not a number"));
  EXPECT_EQ(Main({counts, "--os=xp", "--seed=18446744073709551615"}).exit_code, 0);
}

TEST_F(ScenarioMainTest, AMissingScenarioFileSaysWhy) {
  const MainResult result = Main({Path("missing.yaml")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err,
              HasSubstr(Path("missing.yaml") + ": error: cannot read file: No such file or "
                                               "directory"));
}

// ---------------------------------------------------------------------------------------------
// Output files.

TEST_F(ScenarioMainTest, ReportAndJUnitAreWrittenWithTracesOfFailingRuns) {
  Write("scenarios/fails.yaml", kFailsYaml);
  const MainResult result = Main(
      {Path("scenarios"), "--report=" + Path("out/matrix.md"), "--junit=" + Path("out/junit.xml")});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::string markdown = ReadFile(dir_ / "out/matrix.md");
  EXPECT_THAT(markdown, HasSubstr("| fails | ✅"));
  EXPECT_THAT(markdown, HasSubstr("](matrix-traces/fails.win10.json)"));
  EXPECT_TRUE(fs::exists(dir_ / "out/matrix-traces/fails.win10.json"));
  EXPECT_FALSE(fs::exists(dir_ / "out/matrix-traces/fails.xp.json"));
  const std::string junit = ReadFile(dir_ / "out/junit.xml");
  EXPECT_THAT(junit, HasSubstr("<testsuite name=\"fails\" tests=\"2\" failures=\"1\" time=\""));
  // Each case names the file it came from, as GoogleTest's XML does.
  EXPECT_THAT(junit, HasSubstr("<testcase classname=\"fails\" name=\"win10\" file=\"" +
                               Path("scenarios/fails.yaml") + "\" line=\"1\" time=\""));
}

TEST_F(ScenarioMainTest, OneRunWritesItsTraceToTheTraceFile) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  EXPECT_EQ(Main({counts, "--os=xp", "--trace=" + Path("trace.json")}).exit_code, 0);
  EXPECT_FALSE(ReadFile(dir_ / "trace.json").empty());
}

TEST_F(ScenarioMainTest, SeveralRunsWriteOneTraceEachBesideTheTraceFile) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  EXPECT_EQ(Main({counts, "--trace=" + Path("t/trace.json")}).exit_code, 0);
  EXPECT_FALSE(ReadFile(dir_ / "t/trace.counts.xp.json").empty());
  EXPECT_FALSE(ReadFile(dir_ / "t/trace.counts.win10.json").empty());
  EXPECT_FALSE(fs::exists(dir_ / "t/trace.json"));
}

TEST_F(ScenarioMainTest, SeedReplacesTheScenarioSeed) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  EXPECT_EQ(Main({counts, "--seed=0x2a", "--junit=" + Path("junit.xml")}).exit_code, 0);
  EXPECT_THAT(ReadFile(dir_ / "junit.xml"), HasSubstr("seed 42\n"));
}

TEST_F(ScenarioMainTest, AnUnwritableReportIsAnErrorBeforeAnythingRuns) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  const MainResult result = Main({counts, "--report=" + Path("counts.yaml/matrix.md")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("cannot write"));
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

TEST_F(ScenarioMainTest, AnUnwritableTraceIsAnErrorBeforeAnythingRuns) {
  const std::string counts = Write("counts.yaml", kCountsYaml);
  for (const char* os : {"--os=xp", "--os=all"}) {  // one trace file, then one per run
    const MainResult result = Main({counts, os, "--trace=" + Path("counts.yaml/trace.json")});
    EXPECT_EQ(result.exit_code, 2) << os;
    EXPECT_THAT(result.err, HasSubstr("cannot write " + Path("counts.yaml/trace")));
    EXPECT_THAT(result.err, HasSubstr("(Not a directory)")) << os;
    EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]"))) << os;
  }
}

TEST_F(ScenarioMainTest, DiagnosticsShowControlCharactersAsText) {
  std::string yaml = kCountsYaml;
  yaml.replace(yaml.find("{by: 2}"), 7, "{\"\\e[2J\": 2}");  // an argument named ESC [2J
  const MainResult result = Main({Write("counts.yaml", yaml)});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("has no argument '\\x1b[2J'"));
  EXPECT_THAT(result.err, Not(HasSubstr("\x1b")));
}

// ---------------------------------------------------------------------------------------------
// --diff and --list.

TEST_F(ScenarioMainTest, DiffRunsBothPersonalitiesAndPrintsWhereTheyDiffer) {
  std::string yaml = kCountsYaml;
  yaml.replace(yaml.find("[xp, win10]"), 11, "win7");
  const MainResult result = Main({Write("counts.yaml", yaml), "--diff=xp,win10"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("[ ok ] counts @ xp"));
  EXPECT_THAT(result.out, HasSubstr("[ ok ] counts @ win10"));
  EXPECT_THAT(result.out, Not(HasSubstr("@ win7")));
  EXPECT_THAT(result.out, HasSubstr("diff counts: xp vs win10\n"));
  EXPECT_THAT(result.out, HasSubstr("--- xp\n+++ win10\n"));
}

TEST_F(ScenarioMainTest, ListShowsScenariosAndAdaptersAndRunsNothing) {
  const MainResult result = Main({Write("counts.yaml", kCountsYaml), "--list"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("counts  [counter]  xp win10"));
  EXPECT_THAT(result.out, HasSubstr("counter — counts bumps"));
  EXPECT_THAT(result.out, HasSubstr("action bump(by)  adds to the counter"));
  EXPECT_THAT(result.out, HasSubstr("probe os_index"));
  EXPECT_THAT(result.out, Not(HasSubstr("[ ok ]")));
}

}  // namespace
}  // namespace kemu::scenario
