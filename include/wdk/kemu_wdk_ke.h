// kemu_wdk_ke.h — IRQL, spin locks, DPCs, interrupt objects and processor queries (the Ke* API).
//
// Declares the kernel-executive routines an interrupt-driven driver calls; kemu's emulator
// implements them against the current emulated machine. IRQL numbers are x64's on every host.
//
//   KIRQL old_irql;
//   KeAcquireSpinLock(&ext->Lock, &old_irql);       // macro over KeAcquireSpinLockRaiseToDpc
//   InsertTailList(&ext->Pending, &request->Link);
//   KeReleaseSpinLock(&ext->Lock, old_irql);
//   KeInsertQueueDpc(&ext->Dpc, NULL, NULL);
#ifndef KEMU_WDK_KE_H_
#define KEMU_WDK_KE_H_

#include "kemu_wdk_base.h"

// ---------------------------------------------------------------------------------------------
// IRQL.

typedef UCHAR KIRQL, *PKIRQL;

// x64 numbering. SYNCH_LEVEL is a personality value at run time; the macro is the x64 one.
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define DRS_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15
#define SYNCH_LEVEL (IPI_LEVEL - 2)

// ---------------------------------------------------------------------------------------------
// Spin locks.

typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
  struct _KSPIN_LOCK_QUEUE *volatile Next;
  PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

