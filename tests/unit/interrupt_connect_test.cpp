// IoConnectInterrupt / IoDisconnectInterrupt, and how IoDisconnectInterruptEx names a connection
// (emu/model/interrupt_connect.cpp, emu/verifier/rules_interrupt.cpp). docs/windows-facts.md
// §1, §3; docs/conformance.md INT-8, INT-9, INT-10, EX-6, EX-7. Behaviour every release shares runs
// once per personality; multi-vCPU, verifier-mode and shutdown tests build their own machine. The
// connect side of IoConnectInterruptEx is in interrupt_connect_ex_test.cpp.
#include <wdm.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "kemu/testing/gtest.hpp"
#include "model/interrupts.hpp"
#include "model/kernel.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Property;
using ::testing::Throws;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint64_t kStatusAccessViolation = 0xC0000005;
// Arg1 of the Windows 8+ DDI compliance rule IrqlIoPassive2 (the connect routines are PASSIVE).
constexpr std::uint64_t kIrqlIoPassive2 = 0x0002000B;
constexpr std::uint64_t kIrqlIoPassive4 = 0x0002000D;

using ::kemu::testing::BugCheckIs;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// What an ISR saw, reached through its ServiceContext.
struct IsrProbe {
  kemu::Device* device = nullptr;  // deasserted by the ISR: it acknowledges its device
  PKINTERRUPT* caller_variable = nullptr;
  int calls = 0;
  PKINTERRUPT interrupt = nullptr;
  PKINTERRUPT caller_variable_at_call = nullptr;
  ULONG processor = 0xFFFFFFFF;
};

BOOLEAN ProbeIsr(PKINTERRUPT interrupt, PVOID context) {
  auto* probe = static_cast<IsrProbe*>(context);
  if (probe == nullptr) return TRUE;
  ++probe->calls;
  probe->interrupt = interrupt;
  if (probe->caller_variable != nullptr) probe->caller_variable_at_call = *probe->caller_variable;
  probe->processor = KeGetCurrentProcessorNumber();
  if (probe->device != nullptr) probe->device->DeassertLine();
  return TRUE;
}

// The arguments of one IoConnectInterrupt call; defaults connect a shareable level line.
struct LegacyConnect {
  PKSERVICE_ROUTINE isr = &ProbeIsr;
  PVOID context = nullptr;
  PKSPIN_LOCK spin_lock = nullptr;
  ULONG vector = kVector;
  KIRQL irql = kDirql;
  KIRQL synchronize_irql = kDirql;
  KINTERRUPT_MODE mode = LevelSensitive;
  BOOLEAN share = TRUE;
  KAFFINITY mask = ~KAFFINITY{0};

  NTSTATUS Call(PKINTERRUPT* out) const {
    return IoConnectInterrupt(out, isr, context, spin_lock, vector, irql, synchronize_irql, mode,
                              share, mask, FALSE);
  }
};

kemu::DeviceConfig LineDevice(bool shared = true, kemu::Trigger mode = kemu::Trigger::kLevel) {
  return {.name = "line0",
          .line = kemu::LineInterrupt{
              .vector = kVector, .irql = kDirql, .mode = mode, .shared = shared}};
}

// A pointer no connect call returned.
PKINTERRUPT Garbage() { return reinterpret_cast<PKINTERRUPT>(std::uintptr_t{0xDEAD0000}); }

// IoConnectInterruptEx parameter blocks, for the Vista+ tests of what connect and disconnect
// share (interrupt_connect_ex_test.cpp tests the connect side in full).
IO_CONNECT_INTERRUPT_PARAMETERS LineBased(PDEVICE_OBJECT pdo, PKINTERRUPT* out,
                                          PVOID context = nullptr) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_LINE_BASED;
  p.LineBased.PhysicalDeviceObject = pdo;
  p.LineBased.InterruptObject = out;
  p.LineBased.ServiceRoutine = &ProbeIsr;
  p.LineBased.ServiceContext = context;
  return p;
}

BOOLEAN MessageIsr(PKINTERRUPT, PVOID, ULONG) { return TRUE; }

