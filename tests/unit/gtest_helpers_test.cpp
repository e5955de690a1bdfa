// kemu::gtest, tested like product: EXPECT_BUGCHECK / ASSERT_BUGCHECK pass
// only on the exact code and say what was expected and what happened; BugCheckIs matches and
// describes itself; OsName() names parameterised tests; PersonalityTest gives every test a
// machine of its Os; a Machine destroyed with leaks fails the running test.
#include <gtest/gtest-spi.h>
#include <wdm.h>

#include <sstream>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Not;

constexpr std::uint32_t kC4 = kemu::bugcheck::kDriverVerifierDetectedViolation;

kemu::BugCheck RaiseIrqlBugCheck() {
  return kemu::BugCheck(kC4, {kemu::verifier_code::kRaiseIrqlInvalid, 2, 0, 0}, "report text");
}

// ---------------------------------------------------------------------------------------------
// EXPECT_BUGCHECK / ASSERT_BUGCHECK.

TEST(GtestHelpersTest, ExpectBugCheckPassesOnTheRightCode) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kC4);
  EXPECT_TRUE(machine.crashed());
}

TEST(GtestHelpersTest, ExpectBugCheckPassesOnTheRightClassicCodeWithoutVerifier) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kemu::bugcheck::kIrqlNotLessOrEqual);
}

TEST(GtestHelpersTest, ExpectBugCheckFailsNamingExpectedAndActualCodes) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kemu::bugcheck::kIrqlNotLessOrEqual);
      },
      "Expected: KeLowerIrql(HIGH_LEVEL) bug-checks with 0xA IRQL_NOT_LESS_OR_EQUAL\n"
      "  Actual: it bug-checked with 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION\n");
}

TEST(GtestHelpersTest, ExpectBugCheckFailureIncludesTheReport) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), 0x133);
      },
      "*** kemu bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION");
}

TEST(GtestHelpersTest, ExpectBugCheckFailsWhenNothingCrashes) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        EXPECT_BUGCHECK(KeGetCurrentIrql(), kC4);
      },
      "Expected: KeGetCurrentIrql() bug-checks with 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION\n"
      "  Actual: it returned normally");
}

TEST(GtestHelpersTest, ExpectBugCheckNamesAnUnnamedCodeByNumber) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        EXPECT_BUGCHECK(KeGetCurrentIrql(), 0x12345);
      },
      "bug-checks with 0x12345\n  Actual: it returned normally");
}

TEST(GtestHelpersTest, ExpectBugCheckAcceptsABugCheckRecordedUnderTheRecordAction) {
  kemu::Machine machine(
      {.os = kemu::Os::kWindows10, .on_bug_check = kemu::BugCheckAction::kRecord});
  EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kC4);
  EXPECT_FALSE(machine.crashed());
  KeLowerIrql(PASSIVE_LEVEL);
}

TEST(GtestHelpersTest, ExpectBugCheckNamesARecordedBugCheckWithTheWrongCode) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(
            {.os = kemu::Os::kWindows10, .on_bug_check = kemu::BugCheckAction::kRecord});
        EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kemu::bugcheck::kIrqlNotLessOrEqual);
        KeLowerIrql(PASSIVE_LEVEL);
      },
      "  Actual: it recorded 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION");
}

TEST(GtestHelpersTest, ExpectBugCheckIgnoresBugChecksRecordedBeforeTheStatement) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(
            {.os = kemu::Os::kWindows10, .on_bug_check = kemu::BugCheckAction::kRecord});
        KeLowerIrql(HIGH_LEVEL);  // recorded 0xC4 before the assertion
        EXPECT_BUGCHECK(KeGetCurrentIrql(), kC4);
        KeLowerIrql(PASSIVE_LEVEL);
      },
      "  Actual: it returned normally");
}

TEST(GtestHelpersTest, ExpectBugCheckOnAMachineThatAlreadyCrashedFailsSayingSo) {
  // Audit round 12: legal code passed, because a crashed machine re-raises its first bug check.
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kC4);
        EXPECT_BUGCHECK(KeGetCurrentIrql(), kC4);
      },
      "Actual: the machine had already crashed before this statement ran");
}

