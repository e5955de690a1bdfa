// Lock-order validation, Driver Verifier's Deadlock Detection for spin locks
// (emu/verifier/lock_order.cpp, emu/verifier/rules_lock_order.cpp): a spin lock taken while
// another is held records the order; taking them the other way round, on any vCPU and in any
// callback, is 0xC4 / 0x1001 under Verifier. Also the DPC that returns holding a lock it took.
#include "verifier/lock_order.hpp"

#include <fmt/format.h>
#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions VerifierOn(unsigned processors = 1) {
  return {.processors = processors, .verifier = true};
}

// Takes `outer` then `inner` (at DISPATCH_LEVEL), and releases both.
void Nest(PKSPIN_LOCK outer, PKSPIN_LOCK inner) {
  KIRQL old;
  KeAcquireSpinLock(outer, &old);
  KeAcquireSpinLockAtDpcLevel(inner);
  KeReleaseSpinLockFromDpcLevel(inner);
  KeReleaseSpinLock(outer, old);
}

struct TwoLocks {
  TwoLocks() {
    KeInitializeSpinLock(&a);
    KeInitializeSpinLock(&b);
  }
  KSPIN_LOCK a;
  KSPIN_LOCK b;
};

TEST(LockOrderTest, InvertedOrderOnAnotherVcpuIsADeadlock) {
  kemu::Machine machine(VerifierOn(2));
  TwoLocks locks;
  Nest(&locks.a, &locks.b);  // vCPU 0: a then b, both released again
  machine.SwitchToProcessor(1);
  const kemu::BugCheck crash = CrashOf([&] { Nest(&locks.b, &locks.a); });
  // Arg2: the lock being acquired; Arg3 and Arg4 are reserved by Windows (kemu: 0).
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(&locks.a), 0, 0));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format("lock {:#x} then lock {:#x} (first seen: "
                                    "KeAcquireSpinLockAtDpcLevel on vCPU 0 outside any driver "
                                    "callback, trace event #",
                                    Address(&locks.a), Address(&locks.b))));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format("lock {:#x} then lock {:#x} (now: "
                                    "KeAcquireSpinLockAtDpcLevel on vCPU 1 outside any driver "
                                    "callback, trace event #",
                                    Address(&locks.b), Address(&locks.a))));
}

struct DpcNest {
  PKSPIN_LOCK outer = nullptr;
  PKSPIN_LOCK inner = nullptr;
};

VOID NestingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* nest = static_cast<DpcNest*>(context);
  KeAcquireSpinLockAtDpcLevel(nest->outer);
  KeAcquireSpinLockAtDpcLevel(nest->inner);
  KeReleaseSpinLockFromDpcLevel(nest->inner);
  KeReleaseSpinLockFromDpcLevel(nest->outer);
}

TEST(LockOrderTest, InvertedOrderBetweenADpcAndPassiveCodeOnOneVcpuIsADeadlock) {
  kemu::Machine machine(VerifierOn());
  TwoLocks locks;
  DpcNest nest{.outer = &locks.b, .inner = &locks.a};
  KDPC dpc;
  KeInitializeDpc(&dpc, &NestingDpc, &nest);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));  // runs at once: b then a
  const kemu::BugCheck crash = CrashOf([&] { Nest(&locks.a, &locks.b); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(&locks.b), 0, 0));
  EXPECT_THAT(crash.report(),
              HasSubstr(fmt::format("lock {:#x} then lock {:#x} (first seen: "
                                    "KeAcquireSpinLockAtDpcLevel on vCPU 0 in a DPC routine on "
                                    "vCPU 0 at IRQL 2",
                                    Address(&locks.b), Address(&locks.a))));
}

