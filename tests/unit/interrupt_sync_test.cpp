// Synchronising with ISRs and interrupt queries: KeSynchronizeExecution, the interrupt spin lock,
// IoGetAffinityInterrupt and IoReportInterruptActive/Inactive, against conformance INT-1, INT-2,
// INT-4, INT-5, INT-11 and INT-12 (docs/conformance.md §2.3) and docs/windows-facts.md §4.
// Parameterised suites have no instantiation prefix, so the suite-name filters select them too.
#include <fmt/format.h>
#include <iointex.h>
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;
using ::kemu::testing::OsFrom;

using ::kemu::testing::BugCheckIs;
using ::testing::HasSubstr;
using ::testing::Not;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;
using Inactive = ::kemu::MachineOptions::InactiveInterrupts;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

// An ISR that claims its device's interrupts and silences the line, recording what it saw.
struct IsrProbe {
  kemu::Device* device = nullptr;
  char tag = '?';
  std::string* order = nullptr;
  unsigned calls = 0;
  KIRQL irql = 0xFF;
  bool lock_held = false;
};

// INT-1: KeTestSpinLock where the release has it (Server 2003+), the lock word (SL-3) before.
bool LockHeld(PKSPIN_LOCK lock) {
  if (kemu::Machine::Current().personality().CanCall("KeTestSpinLock")) {
    return KeTestSpinLock(lock) == FALSE;
  }
  return *lock != 0;
}

BOOLEAN ProbeIsr(PKINTERRUPT interrupt, PVOID context) {
  IsrProbe& probe = *static_cast<IsrProbe*>(context);
  ++probe.calls;
  probe.irql = KeGetCurrentIrql();
  probe.lock_held = probe.irql != PASSIVE_LEVEL && LockHeld(interrupt->ActualLock);
  if (probe.order != nullptr) probe.order->push_back(probe.tag);
  if (probe.device != nullptr) probe.device->DeassertLine();
  return TRUE;
}

// A KSYNCHRONIZE_ROUTINE's view of the world.
struct SyncProbe {
  PKINTERRUPT interrupt = nullptr;  // whose lock is inspected
  BOOLEAN result = TRUE;
  std::function<void()> body = nullptr;
  unsigned runs = 0;
  KIRQL irql = 0xFF;
  bool lock_held = false;
};

BOOLEAN SyncRoutine(PVOID context) {
  SyncProbe& probe = *static_cast<SyncProbe*>(context);
  ++probe.runs;
  probe.irql = KeGetCurrentIrql();
  probe.lock_held = probe.interrupt != nullptr && LockHeld(probe.interrupt->ActualLock);
  if (probe.body) probe.body();
  return probe.result;
}

struct Wiring {
  ULONG vector = kVector;
  KIRQL irql = kDirql;
  KIRQL synchronize_irql = kDirql;
  PKSPIN_LOCK lock = nullptr;
  KAFFINITY mask = ~KAFFINITY{0};
};

PKINTERRUPT Connect(IsrProbe& probe, const Wiring& wiring = {}) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(
      IoConnectInterrupt(&interrupt, &ProbeIsr, &probe, wiring.lock, wiring.vector, wiring.irql,
                         wiring.synchronize_irql, LevelSensitive, FALSE, wiring.mask, FALSE),
      STATUS_SUCCESS);
  return interrupt;
}

// IoConnectInterruptEx, CONNECT_FULLY_SPECIFIED (Vista+); Irql = SynchronizeIrql = PASSIVE_LEVEL
// with no spin lock makes a passive-level ISR on Windows 8+.
PKINTERRUPT ConnectFullySpecified(kemu::Device& device, IsrProbe& probe, KIRQL irql,
                                  KINTERRUPT_MODE mode = LevelSensitive) {
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_FULLY_SPECIFIED;
  IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& fs = params.FullySpecified;
  fs.PhysicalDeviceObject = device.pdo();
  fs.InterruptObject = &interrupt;
  fs.ServiceRoutine = &ProbeIsr;
  fs.ServiceContext = &probe;
  fs.SynchronizeIrql = irql;
  fs.Vector = kVector;
  fs.Irql = irql;
  fs.InterruptMode = mode;
  fs.ProcessorEnableMask = ~KAFFINITY{0};
  EXPECT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  return interrupt;
}