// `variable` is the caller's PIO_INTERRUPT_MESSAGE_INFO (or PKINTERRUPT) that connect writes.
IO_CONNECT_INTERRUPT_PARAMETERS MessageBased(PDEVICE_OBJECT pdo, void* variable,
                                             PKSERVICE_ROUTINE fallback = nullptr) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.MessageBased.PhysicalDeviceObject = pdo;
  p.MessageBased.ConnectionContext.Generic = static_cast<PVOID*>(variable);
  p.MessageBased.MessageServiceRoutine = &MessageIsr;
  p.MessageBased.FallBackServiceRoutine = fallback;
  return p;
}

void DisconnectEx(ULONG version, PVOID context) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = version,
                                       .ConnectionContext = {.Generic = context}};
  IoDisconnectInterruptEx(&d);
}

kemu::DeviceConfig MsiDevice() { return {.name = "msi0", .line = std::nullopt, .messages = 4}; }

class IoConnectInterruptTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, IoConnectInterruptTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Connecting.

TEST_P(IoConnectInterruptTest, ConnectSucceedsAndDisconnectClearsTheConnection) {  // INT-8
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;

  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
  ASSERT_NE(interrupt, nullptr);
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, CONNECT_FULLY_SPECIFIED);
  EXPECT_TRUE(device.connection()->legacy);
  EXPECT_EQ(device.connection()->message_count, 0u);

  IoDisconnectInterrupt(interrupt);
  EXPECT_EQ(device.connection(), nullptr);
}

// What a test reads after the driver's stop path: the figures up to the disconnect, kept by value
// (a record older than the last 256 disconnected is freed), until the device connects again.
TEST_P(IoConnectInterruptTest, LastConnectionKeepsTheFiguresOfTheDisconnectedConnection) {
  kemu::Device& device = machine().AddDevice(LineDevice());
  EXPECT_EQ(device.last_connection(), nullptr);
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{.context = &probe}.Call(&interrupt), STATUS_SUCCESS);
  EXPECT_EQ(device.last_connection(), device.connection());
  device.AssertLine();
  IoDisconnectInterrupt(interrupt);

  ASSERT_EQ(device.connection(), nullptr);
  const kemu::Connection* last = device.last_connection();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->version, CONNECT_FULLY_SPECIFIED);
  EXPECT_EQ(last->isr_calls, 1u);
  EXPECT_EQ(last->isr_claimed, 1u);
  EXPECT_EQ(last->pending, 0u);

  PKINTERRUPT again = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&again), STATUS_SUCCESS);
  EXPECT_EQ(device.last_connection(), device.connection());
  EXPECT_EQ(device.last_connection()->isr_calls, 0u);
  IoDisconnectInterrupt(again);
}

TEST_P(IoConnectInterruptTest, TheInterruptObjectDescribesTheConnection) {
  kemu::Device& device = machine().AddDevice(LineDevice(/*shared=*/false, kemu::Trigger::kEdge));
  IsrProbe probe;
  PKINTERRUPT interrupt = nullptr;

  ASSERT_EQ(
      (LegacyConnect{.context = &probe, .synchronize_irql = 7, .mode = Latched, .share = FALSE}
           .Call(&interrupt)),
      STATUS_SUCCESS);
  ASSERT_NE(interrupt, nullptr);
  EXPECT_EQ(interrupt->Type, 22);  // InterruptObject in KOBJECTS
  EXPECT_EQ(interrupt->Vector, kVector);
  EXPECT_EQ(interrupt->Irql, kDirql);
  EXPECT_EQ(interrupt->SynchronizeIrql, 7);
  EXPECT_EQ(interrupt->ShareVector, FALSE);
  EXPECT_EQ(interrupt->Mode, Latched);
  EXPECT_EQ(interrupt->Connected, TRUE);
  EXPECT_EQ(interrupt->ServiceRoutine, &ProbeIsr);
  EXPECT_EQ(interrupt->ServiceContext, &probe);
  EXPECT_EQ(interrupt->Number, 0);
  EXPECT_EQ(device.connection()->synchronize_irql, 7);

  IoDisconnectInterrupt(interrupt);
}

TEST_P(IoConnectInterruptTest, ANullSpinLockMakesTheObjectUseAnInternalLock) {  // INT-8, INT-9
  machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;

  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
  ASSERT_NE(interrupt->ActualLock, nullptr);
  EXPECT_EQ(*interrupt->ActualLock, 0u) << "the internal lock is initialised and free";

  IoDisconnectInterrupt(interrupt);
}

