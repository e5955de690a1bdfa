// Misuse of reader/writer spin locks (emu/model/ex_spin_locks.cpp, emu/verifier/
// rules_ex_spinlock.cpp and the ordinary spin-lock rules they share): each rule fires with its
// exact code and parameters, and the correct use beside it stays silent. docs/verifier-rules.md,
// "Reader/writer spin locks".
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

std::uint64_t Address(const volatile void* pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer);
}

kemu::MachineOptions VerifierOn(unsigned processors = 1) {
  return {.os = kemu::Os::kWindows10, .processors = processors, .verifier = true};
}
kemu::MachineOptions CheckedKernel() {
  return {.os = kemu::Os::kWindows10, .verifier = false, .checked_build = true};
}
kemu::MachineOptions RetailKernel() {
  return {.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false};
}

// ---------------------------------------------------------------------------------------------
// Acquiring a lock this vCPU already holds, in any pair of modes: a self-deadlock.

TEST(ExSpinLockRulesTest, EveryRecursiveAcquireIsASelfDeadlockUnderVerifier) {
  struct Case {
    const char* name;
    bool first_exclusive;
    bool second_exclusive;
  };
  for (const Case& c :
       {Case{"exclusive while shared", false, true}, Case{"exclusive while exclusive", true, true},
        Case{"shared while exclusive", true, false}, Case{"shared while shared", false, false}}) {
    SCOPED_TRACE(c.name);
    kemu::Machine machine(VerifierOn());
    EX_SPIN_LOCK lock = 0;
    (void)(c.first_exclusive ? ExAcquireSpinLockExclusive(&lock) : ExAcquireSpinLockShared(&lock));
    EXPECT_THAT(CrashOf([&] {
                  c.second_exclusive ? ExAcquireSpinLockExclusiveAtDpcLevel(&lock)
                                     : ExAcquireSpinLockSharedAtDpcLevel(&lock);
                }),
                BugCheckIs(kC4, verifier_code::kSelfDeadlock, Address(&lock), 0, 0));
  }
}

TEST(ExSpinLockRulesTest, RecursiveAcquireWithoutVerifierIsSpinLockAlreadyOwned) {
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    kemu::Machine machine(options);
    EX_SPIN_LOCK lock = 0;
    ExAcquireSpinLockShared(&lock);
    EXPECT_THAT(CrashOf([&] { ExAcquireSpinLockExclusiveAtDpcLevel(&lock); }),
                BugCheckIs(bugcheck::kSpinLockAlreadyOwned, Address(&lock), 0, 0, 0));
  }
}

TEST(ExSpinLockRulesTest, ReacquiringAfterTheReleaseIsSilent) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  KIRQL old = ExAcquireSpinLockShared(&lock);
  ExReleaseSpinLockShared(&lock, old);
  old = ExAcquireSpinLockExclusive(&lock);
  ExReleaseSpinLockExclusive(&lock, old);
  old = ExAcquireSpinLockShared(&lock);
  ExReleaseSpinLockShared(&lock, old);
  machine.Shutdown();
}

// ---------------------------------------------------------------------------------------------
// Releases.

TEST(ExSpinLockRulesTest, ReleasingALockNobodyHoldsIsAnUnacquiredRelease) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockSharedFromDpcLevel(&lock); }),
              BugCheckIs(kC4, verifier_code::kUnacquiredRelease, Address(&lock), 0, 0));
}

TEST(ExSpinLockRulesTest, ReleasingALockNobodyHoldsOnACheckedKernelIsSpinLockNotOwned) {
  kemu::Machine machine(CheckedKernel());
  EX_SPIN_LOCK lock = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockExclusive(&lock, old); }),
              BugCheckIs(bugcheck::kSpinLockNotOwned, Address(&lock), 0, 0, 0));
}

// The thread a vCPU runs, as the verifier stamps it into an ordinary lock it holds.
std::uint64_t ThreadStamp() {
  KSPIN_LOCK probe;
  KeInitializeSpinLock(&probe);
  KIRQL old;
  KeAcquireSpinLock(&probe, &old);
  const std::uint64_t thread = probe & ~KSPIN_LOCK{1};
  KeReleaseSpinLock(&probe, old);
  return thread;
}

