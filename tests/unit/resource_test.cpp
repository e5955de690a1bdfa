// Executive resources: shared and exclusive owners, recursion, conversion, waiting in line on
// another vCPU, and what each misuse ends in (docs/kernel.md, "Executive resources").
#include <fmt/format.h>
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;

class ResourceTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ResourceTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(ResourceTest, AnExclusiveOwnerAcquiresAgainExclusivelyOrSharedAndReleasesAsOften) {
  ERESOURCE resource;
  ASSERT_EQ(ExInitializeResourceLite(&resource), STATUS_SUCCESS);
  KeEnterCriticalRegion();
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, TRUE));
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, FALSE));
  EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, FALSE));
  EXPECT_TRUE(ExIsResourceAcquiredExclusiveLite(&resource));
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 3u);
  ExReleaseResourceLite(&resource);
  ExReleaseResourceLite(&resource);
  EXPECT_EQ(ExIsResourceAcquiredLite(&resource), 1u);
  ExReleaseResourceLite(&resource);
  EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 0u);
  KeLeaveCriticalRegion();
  EXPECT_EQ(ExDeleteResourceLite(&resource), STATUS_SUCCESS);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ResourceTest, ASharedOwnerAcquiresSharedRecursively) {
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  KeEnterCriticalRegion();
  EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, TRUE));
  EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, TRUE));
  EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 2u);
  ExReleaseResourceForThreadLite(&resource, ExGetCurrentResourceThread());
  ExReleaseResourceLite(&resource);
  KeLeaveCriticalRegion();
  ExDeleteResourceLite(&resource);
}

TEST_P(ResourceTest, AcquiringAtApcLevelNeedsNoCriticalRegion) {
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, TRUE));
  ExReleaseResourceLite(&resource);
  KeLowerIrql(old);
  ExDeleteResourceLite(&resource);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ResourceTest, ReleasingAtDispatchLevelIsAllowed) {
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&resource, TRUE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(ExGetSharedWaiterCount(&resource), 0u);
  ExReleaseResourceLite(&resource);
  KeLowerIrql(old);
  KeLeaveCriticalRegion();
  EXPECT_FALSE(machine().crashed());
}

// ---------------------------------------------------------------------------------------------
// Two vCPUs: each vCPU's thread is an owner of its own.

kemu::MachineOptions TwoVcpus(kemu::Strategy strategy = kemu::Strategy::kDefault,
                              std::uint64_t seed = 0) {
  return {.os = kemu::Os::kWindows10,
          .processors = 2,
          .schedule = {.strategy = strategy, .seed = seed}};
}

TEST(ResourceThreadsTest, SharedOwnersShareAndAnExclusiveRequestDoesNotWaitWithWaitFalse) {
  kemu::Machine machine(TwoVcpus());
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  machine.SwitchToProcessor(1);
  const ERESOURCE_THREAD other = ExGetCurrentResourceThread();
  KeEnterCriticalRegion();
  ASSERT_TRUE(ExAcquireResourceSharedLite(&resource, TRUE));
  machine.SwitchToProcessor(0);
  EXPECT_NE(ExGetCurrentResourceThread(), other);
  KeEnterCriticalRegion();
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 0u);
  EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, FALSE));      // shared beside shared
  EXPECT_FALSE(ExAcquireResourceExclusiveLite(&resource, FALSE));  // it would wait for the other
  ExReleaseResourceLite(&resource);
  EXPECT_FALSE(ExAcquireResourceExclusiveLite(&resource, FALSE));
  // Released for the other thread, by its id: now free.
  ExReleaseResourceForThreadLite(&resource, other);
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&resource, FALSE));
  machine.SwitchToProcessor(1);
  EXPECT_FALSE(ExAcquireResourceSharedLite(&resource, FALSE));  // held exclusively by vCPU 0's
  KeLeaveCriticalRegion();
  machine.SwitchToProcessor(0);
  ExReleaseResourceLite(&resource);
  KeLeaveCriticalRegion();
  ExDeleteResourceLite(&resource);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(ResourceThreadsTest, ConvertingToSharedLetsOtherThreadsShareAtOnce) {
  kemu::Machine machine(TwoVcpus());
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&resource, TRUE);
  ExAcquireResourceExclusiveLite(&resource, TRUE);
  ExConvertExclusiveToSharedLite(&resource);
  EXPECT_FALSE(ExIsResourceAcquiredExclusiveLite(&resource));
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&resource), 2u);
  machine.SwitchToProcessor(1);
  KeEnterCriticalRegion();
  EXPECT_TRUE(ExAcquireResourceSharedLite(&resource, FALSE));
  ExReleaseResourceLite(&resource);
  KeLeaveCriticalRegion();
  machine.SwitchToProcessor(0);
  ExReleaseResourceLite(&resource);
  ExReleaseResourceLite(&resource);
  KeLeaveCriticalRegion();
  ExDeleteResourceLite(&resource);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// The owner on vCPU 1 lets go from a timer DPC there (a DPC may release, at DISPATCH_LEVEL, for
// the thread it names), while the test thread on vCPU 0 waits in line.
struct Handover {
  PERESOURCE resource = nullptr;
  ERESOURCE_THREAD owner = 0;
  ULONG shared_waiters = 0xFFFF;
  ULONG exclusive_waiters = 0xFFFF;
  ULONG processor = 0xFFFF;
};

VOID ReleaseForOwner(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  auto* handover = static_cast<Handover*>(context);
  handover->processor = KeGetCurrentProcessorNumber();
  handover->shared_waiters = ExGetSharedWaiterCount(handover->resource);
  handover->exclusive_waiters = ExGetExclusiveWaiterCount(handover->resource);
  ExReleaseResourceForThreadLite(handover->resource, handover->owner);
}