/// Per-acquisition state of an in-stack queued spin lock; lives on the caller's stack.
typedef struct _KLOCK_QUEUE_HANDLE {
  KSPIN_LOCK_QUEUE LockQueue;
  KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

/// A reader/writer spin lock (the Ex*SpinLockShared/Exclusive routines). A zeroed one is free and
/// ready for use: there is no initialisation routine. Its bits are the kernel's.
typedef volatile LONG EX_SPIN_LOCK, *PEX_SPIN_LOCK;

// ---------------------------------------------------------------------------------------------
// Kernel object types (the Type byte of DPCs, interrupt objects and dispatcher objects).

typedef enum _KOBJECTS KEMU_WDK_ENUM_INT {
  EventNotificationObject = 0,
  EventSynchronizationObject = 1,
  MutantObject = 2,
  SemaphoreObject = 5,
  ThreadObject = 6,
  GateObject = 7,
  TimerNotificationObject = 8,
  TimerSynchronizationObject = 9,
  DpcObject = 19,
  DeviceQueueObject = 20,
  InterruptObject = 22,
  ThreadedDpcObject = 24
} KOBJECTS;

// ---------------------------------------------------------------------------------------------
// Device queues: a busy flag and a FIFO (or sort-key ordered) list of waiting requests.

/// A device queue (Windows x64 layout, 40 bytes). Busy is the low byte of a 64-bit word whose
/// upper bits Windows uses as an insertion hint; kemu keeps them zero.
typedef struct _KDEVICE_QUEUE {
  CSHORT Type;
  CSHORT Size;
  LIST_ENTRY DeviceListHead;
  KSPIN_LOCK Lock;
  KEMU_WDK_EXTENSION union {
    BOOLEAN Busy;
    LONG64 BusyAndHint;
  };
} KDEVICE_QUEUE, *PKDEVICE_QUEUE, *PRKDEVICE_QUEUE;

/// One waiting request (usually IRP.Tail.Overlay.DeviceQueueEntry).
typedef struct _KDEVICE_QUEUE_ENTRY {
  LIST_ENTRY DeviceListEntry;
  ULONG SortKey;
  BOOLEAN Inserted;
} KDEVICE_QUEUE_ENTRY, *PKDEVICE_QUEUE_ENTRY, *PRKDEVICE_QUEUE_ENTRY;

// ---------------------------------------------------------------------------------------------
// DPCs.

typedef enum _KDPC_IMPORTANCE KEMU_WDK_ENUM_INT {
  LowImportance = 0,
  MediumImportance = 1,
  HighImportance = 2,
  MediumHighImportance = 3
} KDPC_IMPORTANCE;

typedef struct _KDPC KDPC, *PKDPC, *PRKDPC;

/// A DPC routine; runs at DISPATCH_LEVEL (a threaded DPC may run at PASSIVE_LEVEL).
typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                               PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

/// DPC object with the Windows 8+ field order (64 bytes on x64). Drivers must treat it as opaque;
/// kemu keeps its own bookkeeping in side tables keyed by the object's address.
struct _KDPC {
  KEMU_WDK_EXTENSION union {
    KEMU_WDK_EXTENSION struct {
      UCHAR Type;
      UCHAR Importance;
      volatile USHORT Number;
    };
    volatile LONG TargetInfoAsUlong;
  };
  SINGLE_LIST_ENTRY DpcListEntry;
  KAFFINITY ProcessorHistory;
  PKDEFERRED_ROUTINE DeferredRoutine;
  PVOID DeferredContext;
  PVOID SystemArgument1;
  PVOID SystemArgument2;
  PVOID DpcData;
};

// ---------------------------------------------------------------------------------------------
// Interrupt objects and service routines.

typedef enum _KINTERRUPT_MODE KEMU_WDK_ENUM_INT { LevelSensitive = 0, Latched = 1 } KINTERRUPT_MODE;

typedef enum _KINTERRUPT_POLARITY KEMU_WDK_ENUM_INT {
  InterruptPolarityUnknown = 0,
  InterruptActiveHigh = 1,
  InterruptRisingEdge = 1,
  InterruptActiveLow = 2,
  InterruptFallingEdge = 2,
  InterruptActiveBoth = 3,
  InterruptActiveBothTriggerLow = 3,
  InterruptActiveBothTriggerHigh = 4
} KINTERRUPT_POLARITY,
    *PKINTERRUPT_POLARITY;

typedef struct _KINTERRUPT KINTERRUPT, *PKINTERRUPT, *PRKINTERRUPT;

/// A line-based ISR: returns TRUE when its device raised the interrupt.
typedef BOOLEAN KSERVICE_ROUTINE(struct _KINTERRUPT *Interrupt, PVOID ServiceContext);
typedef KSERVICE_ROUTINE *PKSERVICE_ROUTINE;

/// A message-signalled ISR; MessageID indexes IO_INTERRUPT_MESSAGE_INFO.MessageInfo.
typedef BOOLEAN KMESSAGE_SERVICE_ROUTINE(struct _KINTERRUPT *Interrupt, PVOID ServiceContext,
                                         ULONG MessageID);
typedef KMESSAGE_SERVICE_ROUTINE *PKMESSAGE_SERVICE_ROUTINE;

/// Runs under the interrupt spin lock at SynchronizeIrql (KeSynchronizeExecution).
typedef BOOLEAN KSYNCHRONIZE_ROUTINE(PVOID SynchronizeContext);
typedef KSYNCHRONIZE_ROUTINE *PKSYNCHRONIZE_ROUTINE;

/// kemu's interrupt object (INT-3). Windows keeps KINTERRUPT private and drivers treat it as
/// opaque; kemu defines its own layout, exposing the field names Windows uses, so that the
/// emulator's interrupt objects can embed it as their first member and tests may inspect fields
/// such as ActualLock and SynchronizeIrql. This is not Windows' private layout.
struct _KINTERRUPT {
  CSHORT Type;
  CSHORT Size;
  LIST_ENTRY InterruptListEntry;
  PKSERVICE_ROUTINE ServiceRoutine;
  PKMESSAGE_SERVICE_ROUTINE MessageServiceRoutine;
  ULONG MessageIndex;
  PVOID ServiceContext;
  KSPIN_LOCK SpinLock;
  PKSPIN_LOCK ActualLock;
  ULONG Vector;
  KIRQL Irql;
  KIRQL SynchronizeIrql;
  BOOLEAN FloatingSave;
  BOOLEAN Connected;
  CCHAR Number;
  BOOLEAN ShareVector;
  KINTERRUPT_MODE Mode;
  KINTERRUPT_POLARITY Polarity;
  ULONG ServiceCount;
  ULONG DispatchCount;
  ULONGLONG Reserved[4];
};

// ---------------------------------------------------------------------------------------------
// Bug-check callback records (Windows x64 layout, 64 bytes; opaque to drivers but for State).

typedef enum _KBUGCHECK_BUFFER_DUMP_STATE KEMU_WDK_ENUM_INT {
  BufferEmpty = 0,
  BufferInserted = 1,
  BufferStarted = 2,
  BufferFinished = 3,
  BufferIncomplete = 4
} KBUGCHECK_BUFFER_DUMP_STATE;

/// Called with the Buffer and Length given at registration.
typedef VOID KBUGCHECK_CALLBACK_ROUTINE(PVOID Buffer, ULONG Length);
typedef KBUGCHECK_CALLBACK_ROUTINE *PKBUGCHECK_CALLBACK_ROUTINE;

typedef struct _KBUGCHECK_CALLBACK_RECORD {
  LIST_ENTRY Entry;
  PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine;
  PVOID Buffer;
  ULONG Length;
  PUCHAR Component;
  ULONG_PTR Checksum;
  UCHAR State;
} KBUGCHECK_CALLBACK_RECORD, *PKBUGCHECK_CALLBACK_RECORD;

/// Prepares a record for KeRegisterBugCheckCallback (a macro, as in the WDK).
#define KeInitializeCallbackRecord(CallbackRecord) ((CallbackRecord)->State = BufferEmpty)

// Bug-check reason callbacks (Windows XP SP1 / Server 2003 on): what the callback is for, its
// record (Windows x64 layout, 48 bytes; opaque to drivers but for State) and, for
// KbCallbackSecondaryDumpData, the data it supplies for the crash dump.

typedef enum _KBUGCHECK_CALLBACK_REASON KEMU_WDK_ENUM_INT {
  KbCallbackInvalid,  // reserved for the system
  KbCallbackReserved1,
  KbCallbackSecondaryDumpData,
  KbCallbackDumpIo,
  KbCallbackAddPages,
  KbCallbackSecondaryMultiPartDumpData,  // Windows Server 2008 on
  KbCallbackRemovePages,
  KbCallbackTriageDumpData,  // Windows 10 1809 on
  KbCallbackReserved2,
  KbCallbackReserved3
} KBUGCHECK_CALLBACK_REASON;

struct _KBUGCHECK_REASON_CALLBACK_RECORD;

/// ReasonSpecificData points at the structure the reason names (KBUGCHECK_SECONDARY_DUMP_DATA for
/// KbCallbackSecondaryDumpData); ReasonSpecificDataLength is its size.
typedef VOID KBUGCHECK_REASON_CALLBACK_ROUTINE(KBUGCHECK_CALLBACK_REASON Reason,
                                               struct _KBUGCHECK_REASON_CALLBACK_RECORD *Record,
                                               PVOID ReasonSpecificData,
                                               ULONG ReasonSpecificDataLength);
typedef KBUGCHECK_REASON_CALLBACK_ROUTINE *PKBUGCHECK_REASON_CALLBACK_ROUTINE;

typedef struct _KBUGCHECK_REASON_CALLBACK_RECORD {
  LIST_ENTRY Entry;
  PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine;
  PUCHAR Component;
  ULONG_PTR Checksum;
  KBUGCHECK_CALLBACK_REASON Reason;
  UCHAR State;
} KBUGCHECK_REASON_CALLBACK_RECORD, *PKBUGCHECK_REASON_CALLBACK_RECORD;

/// The system fills InBuffer, InBufferLength, MaximumAllowed and OutBuffer; the callback fills
/// Guid, OutBuffer and OutBufferLength (at most MaximumAllowed bytes are kept).
typedef struct _KBUGCHECK_SECONDARY_DUMP_DATA {
  PVOID InBuffer;
  ULONG InBufferLength;
  ULONG MaximumAllowed;
  GUID Guid;
  PVOID OutBuffer;
  ULONG OutBufferLength;
} KBUGCHECK_SECONDARY_DUMP_DATA, *PKBUGCHECK_SECONDARY_DUMP_DATA;

// ---------------------------------------------------------------------------------------------
// Routines. Availability follows NTDDI_VERSION as in the WDK.

KEMU_WDK_BEGIN_DECLS

// IRQL. KeRaiseIrql and KeAcquireSpinLock are macros, as in the WDK; each is also a real function
// so that `(KeRaiseIrql)(level, &old)` and taking its address still work.
NTKERNELAPI KIRQL NTAPI KeGetCurrentIrql(VOID);
NTKERNELAPI KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql);
NTKERNELAPI VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
#define KeRaiseIrql(a, b) (*(b) = KfRaiseIrql(a))
NTKERNELAPI VOID NTAPI KeLowerIrql(KIRQL NewIrql);
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID);
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID);

