// Storms: a source that is raised again while it is being serviced is delivered again before the
// interrupted code (or any DPC) runs, and MachineOptions::storm_threshold bounds those deliveries
// within one burst, so a runaway device ends a test with 0xF2 instead of hanging it (INT-7). The
// bound is per burst: separate interrupts over a test's life never add up to a storm.
#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>
#include <string>

#include "io_space_driver.h"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
using ::testing::Throws;
namespace bugcheck = ::kemu::bugcheck;

constexpr unsigned kThreshold = 8;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }
template <typename Routine>
std::uint64_t RoutineAddress(Routine* routine) {
  return reinterpret_cast<std::uintptr_t>(routine);
}

kemu::Device* g_device = nullptr;
int g_calls = 0;

// An ISR whose device raises a new edge every time it is serviced.
BOOLEAN ReRaisingIsr(PKINTERRUPT, PVOID) {
  ++g_calls;
  g_device->PulseLine();
  return TRUE;
}

// An ISR whose device raises one more edge and then stays quiet.
BOOLEAN OnceMoreIsr(PKINTERRUPT, PVOID) {
  if (++g_calls == 1) g_device->PulseLine();
  return TRUE;
}

class EdgeStormTest : public ::testing::Test {
 protected:
  EdgeStormTest() : machine_({.os = kemu::Os::kWindows10, .storm_threshold = kThreshold}) {
    g_calls = 0;
    g_device = &machine_.AddDevice(
        {.name = "edge0",
         .line = kemu::LineInterrupt{.vector = 0x61, .irql = 6, .mode = kemu::Trigger::kEdge}});
  }

  PKINTERRUPT Connect(PKSERVICE_ROUTINE isr) {
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(
        IoConnectInterrupt(&interrupt, isr, nullptr, nullptr, 0x61, 6, 6, Latched, FALSE, 1, FALSE),
        STATUS_SUCCESS);
    return interrupt;
  }

  kemu::Machine machine_;
};

TEST_F(EdgeStormTest, AnEdgeReRaisedDuringEveryServiceBecomesAStorm) {
  PKINTERRUPT interrupt = Connect(ReRaisingIsr);
  EXPECT_THAT([] { g_device->PulseLine(); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kHardwareInterruptStorm,
                                                reinterpret_cast<std::uintptr_t>(&ReRaisingIsr), 0,
                                                reinterpret_cast<std::uintptr_t>(interrupt), 1)));
  EXPECT_EQ(g_calls, 9);  // threshold 8: the 9th re-raise is the storm
}

TEST_F(EdgeStormTest, AnEdgeRaisedOnceMoreDuringServiceIsDeliveredAndIsNoStorm) {
  PKINTERRUPT interrupt = Connect(OnceMoreIsr);
  g_device->PulseLine();
  EXPECT_EQ(g_calls, 2);
  IoDisconnectInterrupt(interrupt);
}

// ---------------------------------------------------------------------------------------------
// Sources that a single "is the line still asserted?" check misses: each must end in 0xF2.

// What one of the ISRs below does, reached through its ServiceContext.
struct Source {
  kemu::Device* device = nullptr;
  unsigned calls = 0;
  unsigned events = ~0u;  // device events left to raise again; ~0u: forever
  KDPC dpc{};
  unsigned dpc_runs = 0;
};

bool NextEvent(Source& source) {
  if (source.events == 0) return false;
  if (source.events != ~0u) --source.events;
  return true;
}

// Acknowledges (the line drops), then the device raises its line again for a new event.
BOOLEAN AckThenRaiseAgainIsr(PKINTERRUPT, PVOID context) {
  Source& source = *static_cast<Source*>(context);
  ++source.calls;
  source.device->DeassertLine();
  if (NextEvent(source)) source.device->AssertLine();
  return TRUE;
}

// Acknowledges, and the device sends one more edge.
BOOLEAN AckThenPulseIsr(PKINTERRUPT, PVOID context) {
  Source& source = *static_cast<Source*>(context);
  ++source.calls;
  source.device->DeassertLine();
  if (NextEvent(source)) source.device->PulseLine();
  return TRUE;
}

