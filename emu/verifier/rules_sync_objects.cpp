// Rules for semaphores, kernel mutexes, fast and guarded mutexes (docs/kernel.md, "Semaphores and
// mutexes") and run-down protection ("Run-down protection").
#include <fmt/format.h>

#include <utility>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

constexpr std::uint64_t kStatusMutantNotOwned = 0xC0000046;
constexpr std::uint64_t kStatusSemaphoreLimitExceeded = 0xC0000047;

}  // namespace

void Verifier::SemaphoreLimitExceeded(const char* routine, const void* semaphore, LONG count,
                                      LONG adjustment, LONG limit) {
  host_.Crash(Raised(
      kStatusSemaphoreLimitExceeded, "exception code: STATUS_SEMAPHORE_LIMIT_EXCEEDED",
      fmt::format("{} added {} to the semaphore at {}, whose count is {} and limit {}: the count "
                  "would pass the limit (or the adjustment is negative), so the routine "
                  "raised STATUS_SEMAPHORE_LIMIT_EXCEEDED and left the count unchanged. Release "
                  "a semaphore once per wait it satisfied.",
                  routine, adjustment, semaphore, count, limit)));
}

void Verifier::MutexNotOwned(const char* routine, const void* mutex, std::uintptr_t owner,
                             std::uintptr_t current) {
  const std::string owned_by = owner == 0
                                   ? std::string("no thread owns it")
                                   : fmt::format("it is owned by the thread at {:#x}", owner);
  host_.Crash(Raised(kStatusMutantNotOwned, "exception code: STATUS_MUTANT_NOT_OWNED",
                     fmt::format("{} released the kernel mutex at {} from the thread at {:#x}, "
                                 "but {}: only the owner may release a mutex, once per wait "
                                 "that acquired it. The routine raised STATUS_MUTANT_NOT_OWNED.",
                                 routine, mutex, current, owned_by)));
}

void Verifier::MutexReleasedAtOtherIrql(const char* routine, const void* mutex,
                                        bool acquired_at_dispatch, KIRQL current) {
  // The KeReleaseMutex page: a mutex "acquired at IRQL = DISPATCH_LEVEL and the thread is not
  // running at DISPATCH_LEVEL (and vice versa)" raises STATUS_ABANDONED or
  // STATUS_MUTANT_NOT_OWNED; which of the two for this case is UNCONFIRMED.
  host_.Crash(Raised(
      kStatusMutantNotOwned, "exception code: STATUS_MUTANT_NOT_OWNED",
      fmt::format("{} released the kernel mutex at {} at IRQL {}, but the wait that acquired it "
                  "ran {} DISPATCH_LEVEL: a mutex is released at the IRQL class it was acquired "
                  "at. The routine raised STATUS_MUTANT_NOT_OWNED.",
                  routine, mutex, current, acquired_at_dispatch ? "at" : "below")));
}

void Verifier::SyncObjectPageable(const char* routine, const char* kind, const void* object,
                                  const std::string& where) {
  // Microsoft's Force IRQL Checking page: from Vista on, Verifier detects these objects in
  // pageable memory. When it looks is not documented; kemu looks where the driver initialises one
  // (UNCONFIRMED). A kernel without Verifier faults only if the page is out when it is touched
  // at DISPATCH_LEVEL, which kemu does not model.
  if (mode_ != CheckMode::kVerifier || host_.personality().os < Os::kWindowsVista) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kSyncObjectPageable, Address(object), 0, 0},
       .parameter_names = {"0xE1: synchronization object in pageable memory",
                           "synchronization object", "reserved", "reserved"},
       .summary = fmt::format(
           "{} initialised the {} at {} in pageable memory ({}). The kernel touches a "
           "synchronization object at DISPATCH_LEVEL, where paged memory may not be resident: "
           "put it in nonpaged pool, a device extension or a nonpaged global.",
           routine, kind, object, where)});
}

