// kemu_wdk_workitem.h — I/O work items: a routine the system runs later at PASSIVE_LEVEL on a
// worker thread (in kemu: see docs/kernel.md "Events, waits, timers and work items" for when).
//
//   PIO_WORKITEM item = IoAllocateWorkItem(fdo);
//   IoQueueWorkItem(item, MyResetRoutine, DelayedWorkQueue, ext);
//   ...                                      // MyResetRoutine (or the stop path) frees it:
//   IoFreeWorkItem(item);
//
// The executive's own work items (WORK_QUEUE_ITEM, ExInitializeWorkItem, ExQueueWorkItem) are for
// work tied to no device object; the driver owns the item's memory and frees it in the routine.
#ifndef KEMU_WDK_WORKITEM_H_
#define KEMU_WDK_WORKITEM_H_

#include "kemu_wdk_base.h"

typedef enum _WORK_QUEUE_TYPE KEMU_WDK_ENUM_INT {
  CriticalWorkQueue = 0,
  DelayedWorkQueue = 1,
  HyperCriticalWorkQueue = 2,
  NormalWorkQueue = 3,
  BackgroundWorkQueue = 4,
  RealTimeWorkQueue = 5,
  SuperCriticalWorkQueue = 6,
  MaximumWorkQueue = 7,
  CustomPriorityWorkQueue = 32
} WORK_QUEUE_TYPE;

/// Opaque: IoAllocateWorkItem returns one, or IoInitializeWorkItem initialises
/// IoSizeofWorkItem() bytes the driver allocated.
typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;

typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE *PIO_WORKITEM_ROUTINE;
typedef VOID IO_WORKITEM_ROUTINE_EX(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem);
typedef IO_WORKITEM_ROUTINE_EX *PIO_WORKITEM_ROUTINE_EX;

/// The routine of an executive work item: runs at PASSIVE_LEVEL on a system worker thread.
typedef VOID WORKER_THREAD_ROUTINE(PVOID Parameter);
typedef WORKER_THREAD_ROUTINE *PWORKER_THREAD_ROUTINE;

/// An executive work item, in memory the driver owns (nonpaged pool). The system links it into a
/// worker queue through List while it is queued; kemu keeps that state in a side table instead.
typedef struct _WORK_QUEUE_ITEM {
  LIST_ENTRY List;
  PWORKER_THREAD_ROUTINE WorkerRoutine;
  PVOID volatile Parameter;
} WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;

KEMU_WDK_STATIC_ASSERT(sizeof(WORK_QUEUE_ITEM) == 32, "WORK_QUEUE_ITEM is 32 bytes on x64");
KEMU_WDK_STATIC_ASSERT(offsetof(WORK_QUEUE_ITEM, WorkerRoutine) == 16,
                       "WORK_QUEUE_ITEM.WorkerRoutine at 16");
KEMU_WDK_STATIC_ASSERT(offsetof(WORK_QUEUE_ITEM, Parameter) == 24,
                       "WORK_QUEUE_ITEM.Parameter at 24");

/// A macro, as in the WDK (callable at any IRQL): sets the routine and its parameter, and clears
/// the list link (not queued).
#define ExInitializeWorkItem(Item, Routine, Context) \
  do {                                               \
    (Item)->WorkerRoutine = (Routine);               \
    (Item)->Parameter = (Context);                   \
    (Item)->List.Flink = NULL;                       \
  } while (0)

KEMU_WDK_BEGIN_DECLS

/// IRQL <= DISPATCH_LEVEL. Device drivers should prefer IoQueueWorkItem.
NTKERNELAPI VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType);

NTKERNELAPI PIO_WORKITEM NTAPI IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                                       WORK_QUEUE_TYPE QueueType, PVOID Context);
#if NTDDI_VERSION >= NTDDI_VISTA
NTKERNELAPI VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem,
                                         PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                         WORK_QUEUE_TYPE QueueType, PVOID Context);
NTKERNELAPI ULONG NTAPI IoSizeofWorkItem(VOID);
NTKERNELAPI VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem);
#endif

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_WORKITEM_H_
