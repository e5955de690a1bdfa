// Synchronization objects in paged pool: Driver Verifier's Force IRQL Checking reports them from
// Vista on, 0xC4 / 0xE1 (the object), where kemu sees the driver initialise one
// (docs/verifier-rules.md; audit round 16, U3: they were accepted silently).
#include <wdm.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr ULONG kTag = 0x636E7953;  // "Sync"

// What each initialiser is given: a block of `bytes` from `pool`, and the call.
struct Initializer {
  const char* kind;
  std::size_t bytes;
  std::function<void(void*)> initialize;
};

std::vector<Initializer> Initializers() {
  return {
      {"spin lock", sizeof(KSPIN_LOCK),
       [](void* p) { KeInitializeSpinLock(static_cast<PKSPIN_LOCK>(p)); }},
      {"event", sizeof(KEVENT),
       [](void* p) { KeInitializeEvent(static_cast<PRKEVENT>(p), NotificationEvent, FALSE); }},
      {"timer", sizeof(KTIMER), [](void* p) { KeInitializeTimer(static_cast<PKTIMER>(p)); }},
      {"kernel mutex", sizeof(KMUTEX),
       [](void* p) { KeInitializeMutex(static_cast<PRKMUTEX>(p), 0); }},
      {"semaphore", sizeof(KSEMAPHORE),
       [](void* p) { KeInitializeSemaphore(static_cast<PRKSEMAPHORE>(p), 0, 1); }},
      {"fast mutex", sizeof(FAST_MUTEX),
       [](void* p) { ExInitializeFastMutex(static_cast<PFAST_MUTEX>(p)); }},
      {"executive resource", sizeof(ERESOURCE),
       [](void* p) { ExInitializeResourceLite(static_cast<PERESOURCE>(p)); }},
  };
}

// One machine per object (kRecord: each keeps its one report), so no fixture machine.
class PagedSyncObjectTest : public ::testing::TestWithParam<kemu::Os> {
 protected:
  bool Reported() const { return GetParam() >= kemu::Os::kWindowsVista; }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, PagedSyncObjectTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(PagedSyncObjectTest, EachObjectInitialisedInPagedPoolIs0xE1FromVistaOn) {
  for (const Initializer& object : Initializers()) {
    kemu::Machine machine(
        kemu::MachineOptions{.os = GetParam(), .on_bug_check = kemu::BugCheckAction::kRecord});
    void* block = ExAllocatePoolWithTag(PagedPool, object.bytes, kTag);
    ASSERT_NE(block, nullptr);
    object.initialize(block);
    if (!Reported()) {
      EXPECT_THAT(machine.bug_checks(), IsEmpty()) << object.kind;
      machine.Abandon();  // the object and its block are left as they are
      continue;
    }
    ASSERT_EQ(machine.bug_checks().size(), 1u) << object.kind;
    const kemu::BugCheck& crash = machine.bug_checks().front();
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kSyncObjectPageable,
                                  reinterpret_cast<std::uintptr_t>(block), 0, 0))
        << object.kind;
    EXPECT_THAT(crash.report(), HasSubstr(std::string("the ") + object.kind + " at"));
    EXPECT_THAT(crash.report(), HasSubstr("pool block tagged 'Sync'"));
    machine.Abandon();
  }
}

TEST_P(PagedSyncObjectTest, TheSameObjectsInNonpagedPoolAreSilent) {
  kemu::Machine machine(kemu::MachineOptions{.os = GetParam()});
  for (const Initializer& object : Initializers()) {
    void* block = ExAllocatePoolWithTag(NonPagedPoolNx, object.bytes, kTag);
    ASSERT_NE(block, nullptr);
    object.initialize(block);
    if (std::string(object.kind) == "executive resource") {
      ExDeleteResourceLite(static_cast<PERESOURCE>(block));
    }
    ExFreePoolWithTag(block, kTag);
  }
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

TEST(PagedSyncObjectRuleTest, AKernelWithoutVerifierDoesNotLook) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false});
  auto* lock = static_cast<PKSPIN_LOCK>(ExAllocatePoolWithTag(PagedPool, sizeof(KSPIN_LOCK), kTag));
  KeInitializeSpinLock(lock);
  ExFreePoolWithTag(lock, kTag);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

}  // namespace
