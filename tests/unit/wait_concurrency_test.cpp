// Waits with more than one vCPU: a wait another vCPU satisfies blocks under the scheduler and
// returns once that vCPU signals; one nothing can satisfy is the deadlock report naming every
// vCPU. Each runs under the default schedule and under seeded exploring schedules.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

struct Signaller {
  PKEVENT event = nullptr;
  ULONG processor = 0xFFFFFFFF;
};

VOID SignalOnTarget(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  auto* signaller = static_cast<Signaller*>(context);
  signaller->processor = KeGetCurrentProcessorNumber();
  KeSetEvent(signaller->event, IO_NO_INCREMENT, FALSE);
}

VOID SetEventFromWorkItem(PDEVICE_OBJECT device, PVOID context) {
  (void)device;
  KeSetEvent(static_cast<PKEVENT>(context), IO_NO_INCREMENT, FALSE);
}

// Stalls, so that an exploring schedule can run the test's wait in the middle of it.
VOID StallingDpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument2;
  (void)argument1;
  for (int i = 0; i < 4; ++i) KeStallExecutionProcessor(10);
  ++*static_cast<int*>(context);
}

kemu::MachineOptions TwoVcpus(kemu::Strategy strategy, std::uint64_t seed) {
  return {.processors = 2, .schedule = {.strategy = strategy, .seed = seed}};
}

class WaitConcurrencyTest
    : public ::testing::TestWithParam<std::tuple<kemu::Strategy, std::uint64_t>> {};

INSTANTIATE_TEST_SUITE_P(Schedules, WaitConcurrencyTest,
                         ::testing::Values(std::make_tuple(kemu::Strategy::kDefault, 0u),
                                           std::make_tuple(kemu::Strategy::kRandom, 1u),
                                           std::make_tuple(kemu::Strategy::kRandom, 7u),
                                           std::make_tuple(kemu::Strategy::kPct, 3u)));

TEST_P(WaitConcurrencyTest, EventSetOnAnotherVcpuEndsTheWait) {
  kemu::Machine machine(TwoVcpus(std::get<0>(GetParam()), std::get<1>(GetParam())));
  KEVENT event;
  KTIMER timer;
  KDPC dpc;
  Signaller signaller{.event = &event};
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, SignalOnTarget, &signaller);
  KeSetTargetProcessorDpc(&dpc, 1);
  LARGE_INTEGER due;
  due.QuadPart = -1000;
  KeSetTimer(&timer, due, &dpc);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(signaller.processor, 1u);
  EXPECT_EQ(KeReadStateEvent(&event), 0);  // the synchronization event went to the waiter
  EXPECT_EQ(machine.InterruptTime(), 1000u);
  machine.Shutdown();
}

// Found by kemu_fuzz_nic: a vCPU that finished its DPC while the test waited reported a deadlock
// instead of handing back to the waiter, whose worker thread would run the queued work item.
TEST_P(WaitConcurrencyTest, WorkItemEndsTheWaitAfterAnotherVcpuFinishesItsDpc) {
  kemu::Machine machine(TwoVcpus(std::get<0>(GetParam()), std::get<1>(GetParam())));
  DEVICE_OBJECT device{};
  KEVENT event;
  KDPC dpc;
  int dpcs = 0;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KeInitializeDpc(&dpc, StallingDpc, &dpcs);
  KeSetTargetProcessorDpc(&dpc, 1);
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, SetEventFromWorkItem, DelayedWorkQueue, &event);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  machine.Settle();
  EXPECT_EQ(dpcs, 1);
  IoFreeWorkItem(item);
  machine.Shutdown();
}

TEST_P(WaitConcurrencyTest, WaitNoVcpuCanSatisfyIsADeadlockNamingTheWaiter) {
  kemu::Machine machine(TwoVcpus(std::get<0>(GetParam()), std::get<1>(GetParam())));
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("vCPU 0 waits for the event at"));
}

}  // namespace
