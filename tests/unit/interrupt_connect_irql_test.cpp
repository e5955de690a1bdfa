// The IRQLs of a connection: passive-level lines (Windows 8+ GPIO-style interrupts connected
// CONNECT_LINE_BASED), the device IRQL range 3..11 below SYNCH_LEVEL, and SynchronizeIrql never
// above HIGH_LEVEL (emu/model/interrupt_connect.cpp, interrupt_connect_ex.cpp, devices.cpp).
// Conformance INT-4, INT-8, EX-4, EX-5.
#include <wdm.h>
// Iointex.lib's WdmlibIoConnectInterruptEx, for the pre-Vista library path.
#include <iointex.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

struct IsrProbe {
  kemu::Device* device = nullptr;  // deasserted by the ISR: it acknowledges its device
  int calls = 0;
  KIRQL irql = 0xFF;
  PKINTERRUPT interrupt = nullptr;
};

BOOLEAN ProbeIsr(PKINTERRUPT interrupt, PVOID context) {
  auto* probe = static_cast<IsrProbe*>(context);
  ++probe->calls;
  probe->irql = KeGetCurrentIrql();
  probe->interrupt = interrupt;
  if (probe->device != nullptr) probe->device->DeassertLine();
  return TRUE;
}

BOOLEAN MessageIsr(PKINTERRUPT, PVOID, ULONG) { return TRUE; }

kemu::DeviceConfig LineDevice(std::uint8_t irql) {
  return {.name = "line0", .line = kemu::LineInterrupt{.vector = kVector, .irql = irql}};
}

IO_CONNECT_INTERRUPT_PARAMETERS LineBased(PDEVICE_OBJECT pdo, PKINTERRUPT* out, IsrProbe* probe,
                                          KIRQL synchronize_irql = PASSIVE_LEVEL) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_LINE_BASED;
  p.LineBased.PhysicalDeviceObject = pdo;
  p.LineBased.InterruptObject = out;
  p.LineBased.ServiceRoutine = &ProbeIsr;
  p.LineBased.ServiceContext = probe;
  p.LineBased.SynchronizeIrql = synchronize_irql;
  return p;
}

IO_CONNECT_INTERRUPT_PARAMETERS FullySpecified(PDEVICE_OBJECT pdo, PKINTERRUPT* out, KIRQL irql,
                                               KIRQL synchronize_irql) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_FULLY_SPECIFIED;
  p.FullySpecified.PhysicalDeviceObject = pdo;
  p.FullySpecified.InterruptObject = out;
  p.FullySpecified.ServiceRoutine = &ProbeIsr;
  p.FullySpecified.SynchronizeIrql = synchronize_irql;
  p.FullySpecified.Vector = kVector;
  p.FullySpecified.Irql = irql;
  p.FullySpecified.InterruptMode = LevelSensitive;
  p.FullySpecified.ProcessorEnableMask = ~KAFFINITY{0};
  return p;
}

IO_CONNECT_INTERRUPT_PARAMETERS MessageBased(PDEVICE_OBJECT pdo, void* variable,
                                             KIRQL synchronize_irql) {
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.MessageBased.PhysicalDeviceObject = pdo;
  p.MessageBased.ConnectionContext.Generic = static_cast<PVOID*>(variable);
  p.MessageBased.MessageServiceRoutine = &MessageIsr;
  p.MessageBased.FallBackServiceRoutine = &ProbeIsr;
  p.MessageBased.SynchronizeIrql = synchronize_irql;
  return p;
}

NTSTATUS Legacy(PKINTERRUPT* out, KIRQL irql, KIRQL synchronize_irql,
                PKSPIN_LOCK spin_lock = nullptr) {
  return IoConnectInterrupt(out, &ProbeIsr, nullptr, spin_lock, kVector, irql, synchronize_irql,
                            LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE);
}

std::vector<kemu::Os> Releases(kemu::Os first, bool from = true) {
  std::vector<kemu::Os> out;
  for (kemu::Os os : kemu::AllOs()) {
    if ((os >= first) == from) out.push_back(os);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Passive-level lines: CONNECT_LINE_BASED with SynchronizeIrql = PASSIVE_LEVEL (Windows 8+).

TEST(PassiveLineTest, LineBasedConnectOfAPassiveLineRunsTheIsrAtPassiveLevel) {  // EX-5
  for (kemu::Os os : Releases(kemu::Os::kWindows8)) {
    SCOPED_TRACE(::testing::Message() << os);
    kemu::Machine machine(os);
    kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
    IsrProbe probe{.device = &device};
    PKINTERRUPT interrupt = nullptr;
    IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, &probe);

    ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    ASSERT_NE(device.connection(), nullptr);
    EXPECT_EQ(device.connection()->synchronize_irql, PASSIVE_LEVEL);
    EXPECT_EQ(interrupt->SynchronizeIrql, PASSIVE_LEVEL);
    device.AssertLine();
    EXPECT_EQ(probe.calls, 1);
    EXPECT_EQ(probe.irql, PASSIVE_LEVEL);
    EXPECT_EQ(probe.interrupt, interrupt);
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = CONNECT_LINE_BASED,
                                         .ConnectionContext = {.InterruptObject = interrupt}};
    IoDisconnectInterruptEx(&d);
  }
}

