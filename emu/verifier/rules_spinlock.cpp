// Spin-lock rules: docs/windows-facts.md §6.2-6.3, conformance SL-6..SL-8.
#include <fmt/format.h>

#include <string>
#include <utility>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
void Verifier::AcquireAboveDispatch(const char* routine, PKSPIN_LOCK lock, KIRQL current) {
  const std::string summary = fmt::format(
      "{} was called at IRQL {} for the spin lock at {}. Spin locks are acquired at IRQL <= "
      "DISPATCH_LEVEL; above it use an interrupt spin lock (KeAcquireInterruptSpinLock).",
      routine, current, static_cast<const void*>(lock));
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck(
          {.code = bugcheck::kDriverVerifierDetectedViolation,
           .parameters = {verifier_code::kAcquireSpinLockAboveDispatch, current, Address(lock), 0},
           .parameter_names = {"0x42: KeAcquireSpinLock above DISPATCH_LEVEL", "current IRQL",
                               "spin lock address", nullptr},
           .summary = summary});
      return;
    case CheckMode::kChecked:
      host_.BugCheck({.code = bugcheck::kIrqlNotGreaterOrEqual,
                      .parameters = {current, DISPATCH_LEVEL, 0, 0},
                      .parameter_names = {"current IRQL", "requested IRQL", nullptr, nullptr},
                      .summary = summary});
      return;
    case CheckMode::kRetail:
      return;  // SL-6: the IRQL drops to DISPATCH_LEVEL while the lock is held
  }
}

namespace {

// A checked kernel's 0x10 SPIN_LOCK_NOT_OWNED for a release of `lock` it does not hold (Windows
// 2000's Verifier included, which had no deadlock detection).
Violation SpinLockNotOwned(PKSPIN_LOCK lock, const std::string& summary) {
  return {.code = bugcheck::kSpinLockNotOwned,
          .parameters = {Address(lock), 0, 0, 0},
          .parameter_names = {"spin lock address", nullptr, nullptr, nullptr},
          .summary = summary};
}

// Where the call came from matters: below DISPATCH_LEVEL inside a DPC routine is a threaded DPC
// (docs/kernel.md, "Threaded DPCs"), whose locks take the routines that work at either level.
std::string AtDpcLevelSummary(const char* routine, KIRQL current, bool acquiring,
                              const std::string& callback) {
  std::string text = fmt::format("{} was called at IRQL {}; it requires DISPATCH_LEVEL or above",
                                 routine, current);
  if (callback.starts_with("a DPC routine") || callback.starts_with("a threaded DPC routine")) {
    return text + fmt::format(
                      ". It was called from {}: a DPC routine running below DISPATCH_LEVEL is a "
                      "threaded DPC (KeInitializeThreadedDpc), which runs at PASSIVE_LEVEL. "
                      "Take its locks with {}, which work at either level.",
                      callback,
                      acquiring ? "KeAcquireSpinLock or KeAcquireSpinLockForDpc "
                                  "(KeAcquireInStackQueuedSpinLockForDpc)"
                                : "KeAcquireSpinLock / KeReleaseSpinLock or the ...ForDpc pair");
  }
  text += acquiring ? " (use KeAcquireSpinLock at lower IRQLs)" : "";
  if (!callback.empty()) text += fmt::format("; it was called from {}", callback);
  return text + ".";
}

}  // namespace

void Verifier::AtDpcLevelBelowDispatch(const char* routine, PKSPIN_LOCK lock, KIRQL current,
                                       bool acquiring) {
  if (mode_ != CheckMode::kVerifier) return;  // SL-7: kernels without Verifier do not look
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {acquiring ? verifier_code::kAcquireAtDpcLevelBelowDispatch
                                : verifier_code::kReleaseFromDpcLevelBelowDispatch,
                      current, Address(lock), 0},
       .parameter_names = {acquiring ? "0x40: KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL"
                                     : "0x41: KeReleaseSpinLockFromDpcLevel below DISPATCH_LEVEL",
                           "current IRQL", "spin lock address", nullptr},
       .summary = AtDpcLevelSummary(routine, current, acquiring, host_.RunningCallback())});
}

