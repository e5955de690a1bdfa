// Device queues (KDEVICE_QUEUE): a busy flag and a list of waiting entries, all of it in the
// driver's structure. The model adds the IRQL rules and the checks Windows makes of the object.
#ifndef KEMU_EMU_MODEL_DEVICE_QUEUES_HPP_
#define KEMU_EMU_MODEL_DEVICE_QUEUES_HPP_

#include <wdm.h>

#include <optional>

namespace kemu::model {

class Kernel;

class DeviceQueues {
 public:
  explicit DeviceQueues(Kernel& kernel) : kernel_(kernel) {}

  void Initialize(PKDEVICE_QUEUE queue);  // DQ-1
  /// FALSE on an idle queue (now busy); TRUE once queued: at the tail, or by `sort_key` (DQ-2).
  BOOLEAN Insert(const char* routine, PKDEVICE_QUEUE queue, PKDEVICE_QUEUE_ENTRY entry,
                 std::optional<ULONG> sort_key);
  /// The head entry, or the first with SortKey >= `sort_key` (else the head); nullptr and idle
  /// when nothing waits (DQ-3).
  PKDEVICE_QUEUE_ENTRY Remove(const char* routine, PKDEVICE_QUEUE queue,
                              std::optional<ULONG> sort_key);
  BOOLEAN RemoveEntry(PKDEVICE_QUEUE queue, PKDEVICE_QUEUE_ENTRY entry);  // DQ-4

 private:
  /// The routine runs only at DISPATCH_LEVEL (the documented requirement).
  void RequireDispatch(const char* routine);
  void CheckQueue(const char* routine, PKDEVICE_QUEUE queue);
  /// The queue's links lead back to its head, and `inserting` (when given) is not queued already;
  /// else 0x139 / 3 (or the fault of an unfollowable link) in every mode.
  void CheckLinks(const char* routine, PKDEVICE_QUEUE queue, PKDEVICE_QUEUE_ENTRY inserting);

  Kernel& kernel_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DEVICE_QUEUES_HPP_
