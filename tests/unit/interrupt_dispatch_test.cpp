// Interrupt delivery and ISR dispatch against conformance INT-6, INT-7, INT-10 and DPC-12
// (docs/conformance.md §2.3, §2.5), docs/windows-facts.md §9 and docs/decisions.md,
// decision 5. Parameterised suites have no instantiation prefix, so "InterruptDispatch*" selects
// them too; multi-vCPU and verifier-mode tests build their own machine.
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;
using ::kemu::testing::OsFrom;

using ::kemu::testing::BugCheckIs;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
constexpr unsigned kStormThreshold = 4;

enum class Claim { kAlways, kNever, kWhenMyLineIsAsserted };

// One ISR's behaviour and what it saw, reached through its ServiceContext.
struct Probe {
  kemu::Device* device = nullptr;
  Claim claim = Claim::kAlways;
  bool silence = true;  // a claiming ISR deasserts its device's line
  char tag = '?';
  std::string* order = nullptr;                // `tag` is appended on every call
  std::function<void(Probe&)> body = nullptr;  // more driver statements, run before the ISR returns
  unsigned calls = 0;
  KIRQL irql = 0xFF;
  PKINTERRUPT interrupt = nullptr;
  PVOID context = nullptr;
  bool lock_held = false;
  ULONG processor = ~0u;
  ULONG message_id = ~0u;
};

// INT-6: KeTestSpinLock where the release has it (Server 2003+), the lock word (SL-3) before.
bool InterruptLockHeld(PKINTERRUPT interrupt) {
  if (kemu::Machine::Current().personality().CanCall("KeTestSpinLock")) {
    return KeTestSpinLock(interrupt->ActualLock) == FALSE;
  }
  return *interrupt->ActualLock != 0;
}

BOOLEAN ProbeIsr(PKINTERRUPT interrupt, PVOID context) {
  Probe& probe = *static_cast<Probe*>(context);
  ++probe.calls;
  probe.irql = KeGetCurrentIrql();
  probe.interrupt = interrupt;
  probe.context = context;
  probe.lock_held = InterruptLockHeld(interrupt);
  probe.processor = KeGetCurrentProcessorNumber();
  if (probe.order != nullptr) probe.order->push_back(probe.tag);
  if (probe.body) probe.body(probe);
  const bool mine = probe.claim == Claim::kAlways ||
                    (probe.claim == Claim::kWhenMyLineIsAsserted && probe.device->line_asserted());
  if (mine && probe.silence && probe.device != nullptr) probe.device->DeassertLine();
  return mine ? TRUE : FALSE;
}

// Same behaviour at another address, so a bug check's ISR parameter tells two ISRs apart.
BOOLEAN OtherProbeIsr(PKINTERRUPT interrupt, PVOID context) { return ProbeIsr(interrupt, context); }

BOOLEAN MessageProbeIsr(PKINTERRUPT interrupt, PVOID context, ULONG message_id) {
  static_cast<Probe*>(context)->message_id = message_id;
  return ProbeIsr(interrupt, context);
}

struct DpcLog {
  unsigned runs = 0;
  KIRQL irql = 0xFF;
  PVOID context = nullptr;
};
DpcLog g_dpc;  // reset by each test that uses it

VOID RecordingDpcForIsr(PKDPC, PDEVICE_OBJECT, PIRP, PVOID context) {
  ++g_dpc.runs;
  g_dpc.irql = KeGetCurrentIrql();
  g_dpc.context = context;
}

VOID RecordingDpc(PKDPC, PVOID, PVOID, PVOID) { ++g_dpc.runs; }

// How IoConnectInterrupt is called; the defaults are an unshared level line at kDirql.
struct Wiring {
  ULONG vector = kVector;
  KIRQL irql = kDirql;
  KIRQL synchronize_irql = kDirql;
  KINTERRUPT_MODE mode = LevelSensitive;
  bool share = false;
  PKSPIN_LOCK lock = nullptr;
  KAFFINITY mask = ~KAFFINITY{0};
  PKSERVICE_ROUTINE isr = &ProbeIsr;
};

