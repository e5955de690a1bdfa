// System-allocated timers (EX_TIMER, Windows 8.1 on): ExAllocateTimer, ExSetTimer, ExCancelTimer,
// ExDeleteTimer. They expire in kemu's timer wheel (DPC-9): the callback runs at DISPATCH_LEVEL
// from a DPC. Each documented bug check (kemu's 0xC4 / 0x4B45001F, Microsoft names no code) has a
// triggering and a silent test.
#include <wdm.h>

#include <cstdint>

#include "bugcheck_with.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;
using ::kemu_test::BugCheckWith;
namespace rule = ::kemu::ex_timer_rule;

constexpr LONGLONG kOneMs = 10 * 1000;  // 100 ns units

class ExTimerTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(Windows81On, ExTimerTest,
                         ::testing::Values(kemu::Os::kWindows81, kemu::Os::kWindows10,
                                           kemu::Os::kWindows11),
                         kemu::testing::OsName());

std::uintptr_t Address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

struct Seen {
  int runs = 0;
  KIRQL irql = 0xFF;
  PEX_TIMER timer = nullptr;
  int deletes = 0;
  bool delete_itself = false;
};

VOID Callback(PEX_TIMER timer, PVOID context) {
  auto* seen = static_cast<Seen*>(context);
  ++seen->runs;
  seen->irql = KeGetCurrentIrql();
  seen->timer = timer;
  if (seen->delete_itself) {
    // Periodic: its next expiry is already pending, and cancelled.
    EXPECT_TRUE(ExDeleteTimer(timer, TRUE, FALSE, nullptr));
  }
}

VOID Deleted(PVOID context) { ++static_cast<Seen*>(context)->deletes; }

EXT_DELETE_PARAMETERS DeleteParameters(Seen* seen) {
  EXT_DELETE_PARAMETERS parameters;
  ExInitializeDeleteTimerParameters(&parameters);
  parameters.DeleteCallback = Deleted;
  parameters.DeleteContext = seen;
  return parameters;
}

TEST(ExTimerParametersTest, TheInitializersWriteVersionZeroAndNoExtras) {
  EXT_SET_PARAMETERS set;
  set.Version = set.Reserved = 7;
  set.NoWakeTolerance = 7;
  ExInitializeSetTimerParameters(&set);
  EXPECT_EQ(set.Version, 0u);
  EXPECT_EQ(set.Reserved, 0u);
  EXPECT_EQ(set.NoWakeTolerance, 0);
  EXT_DELETE_PARAMETERS del;
  del.Version = 7;
  del.DeleteCallback = Deleted;
  del.DeleteContext = &del;
  ExInitializeDeleteTimerParameters(&del);
  EXPECT_EQ(del.Version, 0u);
  EXPECT_EQ(del.DeleteCallback, nullptr);
  EXPECT_EQ(del.DeleteContext, nullptr);
}

TEST_P(ExTimerTest, CallbackRunsAtDispatchWithTheTimerAndContextAtTheDueTime) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  ASSERT_NE(timer, nullptr);
  EXPECT_FALSE(ExSetTimer(timer, -kOneMs, 0, nullptr));
  machine().AdvanceTime(999);
  EXPECT_EQ(seen.runs, 0);
  machine().AdvanceTime(1);
  EXPECT_EQ(seen.runs, 1);
  EXPECT_EQ(seen.irql, DISPATCH_LEVEL);
  EXPECT_EQ(seen.timer, timer);
  machine().AdvanceTime(5000);
  EXPECT_EQ(seen.runs, 1);                                  // one-shot
  EXPECT_FALSE(ExDeleteTimer(timer, TRUE, TRUE, nullptr));  // it had expired: nothing cancelled
}

TEST_P(ExTimerTest, APeriodicTimerFiresEveryPeriodUntilCancelled) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, EX_TIMER_HIGH_RESOLUTION);
  ExSetTimer(timer, -kOneMs, 2 * kOneMs, nullptr);
  machine().AdvanceTime(5000);  // 1, 3 and 5 ms
  EXPECT_EQ(seen.runs, 3);
  EXPECT_TRUE(ExCancelTimer(timer, nullptr));
  EXPECT_FALSE(ExCancelTimer(timer, nullptr));
  machine().AdvanceTime(10000);
  EXPECT_EQ(seen.runs, 3);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
}

