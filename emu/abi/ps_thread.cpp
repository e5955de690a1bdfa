// System thread exports (docs/kernel.md, "System threads"): PsCreateSystemThread and
// IoCreateSystemThread, PsTerminateSystemThread, PsGetCurrentThreadId, KeGetCurrentThread, a
// thread's priority, and the object routines a driver uses on a thread's handle and object; and
// ZwClose, which closes registry key handles too.
#include <wdm.h>

#include <string>

#include "abi/entry.hpp"

/// The thread object type `*PsThreadType` names: its address is all a driver sees.
struct _OBJECT_TYPE {
  int kind;
};

namespace {

using kemu::model::Kernel;
namespace verifier_code = kemu::verifier_code;

constexpr _OBJECT_TYPE kThreadTypeObject{ThreadObject};
// Drivers pass `*PsThreadType` as a plain POBJECT_TYPE; the object itself is never written.
const POBJECT_TYPE kThreadType = const_cast<POBJECT_TYPE>(&kThreadTypeObject);

/// The IRQL rule of a PASSIVE_LEVEL routine, with its DDI compliance rule's code (Windows 8 on).
void CheckPassive(Kernel& kernel, const char* routine, std::uint64_t ddi_rule) {
  const KIRQL irql = kernel.irql().Current();
  if (irql != PASSIVE_LEVEL) {
    kernel.verifier().IrqlAboveMaximum(routine, irql, PASSIVE_LEVEL, ddi_rule);
  }
}

/// The argument checks PsCreateSystemThread and IoCreateSystemThread share.
void CheckCreate(Kernel& kernel, const char* routine, std::uint64_t ddi_rule, PHANDLE handle,
                 HANDLE process, PKSTART_ROUTINE start) {
  CheckPassive(kernel, routine, ddi_rule);
  kernel.verifier().Dereferenced(routine, handle, "ThreadHandle");
  kernel.verifier().Dereferenced(routine, start, "StartRoutine");
  if (process != nullptr) {
    // A thread in another process's address space: kemu has one address space, the system's.
    kernel.ThrowNotModelled(std::string(routine) + " with a ProcessHandle");
  }
}

void CheckAtMostDispatch(Kernel& kernel, const char* routine) {
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) kernel.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL);
}

}  // namespace

extern "C" {

POBJECT_TYPE const* const PsThreadType = &kThreadType;

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext) {
  Kernel& kernel = KEMU_ENTER(PsCreateSystemThread, KEMU_ARG(ThreadHandle), KEMU_ARG(DesiredAccess),
                              KEMU_ARG(ObjectAttributes), KEMU_ARG(ProcessHandle),
                              KEMU_ARG(ClientId), KEMU_ARG(StartRoutine), KEMU_ARG(StartContext));
  CheckCreate(kernel, "PsCreateSystemThread", verifier_code::kIrqlPsPassive, ThreadHandle,
              ProcessHandle, StartRoutine);
  KEMU_FAULT_POINT(kernel, PsCreateSystemThread);
  *ThreadHandle = kernel.system_threads().Create(StartRoutine, StartContext, ClientId);
  return STATUS_SUCCESS;
}

// Windows 8 on. Microsoft names no DDI compliance rule for its IRQL: the generic 0xC4 / 0xE5.
NTSTATUS IoCreateSystemThread(PVOID IoObject, PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext) {
  Kernel& kernel =
      KEMU_ENTER(IoCreateSystemThread, KEMU_ARG(IoObject), KEMU_ARG(ThreadHandle),
                 KEMU_ARG(DesiredAccess), KEMU_ARG(ObjectAttributes), KEMU_ARG(ProcessHandle),
                 KEMU_ARG(ClientId), KEMU_ARG(StartRoutine), KEMU_ARG(StartContext));
  CheckCreate(kernel, "IoCreateSystemThread", 0, ThreadHandle, ProcessHandle, StartRoutine);
  kernel.verifier().Dereferenced("IoCreateSystemThread", IoObject, "IoObject");
  KEMU_FAULT_POINT(kernel, IoCreateSystemThread);
  *ThreadHandle = kernel.system_threads().Create(StartRoutine, StartContext, ClientId, IoObject);
  return STATUS_SUCCESS;
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus) {
  Kernel& kernel = KEMU_ENTER(PsTerminateSystemThread, KEMU_ARG(ExitStatus));
  CheckPassive(kernel, "PsTerminateSystemThread", verifier_code::kIrqlPsPassive);
  return kernel.system_threads().Terminate(ExitStatus);
}

HANDLE PsGetCurrentThreadId(VOID) {
  return KEMU_ENTER(PsGetCurrentThreadId).system_threads().CurrentId();
}

// Every thread a driver runs on in kemu is a kernel thread of the System process: the id
// PsCreateSystemThread's CLIENT_ID gives too.
HANDLE PsGetCurrentProcessId(VOID) {
  KEMU_ENTER(PsGetCurrentProcessId);
  return reinterpret_cast<HANDLE>(static_cast<ULONG_PTR>(4));
}

// No driver code in kemu is reached from a user-mode system call.
KPROCESSOR_MODE ExGetPreviousMode(VOID) {
  KEMU_ENTER(ExGetPreviousMode);
  return KernelMode;
}

PKTHREAD KeGetCurrentThread(VOID) {
  return reinterpret_cast<PKTHREAD>(KEMU_ENTER(KeGetCurrentThread).dispatcher().CurrentThread());
}

