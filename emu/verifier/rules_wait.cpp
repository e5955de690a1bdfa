// Rules for events, waits, critical regions and work items.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::InvalidKernelObject(const char* routine, const char* expected, const void* object) {
  host_.Crash(NotAKernelObject(
      object, fmt::format("{} was given {}, which is not {}. Initialize the object first "
                          "(KeInitializeEvent, KeInitializeTimer(Ex), IoAllocateWorkItem, ...) "
                          "and pass its address.",
                          routine, object, expected)));
}

void Verifier::SetEventAboveDispatch(const char* routine, KIRQL current, const void* event) {
  const std::string summary = fmt::format(
      "{} was called at IRQL {}; it may only be called at IRQL <= DISPATCH_LEVEL. Signal the "
      "event from a DPC the ISR queues.",
      routine, current);
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck(
          {.code = bugcheck::kDriverVerifierDetectedViolation,
           .parameters = {verifier_code::kSetEventAboveDispatch, current, Address(event), 0},
           .parameter_names = {"0x80: KeSetEvent above DISPATCH_LEVEL", "current IRQL",
                               "event address", nullptr},
           .summary = summary});
      return;
    case CheckMode::kChecked:
      host_.BugCheck(IrqlFault(current, summary));
      return;
    case CheckMode::kRetail:
      return;  // the dispatcher lock is taken at SYNCH_LEVEL; a retail kernel does not look
  }
}

void Verifier::WaitBlocksAtDispatch(const char* routine, KIRQL current, bool in_dpc,
                                    std::uintptr_t thread) {
  if (in_dpc) {
    // A DPC routine has no thread of its own to switch out: the kernel stops at the switch.
    host_.Crash(
        {.code = bugcheck::kAttemptedSwitchFromDpc,
         .parameters = {thread, 0, 0, 0},
         .parameter_names = {"the original thread", "the new thread (not available in kemu)",
                             "the original thread's stack (not available in kemu)", nullptr},
         .summary = fmt::format(
             "{} had to block inside a DPC routine: a DPC cannot wait. Poll with a zero "
             "timeout, or hand the wait to a work item or a thread at PASSIVE_LEVEL.",
             routine)});
  }
  // UNCONFIRMED which code each kernel shows: the thread cannot be switched out above APC_LEVEL;
  // kemu reports the classic IRQL fault.
  host_.Crash(IrqlFault(
      current, fmt::format("{} had to block at IRQL {}: a thread can wait with a nonzero timeout "
                           "only at IRQL <= APC_LEVEL. Poll with a zero timeout at "
                           "DISPATCH_LEVEL, or wait at PASSIVE_LEVEL.",
                           routine, current)));
}

void Verifier::TooManyWaitObjects(ULONG count, bool have_wait_blocks) {
  host_.Crash({.code = bugcheck::kMaximumWaitObjectsExceeded,
               .parameters = {0, 0, 0, 0},
               .parameter_names = {nullptr, nullptr, nullptr, nullptr},
               .summary = fmt::format(
                   "KeWaitForMultipleObjects was asked to wait for {} objects{}; at most {} may be "
                   "named, and more than {} need a KWAIT_BLOCK array.",
                   count, have_wait_blocks ? "" : " without a KWAIT_BLOCK array",
                   MAXIMUM_WAIT_OBJECTS, THREAD_WAIT_OBJECTS)});
}

void Verifier::CriticalRegionUnderflow(int count) {
  if (mode_ == CheckMode::kVerifier) {
    host_.BugCheck(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {verifier_code::kLeaveCriticalRegionNotEntered, 0, 0, 0},
         .parameter_names = {"0x3E: KeLeaveCriticalRegion outside a critical region", nullptr,
                             nullptr, nullptr},
         .summary = "KeLeaveCriticalRegion was called without a matching KeEnterCriticalRegion."});
    return;
  }
  host_.BugCheck(
      {.code = bugcheck::kApcIndexMismatch,
       .parameters = {0, 0, static_cast<std::uint64_t>(static_cast<std::uint16_t>(count - 1)), 0},
       .parameter_names = {"system call or worker routine (not available in kemu)", "ApcStateIndex",
                           "KernelApcDisable after the call", "0: a kernel call"},
       .summary = "KeLeaveCriticalRegion was called without a matching KeEnterCriticalRegion."});
}

void Verifier::WorkItemQueuedTwice(const char* routine, const void* item, int queue_type) {
  host_.BugCheck(
      {.code = bugcheck::kWorkerInvalid,
       .parameters = {worker_invalid::kActiveItemQueued, Address(item),
                      static_cast<std::uint64_t>(queue_type), 0},
       .parameter_names = {"1: an active work item was queued", "work item", "queue number",
                           nullptr},
       .summary = fmt::format("{} queued the work item at {} while it was still queued. Queue a "
                              "work item again only once its routine has started.",
                              routine, item)});
}