TEST_P(ExTimerTest, SettingASetTimerAgainCancelsItAndReturnsTrue) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  EXPECT_FALSE(ExSetTimer(timer, -kOneMs, 0, nullptr));
  EXPECT_TRUE(ExSetTimer(timer, -3 * kOneMs, 0, nullptr));
  machine().AdvanceTime(2000);
  EXPECT_EQ(seen.runs, 0);
  machine().AdvanceTime(1000);
  EXPECT_EQ(seen.runs, 1);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
}

TEST_P(ExTimerTest, AWaitOnTheTimerEndsWhenItExpires) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, EX_TIMER_NOTIFICATION);
  ExSetTimer(timer, -4 * kOneMs, 0, nullptr);
  EXPECT_EQ(KeWaitForSingleObject(timer, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(KeQueryInterruptTime(), 4u * kOneMs);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
}

TEST_P(ExTimerTest, DeletingWithCancelStopsItAndRunsTheDeleteCallbackBeforeReturning) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  ExSetTimer(timer, -kOneMs, kOneMs, nullptr);
  EXT_DELETE_PARAMETERS parameters = DeleteParameters(&seen);
  EXPECT_TRUE(ExDeleteTimer(timer, TRUE, TRUE, &parameters));
  EXPECT_EQ(seen.deletes, 1);
  machine().AdvanceTime(5000);
  EXPECT_EQ(seen.runs, 0);
}

TEST_P(ExTimerTest, DeletingWithoutCancelLetsItExpireOnceAndThenDeletesIt) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  ExSetTimer(timer, -kOneMs, kOneMs, nullptr);  // periodic: still, at most one more expiry
  EXT_DELETE_PARAMETERS parameters = DeleteParameters(&seen);
  EXPECT_FALSE(ExDeleteTimer(timer, FALSE, FALSE, &parameters));
  EXPECT_EQ(seen.deletes, 0);
  // Disabled: setting, cancelling or deleting it again does nothing and returns FALSE.
  EXPECT_FALSE(ExSetTimer(timer, -kOneMs, 0, nullptr));
  EXPECT_FALSE(ExCancelTimer(timer, nullptr));
  EXPECT_FALSE(ExDeleteTimer(timer, TRUE, FALSE, nullptr));
  machine().AdvanceTime(1000);
  EXPECT_EQ(seen.runs, 1);
  EXPECT_EQ(seen.deletes, 1);
  machine().AdvanceTime(5000);
  EXPECT_EQ(seen.runs, 1);
}

TEST_P(ExTimerTest, DeletingWhileAnExpiryIsQueuedLetsItsCallbackRunThenDeletes) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  ExSetTimer(timer, -kOneMs, 0, nullptr);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  machine().AdvanceTime(1000);  // expired: its DPC waits for the vCPU to leave DISPATCH_LEVEL
  EXPECT_EQ(seen.runs, 0);
  EXT_DELETE_PARAMETERS parameters = DeleteParameters(&seen);
  EXPECT_FALSE(ExDeleteTimer(timer, TRUE, FALSE, &parameters));  // nothing left to cancel
  EXPECT_EQ(seen.deletes, 0);
  KeLowerIrql(old);
  // A signalled timer's callback is guaranteed to run; the deletion completes after it.
  EXPECT_EQ(seen.runs, 1);
  EXPECT_EQ(seen.deletes, 1);
}

TEST_P(ExTimerTest, ACallbackMayDeleteItsOwnTimerWithoutWaiting) {
  Seen seen;
  seen.delete_itself = true;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  ExSetTimer(timer, -kOneMs, kOneMs, nullptr);
  machine().AdvanceTime(3000);
  EXPECT_EQ(seen.runs, 1);
}