// Each message's ISR makes the device signal the other message.
BOOLEAN PingPongMessageIsr(PKINTERRUPT, PVOID context, ULONG message_id) {
  Source& source = *static_cast<Source*>(context);
  ++source.calls;
  source.device->SignalMessage(message_id ^ 1u);
  return TRUE;
}

PKINTERRUPT ConnectLine(PKSERVICE_ROUTINE isr, Source& source, ULONG vector, KIRQL irql,
                        KINTERRUPT_MODE mode, bool share = false) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, isr, &source, nullptr, vector, irql, irql, mode,
                               share ? TRUE : FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

kemu::DeviceConfig LineDevice(const char* name, kemu::Trigger mode, bool shared = false) {
  return {.name = name,
          .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5, .mode = mode, .shared = shared}};
}

class StormTest : public ::testing::Test {
 protected:
  StormTest() : machine_({.os = kemu::Os::kWindows10, .storm_threshold = kThreshold}) {}
  kemu::Machine machine_;
};

// (a) with the Device API: the ISR acknowledges correctly, the device raises the cause again.
TEST_F(StormTest, LevelLineDroppedAndRaisedAgainDuringEveryServiceStorms) {  // INT-7
  kemu::Device& device = machine_.AddDevice(LineDevice("nic", kemu::Trigger::kLevel));
  Source source{.device = &device};
  PKINTERRUPT interrupt = ConnectLine(&AckThenRaiseAgainIsr, source, 0x51, 5, LevelSensitive);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&AckThenRaiseAgainIsr),
                         Address(&source), Address(interrupt), 1));
  EXPECT_EQ(source.calls, 1 + kThreshold);  // the first delivery, then kThreshold more
}

// (a) with registers: a correct write-1-to-clear acknowledge the hardware answers with a new cause.
TEST_F(StormTest, WriteOneToClearAcknowledgeTheHardwareReRaisesEveryTimeStorms) {  // INT-7
  kemu::RegisterFile regs(0x100);
  regs.InterruptStatus(IO_DRV_CAUSE).WriteOneToClear(IO_DRV_CAUSE);
  regs.OnWrite(IO_DRV_CAUSE, [&](std::uint32_t bits) { regs.Raise(IO_DRV_CAUSE, bits); });
  kemu::Device& device = machine_.AddDevice({.name = "uart0",
                                             .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5},
                                             .memory_bytes = 0x100,
                                             .hardware = &regs});
  IO_DRV_DEVICE drv{};
  drv.Acknowledge = TRUE;
  ASSERT_EQ(IoDrvStart(&drv, device.translated_resources()), STATUS_SUCCESS);
  const kemu::BugCheck crash = CrashOf([&] { regs.Raise(IO_DRV_CAUSE, IO_DRV_CAUSE_RX); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm));
  EXPECT_EQ(crash.parameter(1), Address(&drv));
  EXPECT_EQ(crash.parameter(2), Address(drv.Interrupt));
  EXPECT_EQ(crash.parameter(3), 1u);
  EXPECT_EQ(drv.IsrCalls, 1 + kThreshold);
}

// The legitimate form of (a): a device with a few events queued raises them one after another.
TEST_F(StormTest, AHandfulOfEventsRaisedBackToBackIsNoStorm) {
  kemu::Device& device = machine_.AddDevice(LineDevice("nic", kemu::Trigger::kLevel));
  Source source{.device = &device, .events = kThreshold};
  PKINTERRUPT interrupt = ConnectLine(&AckThenRaiseAgainIsr, source, 0x51, 5, LevelSensitive);
  device.AssertLine();
  EXPECT_EQ(source.calls, 1 + kThreshold);  // exactly the most one burst may deliver
  EXPECT_FALSE(device.line_asserted());
  IoDisconnectInterrupt(interrupt);
}

TEST_F(StormTest, SeparateInterruptsOverATestsLifeNeverAddUpToAStorm) {
  kemu::Device& device = machine_.AddDevice(LineDevice("nic", kemu::Trigger::kLevel));
  Source source{.device = &device, .events = 0};
  PKINTERRUPT interrupt = ConnectLine(&AckThenRaiseAgainIsr, source, 0x51, 5, LevelSensitive);
  for (unsigned i = 0; i < 10 * kThreshold; ++i) {
    device.AssertLine();
    KeQueryInterruptTime();  // the interrupted code runs between two interrupts
  }
  EXPECT_EQ(source.calls, 10 * kThreshold);
  IoDisconnectInterrupt(interrupt);
}

