// kemu's own 0xC4 sub-codes are Driver Verifier's: with MachineOptions::verifier off, each of
// these rules gives what a checked or retail kernel would instead (docs/verifier-rules.md).
// Every rule runs in all three modes, and correct use stays silent in all three.
#include <wdm.h>

#include <cstdint>
#include <ostream>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

enum class Mode { kVerifier, kChecked, kRetail };

kemu::MachineOptions OptionsFor(Mode mode, unsigned processors = 1) {
  return {.os = kemu::Os::kWindows10,
          .processors = processors,
          .verifier = mode == Mode::kVerifier,
          .checked_build = mode != Mode::kRetail};
}

std::string Name(Mode mode) {
  switch (mode) {
    case Mode::kVerifier:
      return "verifier";
    case Mode::kChecked:
      return "checked";
    case Mode::kRetail:
      return "retail";
  }
  return "unknown";
}

std::string ModeName(const ::testing::TestParamInfo<Mode>& info) { return Name(info.param); }
void PrintTo(Mode mode, std::ostream* out) { *out << Name(mode); }

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class VerifierModesTest : public ::testing::TestWithParam<Mode> {
 protected:
  bool verifier() const { return GetParam() == Mode::kVerifier; }
};

INSTANTIATE_TEST_SUITE_P(AllModes, VerifierModesTest,
                         ::testing::Values(Mode::kVerifier, Mode::kChecked, Mode::kRetail),
                         ModeName);

VOID CountingRoutine(PKDPC, PVOID context, PVOID, PVOID) { ++*static_cast<int*>(context); }
VOID OtherRoutine(PKDPC, PVOID context, PVOID, PVOID) { *static_cast<int*>(context) += 100; }

// ---------------------------------------------------------------------------------------------
// KeInitializeDpc on a queued DPC (0x4B450006 under Verifier).

TEST_P(VerifierModesTest, ReinitialisingAQueuedDpcKeepsItQueuedWithoutVerifier) {
  kemu::Machine machine(OptionsFor(GetParam()));
  int runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, &CountingRoutine, &runs);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  if (verifier()) {
    EXPECT_THAT(CrashOf([&] { KeInitializeDpc(&dpc, &OtherRoutine, &runs); }),
                BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                           verifier_code::kDpcReinitializedWhileQueued, Address(&dpc), 0, 0));
    return;
  }
  KeInitializeDpc(&dpc, &OtherRoutine, &runs);
  EXPECT_EQ(dpc.DpcData, nullptr);  // the fields KeInitializeDpc writes, as always (DPC-1)
  EXPECT_FALSE(KeInsertQueueDpc(&dpc, nullptr, nullptr));  // still linked once in the queue
  KeLowerIrql(old);
  EXPECT_EQ(runs, 100);  // it ran once, with the routine it was re-initialised with
  EXPECT_TRUE(machine.bug_checks().empty());
}

TEST_P(VerifierModesTest, ReinitialisingADpcThatAlreadyRanIsSilent) {
  kemu::Machine machine(OptionsFor(GetParam()));
  int runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, &CountingRoutine, &runs);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeInitializeDpc(&dpc, &OtherRoutine, &runs);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(runs, 101);
  EXPECT_FALSE(machine.crashed());
}

// ---------------------------------------------------------------------------------------------
// KeSetTargetProcessorDpc beyond the processor count (0x4B450007 under Verifier before Windows 7).

TEST_P(VerifierModesTest, TargetingAMissingProcessorIsTimerOrDpcInvalid3AtTheInsertBeforeWin7) {
  kemu::MachineOptions options = OptionsFor(GetParam(), 2);
  options.os = kemu::Os::kWindowsVista;
  kemu::Machine machine(options);
  int runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, &CountingRoutine, &runs);
  if (verifier()) {
    EXPECT_THAT(CrashOf([&] { KeSetTargetProcessorDpc(&dpc, 2); }),
                BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                           verifier_code::kDpcTargetOutOfRange, Address(&dpc), 2, 2));
    return;
  }
  KeSetTargetProcessorDpc(&dpc, 2);  // stored unchecked
  EXPECT_EQ(dpc.Number, 2u);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  // 0xC7 / 3: KDPC, processor number, number of processors.
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kTimerOrDpcInvalid, 3, Address(&dpc), 2, 2));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr("on processor 2"));
  EXPECT_EQ(runs, 0);
}