TEST(LockOrderTest, ThreeLockCycleIsADeadlock) {
  kemu::Machine machine(VerifierOn());
  TwoLocks ab;
  KSPIN_LOCK c;
  KeInitializeSpinLock(&c);
  Nest(&ab.a, &ab.b);
  Nest(&ab.b, &c);
  // No pair is inverted, but a -> b -> c and now c -> a close a cycle.
  const kemu::BugCheck crash = CrashOf([&] { Nest(&c, &ab.a); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(&ab.a), 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr(fmt::format("lock {:#x} then lock {:#x} (first seen",
                                                    Address(&ab.a), Address(&ab.b))));
  EXPECT_THAT(crash.report(), HasSubstr(fmt::format("lock {:#x} then lock {:#x} (first seen",
                                                    Address(&ab.b), Address(&c))));
  EXPECT_THAT(crash.report(), HasSubstr(fmt::format("lock {:#x} then lock {:#x} (now", Address(&c),
                                                    Address(&ab.a))));
}

TEST(LockOrderTest, OneConsistentOrderIsSilent) {
  kemu::Machine machine(VerifierOn(2));
  TwoLocks ab;
  KSPIN_LOCK c;
  KeInitializeSpinLock(&c);
  Nest(&ab.a, &ab.b);
  Nest(&ab.b, &c);
  Nest(&ab.a, &c);
  machine.SwitchToProcessor(1);
  Nest(&ab.a, &ab.b);
  Nest(&ab.a, &c);
  EXPECT_FALSE(machine.crashed());
}

TEST(LockOrderTest, ATryAcquireInTheOtherOrderIsNoDeadlock) {
  kemu::Machine machine(VerifierOn());
  TwoLocks locks;
  Nest(&locks.a, &locks.b);
  // b then a, but a by a try: it gives up rather than spin, so no processor can wait forever.
  KIRQL old;
  KeAcquireSpinLock(&locks.b, &old);
  ASSERT_TRUE(KeTryToAcquireSpinLockAtDpcLevel(&locks.a));
  KeReleaseSpinLockFromDpcLevel(&locks.a);
  KeReleaseSpinLock(&locks.b, old);
  EXPECT_FALSE(machine.crashed());
}

TEST(LockOrderTest, ALockTakenByATryStillOrdersTheLocksTakenUnderIt) {
  kemu::Machine machine(VerifierOn());
  TwoLocks locks;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeTryToAcquireSpinLockAtDpcLevel(&locks.a));
  KeAcquireSpinLockAtDpcLevel(&locks.b);  // a then b, recorded
  KeReleaseSpinLockFromDpcLevel(&locks.b);
  KeReleaseSpinLockFromDpcLevel(&locks.a);
  KeLowerIrql(old);
  EXPECT_THAT(CrashOf([&] { Nest(&locks.b, &locks.a); }),
              BugCheckIs(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kDeadlock,
                         Address(&locks.a), 0, 0));
}

TEST(LockOrderTest, RecursiveAcquireStaysASelfDeadlock) {
  kemu::Machine machine(VerifierOn());
  TwoLocks locks;
  KIRQL old;
  KeAcquireSpinLock(&locks.a, &old);
  EXPECT_THAT(CrashOf([&] { KeAcquireSpinLockAtDpcLevel(&locks.a); }),
              BugCheckIs(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kSelfDeadlock,
                         Address(&locks.a), 0, 0));
}

TEST(LockOrderTest, WithoutVerifierNoOrderIsChecked) {
  for (const bool checked : {true, false}) {
    SCOPED_TRACE(checked ? "checked" : "retail");
    kemu::Machine machine({.processors = 2, .verifier = false, .checked_build = checked});
    TwoLocks locks;
    Nest(&locks.a, &locks.b);
    machine.SwitchToProcessor(1);
    Nest(&locks.b, &locks.a);
    EXPECT_FALSE(machine.crashed());
    EXPECT_TRUE(machine.bug_checks().empty());
  }
}

TEST(LockOrderTest, UnderRecordAnInvertedPairIsReportedOnceAndTheAcquireStands) {
  kemu::Machine machine(
      {.processors = 1, .verifier = true, .on_bug_check = kemu::BugCheckAction::kRecord});
  TwoLocks locks;
  Nest(&locks.a, &locks.b);
  Nest(&locks.b, &locks.a);
  Nest(&locks.b, &locks.a);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kDeadlock,
                         Address(&locks.a), 0, 0));
  EXPECT_EQ(locks.a, 0u);  // released normally after the report
}

// ---------------------------------------------------------------------------------------------
// Interrupt spin locks and in-stack queued locks share the one order.

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

