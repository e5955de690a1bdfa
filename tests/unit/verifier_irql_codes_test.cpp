// Driver Verifier's own 0xC4 sub-codes for routines called at the wrong IRQL or with APCs
// enabled, in place of the generic 0xE5 (emu/verifier/rules_irql.cpp IrqlRuleWithCode, the fast
// mutexes, critical regions, waits and MmUnmapIoSpace). The codes and their arguments are the
// 0xC4 parameter table's (docs/verifier-rules.md); 0x11A, 0x11B and 0x120-0x122 exist from
// Windows 7 on, Vista gives 0xE5.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

constexpr std::uint32_t kC4 = bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions Retail(kemu::Os os = kemu::Os::kWindows10) {
  return {.os = os, .verifier = false, .checked_build = false};
}

// Fast mutexes: 0x33 / 0x34 (IRQL, mutex, 0).

TEST(VerifierIrqlCodesTest, ExAcquireFastMutexAboveApcIs0x33) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireFastMutex(&mutex); });
  EXPECT_THAT(crash, BugCheckIs(kC4, verifier_code::kAcquireFastMutexAboveApc, DISPATCH_LEVEL,
                                Address(&mutex), 0));
  EXPECT_THAT(crash.what(), HasSubstr("ExAcquireFastMutex was called at IRQL 2"));
}

TEST(VerifierIrqlCodesTest, ExReleaseFastMutexBelowApcIs0x34) {
  kemu::Machine machine(kemu::Os::kWindowsXP);  // a classic code: every release has it
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  ExAcquireFastMutex(&mutex);
  KeLowerIrql(PASSIVE_LEVEL);
  EXPECT_THAT(
      CrashOf([&] { ExReleaseFastMutex(&mutex); }),
      BugCheckIs(kC4, verifier_code::kReleaseFastMutexNotAtApc, PASSIVE_LEVEL, Address(&mutex), 0));
}

TEST(VerifierIrqlCodesTest, ExReleaseFastMutexBelowApcOnACheckedKernelIsIrqlNotGreaterOrEqual) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false, .checked_build = true});
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  ExAcquireFastMutex(&mutex);
  KeLowerIrql(PASSIVE_LEVEL);
  const kemu::BugCheck crash = CrashOf([&] { ExReleaseFastMutex(&mutex); });
  EXPECT_EQ(crash.code(), bugcheck::kIrqlNotGreaterOrEqual);
}

// The Unsafe routines with APCs enabled: 0x39 / 0x3A (IRQL, APC disable count, mutex).

TEST(VerifierIrqlCodesTest, ExAcquireFastMutexUnsafeWithApcsEnabledIs0x39) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  EXPECT_THAT(CrashOf([&] { ExAcquireFastMutexUnsafe(&mutex); }),
              BugCheckIs(kC4, verifier_code::kAcquireUnsafeMutexApcsEnabled, PASSIVE_LEVEL, 0,
                         Address(&mutex)));
}

TEST(VerifierIrqlCodesTest, ExReleaseFastMutexUnsafeAfterLeavingTheRegionIs0x3A) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  KeEnterCriticalRegion();
  ExAcquireFastMutexUnsafe(&mutex);
  KeLeaveCriticalRegion();
  EXPECT_THAT(CrashOf([&] { ExReleaseFastMutexUnsafe(&mutex); }),
              BugCheckIs(kC4, verifier_code::kReleaseUnsafeMutexApcsEnabled, PASSIVE_LEVEL, 0,
                         Address(&mutex)));
}

