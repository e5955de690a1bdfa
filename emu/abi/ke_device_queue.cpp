// Device-queue exports: KeInitializeDeviceQueue (any IRQL), the insert and remove routines
// (DISPATCH_LEVEL) and KeRemoveEntryDeviceQueue (IRQL <= DISPATCH_LEVEL).
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/device_queues.hpp"

extern "C" {

VOID KeInitializeDeviceQueue(PKDEVICE_QUEUE DeviceQueue) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeDeviceQueue, KEMU_ARG(DeviceQueue));
  kemu::model::DeviceQueues(kernel).Initialize(DeviceQueue);
}

BOOLEAN KeInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeInsertDeviceQueue, KEMU_ARG(DeviceQueue), KEMU_ARG(DeviceQueueEntry));
  return kemu::model::DeviceQueues(kernel).Insert("KeInsertDeviceQueue", DeviceQueue,
                                                  DeviceQueueEntry, std::nullopt);
}

BOOLEAN KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry,
                                 ULONG SortKey) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInsertByKeyDeviceQueue, KEMU_ARG(DeviceQueue),
                                           KEMU_ARG(DeviceQueueEntry), KEMU_ARG(SortKey));
  return kemu::model::DeviceQueues(kernel).Insert("KeInsertByKeyDeviceQueue", DeviceQueue,
                                                  DeviceQueueEntry, SortKey);
}

PKDEVICE_QUEUE_ENTRY KeRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeRemoveDeviceQueue, KEMU_ARG(DeviceQueue));
  return kemu::model::DeviceQueues(kernel).Remove("KeRemoveDeviceQueue", DeviceQueue, std::nullopt);
}

PKDEVICE_QUEUE_ENTRY KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, ULONG SortKey) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeRemoveByKeyDeviceQueue, KEMU_ARG(DeviceQueue), KEMU_ARG(SortKey));
  return kemu::model::DeviceQueues(kernel).Remove("KeRemoveByKeyDeviceQueue", DeviceQueue, SortKey);
}

BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                 PKDEVICE_QUEUE_ENTRY DeviceQueueEntry) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeRemoveEntryDeviceQueue, KEMU_ARG(DeviceQueue), KEMU_ARG(DeviceQueueEntry));
  return kemu::model::DeviceQueues(kernel).RemoveEntry(DeviceQueue, DeviceQueueEntry);
}

}  // extern "C"
