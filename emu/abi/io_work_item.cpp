// I/O work item exports. Queued items run at PASSIVE_LEVEL when the machine next lets a worker
// run (model/work_items.hpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject) {
  kemu::model::Kernel& kernel = KEMU_ENTER(IoAllocateWorkItem, KEMU_ARG(DeviceObject));
  kemu::abi::AtMost(kernel, "IoAllocateWorkItem", DISPATCH_LEVEL);
  kernel.verifier().Dereferenced("IoAllocateWorkItem", DeviceObject, "DeviceObject");
  // Out of pool, Windows returns NULL.
  if (kernel.faults().Check(kemu::abi::ExportId::kIoAllocateWorkItem)) return nullptr;
  return kernel.work_items().Allocate(DeviceObject);
}

VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem) {
  kemu::model::Kernel& kernel = KEMU_ENTER(IoFreeWorkItem, KEMU_ARG(IoWorkItem));
  kemu::abi::AtMost(kernel, "IoFreeWorkItem", DISPATCH_LEVEL).work_items().Free(IoWorkItem);
}

VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                     WORK_QUEUE_TYPE QueueType, PVOID Context) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoQueueWorkItem, KEMU_ARG(IoWorkItem), KEMU_ARG(WorkerRoutine),
                 KEMU_ARG(QueueType), KEMU_ARG(Context));
  kemu::abi::AtMost(kernel, "IoQueueWorkItem", DISPATCH_LEVEL)
      .work_items()
      .Queue("IoQueueWorkItem", IoWorkItem, WorkerRoutine, nullptr, QueueType, Context);
}

VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                       WORK_QUEUE_TYPE QueueType, PVOID Context) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoQueueWorkItemEx, KEMU_ARG(IoWorkItem), KEMU_ARG(WorkerRoutine),
                 KEMU_ARG(QueueType), KEMU_ARG(Context));
  kemu::abi::AtMost(kernel, "IoQueueWorkItemEx", DISPATCH_LEVEL)
      .work_items()
      .Queue("IoQueueWorkItemEx", IoWorkItem, nullptr, WorkerRoutine, QueueType, Context);
}

ULONG IoSizeofWorkItem(VOID) {
  KEMU_ENTER(IoSizeofWorkItem);
  return kemu::model::WorkItems::kItemBytes;
}

VOID IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoInitializeWorkItem, KEMU_ARG(IoObject), KEMU_ARG(IoWorkItem));
  kemu::abi::AtMost(kernel, "IoInitializeWorkItem", DISPATCH_LEVEL)
      .work_items()
      .Initialize(IoObject, IoWorkItem);
}

VOID IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem) {
  kemu::model::Kernel& kernel = KEMU_ENTER(IoUninitializeWorkItem, KEMU_ARG(IoWorkItem));
  kemu::abi::AtMost(kernel, "IoUninitializeWorkItem", DISPATCH_LEVEL)
      .work_items()
      .Uninitialize(IoWorkItem);
}

}  // extern "C"
