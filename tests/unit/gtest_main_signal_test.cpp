// kemu::gtest_main's report of a fault kemu has no kernel call to catch: a call through the NULL
// MmGetSystemRoutineAddress returns for a routine the release lacks (audit round 11 F4). The
// program still dies, as it must; first it names the test, the machine and the seed.
#include <gtest/gtest.h>
#include <wdm.h>

#include "kemu/kemu.hpp"

// Under AddressSanitizer its own SEGV report runs instead: kemu leaves a sanitizer's handler in
// place, since it says more (emu/testing/gtest_main.cpp).
#if defined(__SANITIZE_ADDRESS__)
#define KEMU_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEMU_TEST_UNDER_ASAN 1
#endif
#endif

namespace {

#if defined(KEMU_TEST_UNDER_ASAN)
constexpr const char* kFatalReport = "AddressSanitizer: SEGV on unknown address";
#else
constexpr const char* kFatalReport =
    "kemu: the test program received SIGSEGV \\(address 0x0\\) in test "
    "GtestMainSignalDeathTest\\.ACallThroughAnUncheckedNullNamesTheTestMachineAndSeed on "
    "Windows XP, seed 7 \\(replay with KEMU_SEED=7\\)";
#endif

using ShouldYield = LOGICAL(NTAPI*)(VOID);

ShouldYield Resolve(const wchar_t* name) {
  UNICODE_STRING routine;
  RtlInitUnicodeString(&routine, name);
  return reinterpret_cast<ShouldYield>(
      reinterpret_cast<ULONG_PTR>(MmGetSystemRoutineAddress(&routine)));
}

// Called through a volatile copy so the compiler cannot tell the call away.
LOGICAL CallUnchecked(ShouldYield routine) {
  ShouldYield volatile target = routine;
  return target();
}

TEST(GtestMainSignalDeathTest, ACallThroughAnUncheckedNullNamesTheTestMachineAndSeed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        kemu::Machine machine({.os = kemu::Os::kWindowsXP, .seed = 7});
        ShouldYield should_yield = Resolve(L"KeShouldYieldProcessor");  // Windows 10 on: NULL
        (void)CallUnchecked(should_yield);
      },
      kFatalReport);
}

// Its twin: where the release exports the routine the same call runs and nothing is reported.
TEST(GtestMainSignalTest, TheSameCallWhereTheRoutineExistsRuns) {
  kemu::Machine machine({.os = kemu::Os::kWindows10});
  ShouldYield should_yield = Resolve(L"KeShouldYieldProcessor");
  ASSERT_NE(should_yield, nullptr);
  EXPECT_EQ(CallUnchecked(should_yield), FALSE);  // PASSIVE_LEVEL: no reason to yield
  machine.Shutdown();
}

}  // namespace