PKINTERRUPT Connect(Probe& probe, const Wiring& wiring = {}) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, wiring.isr, &probe, wiring.lock, wiring.vector,
                               wiring.irql, wiring.synchronize_irql, wiring.mode,
                               wiring.share ? TRUE : FALSE, wiring.mask, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

kemu::DeviceConfig Line(const char* name, kemu::Trigger mode = kemu::Trigger::kLevel,
                        bool shared = false, ULONG vector = kVector, KIRQL irql = kDirql) {
  return {
      .name = name,
      .line = kemu::LineInterrupt{.vector = vector, .irql = irql, .mode = mode, .shared = shared}};
}

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }
std::uint64_t Address(PKSERVICE_ROUTINE isr) { return reinterpret_cast<std::uintptr_t>(isr); }

class InterruptDispatchPersonalityTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::MachineOptions Options() const override {
    return {.os = GetParam(), .storm_threshold = kStormThreshold};
  }
};
INSTANTIATE_TEST_SUITE_P(, InterruptDispatchPersonalityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

class InterruptDispatchVistaPlusTest : public InterruptDispatchPersonalityTest {};
INSTANTIATE_TEST_SUITE_P(, InterruptDispatchVistaPlusTest, OsFrom(kemu::Os::kWindowsVista),
                         kemu::testing::OsName());

TEST_P(InterruptDispatchPersonalityTest, IsrRunsAtSynchronizeIrqlWithTheInterruptLockHeld) {
  // INT-6
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device};
  PKINTERRUPT interrupt = Connect(probe, {.synchronize_irql = 7});
  device.AssertLine();
  EXPECT_EQ(probe.calls, 1u);
  EXPECT_EQ(probe.irql, 7);
  EXPECT_TRUE(probe.lock_held);
  EXPECT_EQ(probe.interrupt, interrupt);
  EXPECT_EQ(probe.context, &probe);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(*interrupt->ActualLock, 0u);  // released after the ISR returned
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest,
       LevelLineStillAssertedAfterAClaimFiresAgainUntilDeasserted) {
  // INT-7
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device, .silence = false};
  probe.body = [&](Probe& p) {
    if (p.calls == 3) device.DeassertLine();  // the device is serviced on the third pass
  };
  PKINTERRUPT interrupt = Connect(probe);
  device.AssertLine();
  EXPECT_EQ(probe.calls, 3u);
  EXPECT_EQ(device.connection()->isr_claimed, 3u);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, UnclaimedLevelLineBugChecksAsAnUnchainedStorm) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device, .claim = Claim::kNever};
  PKINTERRUPT interrupt = Connect(probe);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&ProbeIsr)));
  EXPECT_EQ(crash.parameter(1), Address(&probe));
  EXPECT_EQ(crash.parameter(2), Address(interrupt));
  EXPECT_EQ(crash.parameter(3), 1u);            // not chained: this ISR is the culprit
  EXPECT_EQ(probe.calls, 1 + kStormThreshold);  // the first delivery, then the re-fires
}

TEST_P(InterruptDispatchPersonalityTest, ClaimedButNeverAcknowledgedLevelLineAlsoStorms) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device, .silence = false};
  PKINTERRUPT interrupt = Connect(probe);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&ProbeIsr)));
  EXPECT_EQ(crash.parameter(2), Address(interrupt));
  EXPECT_EQ(crash.parameter(3), 1u);
  EXPECT_EQ(device.connection()->isr_claimed, 1 + kStormThreshold);
}

TEST_P(InterruptDispatchPersonalityTest, StormOnASharedLineNamesTheFirstIsrOfTheChain) {
  kemu::Device& a = machine().AddDevice(Line("a", kemu::Trigger::kLevel, /*shared=*/true));
  kemu::Device& b = machine().AddDevice(Line("b", kemu::Trigger::kLevel, /*shared=*/true));
  Probe pa{.device = &a, .claim = Claim::kNever};
  Probe pb{.device = &b, .claim = Claim::kNever};
  PKINTERRUPT ia = Connect(pa, {.share = true});
  Connect(pb, {.share = true, .isr = &OtherProbeIsr});
  const kemu::BugCheck crash = CrashOf([&] { b.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&ProbeIsr)));
  EXPECT_EQ(crash.parameter(1), Address(&pa));
  EXPECT_EQ(crash.parameter(2), Address(ia));
  EXPECT_EQ(crash.parameter(3), 2u);  // chained: Arg1 is merely the first ISR
}