TEST_P(IoConnectInterruptTest, AGivenSpinLockBecomesTheActualLock) {  // INT-8
  machine().AddDevice(LineDevice());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  PKINTERRUPT interrupt = nullptr;

  ASSERT_EQ(LegacyConnect{.spin_lock = &lock}.Call(&interrupt), STATUS_SUCCESS);
  EXPECT_EQ(interrupt->ActualLock, &lock);

  IoDisconnectInterrupt(interrupt);
}

TEST_P(IoConnectInterruptTest, AMaskWithoutActiveProcessorsFailsAndNullsTheObject) {  // INT-9
  machine().AddDevice(LineDevice());
  // One vCPU: only bit 0 is active.
  for (KAFFINITY mask : {KAFFINITY{0}, KAFFINITY{0b10}, KAFFINITY{0xF0}}) {
    SCOPED_TRACE(::testing::Message() << "mask " << mask);
    PKINTERRUPT interrupt = Garbage();
    EXPECT_EQ(LegacyConnect{.mask = mask}.Call(&interrupt), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(interrupt, nullptr);
  }
}

TEST_P(IoConnectInterruptTest, ASynchronizeIrqlBelowIrqlFails) {  // INT-8
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = Garbage();

  EXPECT_EQ(LegacyConnect{.synchronize_irql = kDirql - 1}.Call(&interrupt),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

TEST_P(IoConnectInterruptTest, ANullServiceRoutineFails) {
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = Garbage();

  EXPECT_EQ(LegacyConnect{.isr = nullptr}.Call(&interrupt), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

// docs/windows-facts.md §1.4: a vector already connected can be shared only when both connections
// say ShareVector and use the same mode. Windows' status for a conflict is UNCONFIRMED; kemu uses
// ReactOS's STATUS_INVALID_PARAMETER.
TEST_P(IoConnectInterruptTest, SharingAVectorNeedsShareVectorOnBothSidesAndTheSameMode) {
  machine().AddDevice(LineDevice());
  struct Case {
    const char* what;
    LegacyConnect first;
    LegacyConnect second;
  };
  const Case conflicts[] = {
      {"second not shareable", LegacyConnect{}, LegacyConnect{.share = FALSE}},
      {"first not shareable", LegacyConnect{.share = FALSE}, LegacyConnect{}},
      {"different modes", LegacyConnect{}, LegacyConnect{.mode = Latched}},
  };
  for (const Case& c : conflicts) {
    SCOPED_TRACE(c.what);
    PKINTERRUPT first = nullptr;
    PKINTERRUPT second = Garbage();
    ASSERT_EQ(c.first.Call(&first), STATUS_SUCCESS);
    EXPECT_EQ(c.second.Call(&second), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(second, nullptr);
    IoDisconnectInterrupt(first);
  }
}

TEST_P(IoConnectInterruptTest, TwoShareableConnectionsOfTheSameModeShareAVector) {
  machine().AddDevice(LineDevice());
  IsrProbe first_probe;
  IsrProbe second_probe;
  PKINTERRUPT first = nullptr;
  PKINTERRUPT second = nullptr;

  ASSERT_EQ(LegacyConnect{.context = &first_probe}.Call(&first), STATUS_SUCCESS);
  ASSERT_EQ(LegacyConnect{.context = &second_probe}.Call(&second), STATUS_SUCCESS);
  EXPECT_NE(first, second);
  EXPECT_NE(first->ActualLock, second->ActualLock) << "each connection has its own lock";

  IoDisconnectInterrupt(second);
  IoDisconnectInterrupt(first);
}

TEST_P(IoConnectInterruptTest, ConnectingASharedLineNeverTakesOverAnotherDevicesConnection) {
  // IoConnectInterrupt names no device: kemu credits each connection to an owner of the vector
  // that is not connected yet (a bug fixed with this test credited both to the first owner).
  kemu::Device& first_device = machine().AddDevice(LineDevice());
  kemu::Device& second_device = machine().AddDevice(LineDevice());
  PKINTERRUPT first = nullptr;
  PKINTERRUPT second = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&first), STATUS_SUCCESS);
  ASSERT_EQ(LegacyConnect{}.Call(&second), STATUS_SUCCESS);

  ASSERT_NE(first_device.connection(), nullptr);
  ASSERT_NE(second_device.connection(), nullptr);
  EXPECT_NE(first_device.connection(), second_device.connection());
  IoDisconnectInterrupt(first);
  EXPECT_EQ(first_device.connection(), nullptr);
  EXPECT_NE(second_device.connection(), nullptr);
  IoDisconnectInterrupt(second);
  EXPECT_EQ(second_device.connection(), nullptr);
}

TEST_P(IoConnectInterruptTest, APendingLevelInterruptReachesTheIsrBeforeConnectReturns) {
  // INT-10: the ISR gets a valid PKINTERRUPT although the caller's variable is not written yet.
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = Garbage();
  IsrProbe probe{.device = &device, .caller_variable = &interrupt};
  device.AssertLine();

  ASSERT_EQ(LegacyConnect{.context = &probe}.Call(&interrupt), STATUS_SUCCESS);
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.interrupt, interrupt);
  EXPECT_EQ(probe.caller_variable_at_call, nullptr);
  EXPECT_FALSE(device.line_asserted());

  IoDisconnectInterrupt(interrupt);
}

TEST(IoConnectInterruptTest, AnEdgeBeforeIoConnectInterruptExReturnsReachesTheIsrWithItsObject) {
  // INT-10: why KMDF captures the PKINTERRUPT passed to its ISR.
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(/*shared=*/true, kemu::Trigger::kEdge));
  PKINTERRUPT interrupt = Garbage();
  IsrProbe probe{.caller_variable = &interrupt};
  device.PulseLine();
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, &probe);

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.caller_variable_at_call, Garbage()) << "not written yet";
  EXPECT_EQ(probe.interrupt, interrupt);

  DisconnectEx(CONNECT_LINE_BASED, interrupt);
}