void Verifier::MutexAcquiredBySelf(const char* routine, const char* kind, const void* mutex,
                                   const std::vector<std::string>& contexts) {
  const std::string summary = fmt::format(
      "{} acquired the {} at {}, which this thread already owns: a {} cannot be acquired "
      "recursively, so the thread waits for itself for ever.",
      routine, kind, mutex, kind);
  if (deadlock_detection_) {
    host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
                 .parameters = {verifier_code::kSelfDeadlock, Address(mutex), 0, 0},
                 .parameter_names = {"0x1000: self-deadlock (a thread acquired a resource it "
                                     "owns)",
                                     "resource address", nullptr, nullptr},
                 .summary = summary});
  }
  // Without Verifier the thread hangs: the report a hang gets.
  WaitNeverCompletes(host_.current_processor(), host_.RunningContext(), summary, contexts);
}

void Verifier::MutexReleasedByNonOwner(const char* routine, const char* kind, const void* mutex,
                                       std::uintptr_t owner, std::uintptr_t current) {
  const bool unowned = owner == 0;
  const std::string summary =
      unowned ? fmt::format("{} released the {} at {}, which no thread owns.", routine, kind, mutex)
              : fmt::format(
                    "{} released the {} at {} from the thread at {:#x}; the thread at {:#x} owns "
                    "it.",
                    routine, kind, mutex, current, owner);
  // A kernel without Verifier's deadlock detection (Windows 2000's included) does not look.
  if (!deadlock_detection_) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {unowned ? verifier_code::kUnacquiredRelease
                              : verifier_code::kWrongThreadRelease,
                      Address(mutex), 0, 0},
       .parameter_names = {unowned ? "0x1007: release of an unacquired resource"
                                   : "0x1004: resource released by a thread that does not own "
                                     "it",
                           "resource address", nullptr, nullptr},
       .summary = summary});
}

void Verifier::UnsafeMutexWithApcsEnabled(const char* routine, const void* mutex, KIRQL current,
                                          bool acquiring) {
  ApcsEnabled(acquiring ? verifier_code::kAcquireUnsafeMutexApcsEnabled
                        : verifier_code::kReleaseUnsafeMutexApcsEnabled,
              acquiring ? "0x39: mutex acquired unsafe with APCs enabled"
                        : "0x3A: mutex released unsafe with APCs enabled",
              current, mutex, "mutex",
              fmt::format("{} was called at IRQL {} outside any critical region: the Unsafe "
                          "fast-mutex routines need APCs disabled, at APC_LEVEL or between "
                          "KeEnterCriticalRegion and KeLeaveCriticalRegion.",
                          routine, current));
}

void Verifier::ApcsEnabled(std::uint64_t code, const char* code_name, KIRQL current,
                           const void* object, const char* object_name, std::string summary) {
  if (mode_ != CheckMode::kVerifier) return;  // nothing else looks: APCs may run in between
  // Arg3 is the thread's APC disable count: 0 here, since no region is entered and no kernel
  // mutex owned.
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {code, current, 0, Address(object)},
       .parameter_names = {code_name, "current IRQL", "thread APC disable count", object_name},
       .summary = std::move(summary)});
}

void Verifier::GuardedRegionUnderflow(const char* routine) {
  host_.BugCheck(
      {.code = bugcheck::kApcIndexMismatch,
       .parameters = {0, 0, 0xFFFF, 0},
       .parameter_names = {"system call or worker routine (not available in kemu)", "ApcStateIndex",
                           "SpecialApcDisable after the call", "0: a kernel call"},
       .summary = fmt::format("{} left a guarded region the thread is not in: each "
                              "KeLeaveGuardedRegion (and each guarded mutex release) needs the "
                              "KeEnterGuardedRegion (or acquire) before it.",
                              routine)});
}

void Verifier::RundownReleaseNotAcquired(const char* routine, const void* ref, std::uint64_t held,
                                         std::uint64_t released) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kRundownReleaseNotAcquired, Address(ref), held, released},
       .parameter_names = {"kemu: run-down protection released that was not acquired",
                           "EX_RUNDOWN_REF", "references held", "references released"},
       .summary = fmt::format(
           "{} released {} reference(s) of run-down protection on {}, which holds {}: the driver "
           "releases what it never acquired (or what a failed ExAcquireRundownProtection did not "
           "give). Release only after an acquire that returned TRUE, once per success.",
           routine, released, ref, held)});
}

}  // namespace kemu::verifier