TEST(PassiveLineTest, APassiveLineInterruptWaitsUntilTheVcpuIsBackAtPassiveLevel) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, &probe);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);

  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  device.AssertLine();
  EXPECT_EQ(probe.calls, 0);  // the ISR thread cannot run above PASSIVE_LEVEL
  KeLowerIrql(old);
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(probe.irql, PASSIVE_LEVEL);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = CONNECT_LINE_BASED,
                                       .ConnectionContext = {.InterruptObject = interrupt}};
  IoDisconnectInterruptEx(&d);
}

TEST(PassiveLineTest, APassiveLineHasNoInterruptSpinLock) {  // INT-4
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, nullptr);
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);

  EXPECT_THAT(
      [&] { KeAcquireInterruptSpinLock(interrupt); },
      Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kPassiveInterruptError, 1,
                                        reinterpret_cast<std::uintptr_t>(interrupt), 0, 0)));
}

TEST(PassiveLineTest, APassiveLineConnectedWithASpinLockIsAnInvalidParameter) {  // EX-5
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, nullptr);
  p.LineBased.SpinLock = &lock;

  EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

TEST(PassiveLineTest, AHigherSynchronizeIrqlRunsAPassiveLinesIsrAtThatIrql) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, &probe, kDirql);

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  device.AssertLine();
  EXPECT_EQ(probe.irql, kDirql);  // SynchronizeIrql is a minimum
  EXPECT_EQ(KeAcquireInterruptSpinLock(interrupt), PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), kDirql);
  KeReleaseInterruptSpinLock(interrupt, PASSIVE_LEVEL);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = CONNECT_LINE_BASED,
                                       .ConnectionContext = {.InterruptObject = interrupt}};
  IoDisconnectInterruptEx(&d);
}

TEST(PassiveLineTest, TheMessageBasedFallbackOnAPassiveLineRunsAtPassiveLevel) {  // EX-4
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = MessageBased(device.pdo(), &interrupt, PASSIVE_LEVEL);
  p.MessageBased.ServiceContext = &probe;

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.Version, CONNECT_LINE_BASED);
  device.AssertLine();
  EXPECT_EQ(probe.irql, PASSIVE_LEVEL);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = CONNECT_LINE_BASED,
                                       .ConnectionContext = {.InterruptObject = interrupt}};
  IoDisconnectInterruptEx(&d);
}

TEST(PassiveLineTest, ConnectingAPassiveLineBeforeWindows8IsAnInvalidParameter) {
  for (kemu::Os os : Releases(kemu::Os::kWindows8, /*from=*/false)) {
    SCOPED_TRACE(::testing::Message() << os);
    kemu::Machine machine(os);
    kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(Legacy(&interrupt, PASSIVE_LEVEL, PASSIVE_LEVEL), STATUS_INVALID_PARAMETER);
    if (machine.personality().kernel_exports_connect_ex) {
      IO_CONNECT_INTERRUPT_PARAMETERS lb = LineBased(device.pdo(), &interrupt, nullptr);
      EXPECT_EQ(IoConnectInterruptEx(&lb), STATUS_INVALID_PARAMETER);
      IO_CONNECT_INTERRUPT_PARAMETERS fs =
          FullySpecified(device.pdo(), &interrupt, PASSIVE_LEVEL, PASSIVE_LEVEL);
      EXPECT_EQ(IoConnectInterruptEx(&fs), STATUS_INVALID_PARAMETER);
    }
    EXPECT_EQ(interrupt, nullptr);
    EXPECT_EQ(device.connection(), nullptr);
  }
}

TEST(PassiveLineTest, IoConnectInterruptAtPassiveLevelIsAPassiveIsrFromWindows8) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(PASSIVE_LEVEL));
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(Legacy(&interrupt, PASSIVE_LEVEL, PASSIVE_LEVEL, &lock), STATUS_INVALID_PARAMETER);
  ASSERT_EQ(Legacy(&interrupt, PASSIVE_LEVEL, PASSIVE_LEVEL), STATUS_SUCCESS);
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->synchronize_irql, PASSIVE_LEVEL);
  EXPECT_THAT([&] { KeAcquireInterruptSpinLock(interrupt); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kPassiveInterruptError, 1)));
}

// ---------------------------------------------------------------------------------------------
// Device IRQLs lie above DISPATCH_LEVEL and below SYNCH_LEVEL: 3..11 on x64.