void DisconnectFullySpecified(PKINTERRUPT interrupt) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_FULLY_SPECIFIED;
  params.ConnectionContext.InterruptObject = interrupt;
  IoDisconnectInterruptEx(&params);
}

IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS ReportFor(PKINTERRUPT interrupt,
                                                      ULONG version = CONNECT_FULLY_SPECIFIED) {
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS params{};
  params.Version = version;
  params.ConnectionContext.InterruptObject = interrupt;
  return params;
}

kemu::DeviceConfig Line(const char* name, ULONG vector = kVector, KIRQL irql = kDirql,
                        kemu::Trigger mode = kemu::Trigger::kLevel) {
  return {.name = name, .line = kemu::LineInterrupt{.vector = vector, .irql = irql, .mode = mode}};
}

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }
std::uint64_t Address(PKSERVICE_ROUTINE isr) { return reinterpret_cast<std::uintptr_t>(isr); }

class KeSynchronizeExecutionPersonalityTest : public kemu::testing::PersonalityTest {};
INSTANTIATE_TEST_SUITE_P(, KeSynchronizeExecutionPersonalityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

class KeSynchronizeExecutionPassiveIsrTest : public kemu::testing::PersonalityTest {};
INSTANTIATE_TEST_SUITE_P(, KeSynchronizeExecutionPassiveIsrTest, OsFrom(kemu::Os::kWindows8),
                         kemu::testing::OsName());

class InterruptSpinLockPersonalityTest : public kemu::testing::PersonalityTest {};
INSTANTIATE_TEST_SUITE_P(, InterruptSpinLockPersonalityTest, OsFrom(kemu::Os::kWindowsXP),
                         kemu::testing::OsName());

// Two vCPUs, so a held lock, not only the IRQL, is what keeps an interrupt away.
class InterruptSpinLockTwoCpuTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::MachineOptions Options() const override { return {.os = GetParam(), .processors = 2}; }
};
INSTANTIATE_TEST_SUITE_P(, InterruptSpinLockTwoCpuTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

class InterruptQueriesPersonalityTest : public InterruptSpinLockTwoCpuTest {};
INSTANTIATE_TEST_SUITE_P(, InterruptQueriesPersonalityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

class InterruptQueriesWin8PlusTest : public kemu::testing::PersonalityTest {};
INSTANTIATE_TEST_SUITE_P(, InterruptQueriesWin8PlusTest, OsFrom(kemu::Os::kWindows8),
                         kemu::testing::OsName());

// --- KeSynchronizeExecution (docs/windows-facts.md §4.1).
TEST_P(KeSynchronizeExecutionPersonalityTest, RoutineRunsAtSynchronizeIrqlUnderTheLock) {
  // INT-1: every caller IRQL up to SynchronizeIrql, for several SynchronizeIrqls.
  for (KIRQL synchronize : {KIRQL{3}, kDirql, KIRQL{8}, KIRQL{12}}) {
    IsrProbe isr;
    PKINTERRUPT interrupt = Connect(isr, {.irql = 3, .synchronize_irql = synchronize});
    for (KIRQL caller = PASSIVE_LEVEL; caller <= synchronize; ++caller) {
      SCOPED_TRACE(testing::Message()
                   << "SynchronizeIrql " << int{synchronize} << ", caller at " << int{caller});
      KIRQL old = PASSIVE_LEVEL;
      if (caller != PASSIVE_LEVEL) KeRaiseIrql(caller, &old);
      SyncProbe probe{.interrupt = interrupt};
      EXPECT_EQ(KeSynchronizeExecution(interrupt, &SyncRoutine, &probe), TRUE);
      EXPECT_EQ(probe.runs, 1u);
      EXPECT_EQ(probe.irql, synchronize);
      EXPECT_TRUE(probe.lock_held);
      EXPECT_EQ(KeGetCurrentIrql(), caller);
      EXPECT_EQ(*interrupt->ActualLock, 0u);
      KeLowerIrql(old);
    }
    IoDisconnectInterrupt(interrupt);
  }
}

TEST_P(KeSynchronizeExecutionPersonalityTest, ReturnValueIsPassedThroughVerbatim) {  // INT-2
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr);
  for (BOOLEAN value : {BOOLEAN{0}, BOOLEAN{1}, BOOLEAN{2}}) {
    SyncProbe probe{.interrupt = interrupt, .result = value};
    EXPECT_EQ(KeSynchronizeExecution(interrupt, &SyncRoutine, &probe), value);
  }
  IoDisconnectInterrupt(interrupt);
}

TEST_P(KeSynchronizeExecutionPersonalityTest, CallerAboveSynchronizeIrqlBugChecks) {  // INT-4
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr);
  KIRQL old;
  KeRaiseIrql(kDirql + 1, &old);
  SyncProbe probe{.interrupt = interrupt};
  const kemu::BugCheck crash =
      CrashOf([&] { KeSynchronizeExecution(interrupt, &SyncRoutine, &probe); });
  if (GetParam() >= kemu::Os::kWindowsVista) {  // Verifier's IRQL checks of kernel APIs
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                  verifier_code::kKernelApiAtWrongIrql));
  } else {
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kIrqlNotLessOrEqual));
  }
  EXPECT_EQ(crash.parameter(1), std::uint64_t{kDirql + 1});
  EXPECT_EQ(probe.runs, 0u);
}