// ---------------------------------------------------------------------------------------------
// Several processors (INT-9: one interrupt object per enabled, active processor).

TEST(IoConnectInterruptTest, OnTwoProcessorsEachProcessorGetsItsOwnObjectSharingOneLock) {
  kemu::Machine machine({.os = kemu::Os::kWindows7, .processors = 2});
  kemu::Device& device = machine.AddDevice(LineDevice());
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{.context = &probe}.Call(&interrupt), STATUS_SUCCESS);
  EXPECT_EQ(interrupt->Number, 0) << "the caller receives the first processor's object";

  machine.SwitchToProcessor(1);
  device.AssertLine();  // kemu routes to the running vCPU when it can take the interrupt
  machine.SwitchToProcessor(0);

  ASSERT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.processor, 1u);
  ASSERT_NE(probe.interrupt, interrupt);
  EXPECT_EQ(probe.interrupt->Number, 1);
  EXPECT_EQ(probe.interrupt->Vector, kVector);
  // docs/windows-facts.md §1.4 step 3: with SpinLock NULL the whole set shares the internal lock.
  EXPECT_EQ(probe.interrupt->ActualLock, interrupt->ActualLock);

  IoDisconnectInterrupt(interrupt);
  EXPECT_EQ(device.connection(), nullptr);
}

// An ISR that stalls halfway, so an exploring schedule can run the disconnect meanwhile.
struct SlowIsr {
  kemu::Device* device = nullptr;
  int entered = 0;
  int returned = 0;
};

BOOLEAN SlowProbeIsr(PKINTERRUPT, PVOID context) {
  auto* isr = static_cast<SlowIsr*>(context);
  ++isr->entered;
  for (int i = 0; i < 4; ++i) KeStallExecutionProcessor(5);
  isr->device->DeassertLine();
  ++isr->returned;
  return TRUE;
}

// Found by kemu_fuzz_nic: the disconnect returned while the ISR still ran on the other vCPU, and
// the driver unmapped the registers the ISR went on to read. A driver relies on the ISR being
// over when IoDisconnectInterrupt returns.
TEST(IoConnectInterruptTest, DisconnectReturnsOnlyAfterTheIsrRunningOnAnotherVcpu) {
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    kemu::Machine machine({.os = kemu::Os::kWindows7,
                           .processors = 2,
                           .schedule = {.strategy = kemu::Strategy::kRandom, .seed = seed}});
    kemu::Device& device = machine.AddDevice(LineDevice());
    SlowIsr isr{.device = &device};
    PKINTERRUPT interrupt = nullptr;
    ASSERT_EQ((LegacyConnect{.isr = &SlowProbeIsr, .context = &isr, .mask = KAFFINITY{2}}.Call(
                  &interrupt)),
              STATUS_SUCCESS);
    device.AssertLine();  // only vCPU 1 takes it
    IoDisconnectInterrupt(interrupt);
    EXPECT_EQ(isr.returned, isr.entered) << "schedule seed " << seed;
    machine.Shutdown();
  }
}

