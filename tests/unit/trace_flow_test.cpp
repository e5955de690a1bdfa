// Flow events in the Chrome/Perfetto trace JSON (emu/model/trace_flows.*): an interrupt delivery
// is a zero-length "X" event that starts a flow ("bind_id" + "flow_out"), its ISR's "B" takes the
// flow in, and the DPC that ISR queued ends it ("flow_in"), so ui.perfetto.dev draws the arrows.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "json_checker.hpp"
#include "kemu/kemu.hpp"
#include "model/kernel.hpp"

namespace {

using ::kemu::model::TraceEvent;
using ::kemu::model::TraceKind;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

// A level-triggered device whose ISR acknowledges it and, when `queue_dpc`, queues a DPC.
struct FlowDriver {
  kemu::Device* device = nullptr;
  KSPIN_LOCK isr_lock = 0;
  KDPC dpc{};
  PKINTERRUPT interrupt = nullptr;
  bool queue_dpc = true;
};

VOID FlowDpc(PKDPC, PVOID, PVOID, PVOID) {}

BOOLEAN FlowIsr(PKINTERRUPT, PVOID context) {
  auto* driver = static_cast<FlowDriver*>(context);
  driver->device->DeassertLine();
  if (driver->queue_dpc) KeInsertQueueDpc(&driver->dpc, nullptr, nullptr);
  return TRUE;
}

void Connect(kemu::Machine& machine, FlowDriver& driver) {
  driver.device = &machine.AddDevice(
      {.name = "uart", .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql}});
  KeInitializeSpinLock(&driver.isr_lock);
  KeInitializeDpc(&driver.dpc, &FlowDpc, &driver);
  ASSERT_EQ(IoConnectInterrupt(&driver.interrupt, &FlowIsr, &driver, &driver.isr_lock, kVector,
                               kDirql, kDirql, LevelSensitive, FALSE, 1, FALSE),
            STATUS_SUCCESS);
}

// The sequence numbers of every delivery, which are the flows' ids.
std::vector<std::uint64_t> Deliveries(const kemu::Machine& machine) {
  std::vector<std::uint64_t> out;
  for (const TraceEvent& event : machine.kernel().trace().Events()) {
    if (event.kind == TraceKind::kInterrupt) out.push_back(event.sequence);
  }
  return out;
}

std::string ValidJson(const kemu::Machine& machine) {
  const std::string json = machine.TraceJson();
  kemu::testing::JsonChecker checker(json);
  EXPECT_TRUE(checker.Valid()) << "invalid JSON at offset " << checker.error_at();
  return json;
}

TEST(TraceFlowTest, TheDeliveryFlowsIntoItsIsrAndOnToTheDpcTheIsrQueued) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FlowDriver driver;
  Connect(machine, driver);
  driver.device->AssertLine();  // the ISR, then its DPC as the IRQL drops
  IoDisconnectInterrupt(driver.interrupt);
  const std::vector<std::uint64_t> deliveries = Deliveries(machine);
  ASSERT_EQ(deliveries.size(), 1u);
  const std::uint64_t id = deliveries[0];
  const std::string json = ValidJson(machine);
  EXPECT_THAT(json, HasSubstr(fmt::format(
                        R"("name":"interrupt","cat":"interrupt","ph":"X","dur":0,"bind_id":{},)"
                        R"("flow_out":true,"ts":{},)",
                        id, id)));
  EXPECT_THAT(json, HasSubstr(fmt::format(
                        R"("name":"ISR","cat":"isr","ph":"B","bind_id":{},"flow_in":true,)"
                        R"("flow_out":true,"ts")",
                        id)));
  EXPECT_THAT(
      json,
      HasSubstr(fmt::format(
          R"("name":"DPC routine","cat":"dpc","ph":"B","bind_id":{},"flow_in":true,"ts")", id)));
}

TEST(TraceFlowTest, AnIsrThatQueuesNoDpcEndsTheFlow) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FlowDriver driver;
  driver.queue_dpc = false;
  Connect(machine, driver);
  driver.device->AssertLine();
  IoDisconnectInterrupt(driver.interrupt);
  const std::vector<std::uint64_t> deliveries = Deliveries(machine);
  ASSERT_EQ(deliveries.size(), 1u);
  const std::string json = ValidJson(machine);
  EXPECT_THAT(json, HasSubstr(fmt::format(
                        R"("name":"ISR","cat":"isr","ph":"B","bind_id":{},"flow_in":true,"ts")",
                        deliveries[0])));
  EXPECT_THAT(json, Not(HasSubstr(R"("ph":"B","bind_id":)" + std::to_string(deliveries[0]) +
                                  R"(,"flow_in":true,"flow_out":true)")));
}

// The second ISR finds the DPC queued already (KeInsertQueueDpc returns FALSE): the DPC that runs
// was queued by the first delivery's ISR, and only that flow reaches it.
TEST(TraceFlowTest, ADpcQueuedByTwoInterruptsLinksToTheFirstInsertOnly) {
  kemu::Machine machine(kemu::Os::kWindows10);
  FlowDriver driver;
  Connect(machine, driver);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);  // the DPC waits until both interrupts ran
  driver.device->AssertLine();
  driver.device->AssertLine();
  KeLowerIrql(old);
  IoDisconnectInterrupt(driver.interrupt);
  const std::vector<std::uint64_t> deliveries = Deliveries(machine);
  ASSERT_EQ(deliveries.size(), 2u);
  const std::string json = ValidJson(machine);
  EXPECT_THAT(json, HasSubstr(fmt::format(
                        R"("name":"ISR","cat":"isr","ph":"B","bind_id":{},"flow_in":true,)"
                        R"("flow_out":true,"ts")",
                        deliveries[0])));
  EXPECT_THAT(json, HasSubstr(fmt::format(
                        R"("name":"ISR","cat":"isr","ph":"B","bind_id":{},"flow_in":true,"ts")",
                        deliveries[1])));
  EXPECT_THAT(json,
              HasSubstr(fmt::format(
                  R"("name":"DPC routine","cat":"dpc","ph":"B","bind_id":{},"flow_in":true,"ts")",
                  deliveries[0])));
}

}  // namespace