NTSTATUS ZwClose(HANDLE Handle) {
  Kernel& kernel = KEMU_ENTER(ZwClose, KEMU_ARG(Handle));
  CheckPassive(kernel, "ZwClose", verifier_code::kIrqlZwPassive);
  // One handle table for threads and registry keys (model/handles.hpp).
  return kernel.handles().Close(Handle);
}

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
                                   POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                   PVOID* Object, POBJECT_HANDLE_INFORMATION HandleInformation) {
  Kernel& kernel = KEMU_ENTER(ObReferenceObjectByHandle, KEMU_ARG(Handle), KEMU_ARG(DesiredAccess),
                              KEMU_ARG(ObjectType), KEMU_ARG(AccessMode), KEMU_ARG(Object),
                              KEMU_ARG(HandleInformation));
  CheckPassive(kernel, "ObReferenceObjectByHandle", verifier_code::kIrqlObPassive);
  kernel.verifier().Dereferenced("ObReferenceObjectByHandle", Object, "Object");
  // kemu's handles are all kernel handles, opened with every access right.
  const bool thread_type = ObjectType == nullptr || ObjectType == kThreadType;
  if (kernel.handles().KindOf(Handle) == kemu::model::HandleKind::kRegistryKey) {
    // A key handle: any type kemu knows (the thread type) is the wrong one, as on Windows; kemu
    // has no key objects to hand out when the caller names no type.
    if (ObjectType != nullptr) return STATUS_OBJECT_TYPE_MISMATCH;
    kernel.ThrowNotModelled("ObReferenceObjectByHandle on a registry key handle");
  }
  NTSTATUS status = STATUS_SUCCESS;
  if (Handle == NtCurrentThread()) {
    // The current thread's pseudo-handle: the running system thread's own object (audit round
    // 19, B-S10). The test's own context and a DPC have no thread object kemu could hand out.
    auto* const current = reinterpret_cast<PVOID>(kernel.dispatcher().CurrentThread());
    if (!kernel.system_threads().IsLiveObject(current)) {
      kernel.ThrowNotModelled(
          "ObReferenceObjectByHandle(NtCurrentThread()) outside a system thread (kemu gives only "
          "the driver's system threads a thread object)");
    }
    if (!thread_type) return STATUS_OBJECT_TYPE_MISMATCH;
    kernel.system_threads().Reference("ObReferenceObjectByHandle", current);
    *Object = current;
  } else if (Handle == NtCurrentProcess()) {
    kernel.ThrowNotModelled(
        "ObReferenceObjectByHandle(NtCurrentProcess()) (kemu models no process objects)");
  } else {
    status = kernel.system_threads().ReferenceByHandle(Handle, thread_type, Object);
  }
  if (status == STATUS_SUCCESS && HandleInformation != nullptr) {
    HandleInformation->HandleAttributes = OBJ_KERNEL_HANDLE;
    HandleInformation->GrantedAccess = THREAD_ALL_ACCESS;
  }
  return status;
}

LONG_PTR ObfReferenceObject(PVOID Object) {
  Kernel& kernel = KEMU_ENTER(ObfReferenceObject, KEMU_ARG(Object));
  CheckAtMostDispatch(kernel, "ObfReferenceObject");
  kernel.verifier().Dereferenced("ObfReferenceObject", Object, "Object");
  return kernel.system_threads().Reference("ObfReferenceObject", Object);
}

NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
                                    POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode) {
  Kernel& kernel = KEMU_ENTER(ObReferenceObjectByPointer, KEMU_ARG(Object), KEMU_ARG(DesiredAccess),
                              KEMU_ARG(ObjectType), KEMU_ARG(AccessMode));
  CheckAtMostDispatch(kernel, "ObReferenceObjectByPointer");
  kernel.verifier().Dereferenced("ObReferenceObjectByPointer", Object, "Object");
  // kemu's objects are all threads; kernel-mode callers get every access right.
  if (ObjectType != nullptr && ObjectType != kThreadType) return STATUS_OBJECT_TYPE_MISMATCH;
  kernel.system_threads().Reference("ObReferenceObjectByPointer", Object);
  return STATUS_SUCCESS;
}

KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority) {
  Kernel& kernel = KEMU_ENTER(KeSetPriorityThread, KEMU_ARG(Thread), KEMU_ARG(Priority));
  CheckPassive(kernel, "KeSetPriorityThread", 0);
  kernel.verifier().Dereferenced("KeSetPriorityThread", Thread, "Thread");
  return kernel.system_threads().Priority("KeSetPriorityThread", Thread, Priority);
}

KPRIORITY KeQueryPriorityThread(PKTHREAD Thread) {
  Kernel& kernel = KEMU_ENTER(KeQueryPriorityThread, KEMU_ARG(Thread));
  CheckPassive(kernel, "KeQueryPriorityThread", 0);
  kernel.verifier().Dereferenced("KeQueryPriorityThread", Thread, "Thread");
  return kernel.system_threads().Priority("KeQueryPriorityThread", Thread, std::nullopt);
}

LONG_PTR ObfDereferenceObject(PVOID Object) {
  Kernel& kernel = KEMU_ENTER(ObfDereferenceObject, KEMU_ARG(Object));
  CheckAtMostDispatch(kernel, "ObfDereferenceObject");
  kernel.verifier().Dereferenced("ObfDereferenceObject", Object, "Object");
  return kernel.system_threads().Dereference("ObfDereferenceObject", Object, kThreadType);
}

}  // extern "C"