TEST(IoConnectInterruptTest, AMaskNamingOnlyTheSecondProcessorReturnsItsObject) {
  kemu::Machine machine({.os = kemu::Os::kWindowsXP, .processors = 2});
  kemu::Device& device = machine.AddDevice(LineDevice());
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;

  ASSERT_EQ((LegacyConnect{.context = &probe, .mask = 0b10}.Call(&interrupt)), STATUS_SUCCESS);
  EXPECT_EQ(interrupt->Number, 1);
  device.AssertLine();  // vCPU 0 runs, but only vCPU 1 may take it
  EXPECT_EQ(probe.processor, 1u);
  EXPECT_EQ(probe.interrupt, interrupt);

  IoDisconnectInterrupt(interrupt);
}

// ---------------------------------------------------------------------------------------------
// Disconnecting what was never connected, or twice.

TEST_P(IoConnectInterruptTest, DisconnectingTheSameObjectTwiceBugChecks) {
  machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
  IoDisconnectInterrupt(interrupt);

  EXPECT_THAT([&] { IoDisconnectInterrupt(interrupt); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck,
                                                kemu::verifier_code::kInvalidInterruptObject,
                                                Address(interrupt), 1, 0)));
}

// Issue 12's flat costs: a driver that starts and stops in a loop keeps a bounded number of
// connection records, each with its objects and lock, however many cycles it makes.
TEST(IoConnectInterruptTest, ConnectDisconnectCyclesKeepABoundedNumberOfConnections) {
  kemu::Machine machine(kemu::MachineOptions{.processors = 2});
  machine.AddDevice(LineDevice());
  const kemu::model::Interrupts& interrupts = machine.kernel().interrupts();
  constexpr std::size_t kKept = kemu::model::Interrupts::kKeptDisconnected;
  for (std::size_t cycle = 0; cycle < 3 * kKept; ++cycle) {
    PKINTERRUPT interrupt = nullptr;
    ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
    EXPECT_EQ(interrupts.records_kept(), std::min(cycle, kKept) + 1);
    IoDisconnectInterrupt(interrupt);
  }
  EXPECT_EQ(interrupts.records_kept(), kKept);
  machine.Shutdown();
}

// The disconnected connections kemu keeps are still named as disconnected, the oldest kept too
// (DisconnectingTheSameObjectTwiceBugChecks shows the newest).
TEST(IoConnectInterruptTest, TheKeptDisconnectedObjectsStillReportAsDisconnected) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.AddDevice(LineDevice());
  constexpr std::size_t kKept = kemu::model::Interrupts::kKeptDisconnected;
  std::vector<PKINTERRUPT> disconnected;
  for (std::size_t cycle = 0; cycle < 2 * kKept; ++cycle) {
    PKINTERRUPT interrupt = nullptr;
    ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
    IoDisconnectInterrupt(interrupt);
    disconnected.push_back(interrupt);
  }
  const PKINTERRUPT oldest_kept = disconnected[kKept];
  EXPECT_THAT([&] { IoDisconnectInterrupt(oldest_kept); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck,
                                                kemu::verifier_code::kInvalidInterruptObject,
                                                Address(oldest_kept), 1, 0)));
}

TEST_P(IoConnectInterruptTest, DisconnectingAPointerNoConnectReturnedBugChecks) {
  EXPECT_THAT([] { IoDisconnectInterrupt(Garbage()); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck,
                                                kemu::verifier_code::kInvalidInterruptObject,
                                                Address(Garbage()), 0, 0)));
}

TEST(IoConnectInterruptTest, DisconnectingGarbageWithoutVerifierIsAnAccessViolation) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  EXPECT_THAT([] { IoDisconnectInterrupt(Garbage()); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled,
                                                kStatusAccessViolation, 0, 0, Address(Garbage()))));
}

