// kemu_wdk_dispatch.h — dispatcher objects (events, semaphores, mutexes, timers), waits, virtual
// time and critical regions.
//
// KEVENT, KSEMAPHORE, KMUTEX, KTIMER and DISPATCHER_HEADER have the Windows x64 sizes, so drivers
// that embed them in device extensions keep their layout. kemu keeps the object's state in
// Header.SignalState and its bookkeeping in side tables keyed by the object's address. Every time
// value is kemu's virtual time: it moves only when the machine advances it (stalls, timed waits,
// tests).
//
//   KeInitializeEvent(&ext->Stopped, NotificationEvent, FALSE);
//   ...                                       // a DPC calls KeSetEvent(&ext->Stopped, ...)
//   LARGE_INTEGER timeout;
//   timeout.QuadPart = -10 * 1000 * 100;      // 100 ms, relative
//   status = KeWaitForSingleObject(&ext->Stopped, Executive, KernelMode, FALSE, &timeout);
#ifndef KEMU_WDK_DISPATCH_H_
#define KEMU_WDK_DISPATCH_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_ke.h"

// ---------------------------------------------------------------------------------------------
// Dispatcher objects.

/// The header every waitable object starts with (24 bytes on x64). Type is a KOBJECTS value;
/// SignalState > 0 means signalled.
typedef struct _DISPATCHER_HEADER {
  KEMU_WDK_EXTENSION union {
    KEMU_WDK_EXTENSION struct {
      UCHAR Type;
      UCHAR Signalling;
      UCHAR Size;
      UCHAR Reserved1;
    };
    volatile LONG Lock;
  };
  LONG SignalState;
  LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef enum _EVENT_TYPE KEMU_WDK_ENUM_INT { NotificationEvent, SynchronizationEvent } EVENT_TYPE;

typedef struct _KEVENT {
  DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

/// A semaphore (32 bytes on x64): Header.SignalState is the count, signalled while above zero.
typedef struct _KSEMAPHORE {
  DISPATCHER_HEADER Header;
  LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

/// A kernel mutex (56 bytes on x64). Header.SignalState is 1 while free and drops by one per
/// acquisition by its owner (a mutex may be acquired recursively). kemu has one thread per vCPU:
/// OwnerThread is the owning vCPU's thread stand-in.
typedef struct _KMUTANT {
  DISPATCHER_HEADER Header;
  LIST_ENTRY MutantListEntry;
  struct _KTHREAD *OwnerThread;
  BOOLEAN Abandoned;
  UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

typedef enum _TIMER_TYPE KEMU_WDK_ENUM_INT { NotificationTimer, SynchronizationTimer } TIMER_TYPE;

/// A kernel timer (64 bytes on x64). DueTime is the absolute interrupt time it expires at;
/// Period is in milliseconds (0: one-shot).
typedef struct _KTIMER {
  DISPATCHER_HEADER Header;
  ULARGE_INTEGER DueTime;
  LIST_ENTRY TimerListEntry;
  struct _KDPC *Dpc;
  ULONG Processor;
  ULONG Period;
} KTIMER, *PKTIMER, *PRKTIMER;

// ---------------------------------------------------------------------------------------------
// Waits.

typedef enum _WAIT_TYPE KEMU_WDK_ENUM_INT { WaitAll, WaitAny, WaitNotification } WAIT_TYPE;

typedef enum _KWAIT_REASON KEMU_WDK_ENUM_INT {
  Executive = 0,
  FreePage,
  PageIn,
  PoolAllocation,
  DelayExecution,
  Suspended,
  UserRequest,
  WrExecutive,
  WrFreePage,
  WrPageIn,
  WrPoolAllocation,
  WrDelayExecution,
  WrSuspended,
  WrUserRequest,
  MaximumWaitReason = 41
} KWAIT_REASON;

/// One object of a KeWaitForMultipleObjects wait (48 bytes on x64). kemu does not use its
/// fields; the caller provides the array when waiting for more than THREAD_WAIT_OBJECTS objects.
typedef struct _KWAIT_BLOCK {
  LIST_ENTRY WaitListEntry;
  UCHAR WaitType;
  volatile UCHAR BlockState;
  USHORT WaitKey;
  LONG SpareLong;
  PVOID Thread;
  PVOID Object;
  PVOID SparePtr;
} KWAIT_BLOCK, *PKWAIT_BLOCK, *PRKWAIT_BLOCK;

/// Objects a wait may name without its own KWAIT_BLOCK array, and the most any wait may name.
#define THREAD_WAIT_OBJECTS 3
#define MAXIMUM_WAIT_OBJECTS 64

// Priority boosts for KeSetEvent and IoCompleteRequest. kemu accepts and ignores them.
#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
#define IO_CD_ROM_INCREMENT 1
#define IO_DISK_INCREMENT 1
#define IO_KEYBOARD_INCREMENT 6
#define IO_MAILSLOT_INCREMENT 2
#define IO_MOUSE_INCREMENT 6
#define IO_NAMED_PIPE_INCREMENT 2
#define IO_NETWORK_INCREMENT 2
#define IO_PARALLEL_INCREMENT 1
#define IO_SERIAL_INCREMENT 2
#define IO_SOUND_INCREMENT 8
#define IO_VIDEO_INCREMENT 1
#define SEMAPHORE_INCREMENT 1

// ---------------------------------------------------------------------------------------------
// Routines. Availability follows NTDDI_VERSION as in the WDK.

KEMU_WDK_BEGIN_DECLS

// Events. Each returns or sets Header.SignalState (EV-1).
NTKERNELAPI VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
/// The previous SignalState. Wait=TRUE returns at DISPATCH_LEVEL: the next call must be a wait.
NTKERNELAPI LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeResetEvent(PRKEVENT Event);
NTKERNELAPI VOID NTAPI KeClearEvent(PRKEVENT Event);
NTKERNELAPI LONG NTAPI KeReadStateEvent(PRKEVENT Event);
NTKERNELAPI LONG NTAPI KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);

// Semaphores. A wait on one takes one from its count.
NTKERNELAPI VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit);
/// The previous count. A count pushed past the limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED,
/// which no driver handler can catch under kemu (bug check 0x1E).
NTKERNELAPI LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment,
                                          LONG Adjustment, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

// Kernel mutexes: acquired by a wait (KeWaitForMutexObject is KeWaitForSingleObject), released by
// their owner only; while owned, the owner's normal kernel APCs are disabled.
NTKERNELAPI VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level);
/// The previous SignalState. A release by a thread that does not own the mutex raises
/// STATUS_MUTANT_NOT_OWNED (bug check 0x1E under kemu).
NTKERNELAPI LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex);
#define KeWaitForMutexObject KeWaitForSingleObject

