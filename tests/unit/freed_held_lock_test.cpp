// A pool block freed while a spin lock in it is still held: Driver Verifier's 0xC4 / 0x100B ("the
// deleted lock is still owned by a thread") from Windows 7 on, at the free (docs/verifier-rules.md;
// audit round 16, U2: only the leak report at shutdown mentioned the lock).
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr ULONG kTag = 0x6B636F4C;  // "Lock"

struct Extension {
  ULONG flags;
  KSPIN_LOCK lock;
  EX_SPIN_LOCK rw_lock;
};

class FreedHeldLockTest : public kemu::testing::PersonalityTest {
 protected:
  bool Reported() const { return GetParam() >= kemu::Os::kWindows7; }
  Extension* NewExtension() {
    auto* extension =
        static_cast<Extension*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Extension), kTag));
    KeInitializeSpinLock(&extension->lock);
    extension->rw_lock = 0;
    return extension;
  }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, FreedHeldLockTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(FreedHeldLockTest, FreeingTheBlockOfAHeldSpinLockIs0x100BFromWindows7On) {
  if (!Reported()) GTEST_SKIP() << "no report before Windows 7 (FreedHeldLockRuleTest)";
  Extension* extension = NewExtension();
  const auto thread = reinterpret_cast<std::uintptr_t>(KeGetCurrentThread());
  KIRQL old;
  KeAcquireSpinLock(&extension->lock, &old);
  const kemu::BugCheck crash = kemu::testing::CrashOf([&] { ExFreePoolWithTag(extension, kTag); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kDeletedLockOwned,
                                reinterpret_cast<std::uintptr_t>(&extension->lock), thread, 0));
  EXPECT_THAT(crash.report(), HasSubstr("which holds the spin lock at"));
}

TEST_P(FreedHeldLockTest, AHeldReaderWriterLockToo) {
  if (GetParam() < kemu::Os::kWindowsVista) GTEST_SKIP() << "no reader/writer spin locks";
  if (!Reported()) GTEST_SKIP() << "no report before Windows 7";
  Extension* extension = NewExtension();
  const auto thread = reinterpret_cast<std::uintptr_t>(KeGetCurrentThread());
  ExAcquireSpinLockExclusive(&extension->rw_lock);
  const kemu::BugCheck crash = kemu::testing::CrashOf([&] { ExFreePoolWithTag(extension, kTag); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kDeletedLockOwned,
                                reinterpret_cast<std::uintptr_t>(&extension->rw_lock), thread, 0));
  EXPECT_THAT(crash.report(), HasSubstr("reader/writer spin lock"));
}

TEST_P(FreedHeldLockTest, ReleasingFirstIsSilent) {
  Extension* extension = NewExtension();
  KIRQL old;
  KeAcquireSpinLock(&extension->lock, &old);
  KeReleaseSpinLock(&extension->lock, old);
  ExFreePoolWithTag(extension, kTag);
  EXPECT_THAT(machine().bug_checks(), IsEmpty());
}

// Before Windows 7, and without Verifier, the free itself passes (the holder's release or the
// shutdown's leak report finds the lock later).
TEST(FreedHeldLockRuleTest, OlderVerifiersAndKernelsWithoutItDoNotLookAtTheFree) {
  const kemu::MachineOptions cases[] = {
      {.os = kemu::Os::kWindowsVista},
      {.os = kemu::Os::kWindows10, .verifier = false},
      {.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false}};
  for (kemu::MachineOptions options : cases) {
    options.on_bug_check = kemu::BugCheckAction::kRecord;
    kemu::Machine machine(options);
    auto* extension =
        static_cast<Extension*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Extension), kTag));
    KeInitializeSpinLock(&extension->lock);
    KIRQL old;
    KeAcquireSpinLock(&extension->lock, &old);
    ExFreePoolWithTag(extension, kTag);
    EXPECT_THAT(machine.bug_checks(), IsEmpty());
    machine.Abandon();  // the lock stays held in freed memory: the shutdown's leak, not this test's
  }
}

}  // namespace