// ---------------------------------------------------------------------------------------------
// IRQL: both routines are PASSIVE_LEVEL only (INT-8). What catches a call at DISPATCH_LEVEL
// depends on the Driver Verifier generation (docs/windows-facts.md §0).

// `ddi_rule`: the DDI compliance rule that lists the routine (Windows 8 on), 0 for none.
::testing::Matcher<const kemu::BugCheck&> AtDispatchBugCheck(kemu::Os os,
                                                             std::uint64_t ddi_rule = 0) {
  if (os >= kemu::Os::kWindows8 && ddi_rule != 0) {
    return BugCheckIs(kVerifierBugCheck, ddi_rule, 0, 0, 0);
  }
  if (os >= kemu::Os::kWindowsVista) {  // kernel API at the wrong IRQL
    return BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL,
                      0, 0);
  }
  // Older Verifiers lack the check; the checked kernel's IRQL_NOT_LESS_OR_EQUAL remains.
  return BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0);
}

TEST_P(IoConnectInterruptTest, ConnectAtDispatchLevelBugChecksWithTheReleasesVerifierCode) {
  machine().AddDevice(LineDevice());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PKINTERRUPT interrupt = nullptr;

  EXPECT_THAT([&] { LegacyConnect{}.Call(&interrupt); },
              Throws<kemu::BugCheck>(AtDispatchBugCheck(GetParam(), kIrqlIoPassive2)));
}

TEST_P(IoConnectInterruptTest, DisconnectAtDispatchLevelBugChecksWithTheReleasesVerifierCode) {
  machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);

  // IrqlIoPassive4 lists IoDisconnectInterrupt; IrqlIoPassive2 is the connect's rule (audit
  // round 14).
  EXPECT_THAT([&] { IoDisconnectInterrupt(interrupt); },
              Throws<kemu::BugCheck>(AtDispatchBugCheck(GetParam(), kIrqlIoPassive4)));
}

TEST(IoConnectInterruptTest, ConnectAtDispatchOnACheckedKernelIsIrqlNotLessOrEqual) {
  for (kemu::Os os : {kemu::Os::kWindowsXP, kemu::Os::kWindows7, kemu::Os::kWindows10}) {
    SCOPED_TRACE(::testing::Message() << os);
    kemu::Machine machine({.os = os, .verifier = false, .checked_build = true});
    machine.AddDevice(LineDevice());
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PKINTERRUPT interrupt = nullptr;
    EXPECT_THAT([&] { LegacyConnect{}.Call(&interrupt); },
                Throws<kemu::BugCheck>(
                    BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0)));
  }
}

TEST(IoConnectInterruptTest, TheExRoutinesAtDispatchLevelBugCheckWithTheReleasesVerifierCode) {
  // EX-7: IoConnectInterruptEx and IoDisconnectInterruptEx are PASSIVE_LEVEL calls too.
  for (kemu::Os os : kemu::AllOs()) {
    if (!kemu::GetPersonality(os).kernel_exports_connect_ex) continue;
    for (bool connect : {true, false}) {
      SCOPED_TRACE(::testing::Message() << os << (connect ? " connect" : " disconnect"));
      kemu::Machine machine(os);
      kemu::Device& device = machine.AddDevice(LineDevice());
      PKINTERRUPT interrupt = nullptr;
      IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt);
      if (!connect) {
        ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
      }
      KIRQL old;
      KeRaiseIrql(DISPATCH_LEVEL, &old);
      auto call = [&] {
        if (connect) {
          IoConnectInterruptEx(&p);
        } else {
          DisconnectEx(CONNECT_LINE_BASED, interrupt);
        }
      };
      // No DDI compliance rule lists either Ex routine: 0xE5 from Vista on (audit round 14).
      EXPECT_THAT(call, Throws<kemu::BugCheck>(AtDispatchBugCheck(os)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// IoDisconnectInterruptEx names a connection by the Version its connect returned (EX-6).
// Windows leaves a mismatch undocumented; kemu is strict under Driver Verifier and lenient
// (ReactOS-like) without it (docs/windows-facts.md §3).

class IoDisconnectInterruptExTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(VistaAndLater, IoDisconnectInterruptExTest,
                         kemu::testing::OsWhere([](const kemu::Personality& p) {
                           return p.kernel_exports_connect_ex;
                         }),
                         kemu::testing::OsName());

TEST_P(IoDisconnectInterruptExTest, NamingAFallbackWithTheRequestedVersionBugChecks) {
  // The classic slip: the fallback rewrote Version to LINE_BASED, the driver kept 3.
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &interrupt, &ProbeIsr);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  ASSERT_EQ(p.Version, CONNECT_LINE_BASED);

  EXPECT_THAT(
      [&] { DisconnectEx(CONNECT_MESSAGE_BASED, interrupt); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kDisconnectMismatch,
                                        /*passed=*/CONNECT_MESSAGE_BASED,
                                        /*connected=*/CONNECT_LINE_BASED, Address(interrupt))));
}

TEST_P(IoDisconnectInterruptExTest, NamingAMessageTableAsALineBugChecks) {
  kemu::Device& device = machine().AddDevice(MsiDevice());
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &table);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);

  EXPECT_THAT([&] { DisconnectEx(CONNECT_LINE_BASED, table); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kDisconnectMismatch,
                             CONNECT_LINE_BASED, CONNECT_MESSAGE_BASED, Address(table))));
}

