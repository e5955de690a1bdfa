// NMI callbacks (KeRegisterNmiCallback, KeDeregisterNmiCallback; model/nmi_callbacks.hpp): an NMI
// a test raises runs them on the running vCPU at HIGH_LEVEL, newest first, whatever that vCPU was
// doing; an NMI none handles is bug check 0x80; a callback that returns at another IRQL or
// holding a spin lock is kemu's 0xC4 / 0x4B450022.
#include <wdm.h>

#include <cstdint>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace rule = ::kemu::nmi_rule;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kNmiHardwareFailure = kemu::bugcheck::kNmiHardwareFailure;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

struct Call {
  int callback;
  BOOLEAN handled;
  KIRQL irql;
};

struct Log {
  std::vector<Call> calls;
  BOOLEAN claim_first = FALSE;
  BOOLEAN claim_second = FALSE;
};

BOOLEAN FirstNmi(PVOID context, BOOLEAN handled) {
  auto& log = *static_cast<Log*>(context);
  log.calls.push_back({1, handled, KeGetCurrentIrql()});
  return log.claim_first;
}

BOOLEAN SecondNmi(PVOID context, BOOLEAN handled) {
  auto& log = *static_cast<Log*>(context);
  log.calls.push_back({2, handled, KeGetCurrentIrql()});
  return log.claim_second;
}

class NmiCallbackTest : public kemu::testing::PersonalityTest {
 protected:
  // Windows Server 2003 introduced the routines.
  bool Exported() { return machine().os() >= kemu::Os::kWindowsServer2003; }
};

TEST_P(NmiCallbackTest, RoutinesExistFromWindowsServer2003) {
  Log log;
  if (!Exported()) {
    EXPECT_THROW(KeRegisterNmiCallback(&FirstNmi, &log), kemu::MissingExport);
    return;
  }
  PVOID handle = KeRegisterNmiCallback(&FirstNmi, &log);
  ASSERT_NE(handle, nullptr);
  EXPECT_EQ(KeDeregisterNmiCallback(handle), STATUS_SUCCESS);
}

TEST_P(NmiCallbackTest, CallbacksRunNewestFirstAtHighLevelToldWhetherAnEarlierOneHandledIt) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  Log log;
  log.claim_second = TRUE;  // the newest claims it: the older one is told Handled = TRUE
  PVOID first = KeRegisterNmiCallback(&FirstNmi, &log);
  PVOID second = KeRegisterNmiCallback(&SecondNmi, &log);
  machine().RaiseNmi();
  ASSERT_EQ(log.calls.size(), 2u);
  EXPECT_EQ(log.calls[0].callback, 2);
  EXPECT_EQ(log.calls[0].handled, FALSE);
  EXPECT_EQ(log.calls[0].irql, HIGH_LEVEL);
  EXPECT_EQ(log.calls[1].callback, 1);
  EXPECT_EQ(log.calls[1].handled, TRUE);
  EXPECT_EQ(log.calls[1].irql, HIGH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);  // back to the interrupted IRQL
  EXPECT_EQ(KeDeregisterNmiCallback(second), STATUS_SUCCESS);
  EXPECT_EQ(KeDeregisterNmiCallback(first), STATUS_SUCCESS);
}

TEST_P(NmiCallbackTest, AnNmiNoCallbackHandlesIsNmiHardwareFailure) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  Log log;  // neither claims it
  PVOID first = KeRegisterNmiCallback(&FirstNmi, &log);
  PVOID second = KeRegisterNmiCallback(&SecondNmi, &log);
  const kemu::BugCheck crash = CrashOf([&] { machine().RaiseNmi(); });
  EXPECT_THAT(crash, BugCheckIs(kNmiHardwareFailure, 0, 2, 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("none of the 2 registered NMI callbacks returned TRUE"));
  EXPECT_EQ(log.calls.size(), 2u);  // both were asked first
  (void)first;
  (void)second;
}

TEST_P(NmiCallbackTest, AnNmiWithNoCallbackRegisteredIsNmiHardwareFailure) {
  const kemu::BugCheck crash = CrashOf([&] { machine().RaiseNmi(); });
  EXPECT_THAT(crash, BugCheckIs(kNmiHardwareFailure, 0, 0, 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("no NMI callback was registered"));
}

TEST_P(NmiCallbackTest, ADeregisteredCallbackIsNotCalledAndItsHandleIsThenInvalid) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  Log log;
  log.claim_first = TRUE;
  PVOID first = KeRegisterNmiCallback(&FirstNmi, &log);
  PVOID second = KeRegisterNmiCallback(&SecondNmi, &log);
  ASSERT_EQ(KeDeregisterNmiCallback(second), STATUS_SUCCESS);
  machine().RaiseNmi();
  ASSERT_EQ(log.calls.size(), 1u);
  EXPECT_EQ(log.calls[0].callback, 1);
  EXPECT_EQ(KeDeregisterNmiCallback(second), STATUS_INVALID_HANDLE);
  int not_a_handle = 0;
  EXPECT_EQ(KeDeregisterNmiCallback(&not_a_handle), STATUS_INVALID_HANDLE);
  EXPECT_EQ(KeDeregisterNmiCallback(first), STATUS_SUCCESS);
}