BOOLEAN LockingIsr(PKINTERRUPT, PVOID context) {
  auto* lock = static_cast<PKSPIN_LOCK>(context);
  KeAcquireSpinLockAtDpcLevel(lock);  // legal at DIRQL: interrupt lock, then this one
  KeReleaseSpinLockFromDpcLevel(lock);
  return TRUE;
}

BOOLEAN NothingToSynchronize(PVOID) { return TRUE; }

TEST(LockOrderTest, InterruptLockInvertedWithALockTakenInsideTheIsrIsADeadlock) {
  kemu::Machine machine(VerifierOn());
  kemu::Device& device =
      machine.AddDevice({.name = "timer",
                         .line = kemu::LineInterrupt{
                             .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &LockingIsr, &lock, nullptr, kVector, kDirql, kDirql,
                               Latched, FALSE, 1, FALSE),
            STATUS_SUCCESS);
  device.PulseLine();  // interrupt lock, then `lock` inside the ISR
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  const kemu::BugCheck crash =
      CrashOf([&] { KeSynchronizeExecution(interrupt, &NothingToSynchronize, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDeadlock, Address(interrupt->ActualLock), 0, 0));
  EXPECT_THAT(crash.report(), HasSubstr("(first seen: KeAcquireSpinLockAtDpcLevel on vCPU 0 in "
                                        "an ISR on vCPU 0 at IRQL 5"));
  EXPECT_THAT(crash.report(), HasSubstr("(now: KeSynchronizeExecution on vCPU 0"));
}

TEST(LockOrderTest, QueuedAndOrdinaryLocksShareOneOrder) {
  kemu::Machine machine(VerifierOn());
  TwoLocks locks;  // a: queued, b: ordinary
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&locks.a, &handle);
  KeAcquireSpinLockAtDpcLevel(&locks.b);
  KeReleaseSpinLockFromDpcLevel(&locks.b);
  KeReleaseInStackQueuedSpinLock(&handle);
  KIRQL old;
  KeAcquireSpinLock(&locks.b, &old);
  EXPECT_THAT(CrashOf([&] { KeAcquireInStackQueuedSpinLockAtDpcLevel(&locks.a, &handle); }),
              BugCheckIs(bugcheck::kDriverVerifierDetectedViolation, verifier_code::kDeadlock,
                         Address(&locks.a), 0, 0));
}

// ---------------------------------------------------------------------------------------------
// Locks whose memory is reused.

constexpr ULONG kTag = 0x6B636F4C;  // "Lock" as the debugger shows it

// Big enough that kemu's own small bookkeeping allocations never take the freed block first.
struct LockPair {
  KSPIN_LOCK first;
  KSPIN_LOCK second;
  UCHAR payload[496];
};

TEST(LockOrderTest, LocksInFreedPoolReusedByANewBlockStartWithNoOrder) {
  kemu::Machine machine(VerifierOn());
  auto* old_block =
      static_cast<LockPair*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(LockPair), kTag));
  ASSERT_NE(old_block, nullptr);
  KeInitializeSpinLock(&old_block->first);
  KeInitializeSpinLock(&old_block->second);
  Nest(&old_block->first, &old_block->second);
  const void* freed = old_block;
  ExFreePoolWithTag(old_block, kTag);
  // The host allocator hands the same address out again sooner or later.
  std::vector<LockPair*> blocks;
  LockPair* reused = nullptr;
  for (int i = 0; i < 64 && reused == nullptr; ++i) {
    auto* block =
        static_cast<LockPair*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(LockPair), kTag));
    blocks.push_back(block);
    if (block == freed) reused = block;
  }
  if (reused != nullptr) {
    KeInitializeSpinLock(&reused->first);
    KeInitializeSpinLock(&reused->second);
    Nest(&reused->second, &reused->first);  // the other way round: new locks, no cycle
  }
  for (LockPair* block : blocks) ExFreePoolWithTag(block, kTag);
  EXPECT_FALSE(machine.crashed());
  if (reused == nullptr) GTEST_SKIP() << "the host allocator never reused the freed block";
}