TEST_P(KeSynchronizeExecutionPersonalityTest, InterruptDuringTheRoutineIsDeliveredAsItReturns) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = Connect(isr);
  unsigned calls_inside = ~0u;
  SyncProbe probe{.interrupt = interrupt, .body = [&] {
                    device.AssertLine();
                    KeQueryInterruptTime();  // a kernel call inside: still held off
                    calls_inside = isr.calls;
                  }};
  KeSynchronizeExecution(interrupt, &SyncRoutine, &probe);
  EXPECT_EQ(calls_inside, 0u);
  EXPECT_EQ(isr.calls, 1u);  // before KeSynchronizeExecution returned
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptSpinLockTwoCpuTest, KeSynchronizeExecutionHoldsTheIsrOffTheIdleVcpuToo) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = Connect(isr);
  unsigned calls_inside = ~0u;
  SyncProbe probe{.interrupt = interrupt, .body = [&] {
                    device.AssertLine();  // vCPU 1 is at PASSIVE_LEVEL, but the lock is held
                    calls_inside = isr.calls;
                  }};
  KeSynchronizeExecution(interrupt, &SyncRoutine, &probe);
  EXPECT_EQ(calls_inside, 0u);
  EXPECT_EQ(isr.calls, 1u);
  IoDisconnectInterrupt(interrupt);
}

// INT-12: a polling path calls the ISR body itself, with no hardware event.
struct Poll {
  PKINTERRUPT interrupt;
  IsrProbe* isr;
};

BOOLEAN PollRoutine(PVOID context) {
  Poll& poll = *static_cast<Poll*>(context);
  return ProbeIsr(poll.interrupt, poll.isr);
}

TEST_P(KeSynchronizeExecutionPersonalityTest, IsrBodyCalledFromPassiveRunsAtDirqlUnderTheLock) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr, {.synchronize_irql = 8});
  Poll poll{interrupt, &isr};
  EXPECT_EQ(KeSynchronizeExecution(interrupt, &PollRoutine, &poll), TRUE);
  EXPECT_EQ(isr.calls, 1u);
  EXPECT_EQ(isr.irql, 8);
  EXPECT_TRUE(isr.lock_held);
  EXPECT_EQ(device.connection()->isr_calls, 0u);  // not an interrupt delivery
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  IoDisconnectInterrupt(interrupt);
}

