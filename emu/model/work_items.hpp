// Work items: routines a driver queues to run later at PASSIVE_LEVEL on a system worker thread,
// through an IO_WORKITEM (IoQueueWorkItem) or an executive WORK_QUEUE_ITEM (ExQueueWorkItem). kemu
// has no worker threads of its own; a queued item runs, in FIFO order, on the context that next
// lets the machine run at PASSIVE_LEVEL: a wait that would otherwise block (as the waiting thread's
// worker would run meanwhile) or Machine::Settle. Items still queued, or allocated and never freed,
// at Machine::Shutdown are leaks.
#ifndef KEMU_EMU_MODEL_WORK_ITEMS_HPP_
#define KEMU_EMU_MODEL_WORK_ITEMS_HPP_

#include <wdm.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

class WorkItems {
 public:
  /// What IoSizeofWorkItem reports: room kemu never writes into (its state is in a side table).
  static constexpr ULONG kItemBytes = 0x58;

  explicit WorkItems(Kernel& kernel) : kernel_(kernel) {}

  PIO_WORKITEM Allocate(PDEVICE_OBJECT device);
  void Free(PIO_WORKITEM item);
  void Initialize(PVOID io_object, PIO_WORKITEM item);
  void Uninitialize(PIO_WORKITEM item);
  /// IoQueueWorkItem (`routine`) or IoQueueWorkItemEx (`routine_ex`).
  void Queue(const char* name, PIO_WORKITEM item, PIO_WORKITEM_ROUTINE routine,
             PIO_WORKITEM_ROUTINE_EX routine_ex, WORK_QUEUE_TYPE type, PVOID context);

  /// ExQueueWorkItem. kemu takes the routine and parameter from the item here, where Windows'
  /// worker reads them when it dequeues the item: a driver changing them in between is wrong
  /// either way, and kemu never reads memory that may have gone since.
  void QueueExecutive(PWORK_QUEUE_ITEM item, WORK_QUEUE_TYPE type);

  /// `routine` frees the pool block [begin, end): a work item queued in it would run on freed
  /// memory (0xE4 / 0x2). Items initialized in the block are forgotten.
  void FreeingBlock(const char* routine, const void* begin, const void* end);

  /// Runs the queued items on the running vCPU if it is at PASSIVE_LEVEL; true if any ran.
  bool RunQueued();

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  struct Item {
    PVOID io_object = nullptr;
    bool allocated = false;  ///< IoAllocateWorkItem's (kemu owns the memory)
    bool queued = false;
    PIO_WORKITEM_ROUTINE routine = nullptr;
    PIO_WORKITEM_ROUTINE_EX routine_ex = nullptr;
    /// An executive WORK_QUEUE_ITEM's routine; such an item is known only while it is queued.
    PWORKER_THREAD_ROUTINE executive = nullptr;
    PVOID context = nullptr;

    std::uintptr_t Worker() const;
  };

  /// Both kinds share the queue and the table, keyed by the item's address (an executive item's
  /// key is never used as an IO_WORKITEM: Lookup refuses it).
  static PIO_WORKITEM KeyOf(PWORK_QUEUE_ITEM item) { return reinterpret_cast<PIO_WORKITEM>(item); }

  Item& Lookup(const char* name, PIO_WORKITEM item);
  void Run(PIO_WORKITEM item);
  void Release(const char* name, PIO_WORKITEM item);

  Kernel& kernel_;
  std::map<PIO_WORKITEM, Item> items_;
  std::map<PIO_WORKITEM, std::unique_ptr<std::uint64_t[]>> storage_;
  std::deque<PIO_WORKITEM> queue_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_WORK_ITEMS_HPP_
