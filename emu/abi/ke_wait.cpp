// Wait exports: KeWaitForSingleObject, KeWaitForMultipleObjects and KeDelayExecutionThread, in
// virtual time (EV-2, EV-3). kemu has no APCs and no user mode: WaitMode and Alertable are
// accepted and ignored, so a wait never returns STATUS_ALERTED or STATUS_USER_APC.
#include <wdm.h>

#include <optional>
#include <vector>

#include "abi/entry.hpp"
#include "model/output_range.hpp"

namespace {

using kemu::model::Kernel;
using kemu::model::WaitRequest;

/// The IRQL rules of a wait, and EV-2: after KeSetEvent(..., Wait=TRUE) the wait runs at the
/// IRQL the set was called at. Returns the IRQL the wait runs at. Verifier from Windows 7 on has
/// a sub-code per case (0x120 above DISPATCH_LEVEL; at DISPATCH_LEVEL 0x121 without a timeout,
/// 0x122 with a nonzero one), Vista's is the generic 0xE5.
KIRQL EnterWait(Kernel& kernel, const WaitRequest& request, PLARGE_INTEGER timeout) {
  if (const std::optional<KIRQL> saved =
          kernel.dispatcher().TakeWaitNext(kernel.current_processor())) {
    kernel.irql().Set(*saved);
  }
  const KIRQL irql = kernel.irql().Current();
  const bool polls = timeout != nullptr && timeout->QuadPart == 0;
  if (irql < DISPATCH_LEVEL || (irql == DISPATCH_LEVEL && polls)) return irql;
  const bool above = irql > DISPATCH_LEVEL;
  struct Rule {
    std::uint64_t code;
    const char* name;
  };
  const Rule rule =
      above ? Rule{kemu::verifier_code::kWaitAboveDispatch, "0x120: wait above DISPATCH_LEVEL"}
      : timeout == nullptr ? Rule{kemu::verifier_code::kWaitAtDispatchWithoutTimeout,
                                  "0x121: wait at DISPATCH_LEVEL without a timeout"}
                           : Rule{kemu::verifier_code::kWaitAtDispatchWithTimeout,
                                  "0x122: wait at DISPATCH_LEVEL with a nonzero timeout"};
  const void* const object = request.objects.empty() ? nullptr : request.objects.front();
  // Windows passes the address of its IRQL value as Arg2; kemu passes the IRQL itself.
  kernel.verifier().IrqlRuleWithCode(
      request.routine, irql, above ? DISPATCH_LEVEL : APC_LEVEL, /*above=*/true,
      kernel.personality().verifier_irql_rule_codes, rule.code,
      {irql, reinterpret_cast<std::uintptr_t>(object), reinterpret_cast<std::uintptr_t>(timeout)},
      {rule.name, "current IRQL (Windows: the address of the IRQL value)", "object waited on",
       "timeout (address)"});
  return irql;
}

/// Whether the running code may block: not at DISPATCH_LEVEL or above, and not in a DPC routine.
/// A threaded DPC run at PASSIVE_LEVEL is still a DPC, which must not block (Microsoft's threaded
/// DPC pages); which bug check Windows gives is UNCONFIRMED, kemu gives a DPC's 0xB8.
bool MayBlock(Kernel& kernel, KIRQL irql) {
  return irql < DISPATCH_LEVEL && !kernel.cpu().InThreadedDpc();
}

/// A wait or delay that had to block where MayBlock says no, on a kernel that let the call
/// through: 0xB8 in a DPC routine, else 0xA.
void BlockedWhereItMayNot(Kernel& kernel, const char* routine, KIRQL irql) {
  kernel.verifier().WaitBlocksAtDispatch(routine, irql, kernel.cpu().dpc_depth > 0,
                                         kernel.cpu().thread_address());
}

NTSTATUS Wait(Kernel& kernel, WaitRequest& request, PLARGE_INTEGER timeout) {
  if (timeout != nullptr) {
    kemu::model::CheckInputRange(kernel, request.routine, "Timeout", timeout, sizeof(*timeout));
  }
  const bool polls = timeout != nullptr && timeout->QuadPart == 0;
  const KIRQL irql = EnterWait(kernel, request, timeout);
  request.irql = irql;
  for (const DISPATCHER_HEADER* object : request.objects) {
    kernel.dispatcher().CheckObject(request.routine, object, kemu::model::Dispatcher::kWaitable);
  }
  const std::uint64_t now = kernel.clock().now_100ns();
  if (timeout != nullptr) {
    request.deadline = kemu::model::DeadlineFromDriverTime(now, timeout->QuadPart);
  }
  if (!MayBlock(kernel, irql) && !polls) {
    // Only a kernel that let the call through gets here: it can go on only if nothing blocks.
    const std::optional<std::uint64_t> deadline = request.deadline;
    request.deadline = now;
    const NTSTATUS status = kernel.dispatcher().Wait(request);
    if (status == STATUS_TIMEOUT && deadline != now) {
      BlockedWhereItMayNot(kernel, request.routine, irql);
    }
    return status;
  }
  return kernel.dispatcher().Wait(request);
}

}  // namespace

