// Hostile pointers a driver may hand the kernel: a counted string whose Buffer is NULL behind a
// nonzero Length, a member of a NULL structure pointer (an address in the first 64 KiB), a
// Buffer in freed pool, a KDPC whose routine is NULL. Each is the bug check Windows gives, never a
// fault in kemu's own process (audit round 16, V1-V4: the first two killed the test program).
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstdint>
#include <cstring>
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

// DbgPrint and the ntstrsafe printf routines read through their %s and %wZ arguments: a string
// in freed pool is 0xD5 under Verifier, a low address the access violation, and NULL prints
// "(null)" (audit round 16, V4's second half: the freed text was read silently).
// A pool block holding text, then freed: what each case prints through.
struct FreedText {
  PWCH block = nullptr;
  UNICODE_STRING in_freed{};  // a live structure whose Buffer is the freed block
};

TEST(HostilePointerTest, DbgPrintOfAStringInFreedPoolIsFreedSpecialPoolUnderVerifier) {
  constexpr ULONG kTag = 0x72747344;  // "Dstr"
  const std::vector<std::pair<const char*, std::function<void(FreedText&)>>> cases = {
      {"%s", [](FreedText& t) { DbgPrint("%s\n", reinterpret_cast<const char*>(t.block)); }},
      {"%ws", [](FreedText& t) { DbgPrint("%ws\n", t.block); }},
      {"%wZ", [](FreedText& t) { DbgPrint("%wZ\n", reinterpret_cast<PUNICODE_STRING>(t.block)); }},
      {"%wZ's Buffer", [](FreedText& t) { DbgPrint("%wZ\n", &t.in_freed); }},
      {"RtlStringCbPrintfA %s",
       [](FreedText& t) {
         char out[64];
         RtlStringCbPrintfA(out, sizeof(out), "%s", reinterpret_cast<const char*>(t.block));
       }},
  };
  for (const auto& [name, call] : cases) {
    kemu::Machine machine(kemu::Os::kWindows10);
    FreedText text;
    text.block = static_cast<PWCH>(ExAllocatePoolWithTag(NonPagedPoolNx, 32, kTag));
    std::memcpy(text.block, L"freed", sizeof(L"freed"));
    text.in_freed = {10, 12, text.block};
    ExFreePoolWithTag(text.block, kTag);
    EXPECT_THAT(CrashOf([&] { call(text); }),
                BugCheckIs(kemu::bugcheck::kDriverPageFaultInFreedSpecialPool))
        << name;
  }
}

TEST(HostilePointerTest, DbgPrintOfALowAddressIsAnAccessViolationAndOfNullPrintsNull) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DbgPrint("[%s][%wZ][%Z]\n", static_cast<const char*>(nullptr),
           static_cast<PUNICODE_STRING>(nullptr), static_cast<PANSI_STRING>(nullptr));
  EXPECT_EQ(machine.debug_output(), "[(null)][(null)][(null)]\n");
  EXPECT_THAT(CrashOf([] { DbgPrint("%s", reinterpret_cast<const char*>(0x30)); }),
              BugCheckIs(kAccessViolationCheck, kStatusAccessViolation, 0, 0, 0x30));
}

TEST(HostilePointerTest, DbgPrintOfACountedStringWhoseBufferIsALowAddressIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ANSI_STRING low{4, 4, reinterpret_cast<PCHAR>(0x18)};
  EXPECT_THAT(CrashOf([&] { DbgPrint("%Z", &low); }),
              BugCheckIs(kAccessViolationCheck, kStatusAccessViolation, 0, 0, 0x18));
}

TEST(HostilePointerTest, DbgPrintOfLiveStringsStaysSilentUnderVerifier) {
  kemu::Machine machine(kemu::Os::kWindows10);
  constexpr ULONG kTag = 0x72747344;  // "Dstr"
  auto* block = static_cast<PCHAR>(ExAllocatePoolWithTag(NonPagedPoolNx, 8, kTag));
  std::memcpy(block, "pool", 5);
  UNICODE_STRING wide;
  RtlInitUnicodeString(&wide, L"wide");
  ANSI_STRING empty{0, 0, nullptr};
  DbgPrint("%s %wZ [%Z]\n", block, &wide, &empty);
  ExFreePoolWithTag(block, kTag);
  EXPECT_EQ(machine.debug_output(), "pool wide [(null)]\n");
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
