// A KDPC or KTIMER whose memory is reused while it is still queued or set: a stack frame left
// with the DPC queued or the timer set, then reused by the next call. kemu compares the object's
// bytes with what it recorded at KeInitializeDpc / KeSetTimer before it runs or expires it, and
// raises 0xC7 TIMER_OR_DPC_INVALID instead of calling through the garbage (docs/kernel.md,
// "Overwritten timers and DPCs"); a DPC re-initialised in place by its driver stays silent.
#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kTimerOrDpcInvalid = kemu::bugcheck::kTimerOrDpcInvalid;

VOID CountingDpc(PKDPC, PVOID context, PVOID, PVOID) { ++*static_cast<int*>(context); }
VOID OtherCountingDpc(PKDPC, PVOID context, PVOID, PVOID) { *static_cast<int*>(context) += 100; }

std::string Text(const void* pointer) {
  std::ostringstream text;
  text << pointer;
  return text.str();
}

// The driver's bug: a KDPC in this frame, queued at DISPATCH_LEVEL, and a return before it runs.
// The address goes out as a number only, for the report's parameters.
[[gnu::noinline]] void QueueDpcInThisFrame(int* runs, std::uintptr_t* where) {
  KDPC dpc;
  KeInitializeDpc(&dpc, CountingDpc, runs);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  *where = reinterpret_cast<std::uintptr_t>(&dpc);
}

// The same with a KTIMER set to queue a KDPC, both in this frame, and the timer left set.
[[gnu::noinline]] void SetTimerInThisFrame(int* runs, std::uintptr_t* where) {
  KTIMER timer;
  KDPC dpc;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, CountingDpc, runs);
  LARGE_INTEGER due;
  due.QuadPart = -10000;  // 1 ms
  KeSetTimer(&timer, due, &dpc);
  *where = reinterpret_cast<std::uintptr_t>(&timer);
}

// The next call of the caller: its frame lies where the one above was, and it fills it.
[[gnu::noinline]] void OverwriteTheStack() {
  volatile unsigned char junk[2048];
  for (std::size_t i = 0; i < sizeof(junk); ++i) {
    junk[i] = static_cast<unsigned char>(0x41 + (i & 7));
  }
}

TEST(DpcOverwrittenTest, AStackDpcQueuedByAFrameThatReturnedIsTimerOrDpcInvalid1) {
  for (const bool verifier : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{.verifier = verifier});
    int runs = 0;
    std::uintptr_t dpc = 0;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    QueueDpcInThisFrame(&runs, &dpc);
    OverwriteTheStack();
    const kemu::BugCheck crash = CrashOf([&] { KeLowerIrql(old); });
    EXPECT_THAT(crash, BugCheckIs(kTimerOrDpcInvalid, 1, dpc, dpc, dpc + sizeof(KDPC)));
    EXPECT_THAT(crash.what(), HasSubstr("kemu was about to run the DPC at " +
                                        Text(reinterpret_cast<const void*>(dpc)) +
                                        ", initialised by KeInitializeDpc with routine " +
                                        Text(reinterpret_cast<const void*>(&CountingDpc))));
    EXPECT_THAT(crash.what(), HasSubstr("the KDPC was overwritten while it was still queued. "
                                        "Most likely it lies in a stack frame that was left"));
    EXPECT_EQ(runs, 0);
  }
}

TEST(DpcOverwrittenTest, AStackTimerLeftSetByAFrameThatReturnedIsTimerOrDpcInvalid0) {
  for (const bool verifier : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{.verifier = verifier});
    int runs = 0;
    std::uintptr_t timer = 0;
    SetTimerInThisFrame(&runs, &timer);
    OverwriteTheStack();
    const kemu::BugCheck crash = CrashOf([] { KeStallExecutionProcessor(2000); });
    EXPECT_THAT(crash, BugCheckIs(kTimerOrDpcInvalid, 0, timer, timer, timer + sizeof(KTIMER)));
    EXPECT_THAT(crash.what(), HasSubstr("kemu was about to expire the KTIMER at " +
                                        Text(reinterpret_cast<const void*>(timer))));
    EXPECT_THAT(crash.what(),
                HasSubstr("(routine " + Text(reinterpret_cast<const void*>(&CountingDpc)) + ")"));
    EXPECT_THAT(crash.what(), HasSubstr("the KTIMER was overwritten while it was still set"));
    EXPECT_EQ(runs, 0);
  }
}

TEST(DpcOverwrittenTest, ATimerWhoseKdpcWasOverwrittenIsTimerOrDpcInvalid1) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int runs = 0;
  KTIMER timer;
  KDPC dpc;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, CountingDpc, &runs);
  LARGE_INTEGER due;
  due.QuadPart = -10000;
  KeSetTimer(&timer, due, &dpc);
  std::memset(&dpc, 0x41, sizeof(dpc));  // memory reused while the timer is set
  const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(&dpc);
  // At DISPATCH_LEVEL the DPC would only be queued: the expiry itself must find the KDPC
  // overwritten, before it writes the system arguments into whatever the memory holds now.
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { KeStallExecutionProcessor(2000); }),
              BugCheckIs(kTimerOrDpcInvalid, 1, at, at, at + sizeof(KDPC)));
  EXPECT_EQ(runs, 0);
}

TEST(DpcOverwrittenTest, ADpcRemovedBeforeItsMemoryIsReusedIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  {
    int runs = 0;
    KDPC dpc;
    KeInitializeDpc(&dpc, CountingDpc, &runs);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    EXPECT_TRUE(KeRemoveQueueDpc(&dpc));
  }
  OverwriteTheStack();
  KeLowerIrql(old);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(DpcOverwrittenTest, ADpcReinitialisedInPlaceWithAnotherRoutineRunsItSilently) {
  kemu::Machine machine(kemu::Os::kWindows10);
  int runs = 0;
  KDPC dpc;
  KeInitializeThreadedDpc(&dpc, CountingDpc, &runs);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeInitializeDpc(&dpc, OtherCountingDpc, &runs);  // not queued: a new DPC in the same memory
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeLowerIrql(old);
  EXPECT_EQ(runs, 101);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(DpcOverwrittenTest, WithoutVerifierADpcReinitialisedWhileQueuedRunsTheNewRoutineOnce) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  int runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, CountingDpc, &runs);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeInitializeDpc(&dpc, OtherCountingDpc, &runs);
  KeLowerIrql(old);
  EXPECT_EQ(runs, 100);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