// (b): the ISR acknowledges an edge device, which sends another edge every time.
TEST_F(StormTest, EdgeAcknowledgedAndPulsedAgainDuringEveryServiceStorms) {
  kemu::Device& device = machine_.AddDevice(LineDevice("timer", kemu::Trigger::kEdge));
  Source source{.device = &device};
  PKINTERRUPT interrupt = ConnectLine(&AckThenRaiseAgainIsr, source, 0x51, 5, Latched);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&AckThenRaiseAgainIsr),
                         Address(&source), Address(interrupt), 1));
  EXPECT_EQ(source.calls, 1 + kThreshold);
}

// (c): a level-mode vector that receives an edge during every service of its own ISR.
TEST_F(StormTest, LevelVectorPulsedDuringEveryServiceStorms) {
  kemu::Device& device = machine_.AddDevice(LineDevice("nic", kemu::Trigger::kLevel));
  Source source{.device = &device};
  PKINTERRUPT interrupt = ConnectLine(&AckThenPulseIsr, source, 0x51, 5, LevelSensitive);
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&AckThenPulseIsr),
                                Address(&source), Address(interrupt), 1));
  EXPECT_EQ(source.calls, 1 + kThreshold);
}

// (c) reached by a wrong connect: an edge device connected LevelSensitive (docs/windows-facts.md
// §9.4 lists edge/level misconfiguration among the causes of 0xF2).
TEST_F(StormTest, EdgeDeviceConnectedLevelSensitiveThatKeepsPulsingStorms) {
  kemu::Device& device = machine_.AddDevice(LineDevice("timer", kemu::Trigger::kEdge));
  Source source{.device = &device};
  PKINTERRUPT interrupt = ConnectLine(&AckThenPulseIsr, source, 0x51, 5, LevelSensitive);
  const kemu::BugCheck crash = CrashOf([&] { device.PulseLine(); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&AckThenPulseIsr),
                                Address(&source), Address(interrupt), 1));
  EXPECT_EQ(source.calls, 1 + kThreshold);
}

// (d): two MSI messages whose ISRs make the device signal each other.
TEST_F(StormTest, TwoMessagesWhoseIsrsSignalEachOtherStorm) {
  kemu::Device& device = machine_.AddDevice({.name = "nic", .line = std::nullopt, .messages = 2});
  ASSERT_EQ(device.granted_messages(), 2u);
  Source source{.device = &device};
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_MESSAGE_BASED;
  params.MessageBased.PhysicalDeviceObject = device.pdo();
  params.MessageBased.ConnectionContext.InterruptMessageTable = &table;
  params.MessageBased.MessageServiceRoutine = &PingPongMessageIsr;
  params.MessageBased.ServiceContext = &source;
  ASSERT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  const kemu::BugCheck crash = CrashOf([&] { device.SignalMessage(0); });
  // Message 0 is the first whose deliveries in the burst pass the bound.
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&PingPongMessageIsr),
                         Address(&source), Address(table->MessageInfo[0].InterruptObject), 1));
  EXPECT_EQ(source.calls, 2 * (1 + kThreshold));
  EXPECT_THAT(crash.report(), HasSubstr("device 'nic'"));
}

// ---------------------------------------------------------------------------------------------
// A level line left asserted re-fires at DIRQL: the DPC that would acknowledge it cannot run
// while the line keeps the processor above DISPATCH_LEVEL (INT-7).

// Claims the interrupt but leaves the acknowledge to its DPC.
BOOLEAN LeaveItToTheDpcIsr(PKINTERRUPT, PVOID context) {
  Source& source = *static_cast<Source*>(context);
  ++source.calls;
  KeInsertQueueDpc(&source.dpc, nullptr, nullptr);
  return TRUE;
}

VOID AcknowledgingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  Source& source = *static_cast<Source*>(context);
  ++source.dpc_runs;
  source.device->DeassertLine();
}