TEST(ExSpinLockRulesTest, ReleasingOnAVcpuThatDoesNotHoldItIsAWrongThreadRelease) {
  kemu::Machine machine(VerifierOn(2));
  EX_SPIN_LOCK lock = 0;
  const std::uint64_t owner = ThreadStamp();
  const KIRQL old = ExAcquireSpinLockShared(&lock);
  machine.SwitchToProcessor(1);
  const std::uint64_t releaser = ThreadStamp();
  KIRQL ignored;
  KeRaiseIrql(DISPATCH_LEVEL, &ignored);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockShared(&lock, old); }),
              BugCheckIs(kC4, verifier_code::kWrongThreadRelease, Address(&lock), owner, releaser));
}

TEST(ExSpinLockRulesTest, ReleasingSharedWhatWasAcquiredExclusiveIsAMismatchedRelease) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  const KIRQL old = ExAcquireSpinLockExclusive(&lock);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockShared(&lock, old); }),
              BugCheckIs(kC4, verifier_code::kMismatchedLockRelease, Address(&lock), 0, 0));
}

TEST(ExSpinLockRulesTest, ReleasingExclusiveWhatWasAcquiredSharedIsAMismatchedRelease) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExAcquireSpinLockSharedAtDpcLevel(&lock);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockExclusiveFromDpcLevel(&lock); }),
              BugCheckIs(kC4, verifier_code::kMismatchedLockRelease, Address(&lock), 0, 0));
}

TEST(ExSpinLockRulesTest, AMismatchedReleaseWithoutVerifierIsKemusWrongModeCode) {
  for (const kemu::MachineOptions& options : {CheckedKernel(), RetailKernel()}) {
    kemu::Machine machine(options);
    EX_SPIN_LOCK lock = 0;
    const KIRQL old = ExAcquireSpinLockExclusive(&lock);
    const kemu::BugCheck crash = CrashOf([&] { ExReleaseSpinLockShared(&lock, old); });
    // Held exclusive (2), released as shared (1).
    EXPECT_THAT(crash, BugCheckIs(kC4, verifier_code::kExSpinLockWrongMode, Address(&lock), 2, 1));
    EXPECT_EQ(verifier_code::kExSpinLockWrongMode, 0x4B450019u);
  }
}

TEST(ExSpinLockRulesTest, VistasVerifierHasNoMismatchedReleaseCodeAndGetsKemusWrongModeCode) {
  // 0x1009 is Windows 7's Verifier and later (the 0xC4 table; audit round 14).
  kemu::Machine machine(kemu::Os::kWindowsVista);
  EX_SPIN_LOCK lock = 0;
  const KIRQL old = ExAcquireSpinLockExclusive(&lock);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockShared(&lock, old); }),
              BugCheckIs(kC4, verifier_code::kExSpinLockWrongMode, Address(&lock), 2, 1));
}

TEST(ExSpinLockRulesTest, ReleasingAConvertedLockExclusiveIsSilent) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  const KIRQL old = ExAcquireSpinLockShared(&lock);
  ASSERT_EQ(ExTryConvertSharedSpinLockExclusive(&lock), TRUE);
  ExReleaseSpinLockExclusive(&lock, old);
  machine.Shutdown();
}

// ---------------------------------------------------------------------------------------------
// ExTryConvertSharedSpinLockExclusive on a lock not held shared.

TEST(ExSpinLockRulesTest, ConvertingALockNotHeldIsKemusWrongModeCodeInEveryMode) {
  for (const kemu::MachineOptions& options : {VerifierOn(), CheckedKernel(), RetailKernel()}) {
    kemu::Machine machine(options);
    EX_SPIN_LOCK lock = 0;
    EXPECT_THAT(CrashOf([&] { ExTryConvertSharedSpinLockExclusive(&lock); }),
                BugCheckIs(kC4, verifier_code::kExSpinLockWrongMode, Address(&lock), 0, 1));
  }
}

TEST(ExSpinLockRulesTest, ConvertingALockHeldExclusiveIsKemusWrongModeCode) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  ExAcquireSpinLockExclusive(&lock);
  EXPECT_THAT(CrashOf([&] { ExTryConvertSharedSpinLockExclusive(&lock); }),
              BugCheckIs(kC4, verifier_code::kExSpinLockWrongMode, Address(&lock), 2, 1));
}

// ---------------------------------------------------------------------------------------------
// IRQL.

