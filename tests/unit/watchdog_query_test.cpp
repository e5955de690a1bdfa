// Asking the DPC watchdog (KeQueryDpcWatchdogInformation, Vista on; KeShouldYieldProcessor,
// Windows 10 on): code that runs long at DISPATCH_LEVEL reads what its routine and its sequence of
// DPCs have left, from the same allotment and bound that raise 0x133 (docs/kernel.md, "Asking the
// DPC watchdog").
#define NTDDI_VERSION 0x0A000006  // NTDDI_WIN10_RS5: KeShouldYieldProcessor
#include <wdm.h>

#include <cstring>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

struct Query {
  KDPC dpc{};
  ULONG stall_us = 0;  // stalled before the query
  NTSTATUS status = STATUS_PENDING;
  KDPC_WATCHDOG_INFORMATION info{};
};

VOID QueryingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& query = *static_cast<Query*>(context);
  if (query.stall_us != 0) KeStallExecutionProcessor(query.stall_us);
  query.status = KeQueryDpcWatchdogInformation(&query.info);
}

void RunQueryingDpc(Query& query) {
  KeInitializeDpc(&query.dpc, &QueryingDpc, &query);
  KeInsertQueueDpc(&query.dpc, nullptr, nullptr);  // at PASSIVE_LEVEL: runs at once
}

TEST(WatchdogQueryTest, ADpcReadsItsAllotmentInMicrosecondsAndItsSequenceInRoutines) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Query query;
  RunQueryingDpc(query);
  EXPECT_EQ(query.status, STATUS_SUCCESS);
  EXPECT_EQ(query.info.DpcTimeLimit, 20'000'000u);  // MachineOptions::dpc_time_limit_us
  EXPECT_EQ(query.info.DpcTimeCount, 19'999'999u);  // the query itself is one call: 1 us
  EXPECT_EQ(query.info.DpcWatchdogLimit, 100'000u);
  EXPECT_EQ(query.info.DpcWatchdogCount, 99'999u);  // this DPC is the sequence's first
  EXPECT_EQ(query.info.Reserved, 0u);
}

TEST(WatchdogQueryTest, TimeStalledInsideTheRoutineIsNoLongerLeft) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .dpc_time_limit_us = 10'000});
  Query query{.stall_us = 4'000};
  RunQueryingDpc(query);
  ASSERT_EQ(query.status, STATUS_SUCCESS);
  EXPECT_EQ(query.info.DpcTimeLimit, 10'000u);
  EXPECT_EQ(query.info.DpcTimeCount, 10'000u - 4'000u - 2u);  // the stall and two calls
}

TEST(WatchdogQueryTest, TheSingleRoutineFiguresAreZeroWhenTheWatchdogIsOff) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .dpc_time_limit_us = 0});
  Query query;
  RunQueryingDpc(query);
  ASSERT_EQ(query.status, STATUS_SUCCESS);
  EXPECT_EQ(query.info.DpcTimeLimit, 0u);
  EXPECT_EQ(query.info.DpcTimeCount, 0u);
  EXPECT_EQ(query.info.DpcWatchdogLimit, 100'000u);
}

TEST(WatchdogQueryTest, BelowDispatchLevelOutsideADpcItFailsAndWritesNothing) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDPC_WATCHDOG_INFORMATION info;
  std::memset(&info, 0xAB, sizeof info);
  EXPECT_EQ(KeQueryDpcWatchdogInformation(&info), STATUS_UNSUCCESSFUL);
  KDPC_WATCHDOG_INFORMATION untouched;
  std::memset(&untouched, 0xAB, sizeof untouched);
  EXPECT_EQ(std::memcmp(&info, &untouched, sizeof info), 0);
}

TEST(WatchdogQueryTest, AThreadRaisedToDispatchLevelHasTheWholeAllotmentLeft) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KDPC_WATCHDOG_INFORMATION info{};
  EXPECT_EQ(KeQueryDpcWatchdogInformation(&info), STATUS_SUCCESS);
  EXPECT_EQ(info.DpcTimeCount, info.DpcTimeLimit);  // no routine runs: nothing used yet
  EXPECT_EQ(info.DpcWatchdogCount, info.DpcWatchdogLimit);
  KeLowerIrql(old);
}

struct IsrQuery {
  NTSTATUS status = STATUS_PENDING;
  KDPC_WATCHDOG_INFORMATION info{};
};

BOOLEAN QueryingIsr(PKINTERRUPT, PVOID context) {
  auto& query = *static_cast<IsrQuery*>(context);
  KeStallExecutionProcessor(10);
  query.status = KeQueryDpcWatchdogInformation(&query.info);
  return TRUE;
}