// Spin locks.
NTKERNELAPI VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql);
#define KeAcquireSpinLock(a, b) (*(b) = KeAcquireSpinLockRaiseToDpc(a))
NTKERNELAPI VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
NTKERNELAPI VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock);
#if NTDDI_VERSION >= NTDDI_WS03SP1
NTKERNELAPI BOOLEAN NTAPI KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
#endif
#if NTDDI_VERSION >= NTDDI_WS03
/// TRUE when the lock is free, FALSE when held; never acquires it.
NTKERNELAPI BOOLEAN NTAPI KeTestSpinLock(PKSPIN_LOCK SpinLock);
#endif
#if NTDDI_VERSION >= NTDDI_WINXP
NTKERNELAPI VOID NTAPI KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
                                                      PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID NTAPI KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID NTAPI KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
                                                                PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID NTAPI KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID NTAPI KeAcquireInStackQueuedSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock,
                                                                  PKLOCK_QUEUE_HANDLE LockHandle);
#endif
#if NTDDI_VERSION >= NTDDI_VISTA
NTKERNELAPI VOID NTAPI KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock,
                                                            PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID NTAPI KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle);
/* For (threaded) DPC routines: returns the IRQL to pass to the release. */
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql);
#endif
#if NTDDI_VERSION >= NTDDI_VISTASP1
// Reader/writer spin locks: any number of shared holders or one exclusive holder. The raising
// acquires need IRQL <= DISPATCH_LEVEL and return the IRQL to pass to the release; the
// ...AtDpcLevel acquires and ...FromDpcLevel releases need IRQL >= DISPATCH_LEVEL. Never acquire
// one the processor already holds, in either mode.
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NTKERNELAPI VOID NTAPI ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock);
/// TRUE, the caller now holding it exclusive, when it was the only shared holder and no
/// processor waited for exclusive access; FALSE, still shared, otherwise.
NTKERNELAPI LOGICAL NTAPI ExTryConvertSharedSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
#endif