TEST(ExSpinLockRulesTest, RaisingAcquiresAboveDispatchLevelAreReported) {
  for (bool exclusive : {false, true}) {
    kemu::Machine machine(VerifierOn());
    EX_SPIN_LOCK lock = 0;
    KIRQL old;
    KeRaiseIrql(CLOCK_LEVEL, &old);
    EXPECT_THAT(
        CrashOf([&] {
          (void)(exclusive ? ExAcquireSpinLockExclusive(&lock) : ExAcquireSpinLockShared(&lock));
        }),
        BugCheckIs(kC4, verifier_code::kAcquireSpinLockAboveDispatch, CLOCK_LEVEL, Address(&lock),
                   0));
  }
}

TEST(ExSpinLockRulesTest, RaisingAcquireAboveDispatchOnACheckedKernelIsIrqlNotGreaterOrEqual) {
  kemu::Machine machine(CheckedKernel());
  EX_SPIN_LOCK lock = 0;
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExAcquireSpinLockShared(&lock); }),
              BugCheckIs(bugcheck::kIrqlNotGreaterOrEqual, CLOCK_LEVEL, DISPATCH_LEVEL, 0, 0));
}

TEST(ExSpinLockRulesTest, AnAtDpcLevelAcquireBelowDispatchLevelIsReported) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireSpinLockExclusiveAtDpcLevel(&lock); });
  EXPECT_THAT(crash, BugCheckIs(kC4, verifier_code::kAcquireAtDpcLevelBelowDispatch, PASSIVE_LEVEL,
                                Address(&lock), 0));
  // Called by the test's thread, not from a DPC routine: no word of threaded DPCs (audit 11 F2).
  EXPECT_THAT(crash.report(),
              ::testing::HasSubstr("it requires DISPATCH_LEVEL or above (use KeAcquireSpinLock at "
                                   "lower IRQLs)."));
  EXPECT_THAT(crash.report(), ::testing::Not(::testing::HasSubstr("threaded DPC")));
}

TEST(ExSpinLockRulesTest, AFromDpcLevelReleaseBelowDispatchLevelIsReported) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExAcquireSpinLockSharedAtDpcLevel(&lock);
  KeLowerIrql(APC_LEVEL);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockSharedFromDpcLevel(&lock); }),
              BugCheckIs(kC4, verifier_code::kReleaseFromDpcLevelBelowDispatch, APC_LEVEL,
                         Address(&lock), 0));
}

TEST(ExSpinLockRulesTest, RaisingReleaseAboveDispatchLevelIsReported) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  const KIRQL old = ExAcquireSpinLockExclusive(&lock);
  KIRQL dispatch;
  KeRaiseIrql(CLOCK_LEVEL, &dispatch);
  EXPECT_THAT(CrashOf([&] { ExReleaseSpinLockExclusive(&lock, old); }),
              BugCheckIs(kC4, verifier_code::kReleaseSpinLockNotAtDispatch, CLOCK_LEVEL,
                         Address(&lock), 0));
}

// ---------------------------------------------------------------------------------------------
// A lock word that was never zeroed.

TEST(ExSpinLockRulesTest, ALockWhoseWordIsNotZeroAtFirstUseIsUninitialised) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0x55;
  EXPECT_THAT(CrashOf([&] { ExAcquireSpinLockShared(&lock); }),
              BugCheckIs(kC4, verifier_code::kUninitializedResource, Address(&lock), 0, 0));
}

TEST(ExSpinLockRulesTest, ALockNotZeroedWithoutVerifierIsSpinLockAlreadyOwned) {
  kemu::Machine machine(RetailKernel());
  EX_SPIN_LOCK lock = 0x55;
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireSpinLockExclusive(&lock); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kSpinLockAlreadyOwned, Address(&lock), 0, 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("must be set to zero before its first use"));
}

// ---------------------------------------------------------------------------------------------
// Held where nothing may be held: at Shutdown, when a DPC routine or an ISR returns.

TEST(ExSpinLockRulesTest, ShutdownReportsALockStillHeldShared) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK lock = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExAcquireSpinLockSharedAtDpcLevel(&lock);
  KeLowerIrql(old);  // only the lock is left behind
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kC4, verifier_code::kLeakAtShutdown, 1, Address(&lock), 0));
  EXPECT_THAT(leak.report(), HasSubstr("is still held shared by vCPU 0"));
}

struct DpcUse {
  EX_SPIN_LOCK lock = 0;
  bool release = false;
};

VOID SharedLockDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* use = static_cast<DpcUse*>(context);
  ExAcquireSpinLockSharedAtDpcLevel(&use->lock);
  if (use->release) ExReleaseSpinLockSharedFromDpcLevel(&use->lock);
}

