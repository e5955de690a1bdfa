// kemu_nic_example — runs the example NIC driver, one binary built for Windows XP, on every Windows
// kemu emulates, then runs deliberately buggy builds of it and shows kemu catching each with the
// bug check Windows would raise.
//
// Each run: start the card, receive three frames (one interrupt each: ISR, then DPC), read the
// statistics, stop the driver and shut the machine down (which bug-checks on anything left
// behind). Exit status 0 only when every run behaved as expected. The output holds no addresses or
// times, so it can be compared verbatim.
#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/runner_flags.hpp"
#include "driver/nic_driver.h"
#include "kemu/kemu.hpp"
#include "kemu_example_nic_driver_imports.hpp"
#include "nic_device.hpp"

namespace {

using kemu_example::NicDevice;

constexpr unsigned kFrames = 3;

struct Outcome {
  ULONG version = 0;
  NIC_STATISTICS stats{};
  std::vector<std::string> problems;
};

void Check(bool condition, std::string problem, Outcome& outcome) {
  if (!condition) outcome.problems.push_back(std::move(problem));
}

// What the documentation promises, read from the personality's data rather than from a list of
// Windows versions: only Iointex.lib's CONNECT_FULLY_SPECIFIED where the kernel knows nothing
// newer, else messages where the PnP manager grants them.
ULONG ExpectedVersion(const kemu::Personality& personality) {
  if ((personality.connect_versions & kemu::ConnectVersionBit(CONNECT_MESSAGE_BASED)) == 0) {
    return CONNECT_FULLY_SPECIFIED;
  }
  return personality.supports_msi ? CONNECT_MESSAGE_BASED : CONNECT_LINE_BASED;
}

Outcome Run(kemu::Os os) {
  Outcome outcome;
  NicDevice nic;  // the hardware outlives the machine, as kemu requires
  kemu::Machine machine(kemu::MachineOptions{.os = os});
  // What Windows' loader checks first: every routine the driver imports is exported here.
  machine.LoadDriver(kNicDriverImports);
  kemu::Device& device = machine.AddDevice(nic.Config());
  NIC_EXTENSION extension{};

  const NTSTATUS status = NicStartDevice(&extension, device.pdo(), device.raw_resources(),
                                         device.translated_resources());
  outcome.version = extension.ConnectVersion;
  Check(status == STATUS_SUCCESS,
        fmt::format("NicStartDevice returned {:#010x}", static_cast<std::uint32_t>(status)),
        outcome);
  if (NT_SUCCESS(status)) {
    const kemu::Connection* connection = device.connection();
    Check(connection != nullptr && connection->version == extension.ConnectVersion,
          "kemu's record of the connection disagrees with the driver's", outcome);
    nic.ReceiveFrames(kFrames);  // each frame: interrupt, ISR, DPC before ReceiveFrames returns
    NicGetStatistics(&extension, &outcome.stats);
    Check(outcome.stats.BytesReceived == kFrames * kemu_example::kNicFrameBytes,
          "the byte count does not match the frames", outcome);
    Check(nic.causes() == 0, "causes left unacknowledged in ISR", outcome);
    NicStopDevice(&extension);
    Check(device.connection() == nullptr, "still connected after NicStopDevice", outcome);
    Check(nic.interrupt_mask() == 0, "interrupts still enabled in the card after stop", outcome);
  }
  machine.Shutdown();  // throws kemu::BugCheck naming anything the driver left behind

  const ULONG expected = ExpectedVersion(machine.personality());
  Check(outcome.version == expected, fmt::format("expected {}", NicConnectVersionName(expected)),
        outcome);
  Check(outcome.stats.Interrupts == kFrames, "the ISR did not claim one interrupt per frame",
        outcome);
  Check(outcome.stats.Dpcs == kFrames, "the DPC did not run once per interrupt", outcome);
  Check(outcome.stats.FramesReceived == kFrames, "frames were lost", outcome);
  return outcome;
}

// A deliberately buggy build and the bug check it must end in.
struct BuggyRun {
  const NIC_DRIVER* driver;
  std::string_view device;
  bool withhold_msi;
  bool verifier;
  std::uint32_t code;
  int parameter;  // which Arg (0-based) identifies the bug, or -1
  std::uint64_t value;
};

const BuggyRun kBuggyRuns[] = {
    // Driver Verifier names the exact misuse: KeAcquireSpinLock above DISPATCH_LEVEL.
    {&NicDriverBugSpinLockAtDirql, "MSI (4 messages)", false, true,
     kemu::bugcheck::kDriverVerifierDetectedViolation, 0,
     kemu::verifier_code::kAcquireSpinLockAboveDispatch},
    // A checked kernel catches the IRQL going down inside KeAcquireSpinLock.
    {&NicDriverBugSpinLockAtDirql, "MSI (4 messages)", false, false,
     kemu::bugcheck::kIrqlNotGreaterOrEqual, -1, 0},
    // Arg4 1: the storming vector has one ISR, so it alone failed to silence the device.
    {&NicDriverBugNoAck, "line (MSI withheld)", true, true, kemu::bugcheck::kHardwareInterruptStorm,
     3, 1},
    // Driver Verifier's pool tracking at unload: pool was left behind (Arg4: one block).
    {&NicDriverBugLeakRxBuffers, "MSI (4 messages)", false, true,
     kemu::bugcheck::kDriverVerifierDetectedViolation, 0, kemu::verifier_code::kPoolLeakedAtUnload},
    // KeWaitForSingleObject with no timeout under a spin lock, at DISPATCH_LEVEL (Arg2).
    {&NicDriverBugWaitAtDispatch, "MSI (4 messages)", false, false,
     kemu::bugcheck::kIrqlNotLessOrEqual, 1, DISPATCH_LEVEL},
};

std::string Describe(std::uint32_t code, int parameter, std::uint64_t value) {
  std::string text = fmt::format("0x{:X} {}", code, kemu::BugCheckName(code));
  if (parameter >= 0) text += fmt::format(", Arg{} {:#x}", parameter + 1, value);
  return text;
}

// Runs one buggy build on win10; returns what happened in the words of the table.
std::string RunBuggy(const BuggyRun& run, bool& ok) {
  NicDevice nic;
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = run.verifier});
  kemu::DeviceConfig config = nic.Config();
  config.withhold_msi = run.withhold_msi;
  kemu::Device& device = machine.AddDevice(config);
  NIC_EXTENSION extension{};
  std::optional<kemu::BugCheck> crash;
  try {
    if (!NT_SUCCESS(run.driver->StartDevice(&extension, device.pdo(), device.raw_resources(),
                                            device.translated_resources()))) {
      ok = false;
      return "NicStartDevice failed";
    }
    nic.ReceiveFrames(kFrames);
    run.driver->StopDevice(&extension);
    machine.Shutdown();
  } catch (const kemu::BugCheck& bug_check) {
    crash = bug_check;
  }
  if (!crash) {
    ok = false;
    return "not caught";
  }
  const std::uint64_t actual = run.parameter >= 0 ? crash->parameter(run.parameter) : 0;
  ok = crash->code() == run.code && actual == run.value;
  return Describe(crash->code(), run.parameter, actual);
}

