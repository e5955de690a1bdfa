// An interrupt's spin lock held by a vCPU that lowered its IRQL below the interrupt's DIRQL: the
// interrupt is delivered there and its dispatch takes the lock its own processor holds, a
// deadlock on Windows (docs/verifier-rules.md, "Spin locks"; audit round 7, F2). Held at DIRQL,
// as the interrupt lock routines leave it, the interrupt waits for the release instead (INT-5).
#include <wdm.h>

#include <cstdint>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
const kemu::DeviceConfig kCard{.name = "card",
                               .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql}};

struct Card {
  kemu::Device* device = nullptr;
  unsigned isr_calls = 0;
};

BOOLEAN CardIsr(PKINTERRUPT, PVOID context) {
  Card& card = *static_cast<Card*>(context);
  ++card.isr_calls;
  card.device->DeassertLine();
  return TRUE;
}

PKINTERRUPT Connect(Card& card, PKSPIN_LOCK lock = nullptr) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &CardIsr, &card, lock, kVector, kDirql, kDirql,
                               LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class InterruptLockLoweredTest : public ::testing::TestWithParam<kemu::KernelMode> {
 protected:
  kemu::Machine machine_{kemu::WithKernelMode({}, GetParam())};
};
INSTANTIATE_TEST_SUITE_P(, InterruptLockLoweredTest, ::testing::ValuesIn(kemu::kAllKernelModes),
                         [](const auto& info) { return std::string(KernelModeName(info.param)); });

void ExpectSelfDeadlock(const kemu::BugCheck& crash, kemu::KernelMode mode, const void* lock) {
  if (mode == kemu::KernelMode::kVerifier) {
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                  verifier_code::kSelfDeadlock, Address(lock), 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kSpinLockAlreadyOwned, Address(lock), 0, 0, 0));
  }
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("lowered the IRQL below DIRQL"));
}

TEST_P(InterruptLockLoweredTest, LineRaisedAfterTheHolderLoweredIsItsOwnDeadlock) {
  Card card{.device = &machine_.AddDevice(kCard)};
  PKINTERRUPT interrupt = Connect(card);
  KeAcquireInterruptSpinLock(interrupt);
  KeLowerIrql(DISPATCH_LEVEL);  // the misuse: the lock was taken at DIRQL 5
  const kemu::BugCheck crash = CrashOf([&] { card.device->AssertLine(); });
  ExpectSelfDeadlock(crash, GetParam(), interrupt->ActualLock);
  EXPECT_EQ(card.isr_calls, 0u);
}

TEST_P(InterruptLockLoweredTest, PendingInterruptLandsWhenTheHolderLowers) {
  Card card{.device = &machine_.AddDevice(kCard)};
  PKINTERRUPT interrupt = Connect(card);
  KeAcquireInterruptSpinLock(interrupt);
  card.device->AssertLine();  // held at DIRQL: pending, as INT-5 says
  EXPECT_EQ(card.isr_calls, 0u);
  const kemu::BugCheck crash = CrashOf([&] { KeLowerIrql(PASSIVE_LEVEL); });
  ExpectSelfDeadlock(crash, GetParam(), interrupt->ActualLock);
}