TEST_P(InterruptDispatchPersonalityTest, DeassertLineWithinOneBurstDoesNotResetTheStormCount) {
  // INT-7
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device, .silence = false};
  probe.body = [&](Probe& p) {
    // Every third pass the device drops its line and raises it again for a new event: the vCPU
    // never gets back to the interrupted code, so every delivery counts towards the storm.
    if (p.calls % 3 == 0) {
      device.DeassertLine();
      device.AssertLine();
    }
  };
  Connect(probe);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&ProbeIsr)));
  EXPECT_EQ(probe.calls, 1 + kStormThreshold);
}

// INT-6, INT-7: the streaming-minidriver docs and WinOFED mlx4 rely on this order.
TEST_P(InterruptDispatchPersonalityTest, SharedLevelChainStopsAtTheFirstClaimInConnectOrder) {
  kemu::Device& a = machine().AddDevice(Line("a", kemu::Trigger::kLevel, /*shared=*/true));
  kemu::Device& b = machine().AddDevice(Line("b", kemu::Trigger::kLevel, /*shared=*/true));
  std::string order;
  Probe pa{.device = &a, .claim = Claim::kWhenMyLineIsAsserted, .tag = 'A', .order = &order};
  Probe pb{.device = &b, .claim = Claim::kWhenMyLineIsAsserted, .tag = 'B', .order = &order};
  PKINTERRUPT ia = Connect(pa, {.share = true});
  PKINTERRUPT ib = Connect(pb, {.share = true});
  b.AssertLine();
  EXPECT_EQ(order, "AB");  // A declines, B claims
  a.AssertLine();
  EXPECT_EQ(order, "ABA");  // A claims: B is not called
  IoDisconnectInterrupt(ib);
  IoDisconnectInterrupt(ia);
}

TEST_P(InterruptDispatchPersonalityTest, SharedEdgeVectorCallsEveryIsrOncePerEdge) {
  kemu::Device& a = machine().AddDevice(Line("a", kemu::Trigger::kEdge, /*shared=*/true));
  kemu::Device& b = machine().AddDevice(Line("b", kemu::Trigger::kEdge, /*shared=*/true));
  std::string order;
  Probe pa{.device = &a, .tag = 'A', .order = &order};
  Probe pb{.device = &b, .tag = 'B', .order = &order};
  PKINTERRUPT ia = Connect(pa, {.mode = Latched, .share = true});
  PKINTERRUPT ib = Connect(pb, {.mode = Latched, .share = true});
  a.PulseLine();
  EXPECT_EQ(order, "AB");  // both claim, and both are called
  b.PulseLine();
  EXPECT_EQ(order, "ABAB");
  IoDisconnectInterrupt(ib);
  IoDisconnectInterrupt(ia);
}

