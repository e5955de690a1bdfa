// Executive resource misuse: the bug check each rule raises, with its exact parameters, and the
// same calls used correctly staying silent (docs/kernel.md, "Executive resources";
// docs/verifier-rules.md).
#include <fmt/format.h>
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

kemu::MachineOptions Without(kemu::Os os) {
  return {.os = os, .verifier = false, .checked_build = false};
}

// A machine with one initialized resource.
struct Rig {
  explicit Rig(kemu::MachineOptions options) : machine(options) {
    ExInitializeResourceLite(&resource);
  }
  std::uint64_t address() const { return Address(&resource); }

  kemu::Machine machine;
  ERESOURCE resource;
};

TEST(ResourceRulesTest, ReleasingAResourceTheThreadDoesNotOwnIsResourceNotOwned) {
  for (const bool verifier : {true, false}) {
    Rig rig({.os = kemu::Os::kWindows10, .verifier = verifier});
    KeEnterCriticalRegion();
    const ERESOURCE_THREAD thread = ExGetCurrentResourceThread();
    const kemu::BugCheck crash = CrashOf([&] { ExReleaseResourceLite(&rig.resource); });
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kResourceNotOwned, rig.address(), thread, 0, 0));
    EXPECT_THAT(crash.what(), HasSubstr("RESOURCE_NOT_OWNED"));
  }
}

TEST(ResourceRulesTest, ReleasingForAThreadThatDoesNotOwnItNamesThatThread) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&rig.resource, TRUE);
  const ERESOURCE_THREAD stranger = ExGetCurrentResourceThread() + 0x100;
  EXPECT_THAT(CrashOf([&] { ExReleaseResourceForThreadLite(&rig.resource, stranger); }),
              BugCheckIs(kemu::bugcheck::kResourceNotOwned, rig.address(), stranger, 0, 0));
}

TEST(ResourceRulesTest, ReleasingOnceTooOftenIsResourceNotOwned) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&rig.resource, TRUE);
  ExReleaseResourceLite(&rig.resource);
  EXPECT_THAT(CrashOf([&] { ExReleaseResourceLite(&rig.resource); }),
              BugCheckIs(kemu::bugcheck::kResourceNotOwned, rig.address()));
}

TEST(ResourceRulesTest, AcquiringWithNormalKernelApcsEnabledIs0x37) {
  Rig rig({.os = kemu::Os::kWindows10});
  const kemu::BugCheck crash =
      CrashOf([&] { ExAcquireResourceExclusiveLite(&rig.resource, FALSE); });
  EXPECT_THAT(crash,
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kAcquireResourceApcsEnabled,
                         PASSIVE_LEVEL, 0, rig.address()));
  EXPECT_THAT(crash.what(), HasSubstr("KeEnterCriticalRegion"));
}

TEST(ResourceRulesTest, ReleasingWithNormalKernelApcsEnabledIs0x38) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&rig.resource, TRUE);
  KeLeaveCriticalRegion();
  EXPECT_THAT(CrashOf([&] { ExReleaseResourceLite(&rig.resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kReleaseResourceApcsEnabled,
                         PASSIVE_LEVEL, 0, rig.address()));
}

TEST(ResourceRulesTest, AGuardedRegionOrAKernelMutexDisablesApcsToo) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterGuardedRegion();
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&rig.resource, TRUE));
  ExReleaseResourceLite(&rig.resource);
  KeLeaveGuardedRegion();
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
  EXPECT_TRUE(ExAcquireResourceSharedLite(&rig.resource, TRUE));
  ExReleaseResourceLite(&rig.resource);
  KeReleaseMutex(&mutex, FALSE);
  ExDeleteResourceLite(&rig.resource);
  rig.machine.Shutdown();
  EXPECT_FALSE(rig.machine.crashed());
}

TEST(ResourceRulesTest, WithoutVerifierApcsEnabledGoUnnoticed) {
  Rig rig(Without(kemu::Os::kWindows10));
  EXPECT_TRUE(ExAcquireResourceExclusiveLite(&rig.resource, TRUE));
  ExReleaseResourceLite(&rig.resource);
  ExDeleteResourceLite(&rig.resource);
  rig.machine.Shutdown();
  EXPECT_FALSE(rig.machine.crashed());
}