// Waits. Timeout: NULL waits for ever, negative is relative, positive is an absolute system
// time, zero polls; all in 100 ns units.
NTKERNELAPI NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                                                 KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                                 PLARGE_INTEGER Timeout);
NTKERNELAPI NTSTATUS NTAPI KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                                    KWAIT_REASON WaitReason,
                                                    KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                                    PLARGE_INTEGER Timeout,
                                                    PKWAIT_BLOCK WaitBlockArray);
NTKERNELAPI NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                                  PLARGE_INTEGER Interval);

// Timers.
NTKERNELAPI VOID NTAPI KeInitializeTimer(PKTIMER Timer);
NTKERNELAPI VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
/// TRUE when the timer was already set (it is re-set).
NTKERNELAPI BOOLEAN NTAPI KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
NTKERNELAPI BOOLEAN NTAPI KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period,
                                       PKDPC Dpc);
#if NTDDI_VERSION >= NTDDI_WIN7
NTKERNELAPI BOOLEAN NTAPI KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
                                                ULONG TolerableDelay, PKDPC Dpc);
#endif
/// TRUE when the timer was set (it no longer is).
NTKERNELAPI BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer);
NTKERNELAPI BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer);

// Virtual time.
NTKERNELAPI VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount);
NTKERNELAPI ULONG NTAPI KeQueryTimeIncrement(VOID);
/// Counts at *PerformanceFrequency per second (10 MHz in kemu: the interrupt time).
NTKERNELAPI LARGE_INTEGER NTAPI KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
#if NTDDI_VERSION >= NTDDI_WIN8
NTKERNELAPI VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
#endif
#if NTDDI_VERSION >= NTDDI_WINBLUE
/// The interrupt time; *QpcTimeStamp gets the performance counter it was read at (in kemu the two
/// are the same virtual clock).
NTKERNELAPI ULONG64 NTAPI KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp);
#endif

// Critical regions (normal kernel APCs disabled); SL-12: not affected by IRQL.
NTKERNELAPI VOID NTAPI KeEnterCriticalRegion(VOID);
NTKERNELAPI VOID NTAPI KeLeaveCriticalRegion(VOID);
#if NTDDI_VERSION >= NTDDI_WS03
NTKERNELAPI BOOLEAN NTAPI KeAreApcsDisabled(VOID);
#endif

KEMU_WDK_END_DECLS

#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(DISPATCHER_HEADER) == 24, "DISPATCHER_HEADER is 24 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(DISPATCHER_HEADER, SignalState) == 4, "SignalState");
KEMU_WDK_STATIC_ASSERT(offsetof(DISPATCHER_HEADER, WaitListHead) == 8, "WaitListHead");
KEMU_WDK_STATIC_ASSERT(sizeof(KEVENT) == 24, "KEVENT is 24 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(KSEMAPHORE) == 32, "KSEMAPHORE is 32 bytes");
KEMU_WDK_STATIC_ASSERT(sizeof(KMUTEX) == 56, "KMUTEX is 56 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(KMUTEX, OwnerThread) == 40, "OwnerThread");
KEMU_WDK_STATIC_ASSERT(sizeof(KTIMER) == 64, "KTIMER is 64 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(KTIMER, DueTime) == 24, "DueTime");
KEMU_WDK_STATIC_ASSERT(offsetof(KTIMER, Dpc) == 48, "Dpc");
KEMU_WDK_STATIC_ASSERT(offsetof(KTIMER, Period) == 60, "Period");
KEMU_WDK_STATIC_ASSERT(sizeof(KWAIT_BLOCK) == 48, "KWAIT_BLOCK is 48 bytes");
#endif

#endif  // KEMU_WDK_DISPATCH_H_