TEST_P(ExTimerTest, AnInjectedFaultMakesTheAllocationReturnNull) {
  machine().InjectFault({.routine = "ExAllocateTimer"});
  EXPECT_EQ(ExAllocateTimer(nullptr, nullptr, 0), nullptr);
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);  // the fault was for one call
  ASSERT_NE(timer, nullptr);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
}

TEST_P(ExTimerTest, HighResolutionWithNoWakeIs4B45001F) {
  EXPECT_THAT(CrashOf([] {
                ExAllocateTimer(nullptr, nullptr, EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE);
              }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, 0,
                           EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE, rule::kAttributes));
}

TEST_P(ExTimerTest, EachAttributeAloneIsAccepted) {
  const ULONG all[] = {0, EX_TIMER_HIGH_RESOLUTION, EX_TIMER_NO_WAKE,
                       EX_TIMER_NOTIFICATION | EX_TIMER_NO_WAKE};
  for (const ULONG attributes : all) {
    PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, attributes);
    ASSERT_NE(timer, nullptr) << attributes;
    EXPECT_FALSE(ExDeleteTimer(timer, TRUE, TRUE, nullptr));
  }
}

TEST_P(ExTimerTest, AHighResolutionTimerWithAnAbsoluteDueTimeIs4B45001F) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, EX_TIMER_HIGH_RESOLUTION);
  EXPECT_THAT(CrashOf([&] { ExSetTimer(timer, 0, 0, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, Address(timer), 0,
                           rule::kHighResolutionAbsoluteDueTime));
}

TEST_P(ExTimerTest, AnOrdinaryTimerTakesAnAbsoluteDueTime) {
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(Callback, &seen, 0);
  LARGE_INTEGER now;
  KeQuerySystemTime(&now);
  ExSetTimer(timer, now.QuadPart + 2 * kOneMs, 0, nullptr);
  machine().AdvanceTime(2000);
  EXPECT_EQ(seen.runs, 1);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
}

TEST_P(ExTimerTest, APeriodAboveMaxLongIs4B45001F) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  EXPECT_THAT(CrashOf([&] { ExSetTimer(timer, -kOneMs, LONGLONG{MAXLONG} + 1, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, Address(timer),
                           std::uint64_t{MAXLONG} + 1, rule::kPeriodOutOfRange));
}

TEST_P(ExTimerTest, APeriodOfMaxLongAndUnlimitedToleranceAreAccepted) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, EX_TIMER_NO_WAKE);
  EXT_SET_PARAMETERS parameters;
  ExInitializeSetTimerParameters(&parameters);
  parameters.NoWakeTolerance = EX_TIMER_UNLIMITED_TOLERANCE;
  EXPECT_FALSE(ExSetTimer(timer, -kOneMs, MAXLONG, &parameters));
  EXPECT_TRUE(ExDeleteTimer(timer, TRUE, TRUE, nullptr));
}

TEST_P(ExTimerTest, ANegativeNoWakeToleranceIs4B45001F) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, EX_TIMER_NO_WAKE);
  EXT_SET_PARAMETERS parameters;
  ExInitializeSetTimerParameters(&parameters);
  parameters.NoWakeTolerance = -2;
  EXPECT_THAT(CrashOf([&] { ExSetTimer(timer, -kOneMs, 0, &parameters); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, Address(timer),
                           static_cast<std::uint64_t>(-2), rule::kNegativeNoWakeTolerance));
}

TEST_P(ExTimerTest, SetParametersOfAnUnknownVersionAre4B45001F) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  EXT_SET_PARAMETERS parameters;
  ExInitializeSetTimerParameters(&parameters);
  parameters.Version = 1;
  EXPECT_THAT(CrashOf([&] { ExSetTimer(timer, -kOneMs, 0, &parameters); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, Address(timer), 1,
                           rule::kParametersVersion));
}

TEST_P(ExTimerTest, CancelParametersOtherThanNullAre4B45001F) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  int reserved = 0;
  auto* parameters = reinterpret_cast<PEXT_CANCEL_PARAMETERS>(&reserved);
  EXPECT_THAT(CrashOf([&] { ExCancelTimer(timer, parameters); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, Address(timer),
                           Address(parameters), rule::kCancelParameters));
}

