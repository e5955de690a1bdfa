// kemu::gtest's matchers, cross-product fixture, KEMU_SEED and bug-check listener, tested like
// product: IrqlIs and StatusIs describe themselves and explain mismatches by
// name; MachineTest builds the machine its parameter names and checks it at TearDown; KEMU_SEED
// (or --kemu_seed) replays a seed; the listener turns a bug-check failure into one replay line.
#include <gtest/gtest-spi.h>
#include <wdm.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"
#include "kemu/testing/gtest_main.hpp"
#include "scoped_env.hpp"

namespace {

using ::kemu::testing::BugCheckListener;
using ::kemu::testing::IrqlIs;
using ::kemu::testing::MachineParam;
using ::kemu::testing::StatusIs;
using ::testing::DescribeMatcher;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint32_t kC4 = kemu::bugcheck::kDriverVerifierDetectedViolation;

template <typename T, typename M>
std::string Explain(const M& matcher, T value) {
  ::testing::StringMatchResultListener listener;
  ::testing::ExplainMatchResult(matcher, value, &listener);
  return listener.str();
}

using ::kemu::testing::ScopedEnv;

// The report a real machine writes for KeLowerIrql(HIGH_LEVEL) at PASSIVE_LEVEL.
std::string LowerIrqlReport(std::uint64_t seed) {
  kemu::Machine machine({.os = kemu::Os::kWindowsXP, .seed = seed});
  try {
    KeLowerIrql(HIGH_LEVEL);
  } catch (const kemu::BugCheck& bug_check) {
    return bug_check.report();
  }
  ADD_FAILURE() << "KeLowerIrql(HIGH_LEVEL) did not bug-check";
  return {};
}

// ---------------------------------------------------------------------------------------------
// IrqlIs.

TEST(IrqlIsTest, MatchesTheSameLevelHeldInAnyIntegerType) {
  EXPECT_THAT(KIRQL{DISPATCH_LEVEL}, IrqlIs(DISPATCH_LEVEL));
  EXPECT_THAT(2, IrqlIs(DISPATCH_LEVEL));
  EXPECT_THAT(15u, IrqlIs(HIGH_LEVEL));
  EXPECT_THAT(KIRQL{PASSIVE_LEVEL}, Not(IrqlIs(DISPATCH_LEVEL)));
}

TEST(IrqlIsTest, DescribesItselfByName) {
  EXPECT_EQ(DescribeMatcher<KIRQL>(IrqlIs(DISPATCH_LEVEL)), "is DISPATCH_LEVEL (2)");
  EXPECT_EQ(DescribeMatcher<KIRQL>(IrqlIs(DISPATCH_LEVEL), /*negation=*/true),
            "isn't DISPATCH_LEVEL (2)");
  EXPECT_EQ(DescribeMatcher<KIRQL>(IrqlIs(7)), "is DIRQL 7");
}

TEST(IrqlIsTest, ExplainsTheActualLevelByName) {
  EXPECT_EQ(Explain<KIRQL>(IrqlIs(DISPATCH_LEVEL), PASSIVE_LEVEL), "which is PASSIVE_LEVEL (0)");
  EXPECT_EQ(Explain<int>(IrqlIs(PASSIVE_LEVEL), 9), "which is DIRQL 9");
  // Also on a match, so that a failing Not(IrqlIs(...)) reads by name.
  EXPECT_EQ(Explain<KIRQL>(IrqlIs(HIGH_LEVEL), HIGH_LEVEL), "which is HIGH_LEVEL (15)");
}

TEST(IrqlIsTest, NamesEveryX64Level) {
  const std::vector<std::pair<int, std::string>> expected = {
      {0, "PASSIVE_LEVEL (0)"}, {1, "APC_LEVEL (1)"},    {2, "DISPATCH_LEVEL (2)"},
      {3, "DIRQL 3"},           {4, "DIRQL 4"},          {5, "CMCI_LEVEL (5)"},
      {6, "DIRQL 6"},           {11, "DIRQL 11"},        {12, "SYNCH_LEVEL (12)"},
      {13, "CLOCK_LEVEL (13)"}, {14, "IPI_LEVEL (14)"},  {15, "HIGH_LEVEL (15)"},
      {16, "invalid IRQL 16"},  {-1, "invalid IRQL -1"}, {255, "invalid IRQL 255"}};
  for (const auto& [level, name] : expected) EXPECT_EQ(kemu::testing::IrqlName(level), name);
  // The names agree with the WDK macros.
  EXPECT_EQ(kemu::testing::IrqlName(SYNCH_LEVEL), "SYNCH_LEVEL (12)");
  EXPECT_EQ(kemu::testing::IrqlName(CMCI_LEVEL), "CMCI_LEVEL (5)");
}

TEST(IrqlIsTest, FailureMessageNamesBothLevels) {
  kemu::Machine machine(kemu::Os::kWindows7);
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(KeGetCurrentIrql(), IrqlIs(DISPATCH_LEVEL)),
                          "Expected: is DISPATCH_LEVEL (2)\n  Actual: '\\0' (of type "
                          "unsigned char), which is PASSIVE_LEVEL (0)");
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(KeGetCurrentIrql(), IrqlIs(DISPATCH_LEVEL));
  EXPECT_THAT(old, IrqlIs(PASSIVE_LEVEL));
  KeLowerIrql(old);
}