// DPCs.
NTKERNELAPI VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                                       PVOID DeferredContext);
#if NTDDI_VERSION >= NTDDI_VISTA
NTKERNELAPI VOID NTAPI KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                                               PVOID DeferredContext);
#endif
/// FALSE, storing nothing, when the DPC is already queued.
NTKERNELAPI BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1,
                                           PVOID SystemArgument2);
NTKERNELAPI BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc);
NTKERNELAPI VOID NTAPI KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance);
NTKERNELAPI VOID NTAPI KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number);
#if NTDDI_VERSION >= NTDDI_WIN7
NTKERNELAPI NTSTATUS NTAPI KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber);
#endif
#if NTDDI_VERSION >= NTDDI_WINXP
NTKERNELAPI VOID NTAPI KeFlushQueuedDpcs(VOID);
#endif

// The DPC watchdog, asked by code that runs long at DISPATCH_LEVEL. The figures are
// dimensionless, as Microsoft documents: kemu reports the routine's allotment in microseconds
// and the sequence's in DPC routines (docs/kernel.md, "Asking the DPC watchdog").
typedef struct _KDPC_WATCHDOG_INFORMATION {
  ULONG DpcTimeLimit;     /* 0 when the single-routine watchdog is off */
  ULONG DpcTimeCount;     /* what the running routine has left */
  ULONG DpcWatchdogLimit; /* the bound on DPCs run back to back */
  ULONG DpcWatchdogCount; /* what the current sequence has left */
  ULONG Reserved;
} KDPC_WATCHDOG_INFORMATION, *PKDPC_WATCHDOG_INFORMATION;
#if NTDDI_VERSION >= NTDDI_VISTA
/* STATUS_UNSUCCESSFUL, writing nothing, when no DPC runs and the IRQL is below DISPATCH_LEVEL. */
NTKERNELAPI NTSTATUS NTAPI
KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION WatchdogInformation);
#endif
#if NTDDI_VERSION >= NTDDI_WIN10_RS5
/* TRUE when code at DISPATCH_LEVEL should stop and leave the rest of its work to a thread. */
NTKERNELAPI LOGICAL NTAPI KeShouldYieldProcessor(VOID);
#endif

// Processors and time.
#if NTDDI_VERSION >= NTDDI_VISTA
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCount(VOID);
#endif
#if NTDDI_VERSION >= NTDDI_WIN7
/* Pass as GroupNumber to count the processors of every group. */
#define ALL_PROCESSOR_GROUPS 0xffff
/* What KeGetProcessorIndexFromNumber returns for a processor number that names no processor. */
#define INVALID_PROCESSOR_INDEX 0xffffffff
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCountEx(USHORT GroupNumber);
NTKERNELAPI USHORT NTAPI KeQueryActiveGroupCount(VOID);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCountEx(USHORT GroupNumber);
NTKERNELAPI USHORT NTAPI KeQueryMaximumGroupCount(VOID);
/* The system-wide processor index; fills ProcNumber (group, number in group) when not NULL. */
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI ULONG NTAPI KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI NTSTATUS NTAPI KeGetProcessorNumberFromIndex(ULONG ProcIndex,
                                                         PPROCESSOR_NUMBER ProcNumber);
