// kemu::BugCheck, bug-check names, and the failure handler for reports nothing can throw.
#include "kemu/bugcheck.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace kemu {
namespace {

// Which handler a thread's un-throwable failures go to. Like the current machine it is a
// thread-local scope rather than a process-wide setting, so two test threads cannot disturb
// each other.
thread_local FailureHandler failure_handler = nullptr;

}  // namespace

std::string_view BugCheckName(std::uint32_t code) {
  switch (code) {
    case bugcheck::kIrqlNotGreaterOrEqual:
      return "IRQL_NOT_GREATER_OR_EQUAL";
    case bugcheck::kIrqlNotLessOrEqual:
      return "IRQL_NOT_LESS_OR_EQUAL";
    case bugcheck::kApcIndexMismatch:
      return "APC_INDEX_MISMATCH";
    case bugcheck::kMaximumWaitObjectsExceeded:
      return "MAXIMUM_WAIT_OBJECTS_EXCEEDED";
    case bugcheck::kWorkerThreadReturnedAtBadIrql:
      return "WORKER_THREAD_RETURNED_AT_BAD_IRQL";
    case bugcheck::kSystemExitOwnedMutex:
      return "SYSTEM_EXIT_OWNED_MUTEX";
    case bugcheck::kWorkerInvalid:
      return "WORKER_INVALID";
    case bugcheck::kManuallyInitiatedCrash:
      return "MANUALLY_INITIATED_CRASH";
    case bugcheck::kResourceNotOwned:
      return "RESOURCE_NOT_OWNED";
    case bugcheck::kSpinLockAlreadyOwned:
      return "SPIN_LOCK_ALREADY_OWNED";
    case bugcheck::kSpinLockNotOwned:
      return "SPIN_LOCK_NOT_OWNED";
    case bugcheck::kTrapCauseUnknown:
      return "TRAP_CAUSE_UNKNOWN";
    case bugcheck::kReferenceByPointer:
      return "REFERENCE_BY_POINTER";
    case bugcheck::kKmodeExceptionNotHandled:
      return "KMODE_EXCEPTION_NOT_HANDLED";
    case bugcheck::kKernelApcPendingDuringExit:
      return "KERNEL_APC_PENDING_DURING_EXIT";
    case bugcheck::kPageFaultInNonpagedArea:
      return "PAGE_FAULT_IN_NONPAGED_AREA";
    case bugcheck::kInterruptExceptionNotHandled:
      return "INTERRUPT_EXCEPTION_NOT_HANDLED";
    case bugcheck::kSystemThreadExceptionNotHandled:
      return "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED";
    case bugcheck::kSpecialPoolDetectedMemoryCorruption:
      return "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION";
    case bugcheck::kBadPoolCaller:
      return "BAD_POOL_CALLER";
    case bugcheck::kAttemptedSwitchFromDpc:
      return "ATTEMPTED_SWITCH_FROM_DPC";
    case bugcheck::kNmiHardwareFailure:
      return "NMI_HARDWARE_FAILURE";
    case bugcheck::kInvalidKernelHandle:
      return "INVALID_KERNEL_HANDLE";
    case bugcheck::kDriverVerifierDetectedViolation:
      return "DRIVER_VERIFIER_DETECTED_VIOLATION";
    case bugcheck::kTimerOrDpcInvalid:
      return "TIMER_OR_DPC_INVALID";
    case bugcheck::kIrqlUnexpectedValue:
      return "IRQL_UNEXPECTED_VALUE";
    case bugcheck::kPnpDetectedFatalError:
      return "PNP_DETECTED_FATAL_ERROR";
    case bugcheck::kPageFaultBeyondEndOfAllocation:
      return "PAGE_FAULT_BEYOND_END_OF_ALLOCATION";
    case bugcheck::kDriverIrqlNotLessOrEqual:
      return "DRIVER_IRQL_NOT_LESS_OR_EQUAL";
    case bugcheck::kDriverPageFaultInFreedSpecialPool:
      return "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL";
    case bugcheck::kDriverVerifierDmaViolation:
      return "DRIVER_VERIFIER_DMA_VIOLATION";
    case bugcheck::kHardwareInterruptStorm:
      return "HARDWARE_INTERRUPT_STORM";
    case bugcheck::kDataRace:
      return "KEMU_DATA_RACE";
    case bugcheck::kDpcWatchdogViolation:
      return "DPC_WATCHDOG_VIOLATION";
    case bugcheck::kKernelSecurityCheckFailure:
      return "KERNEL_SECURITY_CHECK_FAILURE";
    case bugcheck::kPassiveInterruptError:
      return "PASSIVE_INTERRUPT_ERROR";
    default:
      return "";
  }
}

BugCheck::BugCheck(std::uint32_t code, std::array<std::uint64_t, 4> parameters, std::string report)
    : code_(code), parameters_(parameters), report_(std::move(report)) {}

std::uint64_t BugCheck::parameter(int index) const {
  if (index < 0 || index > 3) {
    throw std::out_of_range("kemu::BugCheck::parameter: index must be 0..3");
  }
  return parameters_[static_cast<std::size_t>(index)];
}

FailureHandler SetFailureHandler(FailureHandler handler) {
  return std::exchange(failure_handler, handler);
}

void ReportFailure(const BugCheck& failure) {
  if (failure_handler != nullptr) {
    failure_handler(failure);
    return;
  }
  std::fputs(failure.what(), stderr);
  std::fputs("kemu: aborting (no failure handler installed; kemu::gtest installs one)\n", stderr);
  std::abort();
}

}  // namespace kemu
