// Run-down protection: ExInitialize/Acquire/Release/WaitForRundownProtectionRelease and the
// Ex, ReInitialize and Completed routines (docs/kernel.md, "Run-down protection"): the guard a
// driver's unload puts in front of its own DPCs and work items.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

class RundownTest : public kemu::testing::PersonalityTest {
 protected:
  bool Exported() { return machine().os() != kemu::Os::kWindows2000; }  // XP on
  // The counted forms came a release later (their pages: "Available starting with Windows Server
  // 2003").
  bool ExExported() { return machine().os() >= kemu::Os::kWindowsServer2003; }
};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, RundownTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(RundownTest, AcquireSucceedsUntilRunDownBeginsThenFails) {
  EX_RUNDOWN_REF ref;
  if (!Exported()) {
    EXPECT_THROW(ExInitializeRundownProtection(&ref), kemu::MissingExport);
    return;
  }
  ExInitializeRundownProtection(&ref);
  ASSERT_TRUE(ExAcquireRundownProtection(&ref));
  if (ExExported()) {
    ASSERT_TRUE(ExAcquireRundownProtectionEx(&ref, 2));
    ExReleaseRundownProtectionEx(&ref, 2);
  }
  ExReleaseRundownProtection(&ref);
  ExWaitForRundownProtectionRelease(&ref);  // nothing held: returns at once
  EXPECT_FALSE(ExAcquireRundownProtection(&ref));
  ExWaitForRundownProtectionRelease(&ref);  // already run down: no effect
  ExReInitializeRundownProtection(&ref);
  EXPECT_TRUE(ExAcquireRundownProtection(&ref));
  ExReleaseRundownProtection(&ref);
  ExRundownCompleted(&ref);
  EXPECT_FALSE(ExAcquireRundownProtection(&ref));
}

TEST_P(RundownTest, TheCountedFormsAreMissingBeforeServer2003) {
  if (!Exported() || ExExported()) GTEST_SKIP() << "XP only";
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  EXPECT_THROW(ExAcquireRundownProtectionEx(&ref, 2), kemu::MissingExport);
}

struct Holder {
  EX_RUNDOWN_REF* ref = nullptr;
  int released = 0;
};

VOID ReleaseLater(PDEVICE_OBJECT, PVOID context) {
  auto* holder = static_cast<Holder*>(context);
  ++holder->released;
  ExReleaseRundownProtection(holder->ref);
}

TEST_P(RundownTest, WaitReturnsOnlyAfterTheLastHolderReleases) {
  if (!Exported()) GTEST_SKIP();
  DEVICE_OBJECT device{};
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  Holder holder{.ref = &ref};
  ASSERT_TRUE(ExAcquireRundownProtection(&ref));  // handed to the work item
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, ReleaseLater, DelayedWorkQueue, &holder);
  ExWaitForRundownProtectionRelease(&ref);  // blocks: the work item runs meanwhile
  EXPECT_EQ(holder.released, 1);
  EXPECT_FALSE(ExAcquireRundownProtection(&ref));
  IoFreeWorkItem(item);
}

TEST_P(RundownTest, WaitingWhileHoldingProtectionIsTheHangReport) {
  if (!Exported()) GTEST_SKIP();
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  ASSERT_TRUE(ExAcquireRundownProtection(&ref));
  EXPECT_THAT(CrashOf([&] { ExWaitForRundownProtectionRelease(&ref); }),
              BugCheckIs(0xC4, kemu::verifier_code::kWaitNeverCompletes));
}

TEST_P(RundownTest, ReleasingMoreThanWasAcquiredIsKemusSubcode) {
  if (!Exported()) GTEST_SKIP();
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  ASSERT_TRUE(ExAcquireRundownProtection(&ref));
  ExReleaseRundownProtection(&ref);
  const kemu::BugCheck crash = CrashOf([&] { ExReleaseRundownProtection(&ref); });
  EXPECT_THAT(crash, BugCheckIs(0xC4, kemu::verifier_code::kRundownReleaseNotAcquired));
  EXPECT_EQ(crash.parameter(1), reinterpret_cast<std::uintptr_t>(&ref));
  EXPECT_EQ(crash.parameter(2), 0u);  // held
  EXPECT_EQ(crash.parameter(3), 1u);  // released
}

TEST_P(RundownTest, AcquireAndReleaseWorkAtDispatchLevel) {
  if (!Exported()) GTEST_SKIP();
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_TRUE(ExAcquireRundownProtection(&ref));
  ExReleaseRundownProtection(&ref);
  KeLowerIrql(old);
}

TEST(RundownRulesTest, AcquireAboveDispatchLevelIsWrongIrql) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExAcquireRundownProtection(&ref); }), BugCheckIs(0xC4, 0xE5));
  machine.Abandon();
}

TEST(RundownRulesTest, WaitAtDispatchLevelIsWrongIrql) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EX_RUNDOWN_REF ref;
  ExInitializeRundownProtection(&ref);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExWaitForRundownProtectionRelease(&ref); }), BugCheckIs(0xC4, 0xE5));
  machine.Abandon();
}

}  // namespace
