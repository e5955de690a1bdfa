// kemu::Machine: the thread's current-machine scope, Shutdown() and its leak report, what a
// crashed machine does, BugCheckAction, the destructor's failure handler, MachineOptions
// validation, vCPU switching and DbgPrint capture (docs/architecture.md).
#include <wdm.h>

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;

using ::kemu::testing::BugCheckIs;
using ::testing::HasSubstr;

ULONG MajorVersion() {
  RTL_OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
  EXPECT_EQ(RtlGetVersion(&info), STATUS_SUCCESS);
  return info.dwMajorVersion;
}

VOID NoOpRoutine(PKDPC, PVOID, PVOID, PVOID) {}

// ---------------------------------------------------------------------------------------------
// The current-machine scope.

TEST(MachineTest, ConstructionMakesTheMachineCurrentAndDestructionRestoresThePreviousOne) {
  ASSERT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
  {
    kemu::Machine outer(kemu::Os::kWindowsXP);
    EXPECT_EQ(&kemu::Machine::Current(), &outer);
    {
      kemu::Machine inner(kemu::Os::kWindows10);
      EXPECT_EQ(&kemu::Machine::Current(), &inner);
      {
        kemu::Machine innermost(kemu::Os::kWindows7);
        EXPECT_EQ(&kemu::Machine::Current(), &innermost);
      }
      EXPECT_EQ(&kemu::Machine::Current(), &inner);
    }
    EXPECT_EQ(&kemu::Machine::Current(), &outer);
  }
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
}

TEST(MachineTest, MachinesDestroyedInTheOrderTheyWereBuiltLeaveTheNewestCurrent) {
  // A vector of machines, one per personality, destroyed front to back (audit round 14).
  ASSERT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
  auto first = std::make_unique<kemu::Machine>(kemu::Os::kWindowsXP);
  auto second = std::make_unique<kemu::Machine>(kemu::Os::kWindows7);
  auto third = std::make_unique<kemu::Machine>(kemu::Os::kWindows10);
  second.reset();
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), third.get()) << "not the destroyed one's business";
  third.reset();
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), first.get()) << "skips the machine already gone";
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  first.reset();
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
}

TEST(MachineTest, AMachineDestroyedWhileAnotherIsCurrentShutsDownAsTheCurrentOne) {
  auto older = std::make_unique<kemu::Machine>(kemu::Os::kWindowsXP);
  kemu::Machine newer(kemu::Os::kWindows10);
  KDPC dpc;
  KeInitializeDpc(&dpc, &NoOpRoutine, nullptr);  // on the newer machine: nothing left on the older
  older.reset();
  EXPECT_EQ(&kemu::Machine::Current(), &newer);
  EXPECT_FALSE(newer.crashed());
}

TEST(MachineTest, KernelCallsGoToTheCurrentMachineWithItsPersonality) {
  kemu::Machine xp(kemu::Os::kWindowsXP);
  EXPECT_EQ(xp.os(), kemu::Os::kWindowsXP);
  EXPECT_EQ(MajorVersion(), 5u);
  {
    kemu::Machine win10(kemu::Os::kWindows10);
    EXPECT_EQ(win10.personality().os, kemu::Os::kWindows10);
    EXPECT_EQ(MajorVersion(), 10u);
    EXPECT_EQ(KeQueryActiveGroupCount(), 1);  // a Windows 7 export
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_EQ(win10.CurrentIrql(), DISPATCH_LEVEL);
    EXPECT_EQ(xp.CurrentIrql(), PASSIVE_LEVEL) << "machines share no state";
    KeLowerIrql(old);
  }
  EXPECT_EQ(MajorVersion(), 5u);
  EXPECT_THROW(KeQueryActiveGroupCount(), kemu::MissingExport);  // back on XP
}

TEST(MachineTest, CurrentThrowsNoMachineWhenThereIsNone) {
  ASSERT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
  try {
    kemu::Machine::Current();
    ADD_FAILURE() << "Machine::Current() returned without a machine";
  } catch (const kemu::NoMachine& no_machine) {
    EXPECT_THAT(no_machine.what(), HasSubstr("kemu::Machine::Current()"));
  }
}

// ---------------------------------------------------------------------------------------------
// Shutdown.

TEST(MachineTest, ShutdownIsSilentOnAMachineLeftClean) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeReleaseSpinLock(&lock, old);
  KDPC dpc;
  KeInitializeDpc(&dpc, &NoOpRoutine, nullptr);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  EXPECT_NO_THROW(machine.Shutdown());
  EXPECT_FALSE(machine.crashed());
  EXPECT_NO_THROW(machine.Shutdown());  // idempotent
}