/* Interrupt time without the time the machine slept (kemu machines never sleep). */
NTKERNELAPI ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID);
#endif
NTKERNELAPI KAFFINITY NTAPI KeQueryActiveProcessors(VOID);
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumber(VOID);
NTHALAPI VOID NTAPI KeStallExecutionProcessor(ULONG MicroSeconds);
/// Virtual interrupt time in 100 ns units; advances only when the emulated machine says so.
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTime(VOID);
NTKERNELAPI VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
/* System time (UTC) to the local time of the machine's time zone and back. kemu's time zone is
   UTC with no daylight saving: the bias is zero, so both copy the time. */
NTKERNELAPI VOID NTAPI ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime);
NTKERNELAPI VOID NTAPI ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime);

// NUMA nodes: a kemu machine is one node, node 0, holding every vCPU.
#if NTDDI_VERSION >= NTDDI_WIN7
NTKERNELAPI USHORT NTAPI KeGetCurrentNodeNumber(VOID);
/* ntddk.h in the WDK; kemu's ntddk.h is <wdm.h>. */
NTKERNELAPI USHORT NTAPI KeQueryHighestNodeNumber(VOID);
#endif

/* The legacy processor count a driver reads as a variable (ntddk.h). In kemu it is a macro over
   a function of the same name, so that it always reflects the running machine's vCPUs:
   `CCHAR n = KeNumberProcessors;` works; taking its address does not. */
NTKERNELAPI CCHAR NTAPI KeNumberProcessors(VOID);
#define KeNumberProcessors (KeNumberProcessors())

// Floating-point state around a driver's own floating-point code (IRQL <= DISPATCH_LEVEL). The
// x64 WDK makes both inline; kemu provides functions so the machine checks their pairing: a
// restore must name the last save on the vCPU, at the IRQL of that save.
typedef struct _KFLOATING_SAVE {
  ULONG Dummy; /* x64: the state stays with the thread; the buffer carries nothing */
} KFLOATING_SAVE, *PKFLOATING_SAVE;
NTKERNELAPI NTSTATUS NTAPI KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave);
NTKERNELAPI NTSTATUS NTAPI KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave);

// Extended processor state (XSAVE features: x87, SSE, AVX ...), Windows 7 on. A save names the
// features it protects (a mask of XSTATE_MASK_* bits the system enabled: see
// RtlGetEnabledExtendedFeatures) and pairs with its restore under the same rules as the
// floating-point routines above, in the same nesting.
#define XSTATE_MASK_LEGACY_FLOATING_POINT (1ULL << 0)
#define XSTATE_MASK_LEGACY_SSE (1ULL << 1)
#define XSTATE_MASK_LEGACY (XSTATE_MASK_LEGACY_FLOATING_POINT | XSTATE_MASK_LEGACY_SSE)
#define XSTATE_MASK_GSSE (1ULL << 2)
#define XSTATE_MASK_AVX XSTATE_MASK_GSSE
#define XSTATE_MASK_MPX ((1ULL << 3) | (1ULL << 4))
#define XSTATE_MASK_AVX512 ((1ULL << 5) | (1ULL << 6) | (1ULL << 7))
#define XSTATE_MASK_AMX_TILE_CONFIG (1ULL << 17)
#define XSTATE_MASK_AMX_TILE_DATA (1ULL << 18)

/// The processor's save area: opaque to drivers (the system allocates and formats it).
typedef struct _XSAVE_AREA XSAVE_AREA, *PXSAVE_AREA;

/// Where a save keeps the features' state; the system fills it, a driver only provides room.
typedef struct _XSTATE_CONTEXT {
  ULONG64 Mask;
  ULONG Length;
  ULONG Reserved1;
  PXSAVE_AREA Area;
  PVOID Buffer;
} XSTATE_CONTEXT, *PXSTATE_CONTEXT;

