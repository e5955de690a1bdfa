/* Driver-style C17 code for event_test.cpp: a stop path that arms a timer whose DPC queues a work
 * item, and waits for the work item to signal an event. Proves the dispatcher, timer and work-item
 * declarations compile as C and work end to end. */
#include <wdm.h>

#ifdef __cplusplus
#error "wait_calls.c must be compiled as C"
#endif

typedef struct _WAIT_CALLS_CONTEXT {
  KEVENT Done;
  KTIMER Timer;
  KDPC Dpc;
  PIO_WORKITEM Item;
  LONG Ran;
} WAIT_CALLS_CONTEXT;

static VOID WaitCallsWork(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  WAIT_CALLS_CONTEXT *context = (WAIT_CALLS_CONTEXT *)Context;
  UNREFERENCED_PARAMETER(DeviceObject);
  InterlockedIncrement(&context->Ran);
  KeSetEvent(&context->Done, IO_NO_INCREMENT, FALSE);
}

static VOID WaitCallsTimerDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  WAIT_CALLS_CONTEXT *context = (WAIT_CALLS_CONTEXT *)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  IoQueueWorkItem(context->Item, WaitCallsWork, DelayedWorkQueue, context);
}

/* Returns the wait's status; *ran says how often the work item ran. */
NTSTATUS WaitCallsStopPath(PDEVICE_OBJECT DeviceObject, LONG *ran) {
  WAIT_CALLS_CONTEXT context;
  LARGE_INTEGER due;
  LARGE_INTEGER timeout;
  NTSTATUS status;
  RtlZeroMemory(&context, sizeof context);
  KeInitializeEvent(&context.Done, NotificationEvent, FALSE);
  KeInitializeTimerEx(&context.Timer, NotificationTimer);
  KeInitializeDpc(&context.Dpc, WaitCallsTimerDpc, &context);
  context.Item = IoAllocateWorkItem(DeviceObject);
  due.QuadPart = -10 * 1000; /* 1 ms */
  KeSetTimer(&context.Timer, due, &context.Dpc);
  timeout.QuadPart = -10 * 1000 * 1000; /* 1 s */
  status = KeWaitForSingleObject(&context.Done, Executive, KernelMode, FALSE, &timeout);
  IoFreeWorkItem(context.Item);
  *ran = context.Ran;
  return status;
}