TEST_P(IoDisconnectInterruptExTest, IoDisconnectInterruptOnAMessageObjectBugChecks) {
  kemu::Device& device = machine().AddDevice(MsiDevice());
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &table);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  PKINTERRUPT first = table->MessageInfo[0].InterruptObject;

  EXPECT_THAT([&] { IoDisconnectInterrupt(first); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kDisconnectMismatch,
                             CONNECT_FULLY_SPECIFIED, CONNECT_MESSAGE_BASED, Address(first))));
}

TEST_P(IoDisconnectInterruptExTest, DisconnectingTheSameConnectionTwiceBugChecks) {
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  DisconnectEx(CONNECT_LINE_BASED, interrupt);

  EXPECT_THAT([&] { DisconnectEx(CONNECT_LINE_BASED, interrupt); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck,
                                                kemu::verifier_code::kInvalidInterruptObject,
                                                Address(interrupt), 1, 0)));
}

TEST_P(IoDisconnectInterruptExTest, ALegacyConnectionIsNamedAsFullySpecified) {
  // CONNECT_FULLY_SPECIFIED is IoConnectInterrupt with a PDO (docs/windows-facts.md §2.4).
  kemu::Device& device = machine().AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);

  DisconnectEx(CONNECT_FULLY_SPECIFIED, interrupt);
  EXPECT_EQ(device.connection(), nullptr);
}

TEST(IoDisconnectInterruptExTest, WithoutVerifierAMismatchedVersionStillDisconnects) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  kemu::Device& line = machine.AddDevice(LineDevice());
  kemu::Device& msi = machine.AddDevice(MsiDevice());
  PKINTERRUPT interrupt = nullptr;
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS lp = LineBased(line.pdo(), &interrupt);
  IO_CONNECT_INTERRUPT_PARAMETERS mp = MessageBased(msi.pdo(), &table);
  ASSERT_EQ(IoConnectInterruptEx(&lp), STATUS_SUCCESS);
  ASSERT_EQ(IoConnectInterruptEx(&mp), STATUS_SUCCESS);

  DisconnectEx(CONNECT_FULLY_SPECIFIED, interrupt);
  DisconnectEx(CONNECT_LINE_BASED, table);
  EXPECT_EQ(line.connection(), nullptr);
  EXPECT_EQ(msi.connection(), nullptr);
  EXPECT_FALSE(machine.crashed());
}

// ---------------------------------------------------------------------------------------------
// Shutdown.

TEST(IoConnectInterruptTest, ShutdownWithAConnectedInterruptReportsItAsALeak) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  machine.AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);

  EXPECT_THAT(
      [&] { machine.Shutdown(); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kLeakAtShutdown,
                                        /*leaks=*/1, Address(interrupt), 0)));
}

TEST(IoConnectInterruptTest, ShutdownAfterDisconnectIsClean) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  machine.AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(LegacyConnect{}.Call(&interrupt), STATUS_SUCCESS);
  IoDisconnectInterrupt(interrupt);

  EXPECT_NO_THROW(machine.Shutdown());
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
