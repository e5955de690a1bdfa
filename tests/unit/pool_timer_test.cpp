// Freeing pool that still holds a set KTIMER or a queued KDPC: Driver Verifier's 0xC4 / 0x15 for
// a timer, and the kernel's own 0xC7 TIMER_OR_DPC_INVALID (Arg1 0 timer, 1 DPC; the object; the
// freed range) otherwise. Cancelling or letting it run first keeps the free silent.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr ULONG kTag = 0x726D6954;  // "Timr"

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

struct Extension {
  ULONG flags;
  KTIMER timer;
  KDPC dpc;
};

VOID NoOp(PKDPC, PVOID, PVOID, PVOID) {}

Extension* NewExtension() {
  auto* extension =
      static_cast<Extension*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Extension), kTag));
  KeInitializeTimer(&extension->timer);
  KeInitializeDpc(&extension->dpc, &NoOp, nullptr);
  return extension;
}

LARGE_INTEGER InOneSecond() {
  LARGE_INTEGER due;
  due.QuadPart = -10'000'000;
  return due;
}

TEST(PoolTimerTest, FreeingASetTimerIsVerifiers0x15) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10});
  Extension* extension = NewExtension();
  KeSetTimer(&extension->timer, InOneSecond(), nullptr);
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(extension, kTag); }),
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kFreePoolWithActiveTimer, Address(&extension->timer),
                         NonPagedPoolNx, Address(extension)));
}

TEST(PoolTimerTest, FreeingASetTimerWithoutVerifierIsTimerOrDpcInvalid) {
  for (const bool checked : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{
        .os = kemu::Os::kWindows10, .verifier = false, .checked_build = checked});
    Extension* extension = NewExtension();
    KeSetTimer(&extension->timer, InOneSecond(), nullptr);
    EXPECT_THAT(CrashOf([&] { ExFreePool(extension); }),
                BugCheckIs(kemu::bugcheck::kTimerOrDpcInvalid, 0, Address(&extension->timer),
                           Address(extension), Address(extension) + sizeof(Extension)));
  }
}

TEST(PoolTimerTest, FreeingAQueuedDpcIsTimerOrDpcInvalidInEveryMode) {
  for (const bool verifier : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = verifier});
    Extension* extension = NewExtension();
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);  // the DPC stays queued until the IRQL drops
    KeInsertQueueDpc(&extension->dpc, nullptr, nullptr);
    EXPECT_THAT(CrashOf([&] { ExFreePool(extension); }),
                BugCheckIs(kemu::bugcheck::kTimerOrDpcInvalid, 1, Address(&extension->dpc),
                           Address(extension), Address(extension) + sizeof(Extension)));
  }
}

TEST(PoolTimerTest, ACancelledOrExpiredTimerAndARunDpcFreeSilently) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10});
  Extension* cancelled = NewExtension();
  KeSetTimer(&cancelled->timer, InOneSecond(), &cancelled->dpc);
  EXPECT_TRUE(KeCancelTimer(&cancelled->timer));
  ExFreePool(cancelled);
  Extension* expired = NewExtension();
  KeSetTimer(&expired->timer, InOneSecond(), &expired->dpc);
  machine.AdvanceTime(1'000'000);  // fires; its DPC runs
  EXPECT_TRUE(KeReadStateTimer(&expired->timer));
  ExFreePool(expired);
  EXPECT_EQ(machine.pool_allocations(), 0u);
  machine.Shutdown();
}

}  // namespace
