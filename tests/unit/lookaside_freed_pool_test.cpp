// Pool freed while it still holds a lookaside list never deleted: Driver Verifier's miscellaneous
// checks report it at the free, 0xC4 / 0xCC (list, start of the block, its size), from Vista on.
// Elsewhere the free goes through and kemu forgets the list (UNCONFIRMED what Windows does next).
// Deleting the list first stays silent (docs/kernel.md, "Lookaside lists"; docs/verifier-rules.md).
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr ULONG kTag = 0x6B6F6F4C;  // "Look"

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// A driver context that embeds its lookaside list after a header.
struct Context {
  ULONG64 header[2];
  LOOKASIDE_LIST_EX list;
};

Context* NewContext() {
  auto* context =
      static_cast<Context*>(ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Context), kTag));
  EXPECT_NE(context, nullptr);
  EXPECT_EQ(
      ExInitializeLookasideListEx(&context->list, nullptr, nullptr, NonPagedPoolNx, 0, 64, kTag, 0),
      STATUS_SUCCESS);
  return context;
}

TEST(LookasideFreedPoolTest, FreeingPoolWithALiveListIs0xCCUnderVerifierFromVista) {
  for (const kemu::Os os : {kemu::Os::kWindowsVista, kemu::Os::kWindows11}) {
    kemu::Machine machine(os);
    Context* context = NewContext();
    const kemu::BugCheck crash = CrashOf([&] { ExFreePoolWithTag(context, kTag); });
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kFreePoolWithActiveLookaside,
                                  Address(&context->list), Address(context), sizeof(Context)))
        << kemu::OsName(os);
    EXPECT_THAT(crash.what(), HasSubstr("never deleted"));
  }
}

TEST(LookasideFreedPoolTest, AClassicListInFreedPoolIs0xCCToo) {
  kemu::Machine machine(kemu::Os::kWindows10);
  auto* list = static_cast<PNPAGED_LOOKASIDE_LIST>(
      ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(NPAGED_LOOKASIDE_LIST), kTag));
  ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 64, kTag, 0);
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(list, kTag); }),
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kFreePoolWithActiveLookaside, Address(list),
                         Address(list), sizeof(NPAGED_LOOKASIDE_LIST)));
}

TEST(LookasideFreedPoolTest, BeforeVistaOrWithoutVerifierTheFreeGoesThroughAndTheListIsForgotten) {
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.os = kemu::Os::kWindowsXP},
        kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false}}) {
    kemu::Machine machine(options);
    auto* list = static_cast<PNPAGED_LOOKASIDE_LIST>(
        ExAllocatePoolWithTag(NonPagedPool, sizeof(NPAGED_LOOKASIDE_LIST), kTag));
    ExInitializeNPagedLookasideList(list, nullptr, nullptr, 0, 64, kTag, 0);
    ExFreePoolWithTag(list, kTag);
    machine.Shutdown();  // no list left behind: it went with its pool
    EXPECT_FALSE(machine.crashed()) << kemu::OsName(options.os);
  }
}

TEST(LookasideFreedPoolTest, DeletingTheListBeforeFreeingItsPoolIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Context* context = NewContext();
  void* entry = ExAllocateFromLookasideListEx(&context->list);
  ExFreeToLookasideListEx(&context->list, entry);
  ExDeleteLookasideListEx(&context->list);
  ExFreePoolWithTag(context, kTag);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
