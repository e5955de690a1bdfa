// main() of kemu::gtest_main, and the parsing of kemu's command-line flags.
#include "kemu/testing/gtest_main.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "kemu/error.hpp"
#include "kemu/machine.hpp"
#include "kemu/testing/fixtures.hpp"
#include "kemu/testing/listener.hpp"
#include "kemu/testing/schedules.hpp"

namespace kemu::testing::internal {
namespace {

constexpr std::string_view kFlagPrefix = "--kemu_";
constexpr std::string_view kSeedFlag = "--kemu_seed=";
constexpr std::string_view kTraceFlag = "--kemu_trace=";
constexpr std::string_view kScheduleFlag = "--kemu_schedule=";
constexpr std::string_view kSchedulesFlag = "--kemu_schedules=";

// Handles one --kemu_ flag. Each sets the environment variable of the same meaning, which is
// where fixtures look (SeedFromEnvironment, TracePathFromEnvironment): the flag and the variable
// cannot disagree, and death-test children inherit them.
void ApplyKemuFlag(std::string_view flag) {
  if (flag.starts_with(kSeedFlag)) {
    const std::string_view value = flag.substr(kSeedFlag.size());
    ParseSeed(value, "--kemu_seed");
    setenv("KEMU_SEED", std::string(value).c_str(), /*overwrite=*/1);
    return;
  }
  if (flag.starts_with(kTraceFlag)) {
    const std::string_view value = flag.substr(kTraceFlag.size());
    if (value.empty()) {
      throw Error("kemu: --kemu_trace needs a file name, e.g. --kemu_trace=out.json");
    }
    setenv("KEMU_TRACE", std::string(value).c_str(), /*overwrite=*/1);
    return;
  }
  if (flag.starts_with(kScheduleFlag)) {
    const std::string_view value = flag.substr(kScheduleFlag.size());
    ParseSeed(value, "--kemu_schedule");
    setenv("KEMU_SCHEDULE", std::string(value).c_str(), /*overwrite=*/1);
    return;
  }
  if (flag.starts_with(kSchedulesFlag)) {
    setenv("KEMU_SCHEDULES", std::string(flag.substr(kSchedulesFlag.size())).c_str(),
           /*overwrite=*/1);
    SchedulesFromEnvironment();  // a malformed value is an error now, not in every test
    return;
  }
  throw Error("kemu: unknown flag " + std::string(flag) +
              " (kemu flags: --kemu_seed=<n>, --kemu_trace=<file.json>, --kemu_schedule=<n>, "
              "--kemu_schedules=<N or A..B>)");
}

// A fault of driver code kemu has no kernel call to catch (a call through a NULL routine pointer
// MmGetSystemRoutineAddress returned, a wild pointer in uninstrumented code) kills the program.
// Before it dies, say which test and which machine, and how to replay it (docs/differences.md).
// Only write(2) and hand-made number formatting here: the handler runs in a signal context.
void Write(std::string_view text) { (void)!write(STDERR_FILENO, text.data(), text.size()); }

void WriteNumber(std::uint64_t value, unsigned base) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value != 0 && n < sizeof digits);
  char out[26] = {'0', 'x'};
  std::size_t length = base == 16 ? 2 : 0;
  while (n > 0) out[length++] = digits[--n];
  Write(std::string_view(out, length));
}

void DescribeFatalSignal(int signal_number, siginfo_t* info, void*) {
  Write("\nkemu: the test program received ");
  Write(signal_number == SIGSEGV  ? "SIGSEGV"
        : signal_number == SIGBUS ? "SIGBUS"
        : signal_number == SIGILL ? "SIGILL"
                                  : "SIGFPE");
  Write(" (address ");
  WriteNumber(reinterpret_cast<std::uintptr_t>(info->si_addr), 16);
  Write(")");
  if (const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info()) {
    Write(" in test ");
    Write(test->test_suite_name());
    Write(".");
    Write(test->name());
  }
  if (const kemu::Machine* machine = kemu::Machine::CurrentOrNull()) {
    Write(" on ");
    Write(machine->personality().display_name);
    Write(", seed ");
    WriteNumber(machine->options().seed, 10);
    Write(" (replay with KEMU_SEED=");
    WriteNumber(machine->options().seed, 10);
    Write(")");
  }
  // A race found but not yet raised explains a fault on what the driver raced on (a pointer
  // another context cleared): print it rather than blame uninstrumented code (audit round 15, R3).
  const kemu::Machine* machine = kemu::Machine::CurrentOrNull();
  if (const char* race = machine != nullptr ? machine->PendingRaceReport() : nullptr) {
    Write(
        ".\n  Driver code faulted right after the race detector found the data race below, before "
        "it could be raised (at the next kernel call): the fault is likely its consequence.\n");
    Write(race);
    Write("\n");
  } else {
    Write(
        ".\n  Driver code faulted where Windows would bug-check (0xD1 or 0x1E/0x7E): a call "
        "through a NULL routine pointer (MmGetSystemRoutineAddress returns NULL for what the "
        "release does not export), or a wild pointer in code not built with "
        "kemu_instrument_driver. No kemu report follows; see docs/differences.md.\n");
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

/// Installs DescribeFatalSignal on its own stack (a fault may come from a vCPU's small stack);
/// the stack lives as long as main's caller keeps it.
std::unique_ptr<char[]> InstallFatalSignalReport() {
  constexpr std::size_t kStackBytes = 64 * 1024;
  auto stack = std::make_unique<char[]>(kStackBytes);
  stack_t alternate{};
  alternate.ss_sp = stack.get();
  alternate.ss_size = kStackBytes;
  (void)sigaltstack(&alternate, nullptr);
  struct sigaction action {};
  action.sa_sigaction = &DescribeFatalSignal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) {
    // A sanitizer's handler (asan, tsan presets) reports more than this one: leave it.
    struct sigaction existing {};
    if (sigaction(signal_number, nullptr, &existing) == 0 &&
        (existing.sa_flags & SA_SIGINFO) == 0 && existing.sa_handler != SIG_DFL) {
      continue;
    }
    if ((existing.sa_flags & SA_SIGINFO) != 0 && existing.sa_sigaction != nullptr) continue;
    (void)sigaction(signal_number, &action, nullptr);
  }
  return stack;
}

}  // namespace

void ParseKemuFlags(int* argc, char** argv) {
  if (*argc < 1) return;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with(kFlagPrefix)) {
      ApplyKemuFlag(arg);
    } else {
      argv[kept++] = argv[i];
    }
  }
  // argv[argc] stays a null pointer, as main() received it.
  if (kept < *argc) argv[kept] = nullptr;
  *argc = kept;
}

}  // namespace kemu::testing::internal

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  try {
    kemu::testing::internal::ParseKemuFlags(&argc, argv);
    // Checked once here so a bad KEMU_SEED is one clear error, not a failure in every fixture.
    kemu::testing::SeedFromEnvironment();
    kemu::testing::ScheduleFromEnvironment();
    kemu::testing::InstallScheduleExploration();
  } catch (const kemu::Error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return EXIT_FAILURE;
  }
  ::testing::UnitTest::GetInstance()->listeners().Append(new kemu::testing::BugCheckListener);
  const std::unique_ptr<char[]> signal_stack = kemu::testing::internal::InstallFatalSignalReport();
  return RUN_ALL_TESTS();
}