// The acquire above APC_LEVEL, by Verifier generation: the DDI rule IrqlExApcLte3 (Windows 8+),
// 0xE5 (Vista, 7), the kernel's own IRQL fault before.
TEST(ResourceRulesTest, AcquiringAtDispatchLevelIsTheIrqlRuleOfEachRelease) {
  const struct {
    kemu::Os os;
    std::uint32_t code;
    std::uint64_t parameter1;
  } cases[] = {
      {kemu::Os::kWindows10, kVerifierViolation, kemu::verifier_code::kIrqlExApcLte3},
      {kemu::Os::kWindows7, kVerifierViolation, kemu::verifier_code::kKernelApiAtWrongIrql},
      {kemu::Os::kWindowsXP, kemu::bugcheck::kIrqlNotLessOrEqual, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(kemu::OsName(c.os));
    Rig rig({.os = c.os});
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT(CrashOf([&] { ExAcquireResourceSharedLite(&rig.resource, FALSE); }),
                BugCheckIs(c.code, c.parameter1));
  }
}

TEST(ResourceRulesTest, DeletingAtDispatchLevelIsIrqlExApcLte3) {
  Rig rig({.os = kemu::Os::kWindows10});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { ExDeleteResourceLite(&rig.resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kIrqlExApcLte3, 0, 0, 0));
}

TEST(ResourceRulesTest, InitializingAboveDispatchLevelIsTheIrqlRule) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ERESOURCE resource;
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(
      CrashOf([&] { ExInitializeResourceLite(&resource); }),
      BugCheckIs(kVerifierViolation, kemu::verifier_code::kKernelApiAtWrongIrql, HIGH_LEVEL, 0, 0));
}

TEST(ResourceRulesTest, InitializingAnInitializedResourceIs0xD0FromVista) {
  Rig rig({.os = kemu::Os::kWindowsVista});
  EXPECT_THAT(CrashOf([&] { ExInitializeResourceLite(&rig.resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kResourceReinitialized,
                         rig.address(), 0, 0));
}

TEST(ResourceRulesTest, ReinitializingOrInitializingAfterDeleteIsSilent) {
  Rig rig({.os = kemu::Os::kWindows10});
  EXPECT_EQ(ExReinitializeResourceLite(&rig.resource), STATUS_SUCCESS);
  ExDeleteResourceLite(&rig.resource);
  EXPECT_EQ(ExInitializeResourceLite(&rig.resource), STATUS_SUCCESS);
  ExDeleteResourceLite(&rig.resource);
  rig.machine.Shutdown();
  EXPECT_FALSE(rig.machine.crashed());
}

TEST(ResourceRulesTest, BeforeVistaInitializingTwiceStartsAFreshResource) {
  Rig rig({.os = kemu::Os::kWindowsXP});
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&rig.resource, TRUE);
  ExInitializeResourceLite(&rig.resource);
  EXPECT_EQ(ExIsResourceAcquiredSharedLite(&rig.resource), 0u);
  KeLeaveCriticalRegion();
  EXPECT_FALSE(rig.machine.crashed());
}

TEST(ResourceRulesTest, DeletingAResourceNeverInitializedIs0xD1FromVista) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ERESOURCE resource;
  EXPECT_THAT(CrashOf([&] { ExDeleteResourceLite(&resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kDeleteUninitializedResource,
                         Address(&resource), 0, 0));
}

TEST(ResourceRulesTest, DeletingAResourceTwiceBeforeVistaIsAnInvalidObject) {
  Rig rig({.os = kemu::Os::kWindowsXP});
  ExDeleteResourceLite(&rig.resource);
  EXPECT_THAT(CrashOf([&] { ExDeleteResourceLite(&rig.resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kInvalidKernelObject,
                         rig.address(), 0, 0));
}

TEST(ResourceRulesTest, AcquiringAResourceNeverInitializedIsAnInvalidObject) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ERESOURCE resource;
  KeEnterCriticalRegion();
  EXPECT_THAT(CrashOf([&] { ExAcquireResourceSharedLite(&resource, TRUE); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kInvalidKernelObject,
                         Address(&resource), 0, 0));
}

TEST(ResourceRulesTest, DeletingAHeldResourceIsKemusOwnStop) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&rig.resource, TRUE);
  const ERESOURCE_THREAD thread = ExGetCurrentResourceThread();
  EXPECT_THAT(CrashOf([&] { ExDeleteResourceLite(&rig.resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kResourceDeletedWhileOwned,
                         rig.address(), thread, 0));
}

TEST(ResourceRulesTest, ConvertingWithoutExclusiveOwnershipIsKemusOwnStop) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&rig.resource, TRUE);
  const ERESOURCE_THREAD thread = ExGetCurrentResourceThread();
  EXPECT_THAT(CrashOf([&] { ExConvertExclusiveToSharedLite(&rig.resource); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kResourceConvertedByNonOwner,
                         rig.address(), thread, 0));
}

TEST(ResourceRulesTest, ASharedOwnerAskingForExclusiveWaitsForItself) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceSharedLite(&rig.resource, TRUE);
  EXPECT_FALSE(ExAcquireResourceExclusiveLite(&rig.resource, FALSE));
  const kemu::BugCheck crash =
      CrashOf([&] { ExAcquireResourceExclusiveLite(&rig.resource, TRUE); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kWaitNeverCompletes));
  // One sentence: "vCPU 0 waits for exclusive access ..., and no vCPU can ever provide it."
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("vCPU 0 waits for exclusive access to the executive resource "
                                    "at {} in ExAcquireResourceExclusiveLite, which its own thread "
                                    "holds shared (it waits for itself; release the shared hold "
                                    "first), and no vCPU",
                                    static_cast<void*>(&rig.resource))));
}