TEST_P(InterruptDispatchPersonalityTest, UnclaimedEdgeIsLostWithoutAStorm) {
  kemu::Device& device = machine().AddDevice(Line("timer", kemu::Trigger::kEdge));
  Probe probe{.device = &device, .claim = Claim::kNever};
  PKINTERRUPT interrupt = Connect(probe, {.mode = Latched});
  for (unsigned i = 0; i < 2 * kStormThreshold; ++i) device.PulseLine();
  EXPECT_EQ(probe.calls, 2 * kStormThreshold);  // once per edge, never re-fired
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  KeLowerIrql(old);
  EXPECT_EQ(probe.calls, 2 * kStormThreshold);  // nothing was left pending
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, DisconnectedIsrIsNeverCalledAndTheLineStaysPending) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe first{.device = &device};
  IoDisconnectInterrupt(Connect(first));
  device.AssertLine();
  EXPECT_EQ(first.calls, 0u);
  EXPECT_EQ(device.connection(), nullptr);
  EXPECT_TRUE(device.line_asserted());
  Probe second{.device = &device};
  PKINTERRUPT interrupt = Connect(second);  // the pending line is delivered to the new ISR
  EXPECT_EQ(second.calls, 1u);
  EXPECT_EQ(first.calls, 0u);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, StillAssertedLineOfADisconnectedSharerStormsTheOthers) {
  // docs/windows-facts.md §9.4: the line keeps firing for the remaining sharers, which (rightly)
  // decline it.
  kemu::Device& a = machine().AddDevice(Line("a", kemu::Trigger::kLevel, /*shared=*/true));
  kemu::Device& b = machine().AddDevice(Line("b", kemu::Trigger::kLevel, /*shared=*/true));
  Probe pa{.device = &a};
  Probe pb{.device = &b, .claim = Claim::kWhenMyLineIsAsserted};
  PKINTERRUPT ia = Connect(pa, {.share = true});
  PKINTERRUPT ib = Connect(pb, {.share = true, .isr = &OtherProbeIsr});
  IoDisconnectInterrupt(ia);
  const kemu::BugCheck crash = CrashOf([&] { a.AssertLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, Address(&OtherProbeIsr)));
  EXPECT_EQ(crash.parameter(2), Address(ib));
  EXPECT_EQ(crash.parameter(3), 1u);  // B is alone on the vector now
  EXPECT_EQ(pa.calls, 0u);
  EXPECT_EQ(pb.calls, 1 + kStormThreshold);
}

TEST_P(InterruptDispatchPersonalityTest, InterruptMaskedByTheIrqlIsDeliveredInsideKeLowerIrql) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device};
  PKINTERRUPT interrupt = Connect(probe, {.synchronize_irql = 7});
  for (KIRQL level : {kDirql, KIRQL{7}, KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(testing::Message() << "raised to " << int{level});
    const unsigned before = probe.calls;
    KIRQL old;
    KeRaiseIrql(level, &old);
    device.AssertLine();
    EXPECT_EQ(probe.calls, before);  // pending: the vCPU is at or above the DIRQL
    KeLowerIrql(old);
    EXPECT_EQ(probe.calls, before + 1);  // delivered before KeLowerIrql returned
    EXPECT_EQ(probe.irql, 7);
  }
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, InterruptPreemptsDispatchLevelAndItsDpcWaitsBelowIt) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  DEVICE_OBJECT fdo{};
  IoInitializeDpcRequest(&fdo, &RecordingDpcForIsr);
  g_dpc = {};
  Probe probe{.device = &device};
  probe.body = [&](Probe& p) { IoRequestDpc(&fdo, nullptr, &p); };
  PKINTERRUPT interrupt = Connect(probe);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  device.AssertLine();
  EXPECT_EQ(probe.calls, 1u);  // DIRQL 5 > DISPATCH_LEVEL: taken at once
  EXPECT_EQ(g_dpc.runs, 0u);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
  EXPECT_EQ(g_dpc.runs, 1u);
  EXPECT_EQ(g_dpc.irql, DISPATCH_LEVEL);
  EXPECT_EQ(g_dpc.context, &probe);
  EXPECT_EQ(device.connection()->dpcs_requested, 1u);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, HigherDirqlInterruptPreemptsARunningIsr) {
  kemu::Device& low = machine().AddDevice(Line("low"));
  kemu::Device& high = machine().AddDevice(Line("high", kemu::Trigger::kLevel, false, 0x81, 8));
  Probe hp{.device = &high};
  Probe lp{.device = &low};
  unsigned high_calls_inside = 0;
  lp.body = [&](Probe&) {
    high.AssertLine();
    high_calls_inside = hp.calls;
  };
  PKINTERRUPT li = Connect(lp);
  PKINTERRUPT hi = Connect(hp, {.vector = 0x81, .irql = 8, .synchronize_irql = 8});
  low.AssertLine();
  EXPECT_EQ(high_calls_inside, 1u);  // nested inside the DIRQL 5 ISR
  EXPECT_EQ(hp.irql, 8);
  IoDisconnectInterrupt(hi);
  IoDisconnectInterrupt(li);
}

