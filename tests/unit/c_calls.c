/* Driver-style C17 code for c_calls_test.cpp: proves kemu's WDK headers compile as real C and that
 * a bug check raised inside a kernel routine unwinds through these C frames (the target builds C
 * with -fexceptions through kemu::wdk). Every function here is what a small driver would write. */
#include <wdm.h>

#ifdef __cplusplus
#error "c_calls.c must be compiled as C"
#endif

_Static_assert(sizeof(KSPIN_LOCK) == 8, "KSPIN_LOCK is pointer-sized on x64");
_Static_assert(sizeof(KLOCK_QUEUE_HANDLE) == 24, "KLOCK_QUEUE_HANDLE is 24 bytes on x64");
_Static_assert(DISPATCH_LEVEL == 2 && HIGH_LEVEL == 15, "x64 IRQL numbering");
_Static_assert(sizeof(EX_SPIN_LOCK) == 4, "EX_SPIN_LOCK is a 32-bit LONG");

/* A driver's shared state: a counter guarded by a spin lock. */
typedef struct _C_CALLS_COUNTER {
  KSPIN_LOCK Lock;
  LONG Value;
} C_CALLS_COUNTER, *PC_CALLS_COUNTER;

KIRQL CCallsCurrentIrql(void) { return KeGetCurrentIrql(); }

KIRQL CCallsRaiseTo(KIRQL NewIrql) {
  KIRQL oldIrql;
  KeRaiseIrql(NewIrql, &oldIrql); /* the WDK macro form */
  return oldIrql;
}

KIRQL CCallsRaiseToThroughTheFunction(KIRQL NewIrql) {
  KIRQL oldIrql;
  (KeRaiseIrql)(NewIrql, &oldIrql); /* parentheses reach the real export */
  return oldIrql;
}

/* Bug: no OldIrql. Only the real function can notice; the macro would store through NULL. */
void CCallsRaiseWithoutOldIrql(KIRQL NewIrql) { (KeRaiseIrql)(NewIrql, NULL); }

void CCallsLower(KIRQL NewIrql) { KeLowerIrql(NewIrql); }

KIRQL CCallsRaiseToDpcLevel(void) { return KeRaiseIrqlToDpcLevel(); }

void CCallsInitializeCounter(PC_CALLS_COUNTER Counter) {
  KeInitializeSpinLock(&Counter->Lock);
  Counter->Value = 0;
}

/* Increments under the lock; returns the IRQL seen while the lock was held. */
KIRQL CCallsIncrement(PC_CALLS_COUNTER Counter) {
  KIRQL oldIrql;
  KIRQL heldIrql;
  KeAcquireSpinLock(&Counter->Lock, &oldIrql);
  Counter->Value += 1;
  heldIrql = KeGetCurrentIrql();
  KeReleaseSpinLock(&Counter->Lock, oldIrql);
  return heldIrql;
}

/* The same, with an in-stack queued lock; stores the lock word seen while held. */
void CCallsIncrementQueued(PC_CALLS_COUNTER Counter, KSPIN_LOCK *WordWhileHeld) {
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&Counter->Lock, &handle);
  Counter->Value += 1;
  *WordWhileHeld = Counter->Lock;
  KeReleaseInStackQueuedSpinLock(&handle);
}

/* Bug: a helper that takes the lock again while its caller holds it. */
static void IncrementLocked(PC_CALLS_COUNTER Counter, int *Reached) {
  KIRQL oldIrql;
  KeAcquireSpinLock(&Counter->Lock, &oldIrql); /* recursive acquire: bug check here */
  *Reached = 1;
  Counter->Value += 1;
  KeReleaseSpinLock(&Counter->Lock, oldIrql);
}

/* Sets *Reached to 1 only if the recursive acquire returned, 2 if the outer function returned. */
void CCallsIncrementTwiceUnderLock(PC_CALLS_COUNTER Counter, int *Reached) {
  KIRQL oldIrql;
  KeAcquireSpinLock(&Counter->Lock, &oldIrql);
  IncrementLocked(Counter, Reached);
  KeReleaseSpinLock(&Counter->Lock, oldIrql);
  *Reached = 2;
}

/* Bug: lowers with the wrong value (raises through KeLowerIrql). */
void CCallsLowerToTheWrongLevel(int *Reached) {
  KIRQL oldIrql;
  KeRaiseIrql(APC_LEVEL, &oldIrql);
  KeLowerIrql(DISPATCH_LEVEL);
  *Reached = 1;
}

/* Pageable code that a caller wrongly reaches at DISPATCH_LEVEL. */
void CCallsPagedRoutine(int *Reached) {
  PAGED_CODE();
  *Reached = 1;
}

/* ASSERT as drivers write it. */
void CCallsCheckValue(LONG Value, int *Reached) {
  ASSERT(Value > 0);
  *Reached = 1;
}

/* A driver that gives up on an unrecoverable state (0xE2 MANUALLY_INITIATED_CRASH). */
void CCallsGiveUp(ULONG_PTR Context) { KeBugCheckEx(0xE2, Context, 0, 0, 0); }

/* A table read under a reader/writer spin lock and written under it exclusively; the writer
 * first tries to upgrade its shared hold. */
typedef struct _C_CALLS_TABLE {
  EX_SPIN_LOCK Lock; /* zero: free, no initialisation routine */
  LONG Entries;
} C_CALLS_TABLE, *PC_CALLS_TABLE;

LONG CCallsReadTable(PC_CALLS_TABLE Table) {
  KIRQL oldIrql = ExAcquireSpinLockShared(&Table->Lock);
  LONG entries = Table->Entries;
  ExReleaseSpinLockShared(&Table->Lock, oldIrql);
  return entries;
}

void CCallsAddToTable(PC_CALLS_TABLE Table) {
  KIRQL oldIrql = ExAcquireSpinLockShared(&Table->Lock);
  if (!ExTryConvertSharedSpinLockExclusive(&Table->Lock)) {
    ExReleaseSpinLockShared(&Table->Lock, oldIrql);
    oldIrql = ExAcquireSpinLockExclusive(&Table->Lock);
  }
  Table->Entries++;
  ExReleaseSpinLockExclusive(&Table->Lock, oldIrql);
}

/* Bug: releases the upgraded lock as shared. */
void CCallsAddToTableReleasingShared(PC_CALLS_TABLE Table, int *Reached) {
  KIRQL oldIrql = ExAcquireSpinLockShared(&Table->Lock);
  if (ExTryConvertSharedSpinLockExclusive(&Table->Lock)) Table->Entries++;
  ExReleaseSpinLockShared(&Table->Lock, oldIrql);
  *Reached = 1;
}

/* The legacy processor-count global, read as a variable. */
int CCallsNumberProcessors(void) {
  CCHAR processors = KeNumberProcessors;
  return processors;
}