TEST_F(StormTest, LevelLineStillAssertedRefiresBeforeDpc) {  // INT-7
  kemu::Device& device = machine_.AddDevice(LineDevice("nic", kemu::Trigger::kLevel));
  Source source{.device = &device};
  KeInitializeDpc(&source.dpc, &AcknowledgingDpc, &source);
  PKINTERRUPT interrupt = ConnectLine(&LeaveItToTheDpcIsr, source, 0x51, 5, LevelSensitive);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&LeaveItToTheDpcIsr),
                         Address(&source), Address(interrupt), 1));
  EXPECT_EQ(source.calls, 1 + kThreshold);
  EXPECT_EQ(source.dpc_runs, 0u);  // never reached: the line kept the vCPU at DIRQL
}

// The serial pattern: the received byte, read from a read-to-clear register, is the acknowledge.
constexpr std::uint32_t kReceiveBuffer = 0x0;

struct Serial {
  volatile UCHAR* registers = nullptr;
  bool read_in_isr = false;  // the correct driver takes the byte in its ISR
  KDPC dpc{};
  unsigned isr_calls = 0;
  unsigned dpc_runs = 0;
  UCHAR received = 0;
};

BOOLEAN SerialIsr(PKINTERRUPT, PVOID context) {
  Serial& serial = *static_cast<Serial*>(context);
  ++serial.isr_calls;
  if (serial.read_in_isr) serial.received = READ_REGISTER_UCHAR(serial.registers + kReceiveBuffer);
  KeInsertQueueDpc(&serial.dpc, nullptr, nullptr);
  return TRUE;
}

VOID SerialDpc(PKDPC, PVOID context, PVOID, PVOID) {
  Serial& serial = *static_cast<Serial*>(context);
  ++serial.dpc_runs;
  if (!serial.read_in_isr) {
    serial.received = READ_REGISTER_UCHAR(serial.registers + kReceiveBuffer);
  }
}

class SerialStormTest : public StormTest {
 protected:
  SerialStormTest() {
    regs_.InterruptStatus(kReceiveBuffer).ReadToClear(kReceiveBuffer);
    device_ = &machine_.AddDevice({.name = "serial0",
                                   .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5},
                                   .memory_bytes = 0x100,
                                   .hardware = &regs_});
    PHYSICAL_ADDRESS physical;
    physical.QuadPart = static_cast<LONGLONG>(device_->memory_base());
    serial_.registers = static_cast<volatile UCHAR*>(MmMapIoSpace(physical, 0x100, MmNonCached));
    KeInitializeDpc(&serial_.dpc, &SerialDpc, &serial_);
  }

  PKINTERRUPT Connect() {
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(IoConnectInterrupt(&interrupt, &SerialIsr, &serial_, nullptr, 0x51, 5, 5,
                                 LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
              STATUS_SUCCESS);
    return interrupt;
  }

  kemu::RegisterFile regs_{0x100};
  kemu::Device* device_ = nullptr;
  Serial serial_;
};

TEST_F(SerialStormTest, IsrLeavingTheReceivedByteToItsDpcStormsBeforeTheDpcRuns) {  // INT-7
  PKINTERRUPT interrupt = Connect();
  const kemu::BugCheck crash = CrashOf([&] { regs_.Raise(kReceiveBuffer, 'A'); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&SerialIsr),
                                Address(&serial_), Address(interrupt), 1));
  EXPECT_EQ(serial_.isr_calls, 1 + kThreshold);
  EXPECT_EQ(serial_.dpc_runs, 0u);
  EXPECT_EQ(regs_.Peek(kReceiveBuffer), std::uint32_t{'A'});  // never read
}

TEST_F(SerialStormTest, IsrTakingTheReceivedByteItselfIsNoStorm) {
  serial_.read_in_isr = true;
  PKINTERRUPT interrupt = Connect();
  regs_.Raise(kReceiveBuffer, 'A');
  EXPECT_EQ(serial_.isr_calls, 1u);
  EXPECT_EQ(serial_.dpc_runs, 1u);
  EXPECT_EQ(serial_.received, 'A');
  EXPECT_FALSE(device_->line_asserted());
  IoDisconnectInterrupt(interrupt);
  MmUnmapIoSpace(const_cast<UCHAR*>(serial_.registers), 0x100);
}

// ---------------------------------------------------------------------------------------------
// The report names the device whose line keeps the vector asserted, not only the first ISR.

// Claims (and acknowledges) only its own device's interrupts.
BOOLEAN OwnInterruptsOnlyIsr(PKINTERRUPT, PVOID context) {
  Source& source = *static_cast<Source*>(context);
  ++source.calls;
  if (!source.device->line_asserted()) return FALSE;
  source.device->DeassertLine();
  return TRUE;
}