// ---------------------------------------------------------------------------------------------
// StatusIs and the NTSTATUS name table.

TEST(StatusIsTest, MatchesTheExactStatusOnly) {
  EXPECT_THAT(STATUS_INVALID_PARAMETER_1, StatusIs(STATUS_INVALID_PARAMETER_1));
  EXPECT_THAT(STATUS_INVALID_PARAMETER_1, Not(StatusIs(STATUS_INVALID_PARAMETER_2)));
  EXPECT_THAT(STATUS_INVALID_PARAMETER, Not(StatusIs(STATUS_INVALID_PARAMETER_1)));
  EXPECT_THAT(STATUS_SUCCESS, Not(StatusIs(STATUS_PENDING)));
}

TEST(StatusIsTest, ComparesThe32BitsWhateverIntegerHoldsThem) {
  EXPECT_THAT(ULONG{0xC00000EFu}, StatusIs(STATUS_INVALID_PARAMETER_1));
  EXPECT_THAT(std::int64_t{STATUS_INVALID_PARAMETER_1}, StatusIs(STATUS_INVALID_PARAMETER_1));
}

TEST(StatusIsTest, DescribesItselfWithNameAndHex) {
  EXPECT_EQ(DescribeMatcher<NTSTATUS>(StatusIs(STATUS_INVALID_PARAMETER_1)),
            "is STATUS_INVALID_PARAMETER_1 (0xC00000EF)");
  EXPECT_EQ(DescribeMatcher<NTSTATUS>(StatusIs(STATUS_SUCCESS), /*negation=*/true),
            "isn't STATUS_SUCCESS (0x00000000)");
}

TEST(StatusIsTest, ExplainsTheActualStatusByName) {
  EXPECT_EQ(Explain<NTSTATUS>(StatusIs(STATUS_INVALID_PARAMETER_1), STATUS_SUCCESS),
            "which is STATUS_SUCCESS (0x00000000)");
  EXPECT_EQ(Explain<NTSTATUS>(StatusIs(STATUS_SUCCESS), static_cast<NTSTATUS>(0xC0000999u)),
            "which is NTSTATUS 0xC0000999");
}

TEST(StatusIsTest, FailureMessageNamesBothStatuses) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  RTL_OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = 0;  // too small: RtlGetVersion refuses it
  EXPECT_THAT(RtlGetVersion(&info), StatusIs(STATUS_INVALID_PARAMETER));
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(RtlGetVersion(&info), StatusIs(STATUS_SUCCESS)),
      "Expected: is STATUS_SUCCESS (0x00000000)\n  Actual: -1073741811 (of type int), which "
      "is STATUS_INVALID_PARAMETER (0xC000000D)");
}

TEST(StatusIsTest, AnUnnamedStatusIsShownInHex) {
  const auto unnamed = static_cast<NTSTATUS>(0xC0000999u);
  EXPECT_EQ(kemu::testing::NtStatusName(unnamed), "");
  EXPECT_EQ(kemu::testing::FormatNtStatus(unnamed), "NTSTATUS 0xC0000999");
  EXPECT_EQ(kemu::testing::ParseNtStatus("STATUS_NOT_A_STATUS"), std::nullopt);
}

TEST(StatusIsTest, SharedValuesAreNamedByTheCommonName) {
  EXPECT_EQ(kemu::testing::NtStatusName(STATUS_WAIT_0), "STATUS_SUCCESS");
  EXPECT_EQ(kemu::testing::NtStatusName(STATUS_ABANDONED_WAIT_0), "STATUS_ABANDONED");
  EXPECT_EQ(kemu::testing::ParseNtStatus("STATUS_WAIT_0"), STATUS_SUCCESS);
}