TEST(MachineTest, ShutdownNamesEveryLeakInOneBugCheck) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);  // leaves the IRQL at DISPATCH_LEVEL and the lock held
  KDPC dpc;
  KeInitializeDpc(&dpc, &NoOpRoutine, nullptr);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));  // stays queued at DISPATCH_LEVEL

  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                               kemu::verifier_code::kLeakAtShutdown));
  EXPECT_EQ(leak.parameter(1), 3u);                                       // number of leaks
  EXPECT_EQ(leak.parameter(2), reinterpret_cast<std::uintptr_t>(&lock));  // first leaked object
  EXPECT_THAT(leak.report(), HasSubstr("vCPU 0 is still at IRQL 2 (expected PASSIVE_LEVEL)"));
  EXPECT_THAT(leak.report(), HasSubstr("is still held by vCPU 0"));
  EXPECT_THAT(leak.report(), HasSubstr("is still queued on vCPU 0"));
  EXPECT_TRUE(machine.crashed());
}

TEST(MachineTest, ShutdownReportsALeakOnlyOnce) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_BUGCHECK(machine.Shutdown(), kemu::bugcheck::kDriverVerifierDetectedViolation);
  EXPECT_NO_THROW(machine.Shutdown());
}

TEST(MachineTest, ShutdownChecksEveryVcpu) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  machine.SwitchToProcessor(1);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  machine.SwitchToProcessor(0);
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_EQ(leak.parameter(1), 1u);
  EXPECT_THAT(leak.report(), HasSubstr("vCPU 1 is still at IRQL 1 (expected PASSIVE_LEVEL)"));
}

// ---------------------------------------------------------------------------------------------
// Crashes and BugCheckAction.

TEST(MachineTest, ACrashedMachineRethrowsTheSameBugCheckOnTheNextKernelCall) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_FALSE(machine.crashed());
  const kemu::BugCheck first = CrashOf([] { KeLowerIrql(HIGH_LEVEL); });
  ASSERT_THAT(first, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kLowerIrqlInvalid));
  EXPECT_TRUE(machine.crashed());
  EXPECT_TRUE(machine.bug_checks().empty()) << "kThrow records nothing";

  // Not CrashOf, which refuses a machine that crashed before its statement.
  std::optional<kemu::BugCheck> again;
  try {
    KeGetCurrentIrql();
  } catch (const kemu::BugCheck& crash) {
    again = crash;
  }
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->code(), first.code());
  EXPECT_EQ(again->parameters(), first.parameters());
  EXPECT_EQ(again->report(), first.report());
  EXPECT_NO_THROW(machine.Shutdown()) << "a crashed machine has nothing left to check";
}

TEST(MachineTest, RecordActionRecordsABugCheckAndCarriesOnAsARetailKernelWould) {
  kemu::Machine machine(
      {.os = kemu::Os::kWindows10, .on_bug_check = kemu::BugCheckAction::kRecord});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KIRQL ignored;
  EXPECT_NO_THROW(KeRaiseIrql(PASSIVE_LEVEL, &ignored));  // 0xC4/0x30, recorded
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0], BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                                  kemu::verifier_code::kRaiseIrqlInvalid));
  EXPECT_EQ(machine.bug_checks()[0].parameter(1), DISPATCH_LEVEL);
  EXPECT_EQ(machine.bug_checks()[0].parameter(2), PASSIVE_LEVEL);
  EXPECT_FALSE(machine.crashed());
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL) << "a retail kernel writes the new level";
}

TEST(MachineTest, RecordActionStillThrowsWhenNothingCanContinue) {
  kemu::Machine machine(
      {.os = kemu::Os::kWindows10, .on_bug_check = kemu::BugCheckAction::kRecord});
  KDPC dpc{};
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kUninitializedDpc));
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_EQ(machine.bug_checks()[0].parameters(), crash.parameters());
  EXPECT_TRUE(machine.crashed());
}

TEST(MachineDeathTest, AbortActionPrintsTheReportAndAborts) {
  EXPECT_DEATH(
      {
        kemu::Machine machine(
            {.os = kemu::Os::kWindows10, .on_bug_check = kemu::BugCheckAction::kAbort});
        KeLowerIrql(HIGH_LEVEL);
      },
      "\\*\\*\\* kemu bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION\n"
      "    Arg1: 0x0000000000000031  0x31: invalid KeLowerIrql");
}

// ---------------------------------------------------------------------------------------------
// The destructor and the failure handler.

