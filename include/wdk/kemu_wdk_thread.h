// kemu_wdk_thread.h — driver-created system threads and the object routines a driver uses on them
// (in kemu: see docs/kernel.md "System threads" for when a thread runs).
//
//   HANDLE handle;
//   PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, MyPollThread, ext);
//   ObReferenceObjectByHandle(handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
//                             (PVOID *)&ext->Thread, NULL);
//   ZwClose(handle);
//   ...                                      // the stop path:
//   KeSetEvent(&ext->Stop, IO_NO_INCREMENT, FALSE);
//   KeWaitForSingleObject(ext->Thread, Executive, KernelMode, FALSE, NULL);
//   ObDereferenceObject(ext->Thread);
#ifndef KEMU_WDK_THREAD_H_
#define KEMU_WDK_THREAD_H_

#include "kemu_wdk_base.h"

/// Threads are opaque: only pointers to them cross the interface (PETHREAD is PKTHREAD).
typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;
typedef struct _ETHREAD *PETHREAD;
/// An object type (`*PsThreadType`); opaque.
typedef struct _OBJECT_TYPE *POBJECT_TYPE;

/// A process and thread identifier pair (Windows x64 layout, 16 bytes).
typedef struct _CLIENT_ID {
  HANDLE UniqueProcess;
  HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

/// Names and attributes of an object being created or opened (Windows x64 layout, 48 bytes).
typedef struct _OBJECT_ATTRIBUTES {
  ULONG Length;
  HANDLE RootDirectory;
  PUNICODE_STRING ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;

#define OBJ_INHERIT 0x00000002L
#define OBJ_PERMANENT 0x00000010L
#define OBJ_EXCLUSIVE 0x00000020L
#define OBJ_CASE_INSENSITIVE 0x00000040L
#define OBJ_OPENIF 0x00000080L
#define OBJ_KERNEL_HANDLE 0x00000200L

#define InitializeObjectAttributes(p, n, a, r, s) \
  do {                                            \
    (p)->Length = sizeof(OBJECT_ATTRIBUTES);      \
    (p)->RootDirectory = (r);                     \
    (p)->Attributes = (a);                        \
    (p)->ObjectName = (n);                        \
    (p)->SecurityDescriptor = (s);                \
    (p)->SecurityQualityOfService = NULL;         \
  } while (0)

/// What HandleInformation receives (drivers pass NULL).
typedef struct _OBJECT_HANDLE_INFORMATION {
  ULONG HandleAttributes;
  ACCESS_MASK GrantedAccess;
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

#ifndef SYNCHRONIZE
#define SYNCHRONIZE 0x00100000L
#endif
#ifndef STANDARD_RIGHTS_REQUIRED
#define STANDARD_RIGHTS_REQUIRED 0x000F0000L
#endif
#if NTDDI_VERSION >= NTDDI_VISTA
#define THREAD_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#else
#define THREAD_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3FF)
#endif

/// A system thread's start routine: runs at PASSIVE_LEVEL; returning from it ends the thread
/// as PsTerminateSystemThread(STATUS_SUCCESS) would.
typedef VOID KSTART_ROUTINE(PVOID StartContext);
typedef KSTART_ROUTINE *PKSTART_ROUTINE;

KEMU_WDK_BEGIN_DECLS

/// The thread object type, for ObReferenceObjectByHandle (`*PsThreadType`). Read only in kemu.
extern POBJECT_TYPE const *const PsThreadType;

/// PASSIVE_LEVEL. Creates a thread of the system process that runs StartRoutine(StartContext);
/// ProcessHandle and ClientId should be NULL for a driver's thread. The driver closes the handle
/// with ZwClose.
NTKERNELAPI NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                                                POBJECT_ATTRIBUTES ObjectAttributes,
                                                HANDLE ProcessHandle, PCLIENT_ID ClientId,
                                                PKSTART_ROUTINE StartRoutine, PVOID StartContext);
#if NTDDI_VERSION >= NTDDI_WIN8
/// PASSIVE_LEVEL. As PsCreateSystemThread, and the thread holds a reference to IoObject (the
/// driver's DEVICE_OBJECT or DRIVER_OBJECT) until it exits, so the driver cannot unload under it.
NTKERNELAPI NTSTATUS NTAPI IoCreateSystemThread(PVOID IoObject, PHANDLE ThreadHandle,
                                                ULONG DesiredAccess,
                                                POBJECT_ATTRIBUTES ObjectAttributes,
                                                HANDLE ProcessHandle, PCLIENT_ID ClientId,
                                                PKSTART_ROUTINE StartRoutine, PVOID StartContext);
#endif
/// PASSIVE_LEVEL, on a system thread: ends it and does not return. Elsewhere: an error status.
NTKERNELAPI NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus);
/// The running thread's identifier.
NTKERNELAPI HANDLE NTAPI PsGetCurrentThreadId(VOID);
/// The current process: driver code in kemu always runs in the System process (id 4).
NTKERNELAPI HANDLE NTAPI PsGetCurrentProcessId(VOID);
/// The previous processor mode of the current thread: KernelMode for all driver code in kemu
/// (system threads, DPCs, work items; the test's own thread calls in as the kernel would).
NTKERNELAPI KPROCESSOR_MODE NTAPI ExGetPreviousMode(VOID);
/// The running thread (an inline in the x64 WDK; a routine in kemu).
NTKERNELAPI PKTHREAD NTAPI KeGetCurrentThread(VOID);

/// Thread priorities: 0 (LOW_PRIORITY, the system's) to 31; 16 and up are real-time.
#define LOW_PRIORITY 0
#define LOW_REALTIME_PRIORITY 16
#define HIGH_PRIORITY 31
#define MAXIMUM_PRIORITY 32
/// PASSIVE_LEVEL. Sets a driver-created thread's run-time priority; returns the old one.
NTKERNELAPI KPRIORITY NTAPI KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority);
/// PASSIVE_LEVEL. A thread's current priority.
NTKERNELAPI KPRIORITY NTAPI KeQueryPriorityThread(PKTHREAD Thread);