TEST_F(StormTest, StormAfterAStopThatLeftTheCardEnabledNamesTheAssertedDevice) {
  kemu::Device& stopped = machine_.AddDevice(LineDevice("uart0", kemu::Trigger::kLevel, true));
  kemu::Device& neighbour = machine_.AddDevice(LineDevice("nic0", kemu::Trigger::kLevel, true));
  Source uart{.device = &stopped};
  Source nic{.device = &neighbour};
  PKINTERRUPT uart_interrupt =
      ConnectLine(&OwnInterruptsOnlyIsr, uart, 0x51, 5, LevelSensitive, /*share=*/true);
  PKINTERRUPT nic_interrupt =
      ConnectLine(&OwnInterruptsOnlyIsr, nic, 0x51, 5, LevelSensitive, /*share=*/true);
  IoDisconnectInterrupt(uart_interrupt);  // the stop forgot to disable the card's interrupts
  const kemu::BugCheck crash = CrashOf([&] { stopped.AssertLine(); });
  // The parameters are Windows': the ISR left on the vector, alone, so "very likely" the culprit.
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&OwnInterruptsOnlyIsr),
                         Address(&nic), Address(nic_interrupt), 1));
  EXPECT_EQ(nic.calls, 1 + kThreshold);
  // The report says which device it really is.
  EXPECT_THAT(crash.report(), HasSubstr("device 'uart0' keeps its level line asserted"));
  EXPECT_THAT(crash.report(), HasSubstr("no ISR is connected for 'uart0'"));
  EXPECT_THAT(crash.report(), ::testing::Not(HasSubstr("'nic0'")));
}

// Claims every interrupt, whoever raised it, and acknowledges nothing.
BOOLEAN ClaimsEverythingIsr(PKINTERRUPT, PVOID context) {
  ++static_cast<Source*>(context)->calls;
  return TRUE;
}

// Audit round 3, R62: on a shared level line the first ISR claims card B's interrupt, so card B's
// ISR is never called and its line stays asserted. The report names the claiming ISR.
TEST_F(StormTest, StormOnASharedLineNamesTheIsrThatClaimedEveryDelivery) {
  kemu::Device& card_a = machine_.AddDevice(LineDevice("cardA", kemu::Trigger::kLevel, true));
  kemu::Device& card_b = machine_.AddDevice(LineDevice("cardB", kemu::Trigger::kLevel, true));
  Source a{.device = &card_a};
  Source b{.device = &card_b};
  PKINTERRUPT a_interrupt =
      ConnectLine(&ClaimsEverythingIsr, a, 0x51, 5, LevelSensitive, /*share=*/true);
  PKINTERRUPT b_interrupt =
      ConnectLine(&OwnInterruptsOnlyIsr, b, 0x51, 5, LevelSensitive, /*share=*/true);
  const kemu::BugCheck crash = CrashOf([&] { card_b.AssertLine(); });
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&ClaimsEverythingIsr),
                         Address(&a), Address(a_interrupt), 2));
  EXPECT_EQ(a.calls, 1 + kThreshold);
  EXPECT_EQ(b.calls, 0u);
  // The ISR by name and address (audit round 11 F1: the routine, as a race report names it).
  EXPECT_THAT(crash.report(), HasSubstr("device 'cardB' keeps its level line asserted; the ISR "
                                        "(anonymous namespace)::ClaimsEverythingIsr("));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format(" at {} (interrupt object {}, device 'cardA') claimed every "
                                    "one of the {} deliveries, so the 1 ISR after it on the vector "
                                    "never ran for them",
                                    reinterpret_cast<const void*>(&ClaimsEverythingIsr),
                                    static_cast<const void*>(a_interrupt), 1 + kThreshold)));
  static_cast<void>(b_interrupt);
}