TEST_P(InterruptLockLoweredTest, DriverLockPassedToConnectAndTakenAtDispatchDeadlocks) {
  // The ISR runs under the driver's own KSPIN_LOCK; taking it with KeAcquireSpinLock leaves the
  // vCPU at DISPATCH_LEVEL, below the interrupt's DIRQL.
  Card card{.device = &machine_.AddDevice(kCard)};
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  PKINTERRUPT interrupt = Connect(card, &lock);
  ASSERT_EQ(interrupt->ActualLock, &lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  const kemu::BugCheck crash = CrashOf([&] { card.device->AssertLine(); });
  ExpectSelfDeadlock(crash, GetParam(), &lock);
}

TEST_P(InterruptLockLoweredTest, HeldAtDirqlTheInterruptWaitsForTheRelease) {
  // The silent twin: the lock kept at the IRQL it was taken at.
  Card card{.device = &machine_.AddDevice(kCard)};
  PKINTERRUPT interrupt = Connect(card);
  const KIRQL old = KeAcquireInterruptSpinLock(interrupt);
  card.device->AssertLine();
  EXPECT_EQ(card.isr_calls, 0u);
  KeReleaseInterruptSpinLock(interrupt, old);
  EXPECT_EQ(card.isr_calls, 1u);
  IoDisconnectInterrupt(interrupt);
  machine_.Shutdown();
}

// Two interrupts share the driver's lock; the one at DIRQL 5 is connected with SynchronizeIrql
// `low_synchronize` where IoConnectInterrupt requires the highest DIRQL of the set (7). Its
// KeSynchronizeExecution then holds the lock at 5, where the DIRQL-7 line preempts it (audit round
// 11: the report blamed a lowered IRQL that nothing lowered).
struct SharedLockPair {
  kemu::Device* high = nullptr;
  Card high_card;
};

BOOLEAN RaiseTheHighLine(PVOID context) {
  static_cast<SharedLockPair*>(context)->high->AssertLine();
  return TRUE;
}

void ConnectPairAndSynchronize(kemu::Machine& machine, KIRQL low_synchronize, SharedLockPair& pair,
                               KSPIN_LOCK& lock) {
  Card low_card{.device = &machine.AddDevice(kCard)};
  pair.high =
      &machine.AddDevice({.name = "high", .line = kemu::LineInterrupt{.vector = 0x71, .irql = 7}});
  pair.high_card.device = pair.high;
  KeInitializeSpinLock(&lock);
  PKINTERRUPT low = nullptr;
  PKINTERRUPT high = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&low, &CardIsr, &low_card, &lock, kVector, kDirql, low_synchronize,
                               LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  ASSERT_EQ(IoConnectInterrupt(&high, &CardIsr, &pair.high_card, &lock, 0x71, 7, 7, LevelSensitive,
                               FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  KeSynchronizeExecution(low, &RaiseTheHighLine, &pair);
  IoDisconnectInterrupt(high);
  IoDisconnectInterrupt(low);
}

TEST_P(InterruptLockLoweredTest, ASynchronizeIrqlBelowASharingInterruptsDirqlIsNamedAsTheCause) {
  SharedLockPair pair;
  KSPIN_LOCK lock;
  const kemu::BugCheck crash =
      CrashOf([&] { ConnectPairAndSynchronize(machine_, /*low_synchronize=*/5, pair, lock); });
  if (GetParam() == kemu::KernelMode::kVerifier) {
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                  verifier_code::kSelfDeadlock, Address(&lock), 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(bugcheck::kSpinLockAlreadyOwned, Address(&lock), 0, 0, 0));
  }
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("was given SynchronizeIrql 5, below DIRQL 7"));
  EXPECT_THAT(crash.what(), ::testing::Not(::testing::HasSubstr("lowered the IRQL")));
}

TEST_P(InterruptLockLoweredTest, TheHighestDirqlAsEverySynchronizeIrqlKeepsTheLinePending) {
  SharedLockPair pair;
  KSPIN_LOCK lock;
  ConnectPairAndSynchronize(machine_, /*low_synchronize=*/7, pair, lock);
  EXPECT_EQ(pair.high_card.isr_calls, 1u);  // run once the synchronized routine released the lock
  machine_.Shutdown();
}

TEST(InterruptLockLoweredTwoCpuTest, AnotherVcpuKeepsItPendingUntilTheHolderReleases) {
  // vCPU 1 idles at PASSIVE_LEVEL while the test's vCPU 0 holds the lock at DIRQL: the interrupt
  // would spin there, so kemu keeps it pending (INT-11), and reports nothing.
  kemu::Machine machine(kemu::MachineOptions{.processors = 2});
  Card card{.device = &machine.AddDevice(kCard)};
  PKINTERRUPT interrupt = Connect(card);
  const KIRQL old = KeAcquireInterruptSpinLock(interrupt);
  card.device->AssertLine();
  EXPECT_EQ(card.isr_calls, 0u);
  KeReleaseInterruptSpinLock(interrupt, old);
  EXPECT_EQ(card.isr_calls, 1u);
  IoDisconnectInterrupt(interrupt);
  machine.Shutdown();
}

}  // namespace