// A harness error (kemu::Error) unwinding past a live Machine makes its destructor look for
// leaks; print them instead of aborting, since main() is already failing.
void PrintLeak(const kemu::BugCheck& leak) { fmt::print("{}\n", leak.report()); }

constexpr std::string_view kOsRow = "  {:<8}  {:<25}  {:>10}  {:>4}  {:>6}  {}\n";
constexpr std::string_view kBugRow = "  {:<25}  {:<19}  {:<8}  {:<50}  {}\n";

int RunAllOs() {
  int failures = 0;
  fmt::print(kOsRow, "os", "CONNECT version", "interrupts", "DPCs", "frames", "result");
  for (kemu::Os os : kemu::AllOs()) {
    const Outcome outcome = Run(os);
    const bool ok = outcome.problems.empty();
    if (!ok) ++failures;
    fmt::print(kOsRow, kemu::OsName(os), NicConnectVersionName(outcome.version),
               outcome.stats.Interrupts, outcome.stats.Dpcs, outcome.stats.FramesReceived,
               ok ? "ok" : "FAIL");
    for (const std::string& problem : outcome.problems)
      fmt::print("  {:<8}    - {}\n", "", problem);
  }
  return failures;
}

int RunBuggyVariants() {
  int failures = 0;
  fmt::print(kBugRow, "variant", "device", "verifier", "caught as", "result");
  for (const BuggyRun& run : kBuggyRuns) {
    bool ok = false;
    const std::string caught = RunBuggy(run, ok);
    if (!ok) ++failures;
    fmt::print(
        kBugRow, run.driver->Name, run.device, run.verifier ? "on" : "off", caught,
        ok ? "ok"
           : fmt::format("FAIL (expected {})", Describe(run.code, run.parameter, run.value)));
  }
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (const auto exit_code = kemu_example::HandleRunnerFlags(
          argc, argv, "kemu_nic_example",
          "Runs the example NIC driver on every Windows kemu emulates, then its buggy builds.")) {
    return *exit_code;
  }
  kemu::SetFailureHandler(&PrintLeak);
  fmt::print(
      "nic_driver.c, built for NTDDI_WINXP with Iointex.lib, on every Windows kemu emulates.\n"
      "The card is MSI-capable (4 messages) with a shared level line 0x51 at DIRQL 5. Each run\n"
      "starts it, receives {} frames (one interrupt each), reads the statistics and stops it.\n"
      "Its imports, as kemu_check_imports read them from the library: {}.\n\n",
      kFrames, kemu::DescribeLoadability(kNicDriverImports));
  int failures = 0;
  try {
    failures += RunAllOs();
    fmt::print(
        "\nThe same sources built with a deliberate bug, on win10; each must be caught:\n\n");
    failures += RunBuggyVariants();
  } catch (const kemu::BugCheck& crash) {
    fmt::print("\nThe emulated system crashed:\n{}\n", crash.report());
    return 1;
  } catch (const kemu::Error& error) {
    fmt::print("\nkemu could not run the driver: {}\n", error.what());
    return 1;
  }
  if (failures == 0) {
    fmt::print("\nEvery run behaved as expected.\n");
    return 0;
  }
  fmt::print("\n{} run(s) did not behave as expected.\n", failures);
  return 1;
}