// Alone on its vector, an ISR that claims each delivery yet never silences its device is named
// too; an ISR that claimed none is not.
TEST_F(StormTest, StormNamesALoneIsrThatClaimedEveryDeliveryButNotOneThatClaimedNone) {
  kemu::Device& device = machine_.AddDevice(LineDevice("nic", kemu::Trigger::kLevel));
  Source source{.device = &device};
  PKINTERRUPT interrupt = ConnectLine(&ClaimsEverythingIsr, source, 0x51, 5, LevelSensitive);
  const kemu::BugCheck crash = CrashOf([&] { device.AssertLine(); });
  EXPECT_THAT(crash.report(), HasSubstr("device 'nic' keeps its level line asserted; the ISR "
                                        "(anonymous namespace)::ClaimsEverythingIsr("));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format(" at {} (interrupt object {}, device 'nic') claimed every one "
                                    "of the {} deliveries. ",
                                    reinterpret_cast<const void*>(&ClaimsEverythingIsr),
                                    static_cast<const void*>(interrupt), 1 + kThreshold)));
}

// Returns FALSE whatever its device does, and acknowledges nothing (it tests the wrong bit).
BOOLEAN DeclinesEverythingIsr(PKINTERRUPT, PVOID context) {
  ++static_cast<Source*>(context)->calls;
  return FALSE;
}

// Audit round 11 F1: on a shared level line where no ISR claims any delivery, every ISR ran each
// time and returned FALSE; the report names the asserting device's own ISR, not its neighbour's.
TEST_F(StormTest, StormNobodyClaimedNamesTheAssertingDevicesIsrThatReturnedFalse) {
  // Added in connect order: legacy connections are credited to devices in the order added.
  kemu::Device& card_b = machine_.AddDevice(LineDevice("cardB", kemu::Trigger::kLevel, true));
  kemu::Device& card_a = machine_.AddDevice(LineDevice("cardA", kemu::Trigger::kLevel, true));
  Source a{.device = &card_a};
  Source b{.device = &card_b};
  PKINTERRUPT b_interrupt =
      ConnectLine(&OwnInterruptsOnlyIsr, b, 0x51, 5, LevelSensitive, /*share=*/true);
  PKINTERRUPT a_interrupt =
      ConnectLine(&DeclinesEverythingIsr, a, 0x51, 5, LevelSensitive, /*share=*/true);
  const kemu::BugCheck crash = CrashOf([&] { card_a.AssertLine(); });
  EXPECT_THAT(crash,
              BugCheckIs(bugcheck::kHardwareInterruptStorm, RoutineAddress(&OwnInterruptsOnlyIsr),
                         Address(&b), Address(b_interrupt), 2));
  EXPECT_EQ(a.calls, 1 + kThreshold);
  EXPECT_EQ(b.calls, 1 + kThreshold);
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format("device 'cardA' keeps its level line asserted; no ISR claimed "
                                    "any of the {} deliveries: the ISR ",
                                    1 + kThreshold)));
  EXPECT_THAT(crash.report(), HasSubstr("DeclinesEverythingIsr("));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format(" at {} (interrupt object {}, device 'cardA') of the "
                                    "asserting device ran and returned FALSE every time",
                                    reinterpret_cast<const void*>(&DeclinesEverythingIsr),
                                    static_cast<const void*>(a_interrupt))));
  EXPECT_THAT(crash.report(), ::testing::Not(HasSubstr("device 'cardB'")));
}

// Its twin: the first ISR acknowledges its own device: delivered once, no storm.
TEST_F(StormTest, SharedLevelLineWhoseOwnIsrAcknowledgesIsNoStorm) {
  kemu::Device& card_a = machine_.AddDevice(LineDevice("cardA", kemu::Trigger::kLevel, true));
  kemu::Device& card_b = machine_.AddDevice(LineDevice("cardB", kemu::Trigger::kLevel, true));
  Source a{.device = &card_a};
  Source b{.device = &card_b};
  PKINTERRUPT a_interrupt =
      ConnectLine(&OwnInterruptsOnlyIsr, a, 0x51, 5, LevelSensitive, /*share=*/true);
  PKINTERRUPT b_interrupt =
      ConnectLine(&OwnInterruptsOnlyIsr, b, 0x51, 5, LevelSensitive, /*share=*/true);
  card_a.AssertLine();
  EXPECT_EQ(a.calls, 1u);
  EXPECT_EQ(b.calls, 0u);
  EXPECT_FALSE(machine_.crashed());
  IoDisconnectInterrupt(a_interrupt);
  IoDisconnectInterrupt(b_interrupt);
}

}  // namespace