/// The caller's buffer for one KeSaveExtendedProcessorState (x64: 56 bytes). kemu writes nothing
/// into it; it keeps the save beside it, as it does a KFLOATING_SAVE's.
typedef struct _XSTATE_SAVE {
  struct _XSTATE_SAVE *Prev;
  struct _KTHREAD *Thread;
  UCHAR Level;
  XSTATE_CONTEXT XStateContext;
} XSTATE_SAVE, *PXSTATE_SAVE;

#if NTDDI_VERSION >= NTDDI_WIN7
/// IRQL <= DISPATCH_LEVEL. STATUS_SUCCESS, or STATUS_INSUFFICIENT_RESOURCES.
NTKERNELAPI NTSTATUS NTAPI KeSaveExtendedProcessorState(ULONG64 Mask, PXSTATE_SAVE XStateSave);
/// IRQL <= DISPATCH_LEVEL, the IRQL of the save; the last save of the running thread.
NTKERNELAPI VOID NTAPI KeRestoreExtendedProcessorState(PXSTATE_SAVE XStateSave);
/// The features of FeatureMask the system enabled (PASSIVE_LEVEL; <ntddk.h> in the WDK).
NTKERNELAPI ULONG64 NTAPI RtlGetEnabledExtendedFeatures(ULONG64 FeatureMask);
#endif

// Processor affinity of the calling thread (system affinity: what a driver sets for a while and
// then reverts). The Ex and group routines return or store what the revert routine takes back.
NTKERNELAPI VOID NTAPI KeSetSystemAffinityThread(KAFFINITY Affinity);
NTKERNELAPI VOID NTAPI KeRevertToUserAffinityThread(VOID);
#if NTDDI_VERSION >= NTDDI_VISTA
/// The previous system affinity, or 0 when the thread ran with its user affinity.
NTKERNELAPI KAFFINITY NTAPI KeSetSystemAffinityThreadEx(KAFFINITY Affinity);
/// Affinity: what KeSetSystemAffinityThreadEx returned (0 restores the user affinity).
NTKERNELAPI VOID NTAPI KeRevertToUserAffinityThreadEx(KAFFINITY Affinity);
#endif
#if NTDDI_VERSION >= NTDDI_WIN7
NTKERNELAPI VOID NTAPI KeSetSystemGroupAffinityThread(PGROUP_AFFINITY Affinity,
                                                      PGROUP_AFFINITY PreviousAffinity);
NTKERNELAPI VOID NTAPI KeRevertToUserGroupAffinityThread(PGROUP_AFFINITY PreviousAffinity);
#endif

// A routine run on every processor at once, at IPI_LEVEL.
typedef ULONG_PTR KIPI_BROADCAST_WORKER(ULONG_PTR Argument);
typedef KIPI_BROADCAST_WORKER *PKIPI_BROADCAST_WORKER;
#if NTDDI_VERSION >= NTDDI_WS03
/// What BroadcastFunction returned on the calling processor.
NTKERNELAPI ULONG_PTR NTAPI KeIpiGenericCall(PKIPI_BROADCAST_WORKER BroadcastFunction,
                                             ULONG_PTR Context);
#endif

// Interrupt synchronisation.
NTKERNELAPI BOOLEAN NTAPI KeSynchronizeExecution(PKINTERRUPT Interrupt,
                                                 PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                                                 PVOID SynchronizeContext);
#if NTDDI_VERSION >= NTDDI_WINXP
NTKERNELAPI KIRQL NTAPI KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt);
NTKERNELAPI VOID NTAPI KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql);
#endif

// Device queues. Insert and remove run at DISPATCH_LEVEL; KeRemoveEntryDeviceQueue at
// IRQL <= DISPATCH_LEVEL; KeInitializeDeviceQueue at any IRQL.
NTKERNELAPI VOID NTAPI KeInitializeDeviceQueue(PKDEVICE_QUEUE DeviceQueue);
/// FALSE (entry not queued, queue now busy) when the queue was idle; TRUE when queued at the tail.
NTKERNELAPI BOOLEAN NTAPI KeInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                              PKDEVICE_QUEUE_ENTRY DeviceQueueEntry);
/// As KeInsertDeviceQueue, queued after every entry whose SortKey <= SortKey.
NTKERNELAPI BOOLEAN NTAPI KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                                   PKDEVICE_QUEUE_ENTRY DeviceQueueEntry,
                                                   ULONG SortKey);