/// PASSIVE_LEVEL. Closes a handle (kemu: a thread handle from PsCreateSystemThread, or a registry
/// key handle, kemu_wdk_registry.h).
NTSYSAPI NTSTATUS NTAPI ZwClose(HANDLE Handle);
/// The pseudo-handles of the current process and thread, valid in the caller's context only.
/// ObReferenceObjectByHandle(NtCurrentThread(), ...) in a system thread references that thread.
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#define ZwCurrentThread() NtCurrentThread()
/// PASSIVE_LEVEL. The object a handle names, with a reference the caller releases with
/// ObDereferenceObject.
NTKERNELAPI NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
                                                     POBJECT_TYPE ObjectType,
                                                     KPROCESSOR_MODE AccessMode, PVOID *Object,
                                                     POBJECT_HANDLE_INFORMATION HandleInformation);
/// IRQL <= DISPATCH_LEVEL. Add or drop a reference to an object; return the new count.
NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObject(PVOID Object);
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object);
/// IRQL <= DISPATCH_LEVEL. A new reference to an object the caller already holds a pointer to:
/// STATUS_SUCCESS, or STATUS_OBJECT_TYPE_MISMATCH when ObjectType is not the object's type.
NTKERNELAPI NTSTATUS NTAPI ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
                                                      POBJECT_TYPE ObjectType,
                                                      KPROCESSOR_MODE AccessMode);
#define ObReferenceObject(Object) ObfReferenceObject(Object)
#define ObDereferenceObject(Object) ObfDereferenceObject(Object)

KEMU_WDK_END_DECLS

KEMU_WDK_STATIC_ASSERT(sizeof(CLIENT_ID) == 16, "CLIENT_ID is 16 bytes on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(OBJECT_ATTRIBUTES) == 48, "OBJECT_ATTRIBUTES is 48 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(OBJECT_ATTRIBUTES, Attributes) == 24, "Attributes");

#endif  // KEMU_WDK_THREAD_H_
