// Hostile pointers a driver may hand the kernel: a counted string whose Buffer is NULL behind a
// nonzero Length, a member of a NULL structure pointer (an address in the first 64 KiB), a
// Buffer in freed pool, a KDPC whose routine is NULL. Each is the bug check Windows gives, never a
// fault in kemu's own process (audit round 16, V1-V4: the first two killed the test program).
#include <wdm.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kAccessViolationCheck = kemu::bugcheck::kKmodeExceptionNotHandled;
constexpr std::uint64_t kStatusAccessViolation = 0xC0000005;

UNICODE_STRING NullBuffer() { return {.Length = 8, .MaximumLength = 8, .Buffer = nullptr}; }

struct Case {
  const char* name;
  std::function<void()> call;
};

// Each routine reads or writes a counted string's characters: a NULL Buffer with a count is the
// access violation at address 0.
TEST(HostilePointerTest, ANullBufferBehindANonzeroCountIsAnAccessViolation) {
  const std::vector<Case> cases = {
      {"RtlEqualUnicodeString",
       [] {
         UNICODE_STRING a = NullBuffer(), b = NullBuffer();
         RtlEqualUnicodeString(&a, &b, TRUE);
       }},
      {"RtlCompareUnicodeString",
       [] {
         UNICODE_STRING a = NullBuffer(), b = NullBuffer();
         RtlCompareUnicodeString(&a, &b, FALSE);
       }},
      {"RtlCopyUnicodeString",
       [] {
         WCHAR room[8];
         UNICODE_STRING destination{0, sizeof(room), room};
         UNICODE_STRING source = NullBuffer();
         RtlCopyUnicodeString(&destination, &source);
       }},
      {"RtlUnicodeStringToInteger",
       [] {
         UNICODE_STRING s = NullBuffer();
         ULONG value = 0;
         RtlUnicodeStringToInteger(&s, 10, &value);
       }},
      {"RtlAppendUnicodeStringToString",
       [] {
         UNICODE_STRING destination = NullBuffer();
         destination.Length = 0;
         UNICODE_STRING source;
         RtlInitUnicodeString(&source, L"x");
         RtlAppendUnicodeStringToString(&destination, &source);
       }},
      {"RtlUnicodeStringToAnsiString",
       [] {
         ANSI_STRING destination{};
         UNICODE_STRING source = NullBuffer();
         RtlUnicodeStringToAnsiString(&destination, &source, TRUE);
       }},
      {"RtlHashUnicodeString",
       [] {
         UNICODE_STRING s = NullBuffer();
         ULONG hash = 0;
         RtlHashUnicodeString(&s, TRUE, HASH_STRING_ALGORITHM_X65599, &hash);
       }},
  };
  for (const Case& c : cases) {
    kemu::Machine machine(kemu::Os::kWindows10);
    const kemu::BugCheck crash = CrashOf(c.call);
    EXPECT_THAT(crash, BugCheckIs(kAccessViolationCheck, kStatusAccessViolation, 0, 0, 0))
        << c.name;
    EXPECT_THAT(crash.report(), HasSubstr("->Buffer")) << c.name;
  }
}

// &Extension->Member with Extension NULL: an address in the first 64 KiB, never mapped.
TEST(HostilePointerTest, AMemberOfANullPointerIsAnAccessViolationAtItsAddress) {
  const std::vector<std::pair<Case, std::uintptr_t>> cases = {
      {{"KeSetEvent", [] { KeSetEvent(reinterpret_cast<PRKEVENT>(0x20), 0, FALSE); }}, 0x20},
      {{"KeInitializeEvent",
        [] { KeInitializeEvent(reinterpret_cast<PRKEVENT>(0x20), NotificationEvent, FALSE); }},
       0x20},
      {{"KeInitializeSpinLock", [] { KeInitializeSpinLock(reinterpret_cast<PKSPIN_LOCK>(0x38)); }},
       0x38},
      {{"KeInitializeDpc",
        [] { KeInitializeDpc(reinterpret_cast<PRKDPC>(0x40), nullptr, nullptr); }},
       0x40},
      {{"RtlInitUnicodeString",
        [] { RtlInitUnicodeString(reinterpret_cast<PUNICODE_STRING>(0x80), L"x"); }},
       0x80},
  };
  for (const auto& [c, address] : cases) {
    kemu::Machine machine(kemu::Os::kWindows10);
    const kemu::BugCheck crash = CrashOf(c.call);
    EXPECT_THAT(crash, BugCheckIs(kAccessViolationCheck, kStatusAccessViolation, 0, 0, address))
        << c.name;
    EXPECT_THAT(crash.report(), HasSubstr("first 64 KiB")) << c.name;
  }
}

TEST(HostilePointerTest, AtDispatchLevelTheNullPageIsIrqlNotLessOrEqual) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { KeSetEvent(reinterpret_cast<PRKEVENT>(0x20), 0, FALSE); }),
              BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0x20, DISPATCH_LEVEL, 0, 0));
}

// Under Verifier a Buffer in freed pool is special pool's 0xD5, as the pointer passed directly
// is.
TEST(HostilePointerTest, ABufferInFreedPoolIsFreedSpecialPoolUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  constexpr ULONG kTag = 0x72747344;  // "Dstr"
  auto* text = static_cast<PWCH>(ExAllocatePoolWithTag(NonPagedPoolNx, 16, kTag));
  text[0] = L'a';
  ExFreePoolWithTag(text, kTag);
  UNICODE_STRING freed{2, 16, text};
  UNICODE_STRING other;
  RtlInitUnicodeString(&other, L"a");
  EXPECT_THAT(CrashOf([&] { RtlCompareUnicodeString(&freed, &other, FALSE); }),
              BugCheckIs(kemu::bugcheck::kDriverPageFaultInFreedSpecialPool));
}

VOID NeverRuns(PKDPC, PVOID, PVOID, PVOID) {}

// Windows calls the routine: a NULL one is an instruction fetch at address 0.
TEST(HostilePointerTest, ADpcWhoseRoutineIsNullIsAnExecuteFaultWhenItRuns) {
  for (const bool verifier : {true, false}) {
    kemu::Machine machine(kemu::MachineOptions{.verifier = verifier});
    KDPC dpc;
    KeInitializeDpc(&dpc, nullptr, nullptr);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
    const kemu::BugCheck crash = CrashOf([&] { KeLowerIrql(old); });
    EXPECT_THAT(crash,
                BugCheckIs(kemu::bugcheck::kDriverIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 8, 0));
    EXPECT_THAT(crash.report(), HasSubstr("DeferredRoutine of the KDPC"));
  }
  (void)&NeverRuns;
}

// A service name is one registry key name, at most 255 characters (V7: a longer one wrapped the
// path's USHORT byte count).
TEST(HostilePointerTest, ARegistryPathForAServiceNameLongerThanAKeyNameIsRefused) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const std::wstring longest(255, L'n');
  PUNICODE_STRING path = machine.registry().RegistryPath(longest);
  EXPECT_GT(path->Length, 255 * sizeof(WCHAR));
  EXPECT_THROW(machine.registry().RegistryPath(std::wstring(256, L'n')), kemu::Error);
  EXPECT_THROW(machine.registry().RegistryPath(L"a\\b"), kemu::Error);
}

}  // namespace
