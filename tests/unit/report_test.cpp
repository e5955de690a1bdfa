// The bug-check report a developer reads (kemu::BugCheck::what()), compared byte for byte with
// files in tests/golden/. Run with KEMU_UPDATE_GOLDEN=1 to rewrite them after
// an intended change, then review the diff.
//
// Host addresses make report text differ from run to run. The scenarios are built so that the
// only host addresses in a report are of objects the test owns (a spin lock, a KDPC, a DPC
// routine); each is replaced by a name such as <&lock> (golden.hpp) before comparing. Virtual
// time and event sequence numbers are deterministic already.
#include <wdm.h>

#include <functional>
#include <string>
#include <vector>

#include "golden.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;

using ::testing::HasSubstr;
using ::testing::Not;

using ::kemu::testing::golden::ExpectMatchesGolden;
using ::kemu::testing::golden::NormaliseAddresses;

VOID LeakedDpcRoutine(PKDPC, PVOID, PVOID, PVOID) {}

// (a) 0xC4/0x30: KeRaiseIrql to a lower level, after a few calls that move virtual time.
kemu::BugCheck RaiseIrqlMisuse() {
  KeGetCurrentIrql();
  KeStallExecutionProcessor(5);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeQueryInterruptTime();
  KeStallExecutionProcessor(20);
  return CrashOf([] {
    KIRQL ignored;
    KeRaiseIrql(PASSIVE_LEVEL, &ignored);
  });
}

// ---------------------------------------------------------------------------------------------
// Golden files.

TEST(ReportTest, RaiseIrqlMisuseReportMatchesTheGoldenFile) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const kemu::BugCheck crash = RaiseIrqlMisuse();
  ASSERT_THAT(crash, kemu::testing::BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                               kemu::verifier_code::kRaiseIrqlInvalid));
  ExpectMatchesGolden(NormaliseAddresses(crash.report(), {}), "report_raise_irql.txt");
}

TEST(ReportTest, ShutdownLeakReportMatchesTheGoldenFile) {
  kemu::Machine machine({.os = kemu::Os::kWindows7, .processors = 2});
  KSPIN_LOCK lock;
  KDPC dpc;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeInitializeDpc(&dpc, &LeakedDpcRoutine, nullptr);
  KeInsertQueueDpc(&dpc, reinterpret_cast<PVOID>(0x1111), nullptr);
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  ASSERT_THAT(leak, kemu::testing::BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                              kemu::verifier_code::kLeakAtShutdown));
  const std::string report = NormaliseAddresses(
      leak.report(), {{&lock, "&lock"},
                      {&dpc, "&dpc"},
                      {reinterpret_cast<const void*>(&LeakedDpcRoutine), "routine"}});
  ExpectMatchesGolden(report, "report_shutdown_leak.txt");
}

// ---------------------------------------------------------------------------------------------
// What every report must say, independent of the golden text.

TEST(ReportTest, ReportNamesTheBugCheckAndExplainsItsParameters) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const std::string report = RaiseIrqlMisuse().report();
  EXPECT_THAT(report, ::testing::StartsWith(
                          "*** kemu bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION\n"
                          "    Arg1: 0x0000000000000030  0x30: invalid KeRaiseIrql\n"
                          "    Arg2: 0x0000000000000002  current IRQL\n"
                          "    Arg3: 0x0000000000000000  requested IRQL\n"));
}

TEST(ReportTest, ReportNamesThePersonalityAndTheSeed) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const std::string report = RaiseIrqlMisuse().report();
  EXPECT_THAT(report,
              HasSubstr("  Machine: Windows 10 (10.0.19045), 1 vCPU, Driver Verifier on\n"));
  EXPECT_THAT(report, HasSubstr("  Seed: 0 (replay with KEMU_SEED=0)\n"));
}

TEST(ReportTest, ReportShowsTheServicePackVcpusModeAndANonZeroSeed) {
  kemu::Machine machine({.os = kemu::Os::kWindows7,
                         .processors = 2,
                         .verifier = false,
                         .checked_build = true,
                         .seed = 1234});
  const kemu::BugCheck crash = RaiseIrqlMisuse();
  ASSERT_THAT(crash, kemu::testing::BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual));
  EXPECT_THAT(crash.report(),
              HasSubstr("  Machine: Windows 7 (6.1.7601 Service Pack 1), 2 vCPUs, checked kernel, "
                        "verifier off\n"));
  EXPECT_THAT(crash.report(), HasSubstr("  Seed: 1234 (replay with KEMU_SEED=1234)\n"));
}