// The table in emu/testing/ntstatus.cpp comes from the same generator as ntstatus.h; this keeps
// the two in step.
TEST(StatusIsTest, EveryStatusTheHeadersDefineHasItsName) {
  const std::filesystem::path header =
      std::filesystem::path(KEMU_SOURCE_DIR) / "include/wdk/ntstatus.h";
  std::ifstream in(header);
  ASSERT_TRUE(in) << "cannot read " << header;
  const std::regex define(R"(#define (STATUS_\w+) \(\(NTSTATUS\)0x([0-9A-Fa-f]{8})U\))");
  int defines = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, define)) continue;
    ++defines;
    const std::string name = match[1];
    const auto value = static_cast<NTSTATUS>(std::stoul(match[2], nullptr, 16));
    EXPECT_EQ(kemu::testing::ParseNtStatus(name), value) << name;
    const std::string_view named = kemu::testing::NtStatusName(value);
    EXPECT_EQ(kemu::testing::ParseNtStatus(named), value) << name << " is named " << named;
  }
  EXPECT_GE(defines, 1500) << "the #define pattern no longer matches " << header;
}

// ---------------------------------------------------------------------------------------------
// MachineTest, its generators and names.

class MachineTestFixtureTest : public kemu::testing::MachineTest {};

INSTANTIATE_TEST_SUITE_P(AllMachines, MachineTestFixtureTest, kemu::testing::AllMachines(),
                         kemu::testing::MachineName());

TEST_P(MachineTestFixtureTest, MachineHasTheShapeItsParameterNames) {
  const auto [os, processors, mode] = GetParam();
  EXPECT_EQ(&kemu::Machine::Current(), &machine());
  EXPECT_EQ(machine().os(), os);
  EXPECT_EQ(machine().options().processors, processors);
  EXPECT_EQ(kemu::KernelModeOf(machine().options()), mode);
  EXPECT_EQ(machine().options().verifier, mode == kemu::KernelMode::kVerifier);
  EXPECT_EQ(machine().options().checked_build, mode != kemu::KernelMode::kRetail);
  EXPECT_EQ(KeQueryActiveProcessors(), (KAFFINITY{1} << processors) - 1);
  EXPECT_EQ(
      ::testing::UnitTest::GetInstance()->current_test_info()->name(),
      "MachineHasTheShapeItsParameterNames/" +
          kemu::testing::MachineName()(::testing::TestParamInfo<MachineParam>(GetParam(), 0)));
}

TEST_P(MachineTestFixtureTest, DriverCodeRunsOnEveryVcpuOfTheMachine) {
  const unsigned processors = std::get<1>(GetParam());
  for (unsigned cpu = 0; cpu < processors; ++cpu) {
    machine().SwitchToProcessor(cpu);
    EXPECT_EQ(KeGetCurrentProcessorNumber(), cpu);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);  // each vCPU has its own IRQL
    EXPECT_THAT(machine().CurrentIrql(), IrqlIs(DISPATCH_LEVEL));
    KeLowerIrql(old);
  }
}

// What each kernel shows for one misuse: lowering the IRQL to a higher level.
TEST_P(MachineTestFixtureTest, KernelModeParameterChoosesWhatTheMisuseGives) {
  switch (std::get<2>(GetParam())) {
    case kemu::KernelMode::kVerifier:
      EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kC4);
      break;
    case kemu::KernelMode::kChecked:
      EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kemu::bugcheck::kIrqlNotLessOrEqual);
      break;
    case kemu::KernelMode::kRetail:  // IRQL-8: the retail kernel sets the level it is given
      KeLowerIrql(HIGH_LEVEL);
      EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
      EXPECT_THAT(machine().bug_checks(), ::testing::IsEmpty());
      KeLowerIrql(PASSIVE_LEVEL);
      break;
  }
}

TEST(MachineTestFixtureTest, MachineNameNamesEachAxis) {
  const kemu::testing::MachineName name;
  EXPECT_EQ(name({MachineParam{kemu::Os::kWindowsXP, 2, kemu::KernelMode::kVerifier}, 0}),
            "xp_2cpu_verifier");
  // A checked kernel keeps the name it had when the axis was verifier off/on.
  EXPECT_EQ(name({MachineParam{kemu::Os::kWindows81, 1, kemu::KernelMode::kChecked}, 5}),
            "win8_1_1cpu_noverifier");
  EXPECT_EQ(name({MachineParam{kemu::Os::kWindows10, 4, kemu::KernelMode::kRetail}, 7}),
            "win10_4cpu_retail");
}

// ctest's list and failure messages show "GetParam() = (...)": the mode by name, not its byte.
TEST(MachineTestFixtureTest, AMachineParamPrintsItsKernelModeByName) {
  EXPECT_EQ(
      ::testing::PrintToString(MachineParam{kemu::Os::kWindowsXP, 2, kemu::KernelMode::kRetail}),
      "(xp, 2, retail)");
}