TEST(ExSpinLockRulesTest, ADpcRoutineReturningWithTheLockHeldIsReported) {
  kemu::Machine machine(VerifierOn());
  DpcUse use;
  KDPC dpc;
  KeInitializeDpc(&dpc, &SharedLockDpc, &use);
  EXPECT_THAT(CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); }),
              BugCheckIs(kC4, verifier_code::kDpcReturnedHoldingLock,
                         reinterpret_cast<std::uintptr_t>(&SharedLockDpc), Address(&dpc),
                         Address(&use.lock)));
}

TEST(ExSpinLockRulesTest, ADpcRoutineReleasingTheLockIsSilent) {
  kemu::Machine machine(VerifierOn());
  DpcUse use{.release = true};
  KDPC dpc;
  KeInitializeDpc(&dpc, &SharedLockDpc, &use);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  machine.Shutdown();
}

struct IsrUse {
  kemu::Device* device = nullptr;
  EX_SPIN_LOCK lock = 0;
  bool release = false;
};

BOOLEAN ExclusiveLockIsr(PKINTERRUPT, PVOID context) {
  auto* use = static_cast<IsrUse*>(context);
  use->device->DeassertLine();
  ExAcquireSpinLockExclusiveAtDpcLevel(&use->lock);
  if (use->release) ExReleaseSpinLockExclusiveFromDpcLevel(&use->lock);
  return TRUE;
}

PKINTERRUPT ConnectIsr(IsrUse& use) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &ExclusiveLockIsr, &use, nullptr, 0x51, 5, 5,
                               LevelSensitive, FALSE, 1, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

TEST(ExSpinLockRulesTest, AnIsrReturningWithTheLockHeldIsReported) {
  kemu::Machine machine(VerifierOn());
  IsrUse use{.device = &machine.AddDevice(
                 {.name = "nic", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}})};
  PKINTERRUPT interrupt = ConnectIsr(use);
  EXPECT_THAT(
      CrashOf([&] { use.device->AssertLine(); }),
      BugCheckIs(kC4, verifier_code::kIsrReturnedHoldingLock,
                 reinterpret_cast<std::uintptr_t>(&ExclusiveLockIsr), Address(interrupt), 0));
}

TEST(ExSpinLockRulesTest, AnIsrReleasingTheLockIsSilent) {
  kemu::Machine machine(VerifierOn());
  IsrUse use{.device = &machine.AddDevice(
                 {.name = "nic", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}}),
             .release = true};
  PKINTERRUPT interrupt = ConnectIsr(use);
  use.device->AssertLine();
  IoDisconnectInterrupt(interrupt);
  machine.Shutdown();
}

// ---------------------------------------------------------------------------------------------
// Lock order and deadlock, with the ordinary locks' reports.

TEST(ExSpinLockRulesTest, TakingTwoLocksInBothOrdersIsALockOrderViolation) {
  kemu::Machine machine(VerifierOn());
  EX_SPIN_LOCK a = 0;
  EX_SPIN_LOCK b = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExAcquireSpinLockSharedAtDpcLevel(&a);
  ExAcquireSpinLockExclusiveAtDpcLevel(&b);
  ExReleaseSpinLockExclusiveFromDpcLevel(&b);
  ExReleaseSpinLockSharedFromDpcLevel(&a);
  ExAcquireSpinLockSharedAtDpcLevel(&b);  // the same order, reversed
  EXPECT_THAT(CrashOf([&] { ExAcquireSpinLockSharedAtDpcLevel(&a); }),
              BugCheckIs(kC4, verifier_code::kDeadlock));
}

TEST(ExSpinLockRulesTest, AnExclusiveHolderParkedForEverIsADeadlockNamingTheLock) {
  kemu::Machine machine(VerifierOn(2));
  EX_SPIN_LOCK lock = 0;
  ExAcquireSpinLockExclusive(&lock);
  machine.SwitchToProcessor(1);  // vCPU 0 stays parked holding it
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireSpinLockShared(&lock); });
  EXPECT_THAT(crash, BugCheckIs(kC4, verifier_code::kDeadlock, Address(&lock), 0, 0));
  EXPECT_THAT(
      crash.report(),
      HasSubstr("vCPU 1 (the test) waits for shared access to the reader/writer spin lock"));
}

}  // namespace