void Verifier::ReleaseNotAtDispatch(const char* routine, PKSPIN_LOCK lock, KIRQL current,
                                    bool queued, KIRQL old_irql) {
  if (mode_ != CheckMode::kVerifier) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kReleaseSpinLockNotAtDispatch, current, Address(lock), 0},
       .parameter_names = {"0x32: spin lock released at an IRQL other than DISPATCH_LEVEL",
                           "current IRQL", "spin lock address", nullptr},
       .summary = fmt::format(
           "{} was called at IRQL {} for {} spin lock at {} (it would restore IRQL {}). A held "
           "spin lock keeps the processor at DISPATCH_LEVEL; this is often a double release.",
           routine, current, queued ? "the queued" : "the", static_cast<const void*>(lock),
           old_irql)});
}

void Verifier::AcquireUninitialized(const char* routine, PKSPIN_LOCK lock,
                                    const std::string& freed_block) {
  // In freed memory the lock was initialised once, and its word is whatever the memory holds now.
  const std::string why =
      freed_block.empty()
          ? "never initialised"
          : fmt::format(
                "not a live lock: it lies at {}, so the driver uses it after freeing the "
                "memory it lives in",
                freed_block);
  UninitializedLock(
      lock,
      freed_block.empty() ? fmt::format("{} was given the spin lock at {}, which was never "
                                        "initialised with KeInitializeSpinLock.",
                                        routine, static_cast<const void*>(lock))
                          : fmt::format("{} was given the spin lock at {}: {}.", routine,
                                        static_cast<const void*>(lock), why),
      // Under deadlock detection the word is never read: the lock may lie in memory the host took
      // back (elsewhere the caller read it already).
      deadlock_detection_
          ? std::string()
          : fmt::format("{} was given the spin lock at {}: {}, and its word ({:#x}) says it is "
                        "held. A kernel without Verifier spins here forever.",
                        routine, static_cast<const void*>(lock), why, *lock));
}

void Verifier::UninitializedLock(const void* lock, std::string verifier_summary,
                                 std::string spin_summary) {
  if (deadlock_detection_) {
    host_.Crash(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {verifier_code::kUninitializedResource, Address(lock), 0, 0},
         .parameter_names = {"0x1002: uninitialized resource", "lock address", nullptr, nullptr},
         .summary = std::move(verifier_summary)});
  }
  // Windows 2000's Verifier: the kernel spins on the word, which kemu does not read under Verifier.
  host_.Crash(
      {.code = bugcheck::kSpinLockAlreadyOwned,
       .parameters = {Address(lock), 0, 0, 0},
       .parameter_names = {"spin lock address", nullptr, nullptr, nullptr},
       .summary = spin_summary.empty() ? std::move(verifier_summary) : std::move(spin_summary)});
}

void Verifier::AcquireOwnedBySelf(const char* routine, PKSPIN_LOCK lock, bool try_only) {
  if (mode_ == CheckMode::kRetail && try_only) return;  // SL-8: an MP retail kernel says FALSE
  // A try never spins, so it does not deadlock; it is still the recursive acquire SL-8 says a
  // checked kernel stops (whether Deadlock Detection looks at a try is UNCONFIRMED).
  const char* consequence = try_only ? "a try on a lock this processor holds is a recursive "
                                       "acquire (a retail multiprocessor kernel returns FALSE)."
                            : mode_ == CheckMode::kRetail ? "a retail kernel deadlocks here."
                                                          : "this deadlocks.";
  SelfDeadlock(lock, fmt::format("{} was called for the spin lock at {}, which this processor "
                                 "already holds. Spin locks are not recursive: {}",
                                 routine, static_cast<const void*>(lock), consequence));
}