TEST(MachineTestFixtureTest, KernelModeNamesAndOptionsRoundTrip) {
  for (kemu::KernelMode mode : kemu::kAllKernelModes) {
    EXPECT_EQ(kemu::KernelModeOf(kemu::WithKernelMode({}, mode)), mode) << KernelModeName(mode);
  }
  EXPECT_EQ(kemu::KernelModeName(kemu::KernelMode::kRetail), "retail");
  EXPECT_EQ(kemu::KernelModeName(kemu::KernelMode::kChecked), "checked");
  EXPECT_EQ(kemu::KernelModeName(kemu::KernelMode::kVerifier), "verifier");
  // The defaults are a checked kernel with Driver Verifier on.
  EXPECT_EQ(kemu::KernelModeOf({}), kemu::KernelMode::kVerifier);
  EXPECT_EQ(kemu::KernelModeOf({.verifier = false}), kemu::KernelMode::kChecked);
  EXPECT_EQ(kemu::KernelModeOf({.verifier = false, .checked_build = false}),
            kemu::KernelMode::kRetail);
}

TEST(MachineTestFixtureTest, AllMachinesIsEveryOsTimesProcessorsTimesKernelMode) {
  const auto generator = kemu::testing::AllMachines({1, 4});
  const std::vector<MachineParam> params(generator.begin(), generator.end());
  const std::set<MachineParam> distinct(params.begin(), params.end());
  EXPECT_EQ(params.size(), kemu::kOsCount * 2 * 3);
  EXPECT_EQ(distinct.size(), params.size());
  for (kemu::Os os : kemu::AllOs()) {
    for (unsigned processors : {1u, 4u}) {
      for (kemu::KernelMode mode : kemu::kAllKernelModes) {
        EXPECT_TRUE(distinct.contains({os, processors, mode})) << KernelModeName(mode);
      }
    }
  }
}

TEST(MachineTestFixtureTest, ProcessorsAndVerifierModesYieldTheirValuesInOrder) {
  const auto processors = kemu::testing::Processors({4, 1, 2});
  EXPECT_EQ(std::vector<unsigned>(processors.begin(), processors.end()),
            (std::vector<unsigned>{4, 1, 2}));
  const auto modes = kemu::testing::VerifierModes();
  EXPECT_EQ(
      std::vector<kemu::KernelMode>(modes.begin(), modes.end()),
      (std::vector<kemu::KernelMode>{kemu::KernelMode::kChecked, kemu::KernelMode::kVerifier}));
  const auto all = kemu::testing::KernelModes();
  EXPECT_EQ(std::vector<kemu::KernelMode>(all.begin(), all.end()),
            (std::vector<kemu::KernelMode>{kemu::KernelMode::kRetail, kemu::KernelMode::kChecked,
                                           kemu::KernelMode::kVerifier}));
}

// The fixtures' shared SetUp/TearDown, driven directly so that the test controls KEMU_SEED.
TEST(MachineTestFixtureTest, KemuSeedReplacesTheSeedTheOptionsChose) {
  const ScopedEnv seed("KEMU_SEED", "424242");
  kemu::testing::internal::TestMachine fixture;
  fixture.Start({.os = kemu::Os::kWindows10, .seed = 9});
  EXPECT_EQ(fixture.get().options().seed, 424242u);
  try {
    KeLowerIrql(HIGH_LEVEL);
    ADD_FAILURE() << "KeLowerIrql(HIGH_LEVEL) did not bug-check";
  } catch (const kemu::BugCheck& bug_check) {
    EXPECT_THAT(bug_check.report(), HasSubstr("Seed: 424242 (replay with KEMU_SEED=424242)"));
  }
  fixture.Stop();
}

TEST(MachineTestFixtureTest, WithoutKemuSeedTheOptionsSeedStands) {
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    const ScopedEnv seed("KEMU_SEED", unset);
    kemu::testing::internal::TestMachine fixture;
    fixture.Start({.os = kemu::Os::kWindows10, .seed = 9});
    EXPECT_EQ(fixture.get().options().seed, 9u);
    fixture.Stop();
  }
}

TEST(MachineTestFixtureTest, AMalformedKemuSeedIsAHarnessError) {
  const ScopedEnv seed("KEMU_SEED", "0x10");
  EXPECT_THAT([] { kemu::testing::SeedFromEnvironment(); },
              ::testing::ThrowsMessage<kemu::Error>(HasSubstr(
                  "KEMU_SEED must be a decimal seed (as reports print it), got \"0x10\"")));
}