TEST_P(InterruptDispatchPersonalityTest, LineAssertedBeforeIoConnectInterruptArrivesDuringIt) {
  // INT-10: the ISR gets a valid PKINTERRUPT before the caller's variable is written.
  kemu::Device& device = machine().AddDevice(Line("nic"));
  device.AssertLine();
  Probe probe{.device = &device};
  PKINTERRUPT interrupt = reinterpret_cast<PKINTERRUPT>(0x1);
  PKINTERRUPT variable_inside = reinterpret_cast<PKINTERRUPT>(0x2);
  probe.body = [&](Probe&) { variable_inside = interrupt; };
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &ProbeIsr, &probe, nullptr, kVector, kDirql, kDirql,
                               LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  EXPECT_EQ(probe.calls, 1u);
  EXPECT_EQ(probe.interrupt, interrupt);
  EXPECT_EQ(variable_inside, nullptr);  // INT-9: kemu clears it on entry, then writes it last
  EXPECT_TRUE(probe.lock_held);
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchVistaPlusTest, LineAssertedBeforeIoConnectInterruptExArrivesDuringIt) {
  // INT-10, the case KMDF guards against.
  kemu::Device& device = machine().AddDevice(Line("nic"));
  device.AssertLine();
  Probe probe{.device = &device};
  PKINTERRUPT const kUnset = reinterpret_cast<PKINTERRUPT>(0x1);
  PKINTERRUPT interrupt = kUnset;
  PKINTERRUPT variable_inside = nullptr;
  probe.body = [&](Probe&) { variable_inside = interrupt; };
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_LINE_BASED;
  params.LineBased.PhysicalDeviceObject = device.pdo();
  params.LineBased.InterruptObject = &interrupt;
  params.LineBased.ServiceRoutine = &ProbeIsr;
  params.LineBased.ServiceContext = &probe;
  ASSERT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  EXPECT_EQ(probe.calls, 1u);
  EXPECT_EQ(probe.interrupt, interrupt);
  EXPECT_EQ(variable_inside, kUnset);
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
  disconnect.Version = CONNECT_LINE_BASED;
  disconnect.ConnectionContext.InterruptObject = interrupt;
  IoDisconnectInterruptEx(&disconnect);
}

TEST_P(InterruptDispatchPersonalityTest, IsrQueueingAnUninitialisedDpcBugChecks) {  // DPC-12
  kemu::Device& device = machine().AddDevice(Line("timer", kemu::Trigger::kEdge));
  KDPC dpc;
  std::memset(&dpc, 0, sizeof(dpc));  // a zeroed device extension, never KeInitializeDpc'ed
  Probe probe{.device = &device};
  probe.body = [&](Probe&) { KeInsertQueueDpc(&dpc, nullptr, nullptr); };
  Connect(probe, {.mode = Latched});
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kUninitializedDpc));
  EXPECT_EQ(crash.parameter(1), Address(&dpc));
}

TEST_P(InterruptDispatchPersonalityTest, ScheduleAfterCallsLandsBetweenTwoDriverStatements) {
  kemu::Device& device = machine().AddDevice(Line("timer", kemu::Trigger::kEdge));
  Probe probe{.device = &device};
  int statement = -1, arrived_at = -1;
  probe.body = [&](Probe&) { arrived_at = statement; };
  PKINTERRUPT interrupt = Connect(probe, {.mode = Latched});
  device.ScheduleAfterCalls(3, kemu::DeviceAction::kPulseLine);
  for (statement = 0; statement < 5; ++statement) KeQueryInterruptTime();
  EXPECT_EQ(probe.calls, 1u);
  EXPECT_EQ(arrived_at, 2);  // on entry to the third call, before it ran
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, PerformDoesTheNamedLineActionNow) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device, .silence = false};
  PKINTERRUPT interrupt = Connect(probe);
  device.Perform(kemu::DeviceAction::kDeassertLine);
  EXPECT_EQ(probe.calls, 0u);
  probe.body = [&](Probe& self) { self.device->Perform(kemu::DeviceAction::kDeassertLine); };
  device.Perform(kemu::DeviceAction::kAssertLine);
  EXPECT_EQ(probe.calls, 1u);  // the ISR ran and its Perform(kDeassertLine) silenced the line
  EXPECT_FALSE(device.line_asserted());
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchPersonalityTest, ScheduleAtFiresDuringKeStallExecutionProcessor) {
  kemu::Device& device = machine().AddDevice(Line("nic"));
  Probe probe{.device = &device};
  ULONGLONG time_inside = 0;
  probe.body = [&](Probe&) { time_inside = KeQueryInterruptTime(); };
  PKINTERRUPT interrupt = Connect(probe);
  device.ScheduleAt(20, kemu::DeviceAction::kAssertLine);
  KeStallExecutionProcessor(10);
  EXPECT_EQ(probe.calls, 0u);
  KeStallExecutionProcessor(10);  // reaches 20 us exactly
  EXPECT_EQ(probe.calls, 1u);
  EXPECT_EQ(time_inside, 200u);  // 100 ns units
  IoDisconnectInterrupt(interrupt);
}