TEST(KeSynchronizeExecutionTest, PointerThatIsNoInterruptObjectBugChecks) {
  kemu::Machine machine(kemu::Os::kWindows10);
  // INT-3's fabricated object: kemu accepts only objects IoConnectInterrupt(Ex) handed out.
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KINTERRUPT fake{};
  fake.ActualLock = &lock;
  fake.SynchronizeIrql = kDirql;
  SyncProbe probe;
  const kemu::BugCheck crash =
      CrashOf([&] { KeSynchronizeExecution(&fake, &SyncRoutine, &probe); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kInvalidInterruptObject));
  EXPECT_EQ(crash.parameter(1), Address(&fake));
  EXPECT_EQ(crash.parameter(2), 0u);
  EXPECT_EQ(probe.runs, 0u);
}

TEST(KeSynchronizeExecutionTest, DisconnectedInterruptObjectBugChecks) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr);
  IoDisconnectInterrupt(interrupt);
  SyncProbe probe;
  const kemu::BugCheck crash =
      CrashOf([&] { KeSynchronizeExecution(interrupt, &SyncRoutine, &probe); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kInvalidInterruptObject));
  EXPECT_EQ(crash.parameter(1), Address(interrupt));
  EXPECT_EQ(crash.parameter(2), 1u);  // disconnected
  // True whether the disconnect came before the call or during it on another vCPU.
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format(
                  "KeSynchronizeExecution was given the interrupt connection {}, which is "
                  "disconnected: IoDisconnectInterrupt(Ex) ran before the call used it (before "
                  "the call or, on another processor, while it was in progress).",
                  static_cast<const void*>(interrupt))));
}