// Legal from Windows 7 on, in every mode: a driver with a fixed number of queues targets
// processors a smaller machine lacks, and Windows ignores those numbers (documented).
TEST_P(VerifierModesTest, FromWindows7AMissingProcessorLeavesTheTargetInEveryMode) {
  kemu::Machine machine(OptionsFor(GetParam(), 2));  // Windows 10
  int runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, &CountingRoutine, &runs);
  KeSetTargetProcessorDpc(&dpc, 1);
  KeSetTargetProcessorDpc(&dpc, 2);  // ignored: processor 1 stays the target
  EXPECT_EQ(dpc.Number, 1u);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  machine.Settle();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(machine.crashed());
}

TEST_P(VerifierModesTest, TargetingAnExistingProcessorIsSilent) {
  kemu::Machine machine(OptionsFor(GetParam(), 2));
  int runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, &CountingRoutine, &runs);
  KeSetTargetProcessorDpc(&dpc, 1);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(machine.crashed());
}

// ---------------------------------------------------------------------------------------------
// ISR returning with a spin lock held (0x4B450008 under Verifier).

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

struct IsrContext {
  PKSPIN_LOCK lock = nullptr;
  bool release = false;
  int calls = 0;
};

BOOLEAN LockingIsr(PKINTERRUPT, PVOID context) {
  auto* isr = static_cast<IsrContext*>(context);
  ++isr->calls;
  KeAcquireSpinLockAtDpcLevel(isr->lock);
  if (isr->release) KeReleaseSpinLockFromDpcLevel(isr->lock);
  return TRUE;
}

PKINTERRUPT ConnectEdge(IsrContext& isr) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &LockingIsr, &isr, nullptr, kVector, kDirql, kDirql,
                               Latched, FALSE, 1, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

kemu::DeviceConfig Timer() {
  return {
      .name = "timer",
      .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}};
}

TEST_P(VerifierModesTest, IsrReturningHoldingALockLeavesItHeldWithoutVerifier) {
  kemu::Machine machine(OptionsFor(GetParam()));
  kemu::Device& device = machine.AddDevice(Timer());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  IsrContext isr{.lock = &lock};
  PKINTERRUPT interrupt = ConnectEdge(isr);
  if (verifier()) {
    EXPECT_THAT(CrashOf([&] { device.PulseLine(); }),
                BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                           verifier_code::kIsrReturnedHoldingLock,
                           reinterpret_cast<std::uintptr_t>(&LockingIsr), Address(interrupt), 0));
    return;
  }
  device.PulseLine();  // silent: the interrupt returns, the lock stays held by vCPU 0
  EXPECT_EQ(isr.calls, 1);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_NE(lock, 0u);
  // The consequence: the next acquire on this vCPU spins on a lock it holds.
  KIRQL old;
  EXPECT_THAT(CrashOf([&] { KeAcquireSpinLock(&lock, &old); }),
              BugCheckIs(bugcheck::kSpinLockAlreadyOwned, Address(&lock), 0, 0, 0));
}

TEST_P(VerifierModesTest, IsrReturningHoldingALockIsNamedAtShutdownWithoutVerifier) {
  if (verifier()) GTEST_SKIP() << "Verifier stops at the ISR's return";
  kemu::Machine machine(OptionsFor(GetParam()));
  kemu::Device& device = machine.AddDevice(Timer());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  IsrContext isr{.lock = &lock};
  PKINTERRUPT interrupt = ConnectEdge(isr);
  device.PulseLine();
  IoDisconnectInterrupt(interrupt);
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                               verifier_code::kLeakAtShutdown, 1, Address(&lock), 0));
  EXPECT_THAT(leak.report(), ::testing::HasSubstr("is still held by vCPU 0"));
}

TEST_P(VerifierModesTest, IsrReleasingItsLockIsSilent) {
  kemu::Machine machine(OptionsFor(GetParam()));
  kemu::Device& device = machine.AddDevice(Timer());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  IsrContext isr{.lock = &lock, .release = true};
  PKINTERRUPT interrupt = ConnectEdge(isr);
  device.PulseLine();
  EXPECT_EQ(isr.calls, 1);
  EXPECT_EQ(lock, 0u);
  IoDisconnectInterrupt(interrupt);
  EXPECT_FALSE(machine.crashed());
}

// ---------------------------------------------------------------------------------------------
// DPC routine returning with a spin lock it acquired held (0x4B45000E under Verifier).

struct DpcLock {
  PKSPIN_LOCK lock = nullptr;
  bool release = false;
  int runs = 0;
};

VOID LockingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* dpc = static_cast<DpcLock*>(context);
  ++dpc->runs;
  KeAcquireSpinLockAtDpcLevel(dpc->lock);
  if (dpc->release) KeReleaseSpinLockFromDpcLevel(dpc->lock);
}

