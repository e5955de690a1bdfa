// kemu_vista_fallback — runs one driver binary, built for Windows XP, on every Windows kemu
// emulates and prints how it ended up connected on each: the point of Microsoft's "Using
// IoConnectInterruptEx Prior to Windows Vista" pattern is that the same driver gets MSI on Vista
// and later and a fully specified line interrupt on 2000/XP/2003.
//
// Each run: start the driver, raise one interrupt the way the device would, check the ISR and its
// DPC ran, stop the driver and shut the machine down (which bug-checks on anything left behind).
// Exit status 0 only when every OS behaved as documented. The output holds no addresses or times,
// so it can be compared verbatim.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/runner_flags.hpp"
#include "driver/fallback_driver.h"
#include "kemu/kemu.hpp"
#include "nic_double.hpp"

namespace {

using kemu_example::NicDouble;

constexpr kemu::LineInterrupt kNicLine{
    .vector = 0x51, .irql = 5, .mode = kemu::Trigger::kLevel, .shared = true};

struct Pass {
  std::string_view title;
  unsigned messages;
};

constexpr Pass kPasses[] = {
    {"nic0: MSI-capable (4 messages); line 0x51 at DIRQL 5, level-triggered, shared", 4},
    {"nic0: no MSI; line 0x51 at DIRQL 5, level-triggered, shared", 0},
};

struct Outcome {
  NTSTATUS first_attempt = STATUS_SUCCESS;
  ULONG version = 0;
  std::string raised = "-";
  ULONG interrupts = 0;
  LONG dpcs = 0;
  std::vector<std::string> problems;
};

std::string StatusText(NTSTATUS status) {
  std::string_view name;
  switch (status) {
    case STATUS_SUCCESS:
      name = "STATUS_SUCCESS";
      break;
    case STATUS_NOT_SUPPORTED:
      name = "STATUS_NOT_SUPPORTED";
      break;
    case STATUS_INVALID_PARAMETER:
      name = "STATUS_INVALID_PARAMETER";
      break;
    case STATUS_INVALID_PARAMETER_1:
      name = "STATUS_INVALID_PARAMETER_1";
      break;
    case STATUS_INVALID_DEVICE_REQUEST:
      name = "STATUS_INVALID_DEVICE_REQUEST";
      break;
    case STATUS_NOT_FOUND:
      name = "STATUS_NOT_FOUND";
      break;
    case STATUS_INSUFFICIENT_RESOURCES:
      name = "STATUS_INSUFFICIENT_RESOURCES";
      break;
    default:
      break;
  }
  const std::string hex = fmt::format("0x{:08X}", static_cast<std::uint32_t>(status));
  return name.empty() ? hex : fmt::format("{} {}", hex, name);
}

// What the documentation promises, read from the personality's data rather than from a list of
// Windows versions: Iointex.lib grants only CONNECT_FULLY_SPECIFIED where the kernel knows no
// newer version (EX-2); otherwise messages when the PnP manager grants them, else the fallback
// line ISR (EX-4).
ULONG ExpectedVersion(const kemu::Personality& personality, unsigned messages) {
  if ((personality.connect_versions & kemu::ConnectVersionBit(CONNECT_MESSAGE_BASED)) == 0) {
    return CONNECT_FULLY_SPECIFIED;
  }
  return messages > 0 && personality.supports_msi ? CONNECT_MESSAGE_BASED : CONNECT_LINE_BASED;
}

void Check(bool condition, std::string problem, Outcome& outcome) {
  if (!condition) outcome.problems.push_back(std::move(problem));
}

Outcome Run(kemu::Os os, const Pass& pass) {
  Outcome outcome;
  kemu::Machine machine(kemu::MachineOptions{.os = os});
  kemu::Device& device =
      machine.AddDevice({.name = "nic0", .line = kNicLine, .messages = pass.messages});
  NicDouble nic(device);
  FALLBACK_DEVICE_EXTENSION extension;
  FallbackInitializeExtension(&extension, &NicDouble::Acknowledge, &nic);

  const NTSTATUS status =
      FallbackStartDevice(&extension, device.pdo(), device.translated_resources());
  outcome.first_attempt = extension.FirstAttemptStatus;
  outcome.version = extension.ConnectVersion;
  Check(status == STATUS_SUCCESS, "FallbackStartDevice returned " + StatusText(status), outcome);
  if (NT_SUCCESS(status)) {
    const kemu::Connection* connection = device.connection();
    Check(connection != nullptr && connection->version == extension.ConnectVersion,
          "kemu's record of the connection disagrees with the driver's", outcome);
    outcome.raised = extension.MessageUsed ? "message 0" : "line";
    nic.RaiseInterrupt(extension.MessageUsed != FALSE);
    // Normally nothing is left to run: the DPC ran as the IRQL fell back below DISPATCH_LEVEL.
    machine.RunPendingDpcs();
    outcome.interrupts = extension.InterruptsClaimed;
    outcome.dpcs = extension.DpcCount;
    Check(extension.EventsHandled == 1, "the DPC did not take over the ISR's event", outcome);
    FallbackStopDevice(&extension);
    Check(device.connection() == nullptr, "still connected after FallbackStopDevice", outcome);
  }
  machine.Shutdown();  // throws kemu::BugCheck naming anything the driver left behind

  const ULONG expected = ExpectedVersion(machine.personality(), pass.messages);
  Check(outcome.version == expected,
        fmt::format("expected {}", FallbackConnectVersionName(expected)), outcome);
  if (expected == CONNECT_FULLY_SPECIFIED) {
    // The exact status is undocumented (EX-2): only "an error" is promised.
    Check(!NT_SUCCESS(outcome.first_attempt), "the CONNECT_MESSAGE_BASED attempt did not fail",
          outcome);
  } else {
    Check(outcome.first_attempt == STATUS_SUCCESS, "the CONNECT_MESSAGE_BASED attempt failed",
          outcome);
  }
  Check(outcome.interrupts == 1, "the ISR did not claim exactly one interrupt", outcome);
  Check(outcome.dpcs == 1, "the DPC did not run exactly once", outcome);
  return outcome;
}

// A harness error (kemu::Error) unwinding past a live Machine makes its destructor look for
// leaks; report them instead of aborting, since main() is already failing.
void PrintLeak(const kemu::BugCheck& leak) { fmt::print("{}\n", leak.report()); }

constexpr std::string_view kRowFormat = "  {:<8}  {:<37}  {:<25}  {:<9}  {:>3}  {:>3}  {}\n";

}  // namespace