TEST(KeSynchronizeExecutionTest, BogusInterruptWithoutVerifierIsAnAccessViolation) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  KINTERRUPT fake{};
  SyncProbe probe;
  const kemu::BugCheck crash =
      CrashOf([&] { KeSynchronizeExecution(&fake, &SyncRoutine, &probe); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
  EXPECT_EQ(crash.parameter(3), Address(&fake));
}

TEST_P(KeSynchronizeExecutionPassiveIsrTest, PassiveIsrRunsAtPassiveLevelOnlyWhenTheCpuIsThere) {
  kemu::Device& device = machine().AddDevice(Line("gpio"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = ConnectFullySpecified(device, isr, PASSIVE_LEVEL);
  EXPECT_EQ(device.connection()->synchronize_irql, PASSIVE_LEVEL);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  device.AssertLine();
  EXPECT_EQ(isr.calls, 0u);  // a passive-level ISR waits for PASSIVE_LEVEL
  KeLowerIrql(old);
  EXPECT_EQ(isr.calls, 1u);
  EXPECT_EQ(isr.irql, PASSIVE_LEVEL);
  DisconnectFullySpecified(interrupt);
}

TEST_P(KeSynchronizeExecutionPassiveIsrTest, WorksAtPassiveLevelAndHoldsThePassiveIsrOff) {
  // INT-4: Windows 8+ serialises with an event instead of a spin lock.
  kemu::Device& device = machine().AddDevice(Line("gpio"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = ConnectFullySpecified(device, isr, PASSIVE_LEVEL);
  unsigned calls_inside = ~0u;
  SyncProbe probe{.body = [&] {
    device.AssertLine();
    calls_inside = isr.calls;
  }};
  EXPECT_EQ(KeSynchronizeExecution(interrupt, &SyncRoutine, &probe), TRUE);
  EXPECT_EQ(probe.irql, PASSIVE_LEVEL);
  EXPECT_EQ(calls_inside, 0u);
  EXPECT_EQ(isr.calls, 1u);
  DisconnectFullySpecified(interrupt);
}

// --- KeAcquireInterruptSpinLock / KeReleaseInterruptSpinLock (docs/windows-facts.md §4.2).
TEST(InterruptSpinLockTest, KeAcquireInterruptSpinLockIsMissingOnWindows2000) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr);
  EXPECT_THROW(KeAcquireInterruptSpinLock(interrupt), kemu::MissingExport);
  EXPECT_THROW(KeReleaseInterruptSpinLock(interrupt, PASSIVE_LEVEL), kemu::MissingExport);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptSpinLockPersonalityTest, AcquireRaisesToSynchronizeIrqlAndReturnsTheOldIrql) {
  // INT-5
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr, {.synchronize_irql = 8});
  for (KIRQL caller :
       {KIRQL{PASSIVE_LEVEL}, KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}, kDirql, KIRQL{8}}) {
    SCOPED_TRACE(testing::Message() << "caller at " << int{caller});
    KIRQL entry = PASSIVE_LEVEL;
    if (caller != PASSIVE_LEVEL) KeRaiseIrql(caller, &entry);
    const KIRQL old = KeAcquireInterruptSpinLock(interrupt);
    EXPECT_EQ(old, caller);
    EXPECT_EQ(KeGetCurrentIrql(), 8);
    EXPECT_TRUE(LockHeld(interrupt->ActualLock));
    KeReleaseInterruptSpinLock(interrupt, old);
    EXPECT_EQ(KeGetCurrentIrql(), caller);
    EXPECT_FALSE(LockHeld(interrupt->ActualLock));
    KeLowerIrql(entry);
  }
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptSpinLockPersonalityTest, ReleaseDeliversTheInterruptThatArrivedWhileHeld) {
  // INT-5
  kemu::Device& device = machine().AddDevice(Line("nic"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = Connect(isr);
  const KIRQL old = KeAcquireInterruptSpinLock(interrupt);
  device.AssertLine();
  EXPECT_EQ(isr.calls, 0u);
  KeReleaseInterruptSpinLock(interrupt, old);
  EXPECT_EQ(isr.calls, 1u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptSpinLockTwoCpuTest, SharedDriverLockHeldThroughEitherObjectHoldsBothIsrsOff) {
  // INT-11: i8042prt's keyboard and mouse ISRs share one KSPIN_LOCK at the higher DIRQL.
  kemu::Device& keyboard = machine().AddDevice(Line("kbd", 0x51, 5));
  kemu::Device& mouse = machine().AddDevice(Line("mouse", 0x52, 7));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  std::string order;
  IsrProbe kbd_isr{.device = &keyboard, .tag = 'K', .order = &order};
  IsrProbe mouse_isr{.device = &mouse, .tag = 'M', .order = &order};
  PKINTERRUPT kbd =
      Connect(kbd_isr, {.vector = 0x51, .irql = 5, .synchronize_irql = 7, .lock = &lock});
  PKINTERRUPT mou =
      Connect(mouse_isr, {.vector = 0x52, .irql = 7, .synchronize_irql = 7, .lock = &lock});
  EXPECT_EQ(kbd->ActualLock, &lock);
  auto assert_both = [&] {
    keyboard.AssertLine();
    mouse.AssertLine();  // vCPU 1 is idle, but both ISRs need the held lock
    EXPECT_EQ(order, "");
  };
  const bool has_interrupt_lock = GetParam() >= kemu::Os::kWindowsXP;
  for (PKINTERRUPT via : {kbd, mou}) {
    SCOPED_TRACE(via == kbd ? "through the keyboard object" : "through the mouse object");
    if (has_interrupt_lock) {
      const KIRQL old = KeAcquireInterruptSpinLock(via);
      assert_both();
      KeReleaseInterruptSpinLock(via, old);
      EXPECT_EQ(order, "MK");  // the higher DIRQL first
      order.clear();
    }
    SyncProbe probe{.body = assert_both};
    KeSynchronizeExecution(via, &SyncRoutine, &probe);
    EXPECT_EQ(order, "MK");
    order.clear();
  }
  IoDisconnectInterrupt(mou);
  IoDisconnectInterrupt(kbd);
}

TEST_P(KeSynchronizeExecutionPassiveIsrTest, InterruptSpinLockOfAPassiveIsrBugChecks) {
  kemu::Device& device = machine().AddDevice(Line("gpio"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = ConnectFullySpecified(device, isr, PASSIVE_LEVEL);
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireInterruptSpinLock(interrupt); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kPassiveInterruptError, 1, Address(interrupt), 0, 0));
}

// --- IoGetAffinityInterrupt (docs/windows-facts.md §4.4: Windows 7+; Iointex.lib's Wdmlib version
// everywhere).
TEST_P(InterruptQueriesPersonalityTest, IoGetAffinityInterruptReportsEnabledProcessorsOfGroup0) {
  IsrProbe isr;
  PKINTERRUPT narrow = Connect(isr, {.mask = 0b110});  // vCPU 2 does not exist
  PKINTERRUPT wide = Connect(isr, {.vector = 0x52});
  GROUP_AFFINITY affinity;
  if (GetParam() < kemu::Os::kWindows7) {
    EXPECT_THROW(IoGetAffinityInterrupt(narrow, &affinity), kemu::MissingExport);
  } else {
    for (auto [interrupt, mask] :
         {std::pair{narrow, KAFFINITY{0b10}}, std::pair{wide, KAFFINITY{0b11}}}) {
      std::memset(&affinity, 0x55, sizeof(affinity));
      EXPECT_EQ(IoGetAffinityInterrupt(interrupt, &affinity), STATUS_SUCCESS);
      EXPECT_EQ(affinity.Mask, mask);
      EXPECT_EQ(affinity.Group, 0);
    }
  }
  IoDisconnectInterrupt(wide);
  IoDisconnectInterrupt(narrow);
}

TEST_P(InterruptQueriesPersonalityTest, WdmlibIoGetAffinityInterruptWorksOnEveryRelease) {
  IsrProbe isr;
  PKINTERRUPT interrupt = Connect(isr, {.mask = 0b10});
  GROUP_AFFINITY affinity{};
  EXPECT_EQ(WdmlibIoGetAffinityInterrupt(interrupt, &affinity), STATUS_SUCCESS);
  EXPECT_EQ(affinity.Mask, KAFFINITY{0b10});
  EXPECT_EQ(affinity.Group, 0);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptQueriesPersonalityTest, AffinityOfANonInterruptIsStatusInvalidParameter) {
  IsrProbe isr;
  PKINTERRUPT disconnected = Connect(isr);
  IoDisconnectInterrupt(disconnected);
  KINTERRUPT fake{};
  GROUP_AFFINITY affinity{};
  for (PKINTERRUPT bogus : {&fake, disconnected}) {
    EXPECT_EQ(WdmlibIoGetAffinityInterrupt(bogus, &affinity), STATUS_INVALID_PARAMETER);
    if (GetParam() >= kemu::Os::kWindows7) {
      EXPECT_EQ(IoGetAffinityInterrupt(bogus, &affinity), STATUS_INVALID_PARAMETER);
    }
  }
}

// --- IoReportInterruptActive / IoReportInterruptInactive (docs/windows-facts.md §4.3; Windows 8+).
TEST(InterruptQueriesTest, IoReportInterruptInactiveIsMissingBeforeWindows8) {
  kemu::Machine machine(kemu::Os::kWindows7);
  kemu::Device& device = machine.AddDevice(Line("nic"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = ConnectFullySpecified(device, isr, kDirql);
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS report = ReportFor(interrupt);
  EXPECT_THROW(IoReportInterruptInactive(&report), kemu::MissingExport);
  EXPECT_THROW(IoReportInterruptActive(&report), kemu::MissingExport);
  DisconnectFullySpecified(interrupt);
}

TEST_P(InterruptQueriesWin8PlusTest, ReportingInactiveAndActiveIsWhatConnectionActiveShows) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = ConnectFullySpecified(device, isr, kDirql);
  EXPECT_TRUE(device.connection()->active);  // active right after the connect
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS report = ReportFor(interrupt);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);  // both may be called up to DISPATCH_LEVEL
  IoReportInterruptInactive(&report);
  EXPECT_FALSE(device.connection()->active);
  IoReportInterruptActive(&report);
  EXPECT_TRUE(device.connection()->active);
  KeLowerIrql(old);
  IoReportInterruptInactive(&report);  // an inactive ISR may be disconnected
  DisconnectFullySpecified(interrupt);
}

// What an interrupt does to an inactive ISR is undocumented (docs/windows-facts.md §13 item 12);
// each test picks the MachineOptions policy it exercises.
struct InactiveSetup {
  explicit InactiveSetup(Inactive policy, kemu::Trigger mode)
      : machine({.os = kemu::Os::kWindows8, .storm_threshold = 3, .inactive_interrupts = policy}),
        device(machine.AddDevice(Line("nic", kVector, kDirql, mode))),
        isr{.device = &device},
        interrupt(ConnectFullySpecified(device, isr, kDirql,
                                        mode == kemu::Trigger::kEdge ? Latched : LevelSensitive)),
        report(ReportFor(interrupt)) {
    IoReportInterruptInactive(&report);
  }
  kemu::Machine machine;
  kemu::Device& device;
  IsrProbe isr;
  PKINTERRUPT interrupt;
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS report;
};

TEST(InterruptQueriesTest, InactiveIsrIsStillCalledUnderTheDeliverPolicy) {
  InactiveSetup setup(Inactive::kDeliver, kemu::Trigger::kLevel);
  setup.device.AssertLine();
  EXPECT_EQ(setup.isr.calls, 1u);
  DisconnectFullySpecified(setup.interrupt);
}

TEST(InterruptQueriesTest, InactiveIsrLosesEdgesUnderTheDropPolicyUntilReportedActive) {
  InactiveSetup setup(Inactive::kDrop, kemu::Trigger::kEdge);
  setup.device.PulseLine();
  EXPECT_EQ(setup.isr.calls, 0u);
  IoReportInterruptActive(&setup.report);
  EXPECT_EQ(setup.isr.calls, 0u);  // the edge was lost, not kept
  setup.device.PulseLine();
  EXPECT_EQ(setup.isr.calls, 1u);
  DisconnectFullySpecified(setup.interrupt);
}

TEST(InterruptQueriesTest, LevelLineOfAnInactiveIsrStormsUnderTheDropPolicy) {
  // "Making an ISR active or inactive": nobody acknowledges it, and the interrupt keeps firing.
  InactiveSetup setup(Inactive::kDrop, kemu::Trigger::kLevel);
  const kemu::BugCheck crash = CrashOf([&] { setup.device.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&ProbeIsr)));
  EXPECT_EQ(crash.parameter(2), Address(setup.interrupt));
  EXPECT_EQ(setup.isr.calls, 0u);
  // The ISR never ran: the report says why, not only that an ISR must acknowledge its device.
  EXPECT_THAT(crash.what(), HasSubstr("was dropped without calling it: the driver reported it "
                                      "inactive (IoReportInterruptInactive)"));
}

TEST(InterruptQueriesTest, AStormOfAnActiveIsrUnderTheDropPolicySaysNothingOfInactivity) {
  InactiveSetup setup(Inactive::kDrop, kemu::Trigger::kLevel);
  IoReportInterruptActive(&setup.report);
  setup.isr.device = nullptr;  // claims without acknowledging: the line stays asserted
  const kemu::BugCheck crash = CrashOf([&] { setup.device.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&ProbeIsr)));
  EXPECT_GT(setup.isr.calls, 0u);
  EXPECT_THAT(crash.what(), Not(HasSubstr("dropped without calling it")));
}

TEST(InterruptQueriesTest, InterruptForAnInactiveIsrBugChecksUnderTheBugCheckPolicy) {
  InactiveSetup setup(Inactive::kBugCheck, kemu::Trigger::kEdge);
  const kemu::BugCheck crash = CrashOf([&] { setup.device.PulseLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kInterruptWhileInactive));
  EXPECT_EQ(crash.parameter(1), Address(setup.interrupt));
  EXPECT_EQ(setup.isr.calls, 0u);
}

TEST_P(InterruptQueriesWin8PlusTest, ReportingWithAnotherVersionThanTheConnectBugChecks) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  IsrProbe isr{.device = &device};
  PKINTERRUPT interrupt = ConnectFullySpecified(device, isr, kDirql);
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS report = ReportFor(interrupt, CONNECT_LINE_BASED);
  const kemu::BugCheck crash = CrashOf([&] { IoReportInterruptInactive(&report); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDisconnectMismatch));
  EXPECT_EQ(crash.parameter(1), std::uint64_t{CONNECT_LINE_BASED});
  EXPECT_EQ(crash.parameter(2), std::uint64_t{CONNECT_FULLY_SPECIFIED});
  EXPECT_EQ(crash.parameter(3), Address(interrupt));
}

}  // namespace