/// The first entry, or NULL (and the queue becomes idle) when none is waiting.
NTKERNELAPI PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue);
/// The first entry whose SortKey >= SortKey, else the first entry; NULL (idle) when empty.
NTKERNELAPI PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                                                ULONG SortKey);
/// TRUE when the entry was queued (and is now removed), FALSE otherwise.
NTKERNELAPI BOOLEAN NTAPI KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                                   PKDEVICE_QUEUE_ENTRY DeviceQueueEntry);

// Bug-check callbacks: the routine runs, at HIGH_LEVEL, when the system issues a bug check. FALSE:
// the record is registered already (or was not prepared by KeInitializeCallbackRecord) / was not.
NTKERNELAPI BOOLEAN NTAPI KeRegisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord,
                                                     PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine,
                                                     PVOID Buffer, ULONG Length, PUCHAR Component);
NTKERNELAPI BOOLEAN NTAPI KeDeregisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord);
#if NTDDI_VERSION >= NTDDI_WINXPSP1
/// FALSE when the record is registered already (or was not prepared by
/// KeInitializeCallbackRecord).
NTKERNELAPI BOOLEAN NTAPI
KeRegisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord,
                                 PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine,
                                 KBUGCHECK_CALLBACK_REASON Reason, PUCHAR Component);
/// FALSE when the record is not registered.
NTKERNELAPI BOOLEAN NTAPI
KeDeregisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord);
#endif

// NMI callbacks (Windows Server 2003 on): called at HIGH_LEVEL on the processor a nonmaskable
// interrupt arrives at, newest registration first. Handled: an earlier callback returned TRUE.
// Return TRUE when the NMI was this driver's device's; when none does, the system bug-checks.
typedef BOOLEAN NMI_CALLBACK(PVOID Context, BOOLEAN Handled);
typedef NMI_CALLBACK *PNMI_CALLBACK;
#if NTDDI_VERSION >= NTDDI_WS03
/// The handle for KeDeregisterNmiCallback, or NULL when the callback could not be registered.
NTKERNELAPI PVOID NTAPI KeRegisterNmiCallback(PNMI_CALLBACK CallbackRoutine, PVOID Context);
/// STATUS_INVALID_HANDLE when Handle is no registration.
NTKERNELAPI NTSTATUS NTAPI KeDeregisterNmiCallback(PVOID Handle);
#endif

// Bug checks: the emulated system stops; kemu unwinds to the test harness.
KEMU_NORETURN NTKERNELAPI VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
                                                  ULONG_PTR BugCheckParameter2,
                                                  ULONG_PTR BugCheckParameter3,
                                                  ULONG_PTR BugCheckParameter4);
KEMU_NORETURN NTKERNELAPI VOID NTAPI KeBugCheck(ULONG BugCheckCode);

// An exception for a driver's structured exception handler. kemu cannot run __except blocks, so
// the exception is never handled: 0x1E KMODE_EXCEPTION_NOT_HANDLED (0x7E in a system thread) with
// Status as the exception code.
KEMU_NORETURN NTKERNELAPI VOID NTAPI ExRaiseStatus(NTSTATUS Status);

KEMU_WDK_END_DECLS

// ---------------------------------------------------------------------------------------------
// Layout checks (Windows x64 numbers).

KEMU_WDK_STATIC_ASSERT(sizeof(KIRQL) == 1, "KIRQL is one byte");
KEMU_WDK_STATIC_ASSERT(sizeof(KINTERRUPT_MODE) == 4, "KINTERRUPT_MODE is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(KINTERRUPT_POLARITY) == 4, "KINTERRUPT_POLARITY is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(KDPC_IMPORTANCE) == 4, "KDPC_IMPORTANCE is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_CALLBACK_REASON) == 4,
                       "KBUGCHECK_CALLBACK_REASON is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, Importance) == 1 && offsetof(KDPC, Number) == 2,
                       "KDPC Type/Importance/Number share the first ULONG");
