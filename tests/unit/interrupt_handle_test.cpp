// The handle a connection is named by after its connect: the pointer the connect wrote back (the
// first processor's interrupt object, or the message table), never another part of the
// connection, and with a Version the running release knows (docs/verifier-rules.md; conformance
// EX-6; audit round 14).
#include <wdm.h>
// After wdm.h: declares the Iointex.lib routines (this target is newer than Vista, so the kernel
// names stay the kernel's).
#include <iointex.h>

#include <cstdint>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr kemu::LineInterrupt kLine{.vector = 0x61, .irql = 6, .mode = kemu::Trigger::kEdge};

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// The interrupt object each run of the ISR was given.
PKINTERRUPT g_isr_object = nullptr;

BOOLEAN SavingIsr(PKINTERRUPT interrupt, PVOID) {
  g_isr_object = interrupt;
  return TRUE;
}

BOOLEAN MessageIsr(PKINTERRUPT, PVOID, ULONG) { return TRUE; }

BOOLEAN Synchronized(PVOID context) {
  ++*static_cast<int*>(context);
  return TRUE;
}

// Connects SavingIsr on both vCPUs of `machine` and takes one interrupt on vCPU 1, so
// g_isr_object is vCPU 1's object; returns what IoConnectInterrupt wrote back.
PKINTERRUPT ConnectAndInterruptOnSecondProcessor(kemu::Machine& machine, kemu::Device& device) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &SavingIsr, nullptr, nullptr, kLine.vector, kLine.irql,
                               kLine.irql, Latched, FALSE, 0x3, FALSE),
            STATUS_SUCCESS);
  g_isr_object = nullptr;
  machine.SwitchToProcessor(1);
  device.PulseLine();
  machine.SwitchToProcessor(0);
  return interrupt;
}

TEST(InterruptHandleTest, DisconnectWithAnotherProcessorsInterruptObjectIsReported) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  kemu::Device& device = machine.AddDevice({.name = "card", .line = kLine});
  PKINTERRUPT interrupt = ConnectAndInterruptOnSecondProcessor(machine, device);
  ASSERT_NE(g_isr_object, nullptr);
  ASSERT_NE(g_isr_object, interrupt) << "each processor has its own object";
  PKINTERRUPT saved = g_isr_object;
  const kemu::BugCheck crash = CrashOf([&] { IoDisconnectInterrupt(saved); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kInvalidInterruptObject,
                                Address(saved), 2, Address(interrupt)));
  EXPECT_THAT(crash.what(), HasSubstr("the interrupt object of processor 1 of the connection"));
}

TEST(InterruptHandleTest, AnotherProcessorsObjectSynchronizesAndTheReturnedOneDisconnects) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  kemu::Device& device = machine.AddDevice({.name = "card", .line = kLine});
  PKINTERRUPT interrupt = ConnectAndInterruptOnSecondProcessor(machine, device);
  ASSERT_NE(g_isr_object, nullptr);
  int runs = 0;
  // Any object of the set names its lock: the ISR's argument is what a driver passes here.
  EXPECT_TRUE(KeSynchronizeExecution(g_isr_object, &Synchronized, &runs));
  EXPECT_EQ(runs, 1);
  IoDisconnectInterrupt(interrupt);
  EXPECT_EQ(device.connection(), nullptr);
  EXPECT_FALSE(machine.crashed());
}

TEST(InterruptHandleTest, WithoutVerifierAnotherProcessorsObjectStillDisconnects) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2, .verifier = false});
  kemu::Device& device = machine.AddDevice({.name = "card", .line = kLine});
  ConnectAndInterruptOnSecondProcessor(machine, device);
  ASSERT_NE(g_isr_object, nullptr);
  IoDisconnectInterrupt(g_isr_object);
  EXPECT_EQ(device.connection(), nullptr);
  EXPECT_FALSE(machine.crashed());
}

// Connects a message-based ISR to a 4-message MSI device; returns the table.
PIO_INTERRUPT_MESSAGE_INFO ConnectMessages(kemu::Device& device) {
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.MessageBased.PhysicalDeviceObject = device.pdo();
  p.MessageBased.ConnectionContext.InterruptMessageTable = &table;
  p.MessageBased.MessageServiceRoutine = &MessageIsr;
  EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  EXPECT_EQ(p.Version, CONNECT_MESSAGE_BASED);
  return table;
}

class MessageHandleTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(VistaAndLater, MessageHandleTest,
                         kemu::testing::OsWhere([](const kemu::Personality& p) {
                           return p.supports_msi;
                         }),
                         kemu::testing::OsName());

