#include "model/device_queues.hpp"

#include <cstdint>

#include "model/kernel.hpp"
#include "model/list_links.hpp"

namespace kemu::model {

void DeviceQueues::CheckLinks(const char* routine, PKDEVICE_QUEUE queue,
                              PKDEVICE_QUEUE_ENTRY inserting) {
  // The queue's links must lead from the head back to it, and an entry being inserted must not
  // be among them already. An entry inserted twice (or links a driver wrote) leave a cycle that
  // misses the head: the sorted routines would walk it for ever, on Windows as in kemu (the
  // kernel-API fuzzer found kemu hanging in KeInsertByKeyDeviceQueue). Floyd's tortoise and hare
  // finds the cycle in linear time; 0x139 / 3 is what Windows 8 and later raise when they find a
  // queue's links disagreeing, and kemu raises it on every release rather than hang.
  PLIST_ENTRY head = &queue->DeviceListHead;
  PLIST_ENTRY slow = head;
  PLIST_ENTRY fast = head;
  for (;;) {
    for (int step = 0; step < 2; ++step) {
      PLIST_ENTRY next = fast->Flink;
      if (Unfollowable(next)) {
        kernel_.verifier().ListLinkFaults(routine, head, reinterpret_cast<std::uintptr_t>(next));
      }
      if (next == head) return;
      if (inserting != nullptr && next == &inserting->DeviceListEntry) {
        kernel_.verifier().CorruptListEntry(routine, head, inserting);
      }
      fast = next;
    }
    slow = slow->Flink;
    if (slow == fast) kernel_.verifier().CorruptListEntry(routine, head, fast);
  }
}

void DeviceQueues::RequireDispatch(const char* routine) {
  const KIRQL irql = kernel_.irql().Current();
  if (irql < DISPATCH_LEVEL) kernel_.verifier().IrqlBelowMinimum(routine, irql, DISPATCH_LEVEL);
  if (irql > DISPATCH_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL);
}

void DeviceQueues::CheckQueue(const char* routine, PKDEVICE_QUEUE queue) {
  kernel_.verifier().Dereferenced(routine, queue, "DeviceQueue");
  if (queue->Type != DeviceQueueObject || queue->Size != sizeof(KDEVICE_QUEUE)) {
    // Returns on a retail kernel, which works with whatever the structure holds.
    kernel_.verifier().UninitializedDeviceQueue(routine, queue);
  }
  // A zeroed, never-initialised queue: Windows would fault following its NULL links.
  if (queue->DeviceListHead.Flink == nullptr || queue->DeviceListHead.Blink == nullptr) {
    kernel_.verifier().NullArgument(routine, "DeviceQueue->DeviceListHead (never initialised)");
  }
}

void DeviceQueues::Initialize(PKDEVICE_QUEUE queue) {
  kernel_.verifier().Dereferenced("KeInitializeDeviceQueue", queue, "DeviceQueue");
  // DQ-1: only the structure's own fields are written.
  queue->Type = DeviceQueueObject;
  queue->Size = sizeof(KDEVICE_QUEUE);
  InitializeListHead(&queue->DeviceListHead);
  queue->Lock = 0;
  queue->BusyAndHint = 0;
}

BOOLEAN DeviceQueues::Insert(const char* routine, PKDEVICE_QUEUE queue, PKDEVICE_QUEUE_ENTRY entry,
                             std::optional<ULONG> sort_key) {
  RequireDispatch(routine);
  CheckQueue(routine, queue);
  kernel_.verifier().Dereferenced(routine, entry, "DeviceQueueEntry");
  // Every device-queue routine works under the queue's own spin lock: what the inserter did to an
  // entry happens before what the remover does with it (the race detector's edge).
  kernel_.race().Barrier(queue);
  // A busy queue is walked on every insert, to find the entry queued already. The entry's own
  // Inserted cannot say so: a new entry (an IRP's, typically) holds whatever its memory held,
  // and a decision on uninitialised memory would make the check depend on it. An idle queue
  // has no entries to walk.
  if (sort_key.has_value() || queue->Busy) CheckLinks(routine, queue, entry);
  if (sort_key.has_value()) entry->SortKey = *sort_key;
  if (!queue->Busy) {
    // DQ-2: an idle queue becomes busy; the caller starts the request itself.
    queue->Busy = TRUE;
    entry->Inserted = FALSE;
    return FALSE;
  }
  PLIST_ENTRY before = &queue->DeviceListHead;  // insert before this one (the head: the tail)
  if (sort_key.has_value()) {
    // After every entry whose key is <= the new one, before the first with a greater key.
    for (PLIST_ENTRY link = queue->DeviceListHead.Flink; link != &queue->DeviceListHead;
         link = link->Flink) {
      const auto* queued = CONTAINING_RECORD(link, KDEVICE_QUEUE_ENTRY, DeviceListEntry);
      if (queued->SortKey > *sort_key) {
        before = link;
        break;
      }
    }
  }
  KemuListLinkTail(before, &entry->DeviceListEntry);
  entry->Inserted = TRUE;
  return TRUE;
}

PKDEVICE_QUEUE_ENTRY DeviceQueues::Remove(const char* routine, PKDEVICE_QUEUE queue,
                                          std::optional<ULONG> sort_key) {
  RequireDispatch(routine);
  CheckQueue(routine, queue);
  kernel_.race().Barrier(queue);
  if (sort_key.has_value()) CheckLinks(routine, queue, nullptr);  // the walk below must end
  PLIST_ENTRY head = &queue->DeviceListHead;
  if (IsListEmpty(head)) {
    queue->Busy = FALSE;  // DQ-3
    return nullptr;
  }
  PLIST_ENTRY chosen = head->Flink;
  if (sort_key.has_value()) {
    for (PLIST_ENTRY link = head->Flink; link != head; link = link->Flink) {
      if (CONTAINING_RECORD(link, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey >= *sort_key) {
        chosen = link;
        break;
      }
    }
  }
  KemuListUnlink(chosen);
  auto* entry = CONTAINING_RECORD(chosen, KDEVICE_QUEUE_ENTRY, DeviceListEntry);
  entry->Inserted = FALSE;
  return entry;
}

BOOLEAN DeviceQueues::RemoveEntry(PKDEVICE_QUEUE queue, PKDEVICE_QUEUE_ENTRY entry) {
  static constexpr const char* kRoutine = "KeRemoveEntryDeviceQueue";
  const KIRQL irql = kernel_.irql().Current();
  if (irql > DISPATCH_LEVEL) kernel_.verifier().IrqlAboveMaximum(kRoutine, irql, DISPATCH_LEVEL);
  CheckQueue(kRoutine, queue);
  kernel_.verifier().Dereferenced(kRoutine, entry, "DeviceQueueEntry");
  kernel_.race().Barrier(queue);
  if (!entry->Inserted) return FALSE;  // DQ-4
  KemuListUnlink(&entry->DeviceListEntry);
  entry->Inserted = FALSE;
  return TRUE;
}

}  // namespace kemu::model