int main(int argc, char** argv) {
  if (const auto exit_code = kemu_example::HandleRunnerFlags(
          argc, argv, "kemu_vista_fallback",
          "Runs the Vista-fallback example driver on every Windows kemu emulates.")) {
    return *exit_code;
  }
  kemu::SetFailureHandler(&PrintLeak);
  fmt::print(
      "fallback_driver.c, built for NTDDI_WINXP with Iointex.lib, on every Windows kemu "
      "emulates.\n"
      "It asks for CONNECT_MESSAGE_BASED (with a fallback line ISR) and, when the call fails with\n"
      "Version rewritten to CONNECT_FULLY_SPECIFIED, connects its line interrupt fully "
      "specified.\n");
  int runs = 0;
  int failures = 0;
  for (const Pass& pass : kPasses) {
    fmt::print("\n{}\n", pass.title);
    fmt::print(kRowFormat, "os", "first attempt (CONNECT_MESSAGE_BASED)", "connected as", "raised",
               "isr", "dpc", "result");
    for (kemu::Os os : kemu::AllOs()) {
      Outcome outcome;
      try {
        outcome = Run(os, pass);
      } catch (const kemu::BugCheck& crash) {
        fmt::print("  {:<8}  the emulated system crashed:\n{}\n", kemu::OsName(os), crash.report());
        return 1;
      } catch (const kemu::Error& error) {
        fmt::print("  {:<8}  kemu could not run the driver: {}\n", kemu::OsName(os), error.what());
        return 1;
      }
      ++runs;
      const bool ok = outcome.problems.empty();
      if (!ok) ++failures;
      fmt::print(kRowFormat, kemu::OsName(os), StatusText(outcome.first_attempt),
                 FallbackConnectVersionName(outcome.version), outcome.raised, outcome.interrupts,
                 outcome.dpcs, ok ? "ok" : "FAIL");
      for (const std::string& problem : outcome.problems) {
        fmt::print("  {:<8}    - {}\n", "", problem);
      }
    }
  }
  if (failures == 0) {
    fmt::print("\nAll {} runs behaved as documented.\n", runs);
    return 0;
  }
  fmt::print("\n{} of {} runs did not behave as documented.\n", failures, runs);
  return 1;
}