TEST(LockOrderTest, StackLocksAtAReusedAddressStartWithNoOrderOnceInitialised) {
  kemu::Machine machine(VerifierOn());
  TwoLocks locks;
  Nest(&locks.a, &locks.b);
  // The same addresses, now other locks (the stack of another function, say).
  KeInitializeSpinLock(&locks.a);
  KeInitializeSpinLock(&locks.b);
  Nest(&locks.b, &locks.a);
  EXPECT_FALSE(machine.crashed());
}

// The graph itself: forgetting a range drops the edges of its locks, held or not.
TEST(LockOrderGraphTest, ForgettingARangeDropsItsLocksEdgesOnly) {
  kemu::verifier::LockOrder order;
  const auto no_context = [] { return std::string(); };
  // 0x100 and 0x108 live in the freed range [0x100, 0x110); 0x200 does not.
  EXPECT_FALSE(order.Acquired(0, 0x200, "outer", 1, no_context));
  EXPECT_FALSE(order.Acquired(0, 0x100, "inner", 2, no_context));
  EXPECT_FALSE(order.Acquired(0, 0x108, "innermost", 3, no_context));
  EXPECT_EQ(order.edge_count(), 3u);  // 200->100, 200->108, 100->108
  order.Released(0x108);
  order.Released(0x100);
  order.Released(0x200);
  order.ForgetRange(0x100, 0x110);
  EXPECT_EQ(order.edge_count(), 0u);
  EXPECT_FALSE(order.Acquired(1, 0x108, "inner", 4, no_context));
  EXPECT_FALSE(order.Acquired(1, 0x200, "outer", 5, no_context));
  EXPECT_EQ(order.edge_count(), 1u);
}

TEST(LockOrderGraphTest, CycleNamesTheShortestRecordedChainOldestFirst) {
  kemu::verifier::LockOrder order;
  const auto context = [] { return std::string("a DPC routine"); };
  const auto nest = [&](std::uintptr_t outer, std::uintptr_t inner, std::uint64_t at) {
    auto cycle = order.Acquired(0, outer, "outer", at, context);
    if (!cycle) cycle = order.Acquired(0, inner, "inner", at + 1, context);
    order.Released(inner);
    order.Released(outer);
    return cycle;
  };
  EXPECT_FALSE(nest(1, 2, 10));
  EXPECT_FALSE(nest(2, 3, 20));
  EXPECT_FALSE(nest(1, 3, 30));
  const auto cycle = nest(3, 1, 40);
  ASSERT_TRUE(cycle);
  EXPECT_EQ(cycle->acquired, 1u);
  EXPECT_EQ(cycle->held, 3u);
  ASSERT_EQ(cycle->path.size(), 1u);  // 1 -> 3 directly, not 1 -> 2 -> 3
  EXPECT_EQ(cycle->path[0].before, 1u);
  EXPECT_EQ(cycle->path[0].after, 3u);
  EXPECT_EQ(cycle->path[0].site.sequence, 31u);
  EXPECT_EQ(cycle->path[0].site.context, "a DPC routine");
}

// ---------------------------------------------------------------------------------------------
// A DPC routine returning with a lock it took (0x4B45000E); the other modes are in
// verifier_modes_test.cpp.

VOID DpcKeepingItsLock(PKDPC, PVOID context, PVOID, PVOID) {
  KeAcquireSpinLockAtDpcLevel(static_cast<PKSPIN_LOCK>(context));
}

TEST(LockOrderTest, DpcReturningHoldingALockNamesTheLockAndItsAcquire) {
  kemu::Machine machine(VerifierOn());
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KDPC dpc;
  KeInitializeDpc(&dpc, &DpcKeepingItsLock, &lock);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                verifier_code::kDpcReturnedHoldingLock,
                                reinterpret_cast<std::uintptr_t>(&DpcKeepingItsLock), Address(&dpc),
                                Address(&lock)));
  EXPECT_THAT(crash.report(), HasSubstr(fmt::format("the spin lock at {:#x}, acquired by "
                                                    "KeAcquireSpinLockAtDpcLevel (trace event #",
                                                    Address(&lock))));
}

}  // namespace