TEST(GtestHelpersTest, CrashOfOnAMachineThatAlreadyCrashedFailsSayingSo) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        (void)kemu::testing::CrashOf([] { KeLowerIrql(HIGH_LEVEL); });
        (void)kemu::testing::CrashOf([] { KeGetCurrentIrql(); });
      },
      "the machine had already crashed before this statement ran");
}

TEST(GtestHelpersTest, CrashOfThatReturnsNormallyIsReportedAtTheCallersLine) {
  const int line = __LINE__ + 5;
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(&failures);
    kemu::Machine machine(kemu::Os::kWindows10);
    EXPECT_EQ(kemu::testing::CrashOf([] { KeGetCurrentIrql(); }).code(), 0u);
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_EQ(failures.GetTestPartResult(0).line_number(), line);
  EXPECT_THAT(failures.GetTestPartResult(0).file_name(),
              ::testing::EndsWith("gtest_helpers_test.cpp"));
}

TEST(GtestHelpersTest, AssertBugCheckPassesOnTheRightCode) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ASSERT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kC4);
}

bool reached_after_assert = false;

TEST(GtestHelpersTest, AssertBugCheckIsFatal) {
  reached_after_assert = false;
  EXPECT_FATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        ASSERT_BUGCHECK(KeGetCurrentIrql(), kC4);
        reached_after_assert = true;
      },
      "Expected: KeGetCurrentIrql() bug-checks with 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION\n"
      "  Actual: it returned normally");
  EXPECT_FALSE(reached_after_assert);
}

// A statement that throws something other than a bug check fails the macro at its own line, with
// the statement and the exception's message (it escaped to GoogleTest's "unknown file").
TEST(GtestHelpersTest, ExpectBugCheckReportsAnExceptionThatIsNotABugCheck) {
  const int line = __LINE__ + 5;
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(&failures);
    kemu::Machine machine(kemu::Os::kWindows10);
    EXPECT_BUGCHECK(throw kemu::Error("the harness gave up"), kC4);
  }
  ASSERT_EQ(failures.size(), 1);
  const ::testing::TestPartResult& failure = failures.GetTestPartResult(0);
  EXPECT_TRUE(failure.nonfatally_failed());
  EXPECT_EQ(failure.line_number(), line);
  EXPECT_THAT(failure.file_name(), ::testing::EndsWith("gtest_helpers_test.cpp"));
  EXPECT_STREQ(failure.message(),
               "Expected: throw kemu::Error(\"the harness gave up\") bug-checks with 0xC4 "
               "DRIVER_VERIFIER_DETECTED_VIOLATION\n"
               "  Actual: it threw an exception that is not a bug check: the harness gave up");
}

// A routine the personality lacks: what a driver built for a later Windows meets on an older one.
TEST(GtestHelpersTest, AssertBugCheckReportsAMissingExportAndEndsTheTest) {
  reached_after_assert = false;
  EXPECT_FATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows2000);
        ASSERT_BUGCHECK(KeFlushQueuedDpcs(), kC4);
        reached_after_assert = true;
      },
      "Expected: KeFlushQueuedDpcs() bug-checks with 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION\n"
      "  Actual: it threw an exception that is not a bug check: KeFlushQueuedDpcs is not "
      "available on Windows 2000");
  EXPECT_FALSE(reached_after_assert);
}

// ---------------------------------------------------------------------------------------------
// BugCheckIs.

TEST(GtestHelpersTest, BugCheckIsMatchesTheCode) {
  EXPECT_THAT(RaiseIrqlBugCheck(), BugCheckIs(kC4));
  EXPECT_THAT(RaiseIrqlBugCheck(), Not(BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual)));
}

TEST(GtestHelpersTest, BugCheckIsMatchesTheCodeAndFirstParameter) {
  EXPECT_THAT(RaiseIrqlBugCheck(), BugCheckIs(kC4, 0x30));
  EXPECT_THAT(RaiseIrqlBugCheck(), Not(BugCheckIs(kC4, 0x31)));
  EXPECT_THAT(RaiseIrqlBugCheck(), Not(BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0x30)));
}