void Verifier::QueuedWorkItemFreed(const char* routine, const void* item, std::uintptr_t worker) {
  host_.BugCheck(
      {.code = bugcheck::kWorkerInvalid,
       .parameters = {worker_invalid::kQueuedItemFreed, Address(item), worker, 0},
       .parameter_names = {"2: a queued work item was freed", "work item", "worker routine",
                           nullptr},
       .summary = fmt::format("{} freed the work item at {} while it was still queued; its "
                              "routine would run on freed memory. Free it in its routine, or "
                              "after the routine signalled that it ran.",
                              routine, item)});
}

void Verifier::ActiveWorkItemInFreedPool(const char* routine, const void* item, const void* begin,
                                         const void* end) {
  host_.BugCheck(
      {.code = bugcheck::kWorkerInvalid,
       .parameters = {worker_invalid::kActiveItemFreed, Address(item), Address(begin),
                      Address(end)},
       .parameter_names = {"0: an active work item was freed", "work item",
                           "start of the pool block", "end of the pool block"},
       .summary = fmt::format("{} freed the pool block at {} while the work item at {} in it was "
                              "still queued; its routine would run on freed memory. Free the "
                              "block in the routine, or after the routine signalled that it ran.",
                              routine, begin, item)});
}

void Verifier::InvalidWorkQueueType(const char* routine, const void* item, int queue_type) {
  host_.BugCheck(
      {.code = bugcheck::kWorkerInvalid,
       .parameters = {worker_invalid::kInvalidQueueType, Address(item),
                      static_cast<std::uint64_t>(static_cast<std::uint32_t>(queue_type)), 0},
       .parameter_names = {"6: an invalid queue type", "work item", "queue number", nullptr},
       .summary = fmt::format("{} was given queue type {}, which names no worker queue. "
                              "Drivers use DelayedWorkQueue (or CriticalWorkQueue).",
                              routine, queue_type)});
}

void Verifier::InvalidWorkerRoutine(const void* item, int queue_type) {
  host_.BugCheck(
      {.code = bugcheck::kWorkerInvalid,
       .parameters = {worker_invalid::kInvalidWorkerRoutine, Address(item),
                      static_cast<std::uint64_t>(static_cast<std::uint32_t>(queue_type)), 0},
       .parameter_names = {"7: an invalid worker routine", "work item", "queue number", nullptr},
       .summary = fmt::format("ExQueueWorkItem queued the work item at {} with no WorkerRoutine: "
                              "initialize it with ExInitializeWorkItem first.",
                              item)});
}

void Verifier::WorkItemReturnedAtRaisedIrql(std::uintptr_t routine, KIRQL irql, const void* context,
                                            const void* item) {
  host_.Crash({.code = bugcheck::kWorkerThreadReturnedAtBadIrql,
               .parameters = {routine, irql, Address(context), Address(item)},
               .parameter_names = {"worker routine", "IRQL", "work item parameter", "work item"},
               .summary = fmt::format("A work item routine returned at IRQL {}; it runs at "
                                      "PASSIVE_LEVEL and must return there.",
                                      irql)});
}

void Verifier::WorkItemApcIndexMismatch(std::uintptr_t routine, int critical_regions) {
  host_.Crash({.code = bugcheck::kApcIndexMismatch,
               .parameters = {routine, 0, static_cast<std::uint16_t>(-critical_regions), 1},
               .parameter_names = {"worker routine", "ApcStateIndex", "KernelApcDisable",
                                   "1: a worker routine"},
               .summary =
                   "A work item routine returned inside a critical region it entered (or left one "
                   "it did not enter): KeEnterCriticalRegion and KeLeaveCriticalRegion must pair "
                   "up within the routine."});
}

void Verifier::WorkItemReturnedOwningMutex(std::uintptr_t routine, const void* context,
                                           const void* item, std::uintptr_t mutex) {
  // Bug Check 0x39 SYSTEM_EXIT_OWNED_MUTEX: the worker thread checks every routine it runs, so
  // every kernel raises it, Verifier or not.
  host_.Crash({.code = bugcheck::kSystemExitOwnedMutex,
               .parameters = {routine, reinterpret_cast<std::uintptr_t>(context),
                              reinterpret_cast<std::uintptr_t>(item), 0},
               .parameter_names = {"worker routine", "its parameter", "work item", nullptr},
               .summary = fmt::format(
                   "A work item routine returned still owning the kernel mutex at {:#x}: the "
                   "worker thread goes on to other work items and the mutex is never released. "
                   "Release it (KeReleaseMutex) before the routine returns.",
                   mutex)});
}

}  // namespace kemu::verifier