struct PoolRig {
  explicit PoolRig(kemu::Os os) : machine(os) {
    block = static_cast<PERESOURCE>(
        ExAllocatePoolWithTag(NonPagedPoolNx, 2 * sizeof(ERESOURCE), 'sere'));
    ExInitializeResourceLite(block + 1);
  }
  kemu::Machine machine;
  PERESOURCE block = nullptr;
};

TEST(ResourceRulesTest, FreeingPoolWithAnInitializedResourceIs0xD2FromVista) {
  PoolRig rig(kemu::Os::kWindows10);
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(rig.block, 'sere'); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFreePoolWithActiveResource,
                         Address(rig.block + 1), Address(rig.block), 2 * sizeof(ERESOURCE)));
}

TEST(ResourceRulesTest, FreeingPoolAfterDeletingItsResourceIsSilent) {
  for (const kemu::Os os : {kemu::Os::kWindows10, kemu::Os::kWindowsXP}) {
    PoolRig rig(os);
    if (os == kemu::Os::kWindows10) ExDeleteResourceLite(rig.block + 1);
    ExFreePoolWithTag(rig.block, 'sere');
    rig.machine.Shutdown();
    EXPECT_FALSE(rig.machine.crashed()) << kemu::OsName(os);
  }
}

TEST(ResourceRulesTest, AResourceStillHeldAtShutdownIsALeak) {
  Rig rig({.os = kemu::Os::kWindows10});
  KeEnterCriticalRegion();
  ExAcquireResourceExclusiveLite(&rig.resource, TRUE);
  KeLeaveCriticalRegion();  // out of order on purpose: only the resource is left behind
  const kemu::BugCheck crash = CrashOf([&] { rig.machine.Shutdown(); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kLeakAtShutdown, 1,
                                rig.address(), 0));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("the executive resource at {:#x} is still held exclusively "
                                    "by the thread on vCPU 0 (ExAcquireResourceExclusiveLite, 1 "
                                    "acquisition(s))",
                                    rig.address())));
}

TEST(ResourceRulesTest, AResourceInitializedButNeverDeletedIsNotALeak) {
  Rig rig({.os = kemu::Os::kWindows10});
  rig.machine.Shutdown();
  EXPECT_FALSE(rig.machine.crashed());
}

// ExInitializeResourceLite's page: 8-byte aligned on 64-bit platforms (audit round 14).
struct UnalignedStorage {
  alignas(16) unsigned char bytes[sizeof(ERESOURCE) + 16];
  PERESOURCE at(std::size_t offset) { return reinterpret_cast<PERESOURCE>(bytes + offset); }
};

TEST(ResourceRulesTest, AnUnalignedResourceAcquiredExclusiveIs0x3DUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  UnalignedStorage storage;
  PERESOURCE resource = storage.at(4);
  ExInitializeResourceLite(resource);
  KeEnterCriticalRegion();
  const kemu::BugCheck crash = CrashOf([&] { ExAcquireResourceExclusiveLite(resource, TRUE); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kUnalignedResource, 0, 0,
                                Address(resource)));
  EXPECT_THAT(crash.what(), HasSubstr("not 8-byte aligned"));
}

TEST(ResourceRulesTest, AnAlignedResourceOrOneWithoutVerifierIsSilent) {
  for (const std::size_t offset : {std::size_t{8}, std::size_t{4}}) {
    const bool verifier = offset == 8;
    kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = verifier});
    UnalignedStorage storage;
    PERESOURCE resource = storage.at(offset);
    ExInitializeResourceLite(resource);
    KeEnterCriticalRegion();
    EXPECT_TRUE(ExAcquireResourceExclusiveLite(resource, TRUE));
    ExReleaseResourceLite(resource);
    KeLeaveCriticalRegion();
    ExDeleteResourceLite(resource);
    EXPECT_FALSE(machine.crashed()) << "offset " << offset;
  }
}

}  // namespace
