// Rules only reader/writer spin locks (EX_SPIN_LOCK) have: docs/verifier-rules.md, "Reader/writer
// spin locks". Windows documents no check of its own for either; the codes are those of the
// ordinary spin-lock rule each corresponds to, and kemu's sub-code where there is none.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

const char* HoldName(unsigned hold) {
  switch (hold) {
    case 1:
      return "shared";
    case 2:
      return "exclusive";
    default:
      return "not at all";
  }
}

}  // namespace

void Verifier::ExSpinLockNotZeroed(const char* routine, const void* lock, LONG word) {
  const std::string summary = fmt::format(
      "{} was given the reader/writer spin lock at {}, whose word is {:#x}: an EX_SPIN_LOCK must "
      "be set to zero before its first use (there is no initialisation routine).",
      routine, lock, static_cast<ULONG>(word));
  // UNCONFIRMED what the stray bits mean to Windows; as for an ordinary lock whose word says it
  // is held, kemu reports the spin that never ends.
  UninitializedLock(lock, summary, summary + " A kernel without Verifier may spin here forever.");
}

void Verifier::ExSpinLockWrongMode(const char* routine, const void* lock, unsigned held,
                                   unsigned wanted, bool release) {
  const std::string summary = fmt::format(
      "{} needs this processor to hold the reader/writer spin lock at {} {}, and it holds it {}. "
      "Release a lock with the routine of the mode it was acquired in (a converted lock is "
      "exclusive), and convert only a lock held shared.",
      routine, lock, HoldName(wanted), HoldName(held));
  if (release && mode_ == CheckMode::kVerifier && host_.personality().verifier_lock_api_checks) {
    // Verifier's "released with a mismatched API", as for an ordinary lock given to a queued
    // release: Windows 7's Verifier and later (the 0xC4 table marks 0x1009 so). Vista's falls
    // through to kemu's own report below.
    host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                    .parameters = {verifier_code::kMismatchedLockRelease, Address(lock), 0, 0},
                    .parameter_names = {"0x1009: lock released with a mismatched API",
                                        "lock address", nullptr, nullptr},
                    .summary = summary});
    return;
  }
  // UNCONFIRMED: Windows checks nothing here, and the lock word's shared count or exclusive bit
  // is then corrupted, leaving every later acquirer spinning; kemu stops at the cause in every
  // mode.
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kExSpinLockWrongMode, Address(lock), held, wanted},
       .parameter_names = {"kemu: reader/writer spin lock used in the wrong mode", "lock address",
                           "how this processor holds it (0 no, "
                           "1 shared, 2 exclusive)",
                           "the hold the routine needs (1 shared, 2 exclusive)"},
       .summary = summary});
}

}  // namespace kemu::verifier