std::optional<kemu::BugCheck>& HandledFailure() {
  static std::optional<kemu::BugCheck> failure;
  return failure;
}

void CaptureFailure(const kemu::BugCheck& failure) { HandledFailure() = failure; }

// Installs CaptureFailure for one test and restores the previous handler.
class ScopedCaptureFailures {
 public:
  ScopedCaptureFailures() : previous_(kemu::SetFailureHandler(&CaptureFailure)) {
    HandledFailure().reset();
  }
  ~ScopedCaptureFailures() {
    kemu::SetFailureHandler(previous_);
    HandledFailure().reset();
  }

 private:
  kemu::FailureHandler previous_;
};

TEST(MachineTest, DestroyingAMachineWithLeaksCallsTheFailureHandler) {
  ScopedCaptureFailures capture;
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
  }
  ASSERT_TRUE(HandledFailure().has_value());
  EXPECT_THAT(*HandledFailure(), BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                            kemu::verifier_code::kLeakAtShutdown));
  EXPECT_THAT(HandledFailure()->report(), HasSubstr("vCPU 0 is still at IRQL 2"));
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
}

TEST(MachineTest, TheDestructorReportsNothingAfterShutdownOrACrash) {
  ScopedCaptureFailures capture;
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_BUGCHECK(machine.Shutdown(), kemu::bugcheck::kDriverVerifierDetectedViolation);
  }
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_BUGCHECK(KeLowerIrql(HIGH_LEVEL), kemu::bugcheck::kDriverVerifierDetectedViolation);
  }
  { kemu::Machine clean(kemu::Os::kWindows10); }
  EXPECT_FALSE(HandledFailure().has_value());
}

TEST(MachineTest, AnAbandonedMachineRunsNoLeakCheck) {
  ScopedCaptureFailures capture;
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);  // left held, at DISPATCH_LEVEL
    machine.Abandon();
    EXPECT_NO_THROW(machine.Shutdown());
    EXPECT_FALSE(machine.crashed());
    EXPECT_TRUE(machine.bug_checks().empty());
  }
  EXPECT_FALSE(HandledFailure().has_value());
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
}

// After Shutdown or Abandon the emulated system is off: what a driver does then (an unload that
// runs too late) would never be leak-checked, so it is refused by name (audit round 16, V6).

TEST(MachineTest, AKernelCallAfterShutdownIsRefusedByName) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.Shutdown();
  KSPIN_LOCK lock;
  EXPECT_THAT([&] { KeInitializeSpinLock(&lock); },
              ::testing::ThrowsMessage<kemu::Error>(
                  HasSubstr("KeInitializeSpinLock called after Machine::Shutdown()")));
  EXPECT_THAT([] { ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'tseT'); },
              ::testing::ThrowsMessage<kemu::Error>(
                  HasSubstr("ExAllocatePoolWithTag called after Machine::Shutdown()")));
  EXPECT_EQ(machine.pool_allocations(), 0u) << "nothing was allocated that no check would see";
  EXPECT_FALSE(machine.crashed()) << "the test's own mistake, not the driver's bug check";
}

TEST(MachineTest, AKernelCallAfterAbandonIsRefusedByName) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.Abandon();
  EXPECT_THAT([] { KeGetCurrentIrql(); }, ::testing::ThrowsMessage<kemu::Error>(HasSubstr(
                                              "KeGetCurrentIrql called after Machine::Abandon()")));
}

TEST(MachineTest, DrivingTheMachineAfterShutdownIsRefusedButReadingItIsNot) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  KeStallExecutionProcessor(5);
  machine.Shutdown();
  EXPECT_THAT([&] { machine.Settle(); }, ::testing::ThrowsMessage<kemu::Error>(HasSubstr(
                                             "Machine::Settle called after Machine::Shutdown()")));
  EXPECT_THAT([&] { machine.AdvanceTime(10); },
              ::testing::ThrowsMessage<kemu::Error>(HasSubstr("Machine::AdvanceTime")));
  EXPECT_THAT([&] { machine.RunPendingDpcs(); },
              ::testing::ThrowsMessage<kemu::Error>(HasSubstr("Machine::RunPendingDpcs")));
  EXPECT_THAT([&] { machine.SwitchToProcessor(1); },
              ::testing::ThrowsMessage<kemu::Error>(HasSubstr("Machine::SwitchToProcessor")));
  EXPECT_THAT([&] { machine.KeepProcessorBusy(1); },
              ::testing::ThrowsMessage<kemu::Error>(HasSubstr("Machine::KeepProcessorBusy")));
  EXPECT_THAT([&] { machine.RaiseNmi(); },
              ::testing::ThrowsMessage<kemu::Error>(HasSubstr("Machine::RaiseNmi")));
  EXPECT_EQ(machine.InterruptTime(), 50u);
  EXPECT_THAT(machine.TraceJson(), HasSubstr("KeStallExecutionProcessor"));
  EXPECT_TRUE(machine.bug_checks().empty());
}