// The reason NMI code is hard: it lands while the driver holds a lock at DISPATCH_LEVEL, and runs
// at HIGH_LEVEL above it; the vCPU then returns to DISPATCH_LEVEL with the lock still held.
TEST_P(NmiCallbackTest, AnNmiLandsInsideDriverCodeAndReturnsToItsIrql) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  kemu::Device& device = machine().AddDevice({.name = "nmi-source"});
  Log log;
  log.claim_first = TRUE;
  PVOID handle = KeRegisterNmiCallback(&FirstNmi, &log);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  device.ScheduleAfterCalls(2, [this] { machine().RaiseNmi(); });
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);  // call 1
  KeStallExecutionProcessor(1);    // call 2: the NMI lands before it runs
  ASSERT_EQ(log.calls.size(), 1u);
  EXPECT_EQ(log.calls[0].irql, HIGH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(KeDeregisterNmiCallback(handle), STATUS_SUCCESS);
}

// A second NMI while the callbacks run waits for them, as the processor holds it: the callbacks
// never nest.
struct Nested {
  kemu::Machine* machine;
  int depth = 0;
  int max_depth = 0;
  int calls = 0;
};

BOOLEAN RaisesAnotherNmi(PVOID context, BOOLEAN) {
  auto& nested = *static_cast<Nested*>(context);
  nested.max_depth = std::max(nested.max_depth, ++nested.depth);
  if (++nested.calls == 1) nested.machine->RaiseNmi();
  --nested.depth;
  return TRUE;
}

TEST_P(NmiCallbackTest, AnNmiDuringTheCallbacksIsHeldUntilTheyReturn) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  Nested nested{.machine = &machine()};
  PVOID handle = KeRegisterNmiCallback(&RaisesAnotherNmi, &nested);
  machine().RaiseNmi();
  EXPECT_EQ(nested.calls, 2);
  EXPECT_EQ(nested.max_depth, 1);
  EXPECT_EQ(KeDeregisterNmiCallback(handle), STATUS_SUCCESS);
}

BOOLEAN LowersTheIrql(PVOID, BOOLEAN) {
  KeLowerIrql(DISPATCH_LEVEL);
  return TRUE;
}

TEST_P(NmiCallbackTest, ACallbackReturningAtAnotherIrqlIsKemusNmiRule) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  PVOID handle = KeRegisterNmiCallback(&LowersTheIrql, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { machine().RaiseNmi(); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kNmiCallback,
                                Address(reinterpret_cast<const void*>(&LowersTheIrql)),
                                rule::kChangedIrql, DISPATCH_LEVEL));
  (void)handle;
}

KSPIN_LOCK g_nmi_lock;

BOOLEAN KeepsALock(PVOID, BOOLEAN) {
  KeAcquireSpinLockAtDpcLevel(&g_nmi_lock);
  return TRUE;
}

TEST_P(NmiCallbackTest, ACallbackReturningHoldingASpinLockIsKemusNmiRule) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  KeInitializeSpinLock(&g_nmi_lock);
  PVOID handle = KeRegisterNmiCallback(&KeepsALock, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { machine().RaiseNmi(); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kNmiCallback,
                                Address(reinterpret_cast<const void*>(&KeepsALock)),
                                rule::kReturnedHoldingLock, 0));
  EXPECT_THAT(crash.report(), HasSubstr("may not take spin locks"));
  (void)handle;
}

// A callback that takes the lock the interrupted code holds on the same processor would spin
// forever on Windows: kemu's lock model reports it, and names the NMI callback as the caller.
BOOLEAN TakesTheHeldLock(PVOID, BOOLEAN) {
  KeAcquireSpinLockAtDpcLevel(&g_nmi_lock);
  KeReleaseSpinLockFromDpcLevel(&g_nmi_lock);
  return TRUE;
}

TEST_P(NmiCallbackTest, ACallbackTakingALockTheInterruptedCodeHoldsIsReported) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  KeInitializeSpinLock(&g_nmi_lock);
  PVOID handle = KeRegisterNmiCallback(&TakesTheHeldLock, nullptr);
  KIRQL old;
  KeAcquireSpinLock(&g_nmi_lock, &old);
  const kemu::BugCheck crash = CrashOf([&] { machine().RaiseNmi(); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kSelfDeadlock));
  EXPECT_THAT(crash.report(), HasSubstr("an NMI callback on vCPU 0"));
  (void)handle;
  (void)old;
}

TEST_P(NmiCallbackTest, ACallbackStillRegisteredAtShutdownIsALeak) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  Log log;
  PVOID handle = KeRegisterNmiCallback(&FirstNmi, &log);
  const kemu::BugCheck crash = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(crash,
              BugCheckIs(kVerifier, kemu::verifier_code::kLeakAtShutdown, 1, Address(handle), 0));
  EXPECT_THAT(crash.report(), HasSubstr("KeRegisterNmiCallback without KeDeregisterNmiCallback"));
}

TEST_P(NmiCallbackTest, RegisteringAboveApcLevelIsTheIrqlReport) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  Log log;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] { KeRegisterNmiCallback(&FirstNmi, &log); });
  if (machine().personality().verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql,
                                  DISPATCH_LEVEL, 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST_P(NmiCallbackTest, AnInjectedFaultMakesRegistrationReturnNull) {
  if (!Exported()) GTEST_SKIP() << "no NMI callbacks before Windows Server 2003";
  machine().InjectFault({.routine = "KeRegisterNmiCallback"});
  Log log;
  EXPECT_EQ(KeRegisterNmiCallback(&FirstNmi, &log), nullptr);
  // The next one succeeds (the fault fails one call by default).
  PVOID handle = KeRegisterNmiCallback(&FirstNmi, &log);
  ASSERT_NE(handle, nullptr);
  EXPECT_EQ(KeDeregisterNmiCallback(handle), STATUS_SUCCESS);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, NmiCallbackTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