// A failure under an explored schedule names the schedule too: the seed alone does not give the
// same interleaving again (audit round 4).
TEST(ReportTest, ReportNamesAnExploredScheduleAndHowToReplayIt) {
  {
    kemu::Machine machine(
        {.processors = 2, .schedule = {.strategy = kemu::Strategy::kRandom, .seed = 6}});
    EXPECT_THAT(RaiseIrqlMisuse().report(),
                HasSubstr("  Schedule: random seed 6 (replay with KEMU_SCHEDULE_STRATEGY=random "
                          "KEMU_SCHEDULE=6 in a kemu::testing fixture, or "
                          "MachineOptions::schedule = {.strategy = kemu::Strategy::kRandom, "
                          ".seed = 6})\n"));
  }
  {
    kemu::Machine machine(
        {.processors = 2, .schedule = {.strategy = kemu::Strategy::kPct, .seed = 3, .depth = 2}});
    EXPECT_THAT(RaiseIrqlMisuse().report(), HasSubstr("  Schedule: pct seed 3, depth 2 ("));
  }
  kemu::Machine machine({.processors = 2});
  EXPECT_THAT(RaiseIrqlMisuse().report(), Not(HasSubstr("Schedule:")));
}

TEST(ReportTest, ReportListsTheLastCallsOldestFirst) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const std::string report = RaiseIrqlMisuse().report();
  EXPECT_THAT(report, HasSubstr("Last kernel calls, oldest first (6 in all; #n = trace event):\n"));
  // #4 is the IRQL change KfRaiseIrql made: numbers are trace event numbers, not call numbers.
  const std::vector<std::string> calls = {
      "#1     vCPU0 IRQL  0  t=0us  KeGetCurrentIrql()",
      "#2     vCPU0 IRQL  0  t=0us  KeStallExecutionProcessor(MicroSeconds=0x5)",
      "#3     vCPU0 IRQL  0  t=5us  KfRaiseIrql(NewIrql=0x2)",
      "#5     vCPU0 IRQL  2  t=5us  KeQueryInterruptTime()",
      "#6     vCPU0 IRQL  2  t=5us  KeStallExecutionProcessor(MicroSeconds=0x14)",
      "#7     vCPU0 IRQL  2  t=25us  KfRaiseIrql(NewIrql=0x0)",
  };
  std::size_t previous = 0;
  for (const std::string& call : calls) {
    const std::size_t at = report.find(call);
    ASSERT_NE(at, std::string::npos) << "missing: " << call << "\n" << report;
    EXPECT_GT(at, previous) << call << " is out of order";
    previous = at;
  }
}

TEST(ReportTest, ReportKeepsOnlyTheConfiguredNumberOfCalls) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .call_history = 2});
  const std::string report = RaiseIrqlMisuse().report();
  EXPECT_THAT(report, HasSubstr("Last kernel calls, oldest first (6 in all; #n = trace event):\n"
                                "    #6     vCPU0 IRQL  2  t=5us  KeStallExecutionProcessor("
                                "MicroSeconds=0x14)\n"
                                "    #7     vCPU0 IRQL  2  t=25us  KfRaiseIrql(NewIrql=0x0)\n"));
  EXPECT_THAT(report, Not(HasSubstr("#5 ")));
}

TEST(ReportTest, TheSameScenarioGivesTheSameReport) {
  std::string first, second;
  {
    kemu::Machine machine(kemu::Os::kWindowsXP);
    first = RaiseIrqlMisuse().report();
  }
  {
    kemu::Machine machine(kemu::Os::kWindowsXP);
    second = RaiseIrqlMisuse().report();
  }
  EXPECT_EQ(first, second);
  EXPECT_THAT(first, HasSubstr("Windows XP (5.1.2600 Service Pack 3)"));
}

TEST(ReportTest, BugCheckWhatIsTheReport) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const kemu::BugCheck crash = RaiseIrqlMisuse();
  EXPECT_EQ(std::string(crash.what()), crash.report());
  EXPECT_EQ(crash.name(), "DRIVER_VERIFIER_DETECTED_VIOLATION");
}

}  // namespace