TEST(VerifierIrqlCodesTest, UnsafeRoutinesInACriticalRegionOrAtApcLevelAreSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  KeEnterCriticalRegion();
  ExAcquireFastMutexUnsafe(&mutex);
  ExReleaseFastMutexUnsafe(&mutex);
  KeLeaveCriticalRegion();
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  ExAcquireFastMutexUnsafe(&mutex);
  ExReleaseFastMutexUnsafe(&mutex);
  KeLowerIrql(old);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(VerifierIrqlCodesTest, UnsafeRoutinesWithApcsEnabledAreSilentWithoutVerifier) {
  kemu::Machine machine(Retail());
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  ExAcquireFastMutexUnsafe(&mutex);
  ExReleaseFastMutexUnsafe(&mutex);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// Critical regions: 0x3E (0, 0, 0) for a leave with none entered; 0x11A / 0x11B (IRQL) above
// APC_LEVEL from Windows 7 on.

TEST(VerifierIrqlCodesTest, KeLeaveCriticalRegionNotEnteredIs0x3EUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT(CrashOf([] { KeLeaveCriticalRegion(); }),
              BugCheckIs(kC4, verifier_code::kLeaveCriticalRegionNotEntered, 0, 0, 0));
}

TEST(VerifierIrqlCodesTest, KeLeaveCriticalRegionNotEnteredIsApcIndexMismatchWithoutVerifier) {
  kemu::Machine machine(Retail());
  EXPECT_EQ(CrashOf([] { KeLeaveCriticalRegion(); }).code(), bugcheck::kApcIndexMismatch);
}

TEST(VerifierIrqlCodesTest, CriticalRegionAboveApcIs0x11AAnd0x11BFromWindows7) {
  {
    kemu::Machine machine(kemu::Os::kWindows7);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT(CrashOf([] { KeEnterCriticalRegion(); }),
                BugCheckIs(kC4, verifier_code::kEnterCriticalRegionAboveApc, DISPATCH_LEVEL, 0, 0));
  }
  {
    kemu::Machine machine(kemu::Os::kWindows11);
    KeEnterCriticalRegion();
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT(CrashOf([] { KeLeaveCriticalRegion(); }),
                BugCheckIs(kC4, verifier_code::kLeaveCriticalRegionAboveApc, DISPATCH_LEVEL, 0, 0));
  }
}

TEST(VerifierIrqlCodesTest, CriticalRegionAboveApcOnVistaIsTheGenericCode) {
  kemu::Machine machine(kemu::Os::kWindowsVista);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { KeEnterCriticalRegion(); }),
              BugCheckIs(kC4, verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

// Waits: 0x120 above DISPATCH_LEVEL, 0x121 at DISPATCH_LEVEL without a timeout, 0x122 at
// DISPATCH_LEVEL with a nonzero one (IRQL, object, timeout); a zero timeout is allowed.

struct EventAt {
  explicit EventAt(kemu::Os os) : machine(os) {
    KeInitializeEvent(&event, NotificationEvent, FALSE);
  }
  kemu::BugCheck WaitAt(KIRQL irql, PLARGE_INTEGER timeout) {
    KIRQL old;
    KeRaiseIrql(irql, &old);
    return CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, timeout); });
  }
  kemu::Machine machine;
  KEVENT event;
};

TEST(VerifierIrqlCodesTest, WaitAboveDispatchIs0x120) {
  EventAt rig(kemu::Os::kWindows10);
  LARGE_INTEGER zero{};
  EXPECT_THAT(rig.WaitAt(HIGH_LEVEL, &zero),
              BugCheckIs(kC4, verifier_code::kWaitAboveDispatch, HIGH_LEVEL, Address(&rig.event),
                         Address(&zero)));
}

TEST(VerifierIrqlCodesTest, WaitAtDispatchWithoutTimeoutIs0x121) {
  EventAt rig(kemu::Os::kWindows7);
  EXPECT_THAT(rig.WaitAt(DISPATCH_LEVEL, nullptr),
              BugCheckIs(kC4, verifier_code::kWaitAtDispatchWithoutTimeout, DISPATCH_LEVEL,
                         Address(&rig.event), 0));
}

TEST(VerifierIrqlCodesTest, WaitAtDispatchWithANonzeroTimeoutIs0x122) {
  EventAt rig(kemu::Os::kWindows10);
  LARGE_INTEGER one_ms;
  one_ms.QuadPart = -10000;
  EXPECT_THAT(rig.WaitAt(DISPATCH_LEVEL, &one_ms),
              BugCheckIs(kC4, verifier_code::kWaitAtDispatchWithTimeout, DISPATCH_LEVEL,
                         Address(&rig.event), Address(&one_ms)));
}

TEST(VerifierIrqlCodesTest, WaitAtDispatchOnVistaIsTheGenericCode) {
  EventAt rig(kemu::Os::kWindowsVista);
  EXPECT_THAT(rig.WaitAt(DISPATCH_LEVEL, nullptr),
              BugCheckIs(kC4, verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
}

TEST(VerifierIrqlCodesTest, APollAtDispatchIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  LARGE_INTEGER zero{};
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
  KeLowerIrql(old);
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