TEST(GtestHelpersTest, BugCheckIsMatchesAThrownBugCheck) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT([] { KeLowerIrql(HIGH_LEVEL); }, ::testing::Throws<kemu::BugCheck>(BugCheckIs(
                                                   kC4, kemu::verifier_code::kLowerIrqlInvalid)));
}

TEST(GtestHelpersTest, BugCheckIsDescribesItself) {
  EXPECT_EQ(::testing::DescribeMatcher<kemu::BugCheck>(BugCheckIs(kC4, 0x30)),
            "is bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION with Arg1 0x30");
  EXPECT_EQ(::testing::DescribeMatcher<kemu::BugCheck>(BugCheckIs(0x133)),
            "is bug check 0x133 DPC_WATCHDOG_VIOLATION");
  EXPECT_EQ(::testing::DescribeMatcher<kemu::BugCheck>(BugCheckIs(kC4, 0x30), /*negation=*/true),
            "is not bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION with Arg1 0x30");
}

TEST(GtestHelpersTest, BugCheckIsExplainsAMismatch) {
  ::testing::StringMatchResultListener wrong_code;
  EXPECT_FALSE(::testing::ExplainMatchResult(BugCheckIs(0xA), RaiseIrqlBugCheck(), &wrong_code));
  EXPECT_EQ(wrong_code.str(), "which is bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION");

  ::testing::StringMatchResultListener wrong_parameter;
  EXPECT_FALSE(
      ::testing::ExplainMatchResult(BugCheckIs(kC4, 0x31), RaiseIrqlBugCheck(), &wrong_parameter));
  EXPECT_EQ(wrong_parameter.str(), "whose Arg1 is 0x30");
}

TEST(GtestHelpersTest, AFailedBugCheckIsExpectationPrintsTheReport) {
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(RaiseIrqlBugCheck(), BugCheckIs(0x133)),
                          "is bug check 0x133 DPC_WATCHDOG_VIOLATION");
  std::ostringstream printed;
  kemu::PrintTo(RaiseIrqlBugCheck(), &printed);
  EXPECT_EQ(printed.str(), "report text");
}

// ---------------------------------------------------------------------------------------------
// OsName() and PersonalityTest.

TEST(GtestHelpersTest, OsNameGivesEveryOsAValidTestName) {
  const std::string expected[] = {"win2000", "xp",     "ws2003", "vista", "win7",
                                  "win8",    "win8_1", "win10",  "win11"};
  const auto& all = kemu::AllOs();
  ASSERT_EQ(all.size(), std::size(expected));
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(kemu::testing::OsName()(::testing::TestParamInfo<kemu::Os>(all[i], i)), expected[i]);
  }
}

class GtestHelpersPersonalityTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, GtestHelpersPersonalityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(GtestHelpersPersonalityTest, EachTestRunsOnAMachineOfItsOs) {
  EXPECT_EQ(&kemu::Machine::Current(), &machine());
  EXPECT_EQ(machine().os(), GetParam());
  EXPECT_EQ(machine().options().processors, 1u);
  EXPECT_TRUE(machine().options().verifier);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(::testing::UnitTest::GetInstance()->current_test_info()->name(),
            "EachTestRunsOnAMachineOfItsOs/" +
                kemu::testing::OsName()(::testing::TestParamInfo<kemu::Os>(GetParam(), 0)));
}

TEST_P(GtestHelpersPersonalityTest, ACrashedMachineLeavesTeardownQuiet) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  // Crashes at DISPATCH_LEVEL: a leak for a live machine, nothing to report for a crashed one.
  EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kC4);
}

class GtestHelpersOptionsTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::MachineOptions Options() const override {
    return {.os = GetParam(), .processors = 2, .verifier = false, .seed = 9};
  }
};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, GtestHelpersOptionsTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(GtestHelpersOptionsTest, OptionsOverrideShapesTheMachine) {
  EXPECT_EQ(machine().os(), GetParam());
  EXPECT_EQ(machine().options().processors, 2u);
  EXPECT_EQ(machine().options().seed, 9u);
  EXPECT_EQ(KeQueryActiveProcessors(), 0x3u);
  EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kemu::bugcheck::kIrqlNotLessOrEqual);
}