#if KEMU_WDK_PTR64
KEMU_WDK_STATIC_ASSERT(sizeof(KSPIN_LOCK) == 8, "KSPIN_LOCK is pointer-sized");
KEMU_WDK_STATIC_ASSERT(sizeof(KLOCK_QUEUE_HANDLE) == 24, "KLOCK_QUEUE_HANDLE is 24 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(KLOCK_QUEUE_HANDLE, OldIrql) == 16, "OldIrql after the queue");
KEMU_WDK_STATIC_ASSERT(sizeof(KDPC) == 64, "KDPC is 64 bytes on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_CALLBACK_RECORD) == 64,
                       "KBUGCHECK_CALLBACK_RECORD is 64 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_CALLBACK_RECORD, CallbackRoutine) == 16,
                       "KBUGCHECK_CALLBACK_RECORD.CallbackRoutine at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_CALLBACK_RECORD, Length) == 32,
                       "KBUGCHECK_CALLBACK_RECORD.Length at 32");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_CALLBACK_RECORD, State) == 56,
                       "KBUGCHECK_CALLBACK_RECORD.State at 56");
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_REASON_CALLBACK_RECORD) == 48,
                       "KBUGCHECK_REASON_CALLBACK_RECORD is 48 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_REASON_CALLBACK_RECORD, Component) == 24,
                       "KBUGCHECK_REASON_CALLBACK_RECORD.Component at 24");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_REASON_CALLBACK_RECORD, Reason) == 40,
                       "KBUGCHECK_REASON_CALLBACK_RECORD.Reason at 40");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_REASON_CALLBACK_RECORD, State) == 44,
                       "KBUGCHECK_REASON_CALLBACK_RECORD.State at 44");
KEMU_WDK_STATIC_ASSERT(sizeof(KBUGCHECK_SECONDARY_DUMP_DATA) == 48,
                       "KBUGCHECK_SECONDARY_DUMP_DATA is 48 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_SECONDARY_DUMP_DATA, Guid) == 16,
                       "KBUGCHECK_SECONDARY_DUMP_DATA.Guid at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_SECONDARY_DUMP_DATA, OutBuffer) == 32,
                       "KBUGCHECK_SECONDARY_DUMP_DATA.OutBuffer at 32");
KEMU_WDK_STATIC_ASSERT(offsetof(KBUGCHECK_SECONDARY_DUMP_DATA, OutBufferLength) == 40,
                       "KBUGCHECK_SECONDARY_DUMP_DATA.OutBufferLength at 40");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, DpcListEntry) == 8, "KDPC.DpcListEntry at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, ProcessorHistory) == 16, "KDPC.ProcessorHistory at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, DeferredRoutine) == 24, "KDPC.DeferredRoutine at 24");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, DeferredContext) == 32, "KDPC.DeferredContext at 32");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, SystemArgument1) == 40, "KDPC.SystemArgument1 at 40");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, SystemArgument2) == 48, "KDPC.SystemArgument2 at 48");
KEMU_WDK_STATIC_ASSERT(offsetof(KDPC, DpcData) == 56, "KDPC.DpcData at 56");
KEMU_WDK_STATIC_ASSERT(sizeof(KDPC_WATCHDOG_INFORMATION) == 20,
                       "KDPC_WATCHDOG_INFORMATION is five ULONGs");
KEMU_WDK_STATIC_ASSERT(sizeof(KDEVICE_QUEUE) == 40, "KDEVICE_QUEUE is 40 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(KDEVICE_QUEUE, DeviceListHead) == 8, "DeviceListHead at 8");
KEMU_WDK_STATIC_ASSERT(offsetof(KDEVICE_QUEUE, Lock) == 24, "KDEVICE_QUEUE.Lock at 24");
KEMU_WDK_STATIC_ASSERT(offsetof(KDEVICE_QUEUE, Busy) == 32, "KDEVICE_QUEUE.Busy at 32");
KEMU_WDK_STATIC_ASSERT(sizeof(KDEVICE_QUEUE_ENTRY) == 24, "KDEVICE_QUEUE_ENTRY is 24 bytes");
KEMU_WDK_STATIC_ASSERT(offsetof(KDEVICE_QUEUE_ENTRY, SortKey) == 16, "SortKey at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(KDEVICE_QUEUE_ENTRY, Inserted) == 20, "Inserted at 20");
KEMU_WDK_STATIC_ASSERT(sizeof(KFLOATING_SAVE) == 4, "KFLOATING_SAVE is one ULONG on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(XSTATE_CONTEXT) == 32, "XSTATE_CONTEXT is 32 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(XSTATE_CONTEXT, Area) == 16, "XSTATE_CONTEXT.Area at 16");
KEMU_WDK_STATIC_ASSERT(sizeof(XSTATE_SAVE) == 56, "XSTATE_SAVE is 56 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(XSTATE_SAVE, Level) == 16, "XSTATE_SAVE.Level at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(XSTATE_SAVE, XStateContext) == 24,
                       "XSTATE_SAVE.XStateContext at 24");
#endif

#endif  // KEMU_WDK_KE_H_