TEST_P(ExTimerTest, DeletingWithWaitButNotCancelIs4B45001F) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  EXPECT_THAT(CrashOf([&] { ExDeleteTimer(timer, FALSE, TRUE, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerArgument, Address(timer), 0,
                           rule::kWaitWithoutCancel));
}

TEST_P(ExTimerTest, DeletingWithWaitAtDispatchIsTheWrongIrql) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExDeleteTimer(timer, TRUE, TRUE, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL));
}

TEST_P(ExTimerTest, DeletingWithoutWaitAtDispatchAndWithWaitAtApcLevelAreAllowed) {
  PEX_TIMER first = ExAllocateTimer(nullptr, nullptr, 0);
  PEX_TIMER second = ExAllocateTimer(nullptr, nullptr, 0);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_FALSE(ExDeleteTimer(first, TRUE, FALSE, nullptr));
  KeLowerIrql(APC_LEVEL);
  EXPECT_FALSE(ExDeleteTimer(second, TRUE, TRUE, nullptr));
  KeLowerIrql(old);
}

TEST_P(ExTimerTest, SettingAboveDispatchIsTheWrongIrql) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExSetTimer(timer, -kOneMs, 0, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kKernelApiAtWrongIrql, HIGH_LEVEL));
}

TEST_P(ExTimerTest, UsingATimerWhoseDeletionFinishedIs4B450021) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  ExDeleteTimer(timer, TRUE, FALSE, nullptr);
  EXPECT_THAT(CrashOf([&] { ExSetTimer(timer, -kOneMs, 0, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kExTimerDeleted, Address(timer)));
}

TEST_P(ExTimerTest, APointerExAllocateTimerDidNotReturnIsNotAKernelObject) {
  KTIMER ktimer;
  KeInitializeTimer(&ktimer);
  auto* timer = reinterpret_cast<PEX_TIMER>(&ktimer);
  EXPECT_THAT(CrashOf([&] { ExCancelTimer(timer, nullptr); }),
              BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                           kemu::verifier_code::kInvalidKernelObject, Address(timer)));
}

TEST_P(ExTimerTest, ATimerNeverDeletedIsALeakAtShutdown) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  ExSetTimer(timer, -kOneMs, 0, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1, Address(timer)));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("was never deleted (ExDeleteTimer)"));
}

TEST_P(ExTimerTest, ATimerDeletedWithoutCancelStillSetIsALeakAtShutdown) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  ExSetTimer(timer, -kOneMs, 0, nullptr);
  ExDeleteTimer(timer, FALSE, FALSE, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash, BugCheckWith(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kLeakAtShutdown, 1, Address(timer)));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("set without Cancel"));
}

TEST_P(ExTimerTest, ADeletedTimerIsNoLeak) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, 0);
  ExSetTimer(timer, -kOneMs, kOneMs, nullptr);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST(ExTimerRecordTest, UnderRecordBadAttributesAllocateNothingAndABadSetSetsNothing) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10,
                                             .on_bug_check = kemu::BugCheckAction::kRecord});
  EXPECT_EQ(ExAllocateTimer(nullptr, nullptr, EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE),
            nullptr);
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, EX_TIMER_HIGH_RESOLUTION);
  EXPECT_FALSE(ExSetTimer(timer, 0, 0, nullptr));
  EXPECT_FALSE(ExCancelTimer(timer, nullptr));  // the bad set set nothing
  ASSERT_EQ(machine.bug_checks().size(), 2u);
  EXPECT_EQ(machine.bug_checks()[0].parameter(3), rule::kAttributes);
  EXPECT_EQ(machine.bug_checks()[1].parameter(3), rule::kHighResolutionAbsoluteDueTime);
  ExDeleteTimer(timer, TRUE, TRUE, nullptr);
  machine.Shutdown();
}

