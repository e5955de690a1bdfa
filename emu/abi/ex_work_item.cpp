// Executive work items (ExQueueWorkItem; ExInitializeWorkItem is a macro in <wdm.h>). They share
// the I/O work items' queue and worker (model/work_items.hpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExQueueWorkItem, KEMU_ARG(WorkItem), KEMU_ARG(QueueType));
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) {
    kernel.verifier().IrqlAboveMaximum("ExQueueWorkItem", irql, DISPATCH_LEVEL);
  }
  kernel.work_items().QueueExecutive(WorkItem, QueueType);
}

}  // extern "C"
