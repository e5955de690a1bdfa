// A passive-level ISR (Windows 8+) runs in a thread at PASSIVE_LEVEL, so a device interrupt at
// DIRQL preempts it, and the DPC that interrupt's ISR queues runs as soon as the vCPU is back
// below DISPATCH_LEVEL: inside the passive ISR, before it goes on (audit round 10, F3: kemu kept
// the DPC until the passive ISR's wait for it timed out). INT-4, docs/windows-facts.md §4.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::OsFrom;

constexpr ULONG kButtonVector = 0x51;
constexpr ULONG kHubVector = 0x61;
constexpr KIRQL kHubIrql = 5;

struct Driver {
  kemu::Device* button = nullptr;
  kemu::Device* hub = nullptr;
  KDPC hub_dpc{};
  KEVENT sample_ready{};
  bool dpc_ran_before_wait = false;
  NTSTATUS wait_status = STATUS_PENDING;
  LONGLONG waited_100ns = -1;
};

VOID HubDpc(PKDPC, PVOID context, PVOID, PVOID) {
  KeSetEvent(&static_cast<Driver*>(context)->sample_ready, IO_NO_INCREMENT, FALSE);
}

BOOLEAN HubIsr(PKINTERRUPT, PVOID context) {
  Driver& driver = *static_cast<Driver*>(context);
  driver.hub->DeassertLine();
  KeInsertQueueDpc(&driver.hub_dpc, nullptr, nullptr);
  return TRUE;
}

// The button's passive ISR asks the hub for a sample (the hub interrupts at once) and waits for
// the hub's DPC to say it is ready, as a GPIO driver on an SoC does.
BOOLEAN ButtonIsr(PKINTERRUPT, PVOID context) {
  Driver& driver = *static_cast<Driver*>(context);
  driver.button->DeassertLine();
  driver.hub->AssertLine();
  driver.dpc_ran_before_wait = KeReadStateEvent(&driver.sample_ready) != 0;
  LARGE_INTEGER timeout;
  timeout.QuadPart = -100000;  // 10 ms
  const ULONGLONG before = KeQueryInterruptTime();
  driver.wait_status =
      KeWaitForSingleObject(&driver.sample_ready, Executive, KernelMode, FALSE, &timeout);
  driver.waited_100ns = static_cast<LONGLONG>(KeQueryInterruptTime() - before);
  return TRUE;
}

PKINTERRUPT ConnectPassive(Driver& driver) {
  PKINTERRUPT interrupt = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_FULLY_SPECIFIED;
  params.FullySpecified.PhysicalDeviceObject = driver.button->pdo();
  params.FullySpecified.InterruptObject = &interrupt;
  params.FullySpecified.ServiceRoutine = &ButtonIsr;
  params.FullySpecified.ServiceContext = &driver;
  params.FullySpecified.SynchronizeIrql = PASSIVE_LEVEL;
  params.FullySpecified.Vector = kButtonVector;
  params.FullySpecified.Irql = PASSIVE_LEVEL;
  params.FullySpecified.InterruptMode = LevelSensitive;
  params.FullySpecified.ProcessorEnableMask = ~KAFFINITY{0};
  EXPECT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  return interrupt;
}

class PassiveIsrNestingTest : public kemu::testing::PersonalityTest {};
INSTANTIATE_TEST_SUITE_P(, PassiveIsrNestingTest, OsFrom(kemu::Os::kWindows8),
                         kemu::testing::OsName());

TEST_P(PassiveIsrNestingTest, ADpcQueuedByAnInterruptInsideAPassiveIsrRunsBeforeTheIsrGoesOn) {
  Driver driver;
  driver.button = &machine().AddDevice(
      {.name = "button", .line = kemu::LineInterrupt{.vector = kButtonVector, .irql = 0}});
  driver.hub = &machine().AddDevice(
      {.name = "hub", .line = kemu::LineInterrupt{.vector = kHubVector, .irql = kHubIrql}});
  KeInitializeDpc(&driver.hub_dpc, &HubDpc, &driver);
  KeInitializeEvent(&driver.sample_ready, SynchronizationEvent, FALSE);
  PKINTERRUPT hub = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&hub, &HubIsr, &driver, nullptr, kHubVector, kHubIrql, kHubIrql,
                               LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  PKINTERRUPT button = ConnectPassive(driver);
  driver.button->AssertLine();
  EXPECT_TRUE(driver.dpc_ran_before_wait);
  EXPECT_EQ(driver.wait_status, STATUS_SUCCESS);
  EXPECT_EQ(driver.waited_100ns, 0);
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
  disconnect.Version = CONNECT_FULLY_SPECIFIED;
  disconnect.ConnectionContext.InterruptObject = button;
  IoDisconnectInterruptEx(&disconnect);
  IoDisconnectInterrupt(hub);
}

}  // namespace
