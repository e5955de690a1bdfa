// Rules for driver-created system threads, the object references a driver holds on them and the
// handles it closes (docs/kernel.md, "System threads").
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::ThreadExitedWithApcsDisabled(std::uintptr_t routine, int apc_disable, KIRQL irql) {
  // Microsoft's 0x20 page: the thread's APC disable count (Arg2) and the IRQL (Arg3) must both be
  // zero when a thread exits. Windows counts down on each KeEnterCriticalRegion, so a region
  // entered and not left is a negative count, sign-extended here (UNCONFIRMED how Windows widens
  // it). Windows also names a pending APC in Arg1; kemu has no APCs, so 0.
  const auto count = static_cast<std::uint64_t>(static_cast<std::int64_t>(-apc_disable));
  host_.Crash(
      {.code = bugcheck::kKernelApcPendingDuringExit,
       .parameters = {0, count, irql, 0},
       .parameter_names = {"pending APC (kemu has no APCs: 0)", "the thread's APC disable count",
                           "IRQL", nullptr},
       .summary = fmt::format(
           "The system thread with start routine {} ended at IRQL {} with {} more critical "
           "region(s), guarded region(s) or kernel mutex(es) than it started with: a system "
           "thread must end at PASSIVE_LEVEL with every region left and every mutex released.",
           reinterpret_cast<const void*>(routine), irql, apc_disable)});
}

void Verifier::ObjectOverDereferenced(const char* routine, const void* object,
                                      const void* object_type) {
  // Microsoft's 0x18 page: typically a driver that dereferences an object too many times. kemu
  // keeps the driver's references apart from the handle's and the running thread's, so it stops
  // at the extra dereference itself, where Windows might stop only when the count, shared with
  // those, goes wrong later.
  host_.BugCheck(
      {.code = bugcheck::kReferenceByPointer,
       .parameters = {Address(object_type), Address(object), 0, 0},
       .parameter_names = {"object type of the object whose reference count is being lowered",
                           "object whose reference count is being lowered", nullptr, nullptr},
       .summary = fmt::format(
           "{} dropped a reference to the thread object at {} that the driver no longer holds: "
           "every ObDereferenceObject must match an ObReferenceObject or "
           "ObReferenceObjectByHandle. Windows would free the object under its other users.",
           routine, object)});
}

void Verifier::InvalidHandleClosed(const char* routine, HANDLE handle) {
  // Microsoft's 0x93 page: kernel code closing a handle that is not valid stops the system (Arg2
  // 1); ZwClose's own page lists STATUS_INVALID_HANDLE, which is what a user-mode caller gets.
  // Every handle kemu gives a driver is a kernel handle, closed from kernel mode.
  host_.BugCheck(
      {.code = bugcheck::kInvalidKernelHandle,
       .parameters = {Address(handle), 1, 0, 0},
       .parameter_names = {"the handle NtClose was called with", "1: an invalid handle was closed",
                           nullptr, nullptr},
       .summary = fmt::format(
           "{} closed the handle {}, which is not open: it was never given out, or it was closed "
           "already. Close each handle exactly once, and clear the variable that held it so a "
           "cleanup path cannot close it again.",
           routine, static_cast<const void*>(handle))});
}

void Verifier::ThreadPriorityOutOfRange(const char* routine, const void* thread,
                                        KPRIORITY priority) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kThreadPriorityOutOfRange, Address(thread),
                      static_cast<std::uint64_t>(static_cast<std::int64_t>(priority)), 0},
       .parameter_names = {"kemu: thread priority out of range", "thread object", "priority",
                           nullptr},
       .summary = fmt::format("{} was asked to give the thread {} priority {}: priorities run from "
                              "1 to 31 (LOW_PRIORITY, 0, is the system's; real-time from "
                              "LOW_REALTIME_PRIORITY, 16).",
                              routine, thread, priority)});
}

}  // namespace kemu::verifier