TEST(WatchdogQueryTest, AnIsrReadsItsOwnAllotment) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .dpc_time_limit_us = 1'000});
  constexpr kemu::LineInterrupt kLine{.vector = 0x51, .irql = 5, .mode = kemu::Trigger::kEdge};
  kemu::Device& device = machine.AddDevice({.name = "isr0", .line = kLine});
  IsrQuery query;
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &QueryingIsr, &query, nullptr, kLine.vector, kLine.irql,
                               kLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  device.PulseLine();
  IoDisconnectInterrupt(interrupt);
  ASSERT_EQ(query.status, STATUS_SUCCESS);
  EXPECT_EQ(query.info.DpcTimeCount, 1'000u - 10u - 2u);
  EXPECT_EQ(query.info.DpcWatchdogCount, 100'000u);  // no DPC has run in this sequence
}

VOID QueryingThreadedDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& query = *static_cast<Query*>(context);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  query.status = KeQueryDpcWatchdogInformation(&query.info);
}

TEST(WatchdogQueryTest, AThreadedDpcAtPassiveLevelIsADpcRunning) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Query query;
  KeInitializeThreadedDpc(&query.dpc, &QueryingThreadedDpc, &query);
  KeInsertQueueDpc(&query.dpc, nullptr, nullptr);
  EXPECT_EQ(query.status, STATUS_SUCCESS);
  EXPECT_EQ(query.info.DpcTimeCount, 19'999'998u);  // KeGetCurrentIrql and the query: 2 us
}

// At DISPATCH_LEVEL a NULL access in the kernel is 0xA (0, IRQL, 0, 0); below it, 0x1E.
TEST(WatchdogQueryTest, ANullStructureIsTheFaultWindowsTakes) {
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT(CrashOf([] { KeQueryDpcWatchdogInformation(nullptr); }),
                BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
  }
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT(CrashOf([] { KeQueryDpcWatchdogInformation(nullptr); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

TEST(WatchdogQueryTest, TheQueryIsMissingBeforeVistaAndTheYieldBeforeWindows10) {
  {
    kemu::Machine machine(kemu::Os::kWindowsServer2003);
    KDPC_WATCHDOG_INFORMATION info{};
    EXPECT_THROW(KeQueryDpcWatchdogInformation(&info), kemu::MissingExport);
  }
  kemu::Machine machine(kemu::Os::kWindows81);
  EXPECT_THROW(KeShouldYieldProcessor(), kemu::MissingExport);
}

// A receive DPC as NDIS drivers write it: process packets until the work runs out or the kernel
// says to yield, then leave the rest to the next DPC (a work item in a real driver).
struct Receiver {
  KDPC dpc{};
  unsigned packets_left = 0;
  unsigned runs = 0;
  unsigned yields = 0;
};

VOID ReceiveDpc(PKDPC dpc, PVOID context, PVOID, PVOID) {
  auto& receiver = *static_cast<Receiver*>(context);
  ++receiver.runs;
  while (receiver.packets_left > 0) {
    --receiver.packets_left;
    KeStallExecutionProcessor(10);  // the work on one packet
    if (KeShouldYieldProcessor()) {
      ++receiver.yields;
      KeInsertQueueDpc(dpc, nullptr, nullptr);  // the rest later
      return;
    }
  }
}

TEST(WatchdogQueryTest, ADpcThatYieldsWhenToldNeverMeetsTheWatchdog) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .dpc_time_limit_us = 1'000});
  Receiver receiver{.packets_left = 500};
  KeInitializeDpc(&receiver.dpc, &ReceiveDpc, &receiver);
  KeInsertQueueDpc(&receiver.dpc, nullptr, nullptr);
  EXPECT_EQ(receiver.packets_left, 0u);
  // Each packet costs 12 us (the stall and two calls): past half of 1,000 us after 42 packets.
  EXPECT_EQ(receiver.runs, 12u);
  EXPECT_EQ(receiver.yields, 11u);
  machine.Shutdown();
}

VOID GreedyReceiveDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& receiver = *static_cast<Receiver*>(context);
  ++receiver.runs;
  while (receiver.packets_left > 0) {
    --receiver.packets_left;
    KeStallExecutionProcessor(10);
  }
}

TEST(WatchdogQueryTest, TheSameDpcIgnoringTheAdviceIsADpcWatchdogViolation) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .dpc_time_limit_us = 1'000});
  Receiver receiver{.packets_left = 500};
  KeInitializeDpc(&receiver.dpc, &GreedyReceiveDpc, &receiver);
  EXPECT_THAT(CrashOf([&] { KeInsertQueueDpc(&receiver.dpc, nullptr, nullptr); }),
              BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 0));
}

TEST(WatchdogQueryTest, NothingNeedsToYieldBelowDispatchLevel) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .dpc_time_limit_us = 1});
  EXPECT_EQ(KeShouldYieldProcessor(), FALSE);
}

}  // namespace