TEST_P(InterruptDispatchVistaPlusTest, SignalMessagePassesTheMessageIdAndRunsAtUnifiedIrql) {
  kemu::Device& device = machine().AddDevice({.name = "nic", .line = std::nullopt, .messages = 2});
  ASSERT_EQ(device.granted_messages(), 2u);
  Probe probe{.device = &device};
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_MESSAGE_BASED;
  params.MessageBased.PhysicalDeviceObject = device.pdo();
  params.MessageBased.ConnectionContext.InterruptMessageTable = &table;
  params.MessageBased.MessageServiceRoutine = &MessageProbeIsr;
  params.MessageBased.ServiceContext = &probe;
  params.MessageBased.SynchronizeIrql = 11;  // above every message's DIRQL
  ASSERT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  ASSERT_EQ(params.Version, static_cast<ULONG>(CONNECT_MESSAGE_BASED));
  EXPECT_EQ(table->UnifiedIrql, 11);
  for (ULONG id : {1u, 0u}) {
    device.SignalMessage(id);
    EXPECT_EQ(probe.message_id, id);
    EXPECT_EQ(probe.interrupt, table->MessageInfo[id].InterruptObject);
    EXPECT_EQ(probe.irql, table->UnifiedIrql);
    EXPECT_TRUE(probe.lock_held);
  }
  EXPECT_EQ(device.connection()->isr_calls, 2u);
  device.Perform(kemu::DeviceAction::kSignalMessage, 1);  // the same, chosen at run time
  EXPECT_EQ(probe.message_id, 1u);
  EXPECT_EQ(device.connection()->isr_calls, 3u);
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
  disconnect.Version = CONNECT_MESSAGE_BASED;
  disconnect.ConnectionContext.InterruptMessageTable = table;
  IoDisconnectInterruptEx(&disconnect);
}

TEST_P(InterruptDispatchPersonalityTest, IsrReturningAtAChangedIrqlBugChecks) {
  kemu::Device& device = machine().AddDevice(Line("timer", kemu::Trigger::kEdge));
  Probe probe{.device = &device};
  probe.body = [](Probe&) {
    KIRQL ignored;
    KeRaiseIrql(HIGH_LEVEL, &ignored);
  };
  PKINTERRUPT interrupt = Connect(probe, {.synchronize_irql = 7, .mode = Latched});
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  if (GetParam() >= kemu::Os::kWindows7) {  // Verifier's ISR checks arrived with Windows 7
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                  verifier_code::kIsrChangedIrql));
    EXPECT_EQ(crash.parameter(1), Address(&ProbeIsr));
    EXPECT_EQ(crash.parameter(2), 7u);
    EXPECT_EQ(crash.parameter(3), std::uint64_t{HIGH_LEVEL});
  } else {
    // 0xC8 UniqueValue 3: the interrupt dispatcher found the IRQL changed by ServiceRoutine.
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kIrqlUnexpectedValue,
                                  (std::uint64_t{HIGH_LEVEL} << 16) | (7u << 8) | 3u));
    EXPECT_EQ(crash.parameter(1), Address(&ProbeIsr));
    EXPECT_EQ(crash.parameter(2), Address(interrupt));
  }
}

