// An edge-triggered and a level-triggered device on one line vector. Windows shares a vector only
// between ISRs connected in the same mode (docs/windows-facts.md §9.3), so whichever driver
// connects second is refused; the first keeps its connection. Microsoft's "Debugging an Interrupt
// Storm" lists such a pair as a storm cause, so kemu lets a test build the machine (AddDevice) and
// refuses the connect. The status is UNCONFIRMED for Windows; kemu returns ReactOS's
// STATUS_INVALID_PARAMETER (docs/windows-facts.md §1.4).
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

constexpr ULONG kVector = 0x52;
constexpr KIRQL kDirql = 6;

BOOLEAN Isr(PKINTERRUPT, PVOID) { return FALSE; }

kemu::DeviceConfig Card(const char* name, kemu::Trigger mode) {
  return {
      .name = name,
      .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql, .mode = mode, .shared = true}};
}

// Connects as a WDM driver does on every release: IoConnectInterrupt with the values its
// translated resources give. IoConnectInterrupt names no device: kemu credits the connection to
// the unconnected owner of the vector whose grant matches those values best (docs/kernel.md,
// "Which device a legacy connection belongs to").
NTSTATUS ConnectFromResources(kemu::Device& device, PKINTERRUPT* out) {
  const CM_PARTIAL_RESOURCE_DESCRIPTOR& line =
      device.translated_resources()->List[0].PartialResourceList.PartialDescriptors[0];
  const KINTERRUPT_MODE mode =
      (line.Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
  return IoConnectInterrupt(
      out, &Isr, nullptr, nullptr, line.u.Interrupt.Vector,
      static_cast<KIRQL>(line.u.Interrupt.Level), static_cast<KIRQL>(line.u.Interrupt.Level), mode,
      line.ShareDisposition == CmResourceShareShared, line.u.Interrupt.Affinity, FALSE);
}

class SharedModesTest : public kemu::testing::PersonalityTest {};

TEST_P(SharedModesTest, TheSecondOfAnEdgeAndALevelDeviceOnOneVectorIsRefused) {
  for (const bool level_first : {true, false}) {
    SCOPED_TRACE(level_first ? "level device first" : "edge device first");
    kemu::Machine machine(GetParam());
    kemu::Device& level = machine.AddDevice(Card("level0", kemu::Trigger::kLevel));
    kemu::Device& edge = machine.AddDevice(Card("edge0", kemu::Trigger::kEdge));
    kemu::Device& first = level_first ? level : edge;
    kemu::Device& second = level_first ? edge : level;
    PKINTERRUPT first_object = nullptr;
    PKINTERRUPT second_object = nullptr;
    ASSERT_EQ(ConnectFromResources(first, &first_object), STATUS_SUCCESS);
    // The connection is the device's whose mode the driver passed, whichever was added first.
    ASSERT_NE(first.connection(), nullptr);
    EXPECT_EQ(first.connection()->version, CONNECT_FULLY_SPECIFIED);
    EXPECT_EQ(second.connection(), nullptr);
    EXPECT_EQ(ConnectFromResources(second, &second_object), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(second_object, nullptr);
    EXPECT_EQ(second.connection(), nullptr);
    IoDisconnectInterrupt(first_object);
    EXPECT_EQ(first.connection(), nullptr);
    machine.Shutdown();
  }
}

// Two level-triggered devices sharing the vector, each routed to its own vCPU: each driver's
// connection is credited to its own device, whichever connects first.
TEST_P(SharedModesTest, TwoDevicesOnOneVectorEachGetTheConnectionMadeFromTheirResources) {
  for (const bool a_first : {true, false}) {
    SCOPED_TRACE(a_first ? "device a connects first" : "device b connects first");
    kemu::Machine machine(kemu::MachineOptions{.os = GetParam(), .processors = 2});
    kemu::DeviceConfig config_a = Card("a", kemu::Trigger::kLevel);
    kemu::DeviceConfig config_b = Card("b", kemu::Trigger::kLevel);
    config_a.line->affinity = 0x1;
    config_b.line->affinity = 0x2;
    kemu::Device& a = machine.AddDevice(config_a);
    kemu::Device& b = machine.AddDevice(config_b);
    kemu::Device& first = a_first ? a : b;
    kemu::Device& second = a_first ? b : a;
    PKINTERRUPT first_object = nullptr;
    PKINTERRUPT second_object = nullptr;
    ASSERT_EQ(ConnectFromResources(first, &first_object), STATUS_SUCCESS);
    ASSERT_NE(first.connection(), nullptr);
    EXPECT_EQ(second.connection(), nullptr);
    ASSERT_EQ(ConnectFromResources(second, &second_object), STATUS_SUCCESS);
    ASSERT_NE(second.connection(), nullptr);
    EXPECT_NE(first.connection(), second.connection());
    IoDisconnectInterrupt(second_object);
    EXPECT_EQ(second.connection(), nullptr);
    EXPECT_NE(first.connection(), nullptr);
    IoDisconnectInterrupt(first_object);
    machine.Shutdown();
  }
}

INSTANTIATE_TEST_SUITE_P(AllWindows, SharedModesTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

class SharedModesLineBasedTest : public kemu::testing::PersonalityTest {};

TEST_P(SharedModesLineBasedTest, ConnectLineBasedRefusesTheSecondModeToo) {
  kemu::Device& level = machine().AddDevice(Card("level0", kemu::Trigger::kLevel));
  kemu::Device& edge = machine().AddDevice(Card("edge0", kemu::Trigger::kEdge));
  PKINTERRUPT level_object = nullptr;
  PKINTERRUPT edge_object = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_LINE_BASED;
  p.LineBased.PhysicalDeviceObject = level.pdo();
  p.LineBased.InterruptObject = &level_object;
  p.LineBased.ServiceRoutine = &Isr;
  ASSERT_EQ(IoConnectInterruptEx(&p), STATUS_SUCCESS);
  p.LineBased.PhysicalDeviceObject = edge.pdo();
  p.LineBased.InterruptObject = &edge_object;
  EXPECT_EQ(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(edge_object, nullptr);
  EXPECT_EQ(edge.connection(), nullptr);
  EXPECT_EQ(level.connection()->version, CONNECT_LINE_BASED);
  IO_DISCONNECT_INTERRUPT_PARAMETERS d{};
  d.Version = CONNECT_LINE_BASED;
  d.ConnectionContext.InterruptObject = level_object;
  IoDisconnectInterruptEx(&d);
}

INSTANTIATE_TEST_SUITE_P(VistaAndLater, SharedModesLineBasedTest,
                         kemu::testing::OsWhere([](const kemu::Personality& p) {
                           return p.kernel_exports_connect_ex;
                         }),
                         kemu::testing::OsName());

}  // namespace