TEST(MachineTest, AKernelCallAfterALeakAtShutdownRaisesTheLeakAgain) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  // Not CrashOf, which refuses a machine that crashed before its statement.
  std::optional<kemu::BugCheck> again;
  try {
    KeGetCurrentIrql();
  } catch (const kemu::BugCheck& crash) {
    again = crash;
  }
  ASSERT_TRUE(again.has_value()) << "the leak, not the refusal after Shutdown";
  EXPECT_EQ(again->code(), leak.code());
  EXPECT_EQ(again->parameters(), leak.parameters());
}

// ---------------------------------------------------------------------------------------------
// Options, vCPUs, debug output.

TEST(MachineTest, ProcessorCountMustBeOneToSixtyFour) {
  EXPECT_THROW(kemu::Machine({.processors = 0}), kemu::Error);
  EXPECT_THROW(kemu::Machine({.processors = 65}), kemu::Error);
  try {
    kemu::Machine machine({.processors = 0});
  } catch (const kemu::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("processors must be 1..64, got 0"));
  }
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), nullptr) << "a rejected machine never became current";
  kemu::Machine largest({.processors = 64});
  EXPECT_EQ(largest.options().processors, 64u);
}

TEST(MachineTest, OptionsOutsideTheirRangeAreRefusedByName) {
  const auto refusal = [](const kemu::MachineOptions& options) {
    try {
      kemu::Machine machine(options);
    } catch (const kemu::Error& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  EXPECT_THAT(refusal({.os = static_cast<kemu::Os>(99)}),
              HasSubstr("MachineOptions::os is not one of the kemu::Os values, got 99"));
  EXPECT_THAT(refusal({.call_history = 1u << 30}),
              HasSubstr("MachineOptions::call_history must be at most 1048576"));
  EXPECT_THAT(refusal({.trace_capacity = ~0u}),
              HasSubstr("MachineOptions::trace_capacity must be at most 16777216 events"));
  EXPECT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
}

TEST(MachineTest, AFaultWithAProbabilityThatIsNoNumberIsRefused) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THROW(machine.InjectFault({.routine = "ExAllocatePoolWithTag",
                                    .probability = std::numeric_limits<double>::quiet_NaN()}),
               kemu::Error);
}

TEST(MachineTest, SwitchToProcessorSelectsTheVcpuTheNextCallRunsOn) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  EXPECT_EQ(machine.CurrentProcessor(), 0u);
  machine.SwitchToProcessor(1);
  EXPECT_EQ(machine.CurrentProcessor(), 1u);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 1u);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(machine.CurrentIrql(), DISPATCH_LEVEL);
  machine.SwitchToProcessor(0);
  EXPECT_EQ(machine.CurrentIrql(), PASSIVE_LEVEL) << "each vCPU has its own IRQL";
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_THROW(machine.SwitchToProcessor(2), kemu::Error);
  EXPECT_EQ(machine.CurrentProcessor(), 0u);
  machine.SwitchToProcessor(1);
  KeLowerIrql(old);
  machine.SwitchToProcessor(0);
}

TEST(MachineTest, DbgPrintOutputIsCapturedInDebugOutput) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(machine.debug_output(), "");
  EXPECT_EQ(DbgPrint("irq %d on %s\n", 5, "nic0"), static_cast<ULONG>(STATUS_SUCCESS));
  KdPrint(("second line 0x%X\n", 0xC4u));
  EXPECT_EQ(machine.debug_output(), "irq 5 on nic0\nsecond line 0xC4\n");
}

TEST(MachineTest, OptionsAreKeptAsGiven) {
  kemu::Machine machine({.os = kemu::Os::kWindows81,
                         .processors = 3,
                         .verifier = false,
                         .checked_build = false,
                         .seed = 77,
                         .call_history = 5});
  EXPECT_EQ(machine.os(), kemu::Os::kWindows81);
  EXPECT_EQ(machine.options().processors, 3u);
  EXPECT_FALSE(machine.options().verifier);
  EXPECT_FALSE(machine.options().checked_build);
  EXPECT_EQ(machine.options().seed, 77u);
  EXPECT_EQ(machine.options().call_history, 5u);
}

}  // namespace