TEST(MachineTestFixtureTest, StopRecordsALeakAsAFailureOfTheRunningTest) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::testing::internal::TestMachine fixture;
        fixture.Start({.os = kemu::Os::kWindowsVista, .processors = 2});
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        fixture.Stop();
      },
      "vCPU 0 is still at IRQL 2 (expected PASSIVE_LEVEL)");
}

// ---------------------------------------------------------------------------------------------
// BugCheckListener.

TEST(BugCheckListenerTest, SummarizesAReportByCodeNameAndSeed) {
  const std::string report = LowerIrqlReport(77);
  // As GoogleTest words a kemu::BugCheck that escaped the test body.
  const std::string message =
      "C++ exception with description \"" + report + "\" thrown in the test body.";
  EXPECT_EQ(BugCheckListener::Summarize(message),
            "kemu: bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, seed 77 (replay with "
            "KEMU_SEED=77)");
}

TEST(BugCheckListenerTest, SummaryNamesAnExploredSchedule) {
  std::string report;
  {
    kemu::Machine machine(
        {.os = kemu::Os::kWindowsXP, .schedule = {.strategy = kemu::Strategy::kPct, .seed = 9}});
    try {
      KeLowerIrql(HIGH_LEVEL);
    } catch (const kemu::BugCheck& bug_check) {
      report = bug_check.report();
    }
  }
  EXPECT_EQ(BugCheckListener::Summarize(report),
            "kemu: bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, seed 0 (replay with "
            "KEMU_SEED=0), schedule pct seed 9, depth 3");
}

TEST(BugCheckListenerTest, IgnoresFailuresWithoutAReport) {
  EXPECT_EQ(BugCheckListener::Summarize("Expected equality of these values:\n  1\n  2"),
            std::nullopt);
  EXPECT_EQ(BugCheckListener::Summarize("*** kemu bug check 0x"), std::nullopt);
}

TEST(BugCheckListenerTest, PrintsOneLinePerBugCheckFailureWhenTheTestEnds) {
  std::ostringstream out;
  BugCheckListener listener(out);
  const ::testing::TestInfo& info = *::testing::UnitTest::GetInstance()->current_test_info();
  const std::string report = LowerIrqlReport(5);
  using Part = ::testing::TestPartResult;
  listener.OnTestStart(info);
  listener.OnTestPartResult(Part(Part::kNonFatalFailure, "a_test.cpp", 10, report.c_str()));
  listener.OnTestPartResult(Part(Part::kSuccess, "a_test.cpp", 11, report.c_str()));
  listener.OnTestPartResult(Part(Part::kFatalFailure, "a_test.cpp", 12, "Value of: ok"));
  EXPECT_EQ(out.str(), "") << "printed before the test ended";
  listener.OnTestEnd(info);
  EXPECT_EQ(out.str(),
            "kemu: bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, seed 5 (replay with "
            "KEMU_SEED=5)\n");
  // The next test starts with nothing to report.
  listener.OnTestStart(info);
  listener.OnTestEnd(info);
  const std::string printed = out.str();
  EXPECT_EQ(std::count(printed.begin(), printed.end(), '\n'), 1);
}

// ---------------------------------------------------------------------------------------------
// kemu::gtest_main's flags.

TEST(KemuFlagsTest, KemuSeedFlagIsConsumedAndActsAsKemuSeed) {
  const ScopedEnv seed("KEMU_SEED", nullptr);
  std::string args[] = {"tests", "--gtest_brief=1", "--kemu_seed=31", "extra"};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(), args[3].data(), nullptr};
  int argc = 4;
  kemu::testing::internal::ParseKemuFlags(&argc, argv);
  ASSERT_EQ(argc, 3);
  EXPECT_STREQ(argv[1], "--gtest_brief=1");
  EXPECT_STREQ(argv[2], "extra");
  EXPECT_EQ(argv[3], nullptr);
  EXPECT_EQ(kemu::testing::SeedFromEnvironment(), 31u);
}

TEST(KemuFlagsTest, MalformedOrUnknownKemuFlagsAreHarnessErrors) {
  const ScopedEnv seed("KEMU_SEED", nullptr);
  for (const char* flag : {"--kemu_seed=", "--kemu_seed=-1", "--kemu_sed=3"}) {
    std::string args[] = {"tests", flag};
    char* argv[] = {args[0].data(), args[1].data(), nullptr};
    int argc = 2;
    EXPECT_THROW(kemu::testing::internal::ParseKemuFlags(&argc, argv), kemu::Error) << flag;
  }
  EXPECT_EQ(std::getenv("KEMU_SEED"), nullptr);
}

}  // namespace
