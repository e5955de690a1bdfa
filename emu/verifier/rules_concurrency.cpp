// Waits that can never end once vCPUs run concurrently: a spin lock nobody will release, a
// KeFlushQueuedDpcs whose DPCs can never run.
#include <fmt/format.h>

#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

std::string WaitForReport(std::string summary, const std::vector<std::string>& contexts) {
  summary += "\n  What each vCPU runs, holds and waits for:";
  for (const std::string& line : contexts) summary += "\n    - " + line;
  return summary;
}

// " (what)", or "" when `what` is empty.
std::string Parenthesised(const std::string& what) { return what.empty() ? "" : " (" + what + ")"; }

}  // namespace

void Verifier::SpinLockDeadlock(PKSPIN_LOCK lock, const std::string& waiter,
                                const std::vector<std::string>& contexts) {
  const std::string summary = WaitForReport(
      fmt::format("{} spins on the spin lock at {}{}, and no vCPU that could release it can "
                  "run: a deadlock.",
                  waiter, static_cast<const void*>(lock),
                  Parenthesised(host_.DescribeLock(Address(lock)))),
      contexts);
  // Driver Verifier's deadlock detection names the lock; a kernel without it spins until the
  // watchdog fires, which kemu reports as the checked kernel's "already owned" code.
  if (deadlock_detection_) {
    host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
                 .parameters = {verifier_code::kDeadlock, Address(lock), 0, 0},
                 .parameter_names = {"0x1001: deadlock", "lock address", nullptr, nullptr},
                 .summary = summary});
  }
  host_.Crash({.code = bugcheck::kSpinLockAlreadyOwned,
               .parameters = {Address(lock), 0, 0, 0},
               .parameter_names = {"spin lock address", nullptr, nullptr, nullptr},
               .summary = summary});
}

void Verifier::WaitNeverCompletes(unsigned cpu, const std::string& waiter, const std::string& what,
                                  const std::vector<std::string>& contexts) {
  // Windows would hang here, in every mode; kemu stops the test with the wait-for report instead.
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kWaitNeverCompletes, cpu, 0, 0},
               .parameter_names = {"kemu: a wait that can never complete", "waiting vCPU", nullptr,
                                   nullptr},
               .summary = WaitForReport(
                   fmt::format("{} waits for {}, and no vCPU can ever provide it.", waiter, what),
                   contexts)});
}

}  // namespace kemu::verifier