TEST_P(MessageHandleTest, DisconnectWithAMessagesObjectInsteadOfTheTableIsReported) {
  kemu::Device& device = machine().AddDevice({.name = "msi0", .messages = 4});
  PIO_INTERRUPT_MESSAGE_INFO table = ConnectMessages(device);
  ASSERT_NE(table, nullptr);
  PKINTERRUPT message = table->MessageInfo[2].InterruptObject;
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
  d.Version = CONNECT_MESSAGE_BASED;
  d.ConnectionContext.InterruptObject = message;
  const kemu::BugCheck crash = CrashOf([&] { IoDisconnectInterruptEx(&d); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kInvalidInterruptObject,
                                Address(message), 2, Address(table)));
  EXPECT_THAT(crash.what(), HasSubstr("the interrupt object of message 2"));
}

TEST_P(MessageHandleTest, DisconnectWithTheTableIsSilent) {
  kemu::Device& device = machine().AddDevice({.name = "msi0", .messages = 4});
  PIO_INTERRUPT_MESSAGE_INFO table = ConnectMessages(device);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
  d.Version = CONNECT_MESSAGE_BASED;
  d.ConnectionContext.InterruptMessageTable = table;
  IoDisconnectInterruptEx(&d);
  EXPECT_EQ(device.connection(), nullptr);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(MessageHandleTest, ReportingInactiveWithAMessagesObjectIsReported) {
  if (GetParam() < kemu::Os::kWindows8) {
    GTEST_SKIP() << "IoReportInterruptInactive arrived with Windows 8";
  }
  kemu::Device& device = machine().AddDevice({.name = "msi0", .messages = 4});
  PIO_INTERRUPT_MESSAGE_INFO table = ConnectMessages(device);
  PKINTERRUPT message = table->MessageInfo[0].InterruptObject;
  IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS r{};
  r.Version = CONNECT_MESSAGE_BASED;
  r.ConnectionContext.InterruptObject = message;
  EXPECT_THAT(CrashOf([&] { IoReportInterruptInactive(&r); }),
              BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kInvalidInterruptObject,
                         Address(message), 2, Address(table)));
}

// Connects SavingIsr to kLine on vCPU 0 with IoConnectInterrupt; what it wrote back, or NULL.
PKINTERRUPT ConnectOnFirstProcessor() {
  PKINTERRUPT interrupt = nullptr;
  const NTSTATUS status = IoConnectInterrupt(&interrupt, &SavingIsr, nullptr, nullptr, kLine.vector,
                                             kLine.irql, kLine.irql, Latched, FALSE, 1, FALSE);
  return status == STATUS_SUCCESS ? interrupt : nullptr;
}

// CONNECT_FULLY_SPECIFIED_GROUP (4) arrived with Windows 7: before it, naming a connection with
// it is an unknown Version, as 0 or 99 are.
TEST(InterruptHandleTest, VersionFourNamesAFullySpecifiedConnectionFromWindows7Only) {
  for (kemu::Os os : {kemu::Os::kWindowsVista, kemu::Os::kWindows7, kemu::Os::kWindows10}) {
    SCOPED_TRACE(::testing::Message() << os);
    kemu::Machine machine(os);
    kemu::Device& device = machine.AddDevice({.name = "card", .line = kLine});
    const PKINTERRUPT interrupt = ConnectOnFirstProcessor();
    ASSERT_NE(interrupt, nullptr);
    IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
    d.Version = CONNECT_FULLY_SPECIFIED_GROUP;
    d.ConnectionContext.InterruptObject = interrupt;
    if (os == kemu::Os::kWindowsVista) {
      EXPECT_THAT(
          CrashOf([&] { IoDisconnectInterruptEx(&d); }),
          BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kDisconnectMismatch,
                     CONNECT_FULLY_SPECIFIED_GROUP, CONNECT_FULLY_SPECIFIED, Address(interrupt)));
    } else {
      IoDisconnectInterruptEx(&d);
      EXPECT_EQ(device.connection(), nullptr);
      EXPECT_FALSE(machine.crashed());
    }
  }
}

TEST(InterruptHandleTest, IointexBeforeVistaKnowsNoVersionFour) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  machine.AddDevice({.name = "card", .line = kLine});
  const PKINTERRUPT interrupt = ConnectOnFirstProcessor();
  ASSERT_NE(interrupt, nullptr);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
  d.Version = CONNECT_FULLY_SPECIFIED_GROUP;
  d.ConnectionContext.InterruptObject = interrupt;
  EXPECT_THAT(
      CrashOf([&] { WdmlibIoDisconnectInterruptEx(&d); }),
      BugCheckIs(kVerifierBugCheck, kemu::verifier_code::kDisconnectMismatch,
                 CONNECT_FULLY_SPECIFIED_GROUP, CONNECT_FULLY_SPECIFIED, Address(interrupt)));
}

}  // namespace
