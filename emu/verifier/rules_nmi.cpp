// Rules for NMI callbacks (KeRegisterNmiCallback; docs/kernel.md, "NMI callbacks").
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::UnhandledNmi(unsigned cpu, unsigned registered) {
  // Microsoft documents no parameters for 0x80 (the HAL fills them, hardware-specific): kemu
  // passes the vCPU and how many callbacks declined (UNCONFIRMED).
  host_.BugCheck(
      {.code = bugcheck::kNmiHardwareFailure,
       .parameters = {cpu, registered, 0, 0},
       .parameter_names = {"kemu: the vCPU the NMI arrived on",
                           "kemu: NMI callbacks registered (none returned TRUE)", nullptr, nullptr},
       .summary =
           registered == 0
               ? fmt::format("A nonmaskable interrupt arrived on vCPU {} and no NMI callback "
                             "was registered (KeRegisterNmiCallback), so the HAL's default "
                             "handler stopped the system.",
                             cpu)
               : fmt::format("A nonmaskable interrupt arrived on vCPU {} and none of the {} "
                             "registered NMI callbacks returned TRUE, so the HAL's default "
                             "handler stopped the system. A callback returns TRUE when its "
                             "own device raised the NMI.",
                             cpu, registered)});
}

void Verifier::NmiRule(const void* routine, std::uint64_t rule, std::uint64_t value,
                       const std::string& summary) {
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kNmiCallback, Address(routine), rule, value},
               .parameter_names = {"kemu: NMI callback misuse", "NMI callback routine",
                                   "rule (kemu::nmi_rule)", "by rule: the IRQL it returned at"},
               .summary = summary});
}

void Verifier::NmiCallbackChangedIrql(const void* routine, KIRQL after) {
  // An NMI callback runs at HIGH_LEVEL and must leave it so: the NMI's exit restores the
  // interrupted IRQL it saved, and the callbacks after this one would run at the wrong level.
  // Microsoft documents no check (kemu's sub-code, in every mode, as for an ISR's 0xC8).
  NmiRule(
      routine, nmi_rule::kChangedIrql, after,
      fmt::format("The NMI callback {} was called at HIGH_LEVEL and returned at IRQL {}; an NMI "
                  "callback must return at the IRQL it was called at.",
                  routine, after));
}

void Verifier::NmiCallbackReturnedHoldingLock(const void* routine) {
  // UNCONFIRMED, as for an ISR: only Verifier is assumed to look. The lock stays held by the vCPU.
  if (mode_ != CheckMode::kVerifier) return;
  NmiRule(routine, nmi_rule::kReturnedHoldingLock, 0,
          fmt::format("The NMI callback {} returned with a spin lock it acquired still held. An "
                      "NMI callback may not take spin locks at all: the NMI can interrupt the "
                      "lock's holder on the same processor, which then never gets it back.",
                      routine));
}

}  // namespace kemu::verifier