TEST(InterruptDispatchTest, IsrReturningAtAChangedIrqlWithoutVerifierRaisesIrqlUnexpectedValue) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  kemu::Device& device = machine.AddDevice(Line("timer", kemu::Trigger::kEdge));
  Probe probe{.device = &device};
  probe.body = [](Probe&) { KeLowerIrql(DISPATCH_LEVEL); };
  Connect(probe, {.mode = Latched});
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kIrqlUnexpectedValue,
                                (std::uint64_t{DISPATCH_LEVEL} << 16) | (kDirql << 8) | 3u));
}

TEST_P(InterruptDispatchPersonalityTest, IsrReturningWithASpinLockHeldBugChecks) {
  kemu::Device& device = machine().AddDevice(Line("timer", kemu::Trigger::kEdge));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  Probe probe{.device = &device};
  probe.body = [&](Probe&) { KeAcquireSpinLockAtDpcLevel(&lock); };
  PKINTERRUPT interrupt = Connect(probe, {.mode = Latched});
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kIsrReturnedHoldingLock));
  EXPECT_EQ(crash.parameter(1), Address(&ProbeIsr));
  EXPECT_EQ(crash.parameter(2), Address(interrupt));
}

TEST_P(InterruptDispatchPersonalityTest, ConnectionCountsIsrCallsClaimsAndDpcsQueued) {
  kemu::Device& device = machine().AddDevice(Line("timer", kemu::Trigger::kEdge));
  DEVICE_OBJECT fdo{};
  IoInitializeDpcRequest(&fdo, &RecordingDpcForIsr);
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingDpc, nullptr);
  g_dpc = {};
  std::vector<BOOLEAN> inserted;
  Probe probe{.device = &device};
  probe.body = [&](Probe& p) {
    p.claim = p.calls == 2 ? Claim::kNever : Claim::kAlways;  // the second edge is not ours
    if (p.calls == 1) IoRequestDpc(&fdo, nullptr, &p);
    if (p.calls >= 3) inserted.push_back(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  };
  PKINTERRUPT interrupt = Connect(probe, {.mode = Latched});
  device.PulseLine();
  device.PulseLine();
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  device.PulseLine();
  device.PulseLine();  // finds the DPC still queued: not another request
  KeLowerIrql(old);
  EXPECT_EQ(inserted, (std::vector<BOOLEAN>{TRUE, FALSE}));
  const kemu::Connection& stats = *device.connection();
  EXPECT_EQ(stats.isr_calls, 4u);
  EXPECT_EQ(stats.isr_claimed, 3u);
  EXPECT_EQ(stats.dpcs_requested, 2u);
  EXPECT_EQ(g_dpc.runs, 2u);
  IoDisconnectInterrupt(interrupt);
}

TEST(InterruptDispatchTest, IsrRunsOnAVcpuItsAffinityAllowsWithThatVcpusObject) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  kemu::Device& only1 = machine.AddDevice(
      {.name = "nic",
       .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql, .affinity = 0b10}});
  Probe probe{.device = &only1};
  PKINTERRUPT interrupt = Connect(probe, {.mask = 0b10});
  only1.AssertLine();  // vCPU 0 runs at PASSIVE_LEVEL but is not enabled for the line
  EXPECT_EQ(probe.processor, 1u);
  EXPECT_EQ(probe.interrupt, interrupt);
  EXPECT_EQ(interrupt->Number, 1);
  EXPECT_EQ(machine.CurrentProcessor(), 0u);  // the test's code goes on where it was
  kemu::Device& both = machine.AddDevice(Line("disk", kemu::Trigger::kLevel, false, 0x61));
  Probe other{.device = &both};
  PKINTERRUPT both_interrupt = Connect(other, {.vector = 0x61, .mask = 0b11});
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  both.AssertLine();  // vCPU 0 masks it; vCPU 1 takes it
  EXPECT_EQ(other.processor, 1u);
  EXPECT_NE(other.interrupt, both_interrupt);  // vCPU 1's own object (docs/windows-facts.md §1.4)
  EXPECT_EQ(other.interrupt->Number, 1);
  EXPECT_EQ(other.interrupt->ServiceContext, &other);
  KeLowerIrql(old);
  EXPECT_EQ(other.calls, 1u);
  IoDisconnectInterrupt(both_interrupt);
  IoDisconnectInterrupt(interrupt);
}

}  // namespace