VOID DeleteWaitingInsideTheCallback(PEX_TIMER timer, PVOID context) {
  auto* seen = static_cast<Seen*>(context);
  ++seen->runs;
  EXT_DELETE_PARAMETERS parameters = DeleteParameters(seen);
  ExDeleteTimer(timer, TRUE, TRUE, &parameters);
  EXPECT_EQ(seen->deletes, 0);  // not before the callback returns
}

TEST(ExTimerRetailTest, OnARetailKernelWaitingInsideTheOwnCallbackDeletesAfterItReturns) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  Seen seen;
  PEX_TIMER timer = ExAllocateTimer(DeleteWaitingInsideTheCallback, &seen, 0);
  ExSetTimer(timer, -kOneMs, 0, nullptr);
  machine.AdvanceTime(1000);
  EXPECT_EQ(seen.runs, 1);
  EXPECT_EQ(seen.deletes, 1);
  machine.Shutdown();
}

// A thread on vCPU 1 deletes the timer with Wait while the expiry's DPC waits on vCPU 0, which the
// test holds at DISPATCH_LEVEL: the deletion returns only after the callback and the delete
// callback have run.
struct Deleter {
  PEX_TIMER timer = nullptr;
  Seen* seen = nullptr;
  KEVENT go;
  BOOLEAN result = TRUE;
  int deletes_before_return = -1;
};

VOID DeleteOnSignal(PVOID context) {
  auto* deleter = static_cast<Deleter*>(context);
  KeWaitForSingleObject(&deleter->go, Executive, KernelMode, FALSE, nullptr);
  EXT_DELETE_PARAMETERS parameters = DeleteParameters(deleter->seen);
  deleter->result = ExDeleteTimer(deleter->timer, TRUE, TRUE, &parameters);
  deleter->deletes_before_return = deleter->seen->deletes;
}

TEST(ExTimerConcurrencyTest, DeletingWithWaitWaitsForAnExpiryUnderWayOnAnotherVcpu) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .processors = 2});
  Seen seen;
  Deleter deleter;
  deleter.timer = ExAllocateTimer(Callback, &seen, 0);
  deleter.seen = &seen;
  KeInitializeEvent(&deleter.go, NotificationEvent, FALSE);
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &DeleteOnSignal, &deleter),
            STATUS_SUCCESS);
  PVOID thread = nullptr;
  ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &thread, nullptr);
  ZwClose(handle);
  ExSetTimer(deleter.timer, -kOneMs, 0, nullptr);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  machine.AdvanceTime(1000);  // expired; its DPC waits on this vCPU
  KeSetEvent(&deleter.go, IO_NO_INCREMENT, FALSE);
  machine.Settle();  // the thread runs into ExDeleteTimer's wait
  EXPECT_EQ(deleter.deletes_before_return, -1);
  EXPECT_EQ(seen.runs, 0);
  KeLowerIrql(old);  // the callback runs, then the deletion completes
  EXPECT_EQ(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  ObDereferenceObject(thread);
  EXPECT_EQ(seen.runs, 1);
  EXPECT_FALSE(deleter.result);  // the expiry had begun: nothing was cancelled
  EXPECT_EQ(deleter.deletes_before_return, 1);
  EXPECT_EQ(seen.deletes, 1);
  machine.Shutdown();
}

TEST(ExTimerAvailabilityTest, Windows8HasNoExTimerRoutines) {
  kemu::Machine machine(kemu::Os::kWindows8);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"ExAllocateTimer");
  EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
  EXPECT_THROW(ExAllocateTimer(nullptr, nullptr, 0), kemu::MissingExport);
}

TEST(ExTimerAvailabilityTest, Windows81ResolvesThemByName) {
  kemu::Machine machine(kemu::Os::kWindows81);
  for (const wchar_t* routine :
       {L"ExAllocateTimer", L"ExSetTimer", L"ExCancelTimer", L"ExDeleteTimer"}) {
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, routine);
    EXPECT_NE(MmGetSystemRoutineAddress(&name), nullptr);
  }
}

}  // namespace