// ---------------------------------------------------------------------------------------------
// The failure handler kemu::gtest installs.

TEST(GtestHelpersTest, AMachineDestroyedWithLeaksFailsTheRunningTest) {
  EXPECT_NONFATAL_FAILURE(
      {
        kemu::Machine machine(kemu::Os::kWindows10);
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
      },
      "vCPU 0 is still at IRQL 2 (expected PASSIVE_LEVEL)");
}

// A leak found at teardown is the test's: reported at the test's file and line, not inside kemu.
TEST(GtestHelpersTest, ALeakFoundAtTeardownIsReportedAtTheTestsOwnLine) {
  const int test_line = __LINE__ - 1;
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(&failures);
    kemu::Machine machine(kemu::Os::kWindows10);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_EQ(failures.GetTestPartResult(0).line_number(), test_line);
  EXPECT_THAT(failures.GetTestPartResult(0).file_name(),
              ::testing::EndsWith("gtest_helpers_test.cpp"));
}

// The personality filters a suite instantiates over, and CrashOf for inspecting a bug check.
std::vector<kemu::Os> Drain(::testing::internal::ParamGenerator<kemu::Os> generator) {
  return std::vector<kemu::Os>(generator.begin(), generator.end());
}

TEST(GtestHelpersTest, OsFromListsThatReleaseAndEveryLaterOneOldestFirst) {
  EXPECT_THAT(Drain(kemu::testing::OsFrom(kemu::Os::kWindows8)),
              ::testing::ElementsAre(kemu::Os::kWindows8, kemu::Os::kWindows81,
                                     kemu::Os::kWindows10, kemu::Os::kWindows11));
}

TEST(GtestHelpersTest, OsWhereKeepsThePersonalitiesThePredicateAccepts) {
  const auto msi = Drain(kemu::testing::OsWhere(
      [](const kemu::Personality& p) { return p.kernel_exports_connect_ex; }));
  ASSERT_EQ(msi.size(), 6u);
  EXPECT_EQ(msi.front(), kemu::Os::kWindowsVista);
  EXPECT_EQ(msi.back(), kemu::Os::kWindows11);
}

TEST(GtestHelpersTest, CrashOfReturnsTheBugCheckTheStatementRaised) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = kemu::testing::CrashOf([&] { KeRaiseIrql(PASSIVE_LEVEL, &old); });
  EXPECT_EQ(crash.code(), 0xC4u);
  EXPECT_EQ(crash.parameter(0), 0x30u);
}

TEST(GtestHelpersTest, CrashOfFailsTheTestWhenNothingCrashes) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_NONFATAL_FAILURE(
      { EXPECT_EQ(kemu::testing::CrashOf([] { KeGetCurrentIrql(); }).code(), 0u); },
      "expected a bug check, but the statement returned normally");
}

// CrashOf's failure is placed at its caller's line, through CallSite (std::source_location is
// missing from Clang 14 with libstdc++ 12: audit round 20, D4).
kemu::testing::CallSite CalledFrom(
    kemu::testing::CallSite where = kemu::testing::CallSite::Here()) {
  return where;
}

TEST(GtestHelpersTest, CallSiteAsADefaultArgumentIsTheCallersFileAndLine) {
  const int line = __LINE__ + 1;
  const kemu::testing::CallSite where = CalledFrom();
  EXPECT_EQ(where.line, line);
  EXPECT_STREQ(where.file, __FILE__);
}

TEST(GtestHelpersTest, CrashOfReportsNothingCrashingAtTheCallersLine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ::testing::TestPartResultArray failures;
  int line = 0;
  {
    const ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    line = __LINE__ + 1;
    (void)kemu::testing::CrashOf([] { KeGetCurrentIrql(); });
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_EQ(failures.GetTestPartResult(0).line_number(), line);
  EXPECT_STREQ(failures.GetTestPartResult(0).file_name(), __FILE__);
}

}  // namespace