void Verifier::InterruptOnHeldLock(PKSPIN_LOCK lock, unsigned cpu, KIRQL irql, ULONG vector,
                                   KIRQL dirql, std::optional<LowSynchronizeIrql> low) {
  // Windows' dispatch takes the interrupt's lock as any acquire does: a checked kernel finds it
  // owned (0xF), Verifier's deadlock detection sees the recursion (0x1000), a retail kernel spins
  // for ever. Holding a spin lock is holding its IRQL: the misuse is holding it below DIRQL,
  // either by a SynchronizeIrql lower than the DIRQL of another interrupt sharing the lock (which
  // IoConnectInterrupt documents must be the highest of them) or by lowering the IRQL.
  const std::string cause =
      low ? fmt::format(
                "the interrupt connected on vector {:#x} (DIRQL {}) shares this lock but "
                "was given SynchronizeIrql {}, below DIRQL {}: its ISR and "
                "KeSynchronizeExecution hold the lock at IRQL {}, where vector {:#x} "
                "preempts them. Every interrupt that shares a spin lock must be "
                "connected with the highest DIRQL among them as its SynchronizeIrql",
                low->vector, low->dirql, low->synchronize_irql, dirql, low->synchronize_irql,
                vector)
          : std::string(
                "the code that took the lock lowered the IRQL below DIRQL while holding "
                "it (a spin lock must be held at the IRQL it was acquired at)");
  SelfDeadlock(lock, fmt::format("vector {:#x} (DIRQL {}) became deliverable to vCPU {} at IRQL "
                                 "{}, which holds the interrupt's spin lock at {}: {}, so the "
                                 "interrupt's dispatch spins on a lock its own processor holds. "
                                 "This deadlocks.",
                                 vector, dirql, cpu, irql, static_cast<const void*>(lock), cause));
}

void Verifier::SelfDeadlock(PKSPIN_LOCK lock, const std::string& what) {
  // Which callback spun matters most when it is an NMI callback: the NMI interrupted the lock's
  // holder on its own processor, which is why NMI callbacks must not take spin locks at all.
  std::string summary = what;
  if (const std::string callback = host_.RunningCallback(); !callback.empty()) {
    summary += fmt::format(" It was called from {}", callback);
    summary += callback.starts_with("an NMI callback")
                   ? ": an NMI interrupts whatever its processor runs, the lock's holder included, "
                     "so an NMI callback must not take spin locks."
                   : ".";
  }
  if (deadlock_detection_) {
    host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
                 .parameters = {verifier_code::kSelfDeadlock, Address(lock), 0, 0},
                 .parameter_names = {"0x1000: self-deadlock", "lock address", nullptr, nullptr},
                 .summary = summary});
  }
  host_.Crash({.code = bugcheck::kSpinLockAlreadyOwned,
               .parameters = {Address(lock), 0, 0, 0},
               .parameter_names = {"spin lock address", nullptr, nullptr, nullptr},
               .summary = summary});
}

void Verifier::ReleaseNotOwned(const char* routine, PKSPIN_LOCK lock) {
  const std::string summary = fmt::format("{} released the spin lock at {}, which is not held.",
                                          routine, static_cast<const void*>(lock));
  if (deadlock_detection_) {
    host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                    .parameters = {verifier_code::kUnacquiredRelease, Address(lock), 0, 0},
                    .parameter_names = {"0x1007: release of an unacquired resource", "lock address",
                                        nullptr, nullptr},
                    .summary = summary});
    return;
  }
  if (mode_ != CheckMode::kRetail) host_.BugCheck(SpinLockNotOwned(lock, summary));
}

void Verifier::ReleaseToOtherIrql(const char* routine, PKSPIN_LOCK lock, KIRQL new_irql,
                                  KIRQL old_irql) {
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_ddi_compliance) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kIrqlKeReleaseSpinLock, 0, 0, 0},
       .parameter_names = {"DDI compliance rule IrqlKeReleaseSpinLock",
                           "rule description (not available in kemu)",
                           "rule state (not available in kemu)", nullptr},
       .summary = fmt::format(
           "{} released the spin lock at {} to IRQL {}, but the KeAcquireSpinLock that took it "
           "returned IRQL {}: NewIrql must be the OldIrql the acquire returned.",
           routine, static_cast<const void*>(lock), new_irql, old_irql)});
}