TEST(DeviceIrqlTest, ConnectingAnIrqlAtOrAboveSynchLevelIsAnInvalidParameter) {  // INT-8
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(kDirql));
  for (KIRQL irql : {KIRQL{APC_LEVEL}, KIRQL{DISPATCH_LEVEL}, KIRQL{SYNCH_LEVEL}, KIRQL{13},
                     KIRQL{HIGH_LEVEL}}) {
    SCOPED_TRACE(::testing::Message() << "Irql " << int{irql});
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(Legacy(&interrupt, irql, HIGH_LEVEL), STATUS_INVALID_PARAMETER);
    IO_CONNECT_INTERRUPT_PARAMETERS fs = FullySpecified(device.pdo(), &interrupt, irql, irql);
    EXPECT_EQ(IoConnectInterruptEx(&fs), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(interrupt, nullptr);
    EXPECT_EQ(device.connection(), nullptr);
  }
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(Legacy(&interrupt, SYNCH_LEVEL - 1, SYNCH_LEVEL), STATUS_SUCCESS);
  IoDisconnectInterrupt(interrupt);
}

TEST(DeviceIrqlTest, MessageIrqlsStayBelowSynchLevel) {
  kemu::Machine machine(kemu::Os::kWindows10);
  // 80 messages reach vector 0xDF, whose vector >> 4 would be 13.
  kemu::Device& device = machine.AddDevice({.name = "msi0", .messages = 80, .msix = true});
  ASSERT_EQ(device.granted_messages(), 80u);
  const CM_PARTIAL_RESOURCE_LIST& list = device.translated_resources()->List[0].PartialResourceList;
  KIRQL highest = 0;
  for (ULONG i = 0; i < list.Count; ++i) {
    highest = std::max<KIRQL>(
        highest,
        static_cast<KIRQL>(list.PartialDescriptors[i].u.MessageInterrupt.Translated.Level));
  }
  EXPECT_EQ(highest, SYNCH_LEVEL - 1);
}

// ---------------------------------------------------------------------------------------------
// SynchronizeIrql above HIGH_LEVEL: no ISR can run there.

TEST(SynchronizeIrqlTest, AboveHighLevelIsAnInvalidParameterForEveryConnectFlavour) {  // INT-8
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& line = machine.AddDevice(LineDevice(kDirql));
  kemu::Device& msi = machine.AddDevice({.name = "msi0", .messages = 2});
  for (KIRQL synchronize : {KIRQL{HIGH_LEVEL + 1}, KIRQL{200}}) {
    SCOPED_TRACE(::testing::Message() << "SynchronizeIrql " << int{synchronize});
    PKINTERRUPT interrupt = nullptr;
    PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
    EXPECT_EQ(Legacy(&interrupt, kDirql, synchronize), STATUS_INVALID_PARAMETER);
    IO_CONNECT_INTERRUPT_PARAMETERS fs =
        FullySpecified(line.pdo(), &interrupt, kDirql, synchronize);
    EXPECT_EQ(IoConnectInterruptEx(&fs), STATUS_INVALID_PARAMETER);
    IO_CONNECT_INTERRUPT_PARAMETERS lb = LineBased(line.pdo(), &interrupt, nullptr, synchronize);
    EXPECT_EQ(IoConnectInterruptEx(&lb), STATUS_INVALID_PARAMETER);
    IO_CONNECT_INTERRUPT_PARAMETERS fallback = MessageBased(line.pdo(), &interrupt, synchronize);
    EXPECT_EQ(IoConnectInterruptEx(&fallback), STATUS_INVALID_PARAMETER);
    IO_CONNECT_INTERRUPT_PARAMETERS mb = MessageBased(msi.pdo(), &table, synchronize);
    EXPECT_EQ(IoConnectInterruptEx(&mb), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(interrupt, nullptr);
    EXPECT_EQ(table, nullptr);
    EXPECT_EQ(line.connection(), nullptr);
    EXPECT_EQ(msi.connection(), nullptr);
  }
}

TEST(SynchronizeIrqlTest, HighLevelItselfIsAccepted) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice(kDirql));
  IsrProbe probe{.device = &device};
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p = LineBased(device.pdo(), &interrupt, &probe, HIGH_LEVEL);

  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  device.AssertLine();
  EXPECT_EQ(probe.irql, HIGH_LEVEL);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{.Version = CONNECT_LINE_BASED,
                                       .ConnectionContext = {.InterruptObject = interrupt}};
  IoDisconnectInterruptEx(&d);
}

TEST(SynchronizeIrqlTest, AboveHighLevelIsAnInvalidParameterForIointexBeforeVista) {  // EX-2
  kemu::Machine machine(kemu::Os::kWindowsXP);
  kemu::Device& device = machine.AddDevice(LineDevice(kDirql));
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS fs = FullySpecified(device.pdo(), &interrupt, kDirql, 200);

  EXPECT_EQ(WdmlibIoConnectInterruptEx(&fs), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(device.connection(), nullptr);
}

}  // namespace