TEST_P(VerifierModesTest, DpcReturningHoldingALockLeavesItHeldWithoutVerifier) {
  kemu::Machine machine(OptionsFor(GetParam()));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  DpcLock context{.lock = &lock};
  KDPC dpc;
  KeInitializeDpc(&dpc, &LockingDpc, &context);
  if (verifier()) {
    EXPECT_THAT(
        CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); }),
        BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                   verifier_code::kDpcReturnedHoldingLock,
                   reinterpret_cast<std::uintptr_t>(&LockingDpc), Address(&dpc), Address(&lock)));
    return;
  }
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));  // silent: the DPC ran and returned
  EXPECT_EQ(context.runs, 1);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);  // back where the DPC interrupted, lock held
  EXPECT_NE(lock, 0u);
  // The consequence: the next acquire on this vCPU spins on a lock it holds.
  KIRQL old;
  EXPECT_THAT(CrashOf([&] { KeAcquireSpinLock(&lock, &old); }),
              BugCheckIs(bugcheck::kSpinLockAlreadyOwned, Address(&lock), 0, 0, 0));
}

TEST_P(VerifierModesTest, DpcReturningHoldingALockIsNamedAtShutdownWithoutVerifier) {
  if (verifier()) GTEST_SKIP() << "Verifier stops at the DPC's return";
  kemu::Machine machine(OptionsFor(GetParam()));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  DpcLock context{.lock = &lock};
  KDPC dpc;
  KeInitializeDpc(&dpc, &LockingDpc, &context);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  const kemu::BugCheck leak = CrashOf([&] { machine.Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                               verifier_code::kLeakAtShutdown, 1, Address(&lock), 0));
  EXPECT_THAT(leak.report(), ::testing::HasSubstr("is still held by vCPU 0"));
}

TEST_P(VerifierModesTest, DpcReleasingItsLockIsSilent) {
  kemu::Machine machine(OptionsFor(GetParam()));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  DpcLock context{.lock = &lock, .release = true};
  KDPC dpc;
  KeInitializeDpc(&dpc, &LockingDpc, &context);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(context.runs, 1);
  EXPECT_EQ(lock, 0u);
  EXPECT_FALSE(machine.crashed());
}

// ---------------------------------------------------------------------------------------------
// KeAcquireInterruptSpinLock on a passive-level ISR: the kernel's own 0x13B in every mode (audit
// round 16, S2: kemu raised 0xC4 / 0x4B45000A under Verifier and 0x1E without).

BOOLEAN PassiveIsr(PKINTERRUPT, PVOID) { return TRUE; }

PKINTERRUPT ConnectPassive(kemu::Device& device) {
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_FULLY_SPECIFIED;
  IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& fs = params.FullySpecified;
  fs.PhysicalDeviceObject = device.pdo();
  fs.InterruptObject = &interrupt;
  fs.ServiceRoutine = &PassiveIsr;
  fs.SynchronizeIrql = PASSIVE_LEVEL;
  fs.Vector = kVector;
  fs.Irql = PASSIVE_LEVEL;
  fs.InterruptMode = LevelSensitive;
  fs.ProcessorEnableMask = ~KAFFINITY{0};
  EXPECT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  return interrupt;
}

kemu::DeviceConfig Gpio() {
  return {.name = "gpio", .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql}};
}

TEST_P(VerifierModesTest, InterruptSpinLockOfAPassiveIsrIsPassiveInterruptErrorInEveryMode) {
  kemu::Machine machine(OptionsFor(GetParam()));
  kemu::Device& device = machine.AddDevice(Gpio());
  PKINTERRUPT interrupt = ConnectPassive(device);
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireInterruptSpinLock(interrupt); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kPassiveInterruptError, 1, Address(interrupt), 0, 0));
  EXPECT_THAT(crash.report(), ::testing::HasSubstr("PASSIVE_INTERRUPT_ERROR"));
}

BOOLEAN SyncRoutine(PVOID context) {
  ++*static_cast<int*>(context);
  return TRUE;
}

TEST_P(VerifierModesTest, KeSynchronizeExecutionWithAPassiveIsrIsSilent) {
  kemu::Machine machine(OptionsFor(GetParam()));
  kemu::Device& device = machine.AddDevice(Gpio());
  PKINTERRUPT interrupt = ConnectPassive(device);
  int runs = 0;
  EXPECT_TRUE(KeSynchronizeExecution(interrupt, &SyncRoutine, &runs));
  EXPECT_EQ(runs, 1);
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
  disconnect.Version = CONNECT_FULLY_SPECIFIED;
  disconnect.ConnectionContext.InterruptObject = interrupt;
  IoDisconnectInterruptEx(&disconnect);
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