void Verifier::FreedHeldLock(const char* routine, const void* lock, const char* kind,
                             std::uintptr_t owner_thread, const void* begin, const void* end) {
  if (!deadlock_detection_ || host_.personality().os < Os::kWindows7) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kDeletedLockOwned, Address(lock), owner_thread, 0},
       .parameter_names = {"0x100B: a deleted lock is still owned", "lock address", "owner thread",
                           "Driver Verifier internal address (0 in kemu)"},
       .summary = fmt::format(
           "{} freed the pool block {}..{}, which holds the {} at {}, still acquired by the "
           "thread at {:#x}. Release every lock in a block before freeing it.",
           routine, begin, end, kind, lock, owner_thread)});
}

void Verifier::ReleaseByOtherProcessor(const char* routine, PKSPIN_LOCK lock,
                                       std::uintptr_t owner_thread, std::uintptr_t current_thread) {
  const std::string summary =
      fmt::format("{} released the spin lock at {} on a processor that does not hold it.", routine,
                  static_cast<const void*>(lock));
  if (deadlock_detection_) {
    host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                    .parameters = {verifier_code::kWrongThreadRelease, Address(lock), owner_thread,
                                   current_thread},
                    .parameter_names = {"0x1004: released by the wrong thread", "lock address",
                                        "owning thread", "releasing thread"},
                    .summary = summary});
    return;
  }
  if (mode_ != CheckMode::kRetail) host_.BugCheck(SpinLockNotOwned(lock, summary));
}

void Verifier::MismatchedLockApi(const char* routine, PKSPIN_LOCK lock, bool acquiring,
                                 const char* lock_kind) {
  // Only Windows 7's Verifier and later compare the routine family with the lock's first use.
  if (mode_ != CheckMode::kVerifier || !host_.personality().verifier_lock_api_checks) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {acquiring ? verifier_code::kMismatchedLockAcquire
                                : verifier_code::kMismatchedLockRelease,
                      Address(lock), 0, 0},
       .parameter_names = {acquiring ? "0x1008: lock acquired with a mismatched API"
                                     : "0x1009: lock released with a mismatched API",
                           "lock address", nullptr, nullptr},
       .summary = fmt::format("{} was used on the spin lock at {}, which is {}. Never mix "
                              "queued and ordinary spin-lock routines on one lock.",
                              routine, static_cast<const void*>(lock), lock_kind)});
}

void Verifier::QueuedReleaseThroughOtherHandle(const char* routine, PKSPIN_LOCK lock,
                                               const void* passed, std::uintptr_t acquired_with) {
  const std::string summary = fmt::format(
      "{} released the in-stack queued spin lock at {} through the KLOCK_QUEUE_HANDLE at {}, but "
      "it was acquired with the handle at {:#x}. Release through the very handle the acquire was "
      "given (not a copy of it), while it is still in scope.",
      routine, static_cast<const void*>(lock), passed, acquired_with);
  if (mode_ == CheckMode::kVerifier) {
    host_.Crash(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {verifier_code::kQueuedReleaseThroughOtherHandle, Address(lock),
                        Address(passed), acquired_with},
         .parameter_names = {"kemu: queued lock released through another handle", "lock address",
                             "handle passed to the release", "handle the acquire was given"},
         .summary = summary});
  }
  // UNCONFIRMED: the lock word names the acquiring handle, so a kernel without Verifier finds no
  // match, takes the copy for a handle whose successor is still linking in, and spins for that
  // successor forever. kemu ends the wait as it ends other spin-lock deadlocks.
  host_.Crash({.code = bugcheck::kSpinLockAlreadyOwned,
               .parameters = {Address(lock), 0, 0, 0},
               .parameter_names = {"spin lock address", nullptr, nullptr, nullptr},
               .summary = summary + " A kernel without Verifier spins here forever."});
}

}  // namespace kemu::verifier