extern "C" {

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout) {
  Kernel& kernel = KEMU_ENTER(KeWaitForSingleObject, KEMU_ARG(Object), KEMU_ARG(WaitReason),
                              KEMU_ARG(WaitMode), KEMU_ARG(Alertable), KEMU_ARG(Timeout));
  WaitRequest request;
  request.routine = "KeWaitForSingleObject";
  request.objects.push_back(static_cast<DISPATCHER_HEADER*>(Object));
  return Wait(kernel, request, Timeout);
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                  KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                  BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray) {
  Kernel& kernel = KEMU_ENTER(KeWaitForMultipleObjects, KEMU_ARG(Count), KEMU_ARG(Object),
                              KEMU_ARG(WaitType), KEMU_ARG(WaitReason), KEMU_ARG(WaitMode),
                              KEMU_ARG(Alertable), KEMU_ARG(Timeout), KEMU_ARG(WaitBlockArray));
  if (Count > MAXIMUM_WAIT_OBJECTS || (Count > THREAD_WAIT_OBJECTS && WaitBlockArray == nullptr)) {
    kernel.verifier().TooManyWaitObjects(Count, WaitBlockArray != nullptr);
  }
  // The array is read Count entries long: past its pool block, or where nothing is mapped, that
  // is the kernel's fault, never kemu's process faulting (audit round 19, B-S5, B-S7).
  kemu::model::CheckInputRange(kernel, "KeWaitForMultipleObjects", "Object", Object,
                               std::size_t{Count} * sizeof(PVOID));
  // The wait blocks are written Count long (the page: "sizeof(KWAIT_BLOCK) * Count bytes"); kemu
  // does not use them, so only special pool's guard page would see a short array (B-S8).
  if (WaitBlockArray != nullptr &&
      kernel.verifier().mode() == kemu::verifier::CheckMode::kVerifier) {
    kemu::model::CheckOutputRange(kernel, "KeWaitForMultipleObjects", "WaitBlockArray",
                                  WaitBlockArray, std::size_t{Count} * sizeof(KWAIT_BLOCK));
  }
  WaitRequest request;
  request.routine = "KeWaitForMultipleObjects";
  request.wait_all = kemu::abi::Arg(WaitType) == WaitAll;
  for (ULONG i = 0; i < Count; ++i) {
    request.objects.push_back(static_cast<DISPATCHER_HEADER*>(Object[i]));
  }
  return Wait(kernel, request, Timeout);
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                PLARGE_INTEGER Interval) {
  Kernel& kernel = KEMU_ENTER(KeDelayExecutionThread, KEMU_ARG(WaitMode), KEMU_ARG(Alertable),
                              KEMU_ARG(Interval));
  const KIRQL irql = kernel.irql().Current();
  if (irql > APC_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("KeDelayExecutionThread", irql, APC_LEVEL);
  }
  kemu::model::CheckInputRange(kernel, "KeDelayExecutionThread", "Interval", Interval,
                               sizeof(*Interval));
  WaitRequest request;
  request.routine = "KeDelayExecutionThread";
  request.deadline =
      kemu::model::DeadlineFromDriverTime(kernel.clock().now_100ns(), Interval->QuadPart);
  // A zero delay gives up the processor: another vCPU may run, and a ready system thread may
  // take this one.
  if (*request.deadline == kernel.clock().now_100ns()) {
    // Only a thread that may block gives its processor to another thread (a retail kernel lets
    // the call through at DISPATCH_LEVEL too, where nothing may take the processor).
    if (MayBlock(kernel, irql)) {
      kernel.scheduler().YieldToThreads();
    } else {
      kernel.scheduler().Yield();
    }
    return STATUS_SUCCESS;
  }
  // A nonzero delay always blocks (a retail kernel lets the call through at any IRQL).
  if (!MayBlock(kernel, irql)) BlockedWhereItMayNot(kernel, request.routine, irql);
  (void)kernel.dispatcher().Wait(request);
  return STATUS_SUCCESS;
}

}  // extern "C"