// vCPU 1's thread takes the resource (`exclusive` or shared), and a timer DPC on vCPU 1 releases
// it 100 us later.
struct HandoverRig {
  HandoverRig(kemu::Machine& machine, bool exclusive) {
    ExInitializeResourceLite(&resource);
    handover.resource = &resource;
    machine.SwitchToProcessor(1);
    KeEnterCriticalRegion();
    EXPECT_TRUE(exclusive ? ExAcquireResourceExclusiveLite(&resource, TRUE)
                          : ExAcquireResourceSharedLite(&resource, TRUE));
    handover.owner = ExGetCurrentResourceThread();
    KeLeaveCriticalRegion();  // the DPC's release runs at DISPATCH_LEVEL, APCs off
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, ReleaseForOwner, &handover);
    KeSetTargetProcessorDpc(&dpc, 1);
    LARGE_INTEGER due;
    due.QuadPart = -1000;
    KeSetTimer(&timer, due, &dpc);
    machine.SwitchToProcessor(0);
  }
  ERESOURCE resource;
  KTIMER timer;
  KDPC dpc;
  Handover handover;
};

class ResourceContentionTest
    : public ::testing::TestWithParam<std::tuple<kemu::Strategy, std::uint64_t>> {
 protected:
  kemu::MachineOptions Options() const {
    return TwoVcpus(std::get<0>(GetParam()), std::get<1>(GetParam()));
  }
};

INSTANTIATE_TEST_SUITE_P(Schedules, ResourceContentionTest,
                         ::testing::Values(std::make_tuple(kemu::Strategy::kDefault, 0u),
                                           std::make_tuple(kemu::Strategy::kRandom, 1u),
                                           std::make_tuple(kemu::Strategy::kRandom, 7u),
                                           std::make_tuple(kemu::Strategy::kPct, 3u)));

TEST_P(ResourceContentionTest, ASharedWaiterGetsItWhenTheExclusiveOwnerOnAnotherVcpuReleases) {
  kemu::Machine machine(Options());
  HandoverRig rig(machine, /*exclusive=*/true);
  KeEnterCriticalRegion();
  EXPECT_FALSE(ExAcquireResourceSharedLite(&rig.resource, FALSE));
  EXPECT_TRUE(ExAcquireResourceSharedLite(&rig.resource, TRUE));
  EXPECT_EQ(rig.handover.processor, 1u);
  EXPECT_EQ(rig.handover.shared_waiters, 1u);
  EXPECT_EQ(rig.handover.exclusive_waiters, 0u);
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&rig.resource), 1u);
  EXPECT_EQ(ExGetSharedWaiterCount(&rig.resource), 0u);
  EXPECT_EQ(KeQueryInterruptTime(), 1000u);  // it waited for the timer
  ExReleaseResourceLite(&rig.resource);
  KeLeaveCriticalRegion();
  ExDeleteResourceLite(&rig.resource);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

// A work item runs on the waiting thread's vCPU while it waits, as a worker thread of its own.
struct LateReader {
  PERESOURCE resource = nullptr;
  BOOLEAN acquired = TRUE;
  BOOLEAN starved = FALSE;
  ULONG exclusive_waiters = 0xFFFF;
};

VOID TryToShareInWorkItem(PDEVICE_OBJECT device, PVOID context) {
  (void)device;
  auto* reader = static_cast<LateReader*>(context);
  reader->exclusive_waiters = ExGetExclusiveWaiterCount(reader->resource);
  KeEnterCriticalRegion();
  reader->acquired = ExAcquireResourceSharedLite(reader->resource, FALSE);
  // ExAcquireSharedStarveExclusive does not wait behind an exclusive waiter.
  reader->starved = ExAcquireSharedStarveExclusive(reader->resource, FALSE);
  if (reader->starved) ExReleaseResourceLite(reader->resource);
  KeLeaveCriticalRegion();
}

TEST_P(ResourceContentionTest, AnExclusiveWaiterKeepsNewSharedOwnersOutUntilItHasHadItsTurn) {
  kemu::Machine machine(Options());
  HandoverRig rig(machine, /*exclusive=*/false);
  DEVICE_OBJECT device{};
  LateReader reader{.resource = &rig.resource};
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, TryToShareInWorkItem, DelayedWorkQueue, &reader);
  KeEnterCriticalRegion();
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&rig.resource, TRUE));
  // The work item ran while this thread waited: held shared, but an exclusive waiter was in line.
  EXPECT_EQ(reader.exclusive_waiters, 1u);
  EXPECT_FALSE(reader.acquired);
  EXPECT_TRUE(reader.starved);
  EXPECT_EQ(rig.handover.exclusive_waiters, 1u);
  EXPECT_TRUE(ExIsResourceAcquiredExclusiveLite(&rig.resource));
  ExReleaseResourceLite(&rig.resource);
  KeLeaveCriticalRegion();
  IoFreeWorkItem(item);
  ExDeleteResourceLite(&rig.resource);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST_P(ResourceContentionTest, AWaitNothingCanEndIsTheDeadlockReportNamingTheResource) {
  kemu::Machine machine(Options());
  ERESOURCE resource;
  ExInitializeResourceLite(&resource);
  machine.SwitchToProcessor(1);
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&resource, TRUE);
  machine.SwitchToProcessor(0);
  KeEnterCriticalRegion();
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireResourceSharedLite(&resource, TRUE); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kWaitNeverCompletes));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("shared access to the executive resource at {} in "
                                    "ExAcquireResourceSharedLite (held exclusively by the thread "
                                    "on vCPU 1)",
                                    static_cast<void*>(&resource))));
}

}  // namespace
