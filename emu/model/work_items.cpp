// I/O work items (see work_items.hpp for when they run).
#include "model/work_items.hpp"

#include <fmt/format.h>

#include "model/floating_state.hpp"
#include "model/freed_objects.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

namespace {

// The queues every release since Windows 2000 has, the ones later WDKs add below
// MaximumWorkQueue, and a custom priority (CustomPriorityWorkQueue plus 0..31). Which of these
// an older release refuses is UNCONFIRMED (docs/kernel.md): kemu accepts them on all.
bool IsWorkQueueType(WORK_QUEUE_TYPE type) {
  const int value = type;
  return (value >= CriticalWorkQueue && value < MaximumWorkQueue) ||
         (value >= CustomPriorityWorkQueue && value < CustomPriorityWorkQueue + 32);
}

}  // namespace

PIO_WORKITEM WorkItems::Allocate(PDEVICE_OBJECT device) {
  auto memory = std::make_unique<std::uint64_t[]>(kItemBytes / sizeof(std::uint64_t));
  auto* item = reinterpret_cast<PIO_WORKITEM>(memory.get());
  storage_.emplace(item, std::move(memory));
  items_[item] = {.io_object = device, .allocated = true};
  return item;
}

void WorkItems::Initialize(PVOID io_object, PIO_WORKITEM item) {
  kernel_.verifier().Dereferenced("IoInitializeWorkItem", item, "IoWorkItem");
  if (const auto found = items_.find(item); found != items_.end() && found->second.queued) {
    kernel_.verifier().QueuedWorkItemFreed("IoInitializeWorkItem", item, found->second.Worker());
  }
  std::erase(queue_, item);
  items_[item] = {.io_object = io_object};
}

WorkItems::Item& WorkItems::Lookup(const char* name, PIO_WORKITEM item) {
  const auto found = items_.find(item);
  if (found == items_.end() || found->second.executive != nullptr) {
    constexpr const char* kExpected = "a work item from IoAllocateWorkItem or IoInitializeWorkItem";
    RejectInvalidObject(kernel_, name, kExpected, item);
  }
  return found->second;
}

void WorkItems::Release(const char* name, PIO_WORKITEM item) {
  const Item& state = Lookup(name, item);
  if (state.queued) {
    kernel_.verifier().QueuedWorkItemFreed(name, item, state.Worker());
  }
  // Under BugCheckAction::kRecord a queued item is freed anyway: it must not run afterwards.
  std::erase(queue_, item);
  items_.erase(item);
  storage_.erase(item);
  // An item allocated or initialised later at this address is another one (the routine often
  // frees its own item as it ends).
  kernel_.race().Forget(item, kItemBytes);
}

void WorkItems::Free(PIO_WORKITEM item) {
  if (const auto found = items_.find(item); found != items_.end() && !found->second.allocated) {
    kernel_.verifier().InvalidKernelObject(
        "IoFreeWorkItem", "a work item from IoAllocateWorkItem (use IoUninitializeWorkItem)", item);
  }
  Release("IoFreeWorkItem", item);
}

void WorkItems::Uninitialize(PIO_WORKITEM item) { Release("IoUninitializeWorkItem", item); }

void WorkItems::Queue(const char* name, PIO_WORKITEM item, PIO_WORKITEM_ROUTINE routine,
                      PIO_WORKITEM_ROUTINE_EX routine_ex, WORK_QUEUE_TYPE type, PVOID context) {
  Item& state = Lookup(name, item);
  if (state.queued) {
    kernel_.verifier().WorkItemQueuedTwice(name, item, type);
    return;  // kRecord: it stays queued once, with its first routine and context
  }
  if (routine == nullptr && routine_ex == nullptr) {
    kernel_.verifier().NullArgument(name, "WorkerRoutine");
  }
  // The I/O work item goes to the same executive worker queues as ExQueueWorkItem's, so its queue
  // type gets the same check (docs/kernel.md: which code Windows gives here is UNCONFIRMED).
  if (!IsWorkQueueType(type)) {
    kernel_.verifier().InvalidWorkQueueType(name, item, type);
    return;  // kRecord: nothing queued
  }
  state.queued = true;
  state.routine = routine;
  state.routine_ex = routine_ex;
  state.context = context;
  queue_.push_back(item);
  // What the caller did so far happens before the routine runs.
  kernel_.race().Release(item);
}

void WorkItems::QueueExecutive(PWORK_QUEUE_ITEM item, WORK_QUEUE_TYPE type) {
  constexpr const char* kName = "ExQueueWorkItem";
  constexpr const char* kExpected = "a WORK_QUEUE_ITEM initialized by ExInitializeWorkItem";
  kernel_.verifier().Dereferenced(kName, item, "WorkItem");
  const PIO_WORKITEM key = KeyOf(item);
  if (const auto found = items_.find(key); found != items_.end()) {
    // An I/O work item there: its memory is not the driver's to reuse as another kind.
    if (found->second.executive == nullptr) RejectInvalidObject(kernel_, kName, kExpected, item);
    kernel_.verifier().WorkItemQueuedTwice(kName, item, type);
    return;  // kRecord: it stays queued once, with what it held then
  }
  RejectIfInFreedPool(kernel_, kName, kExpected, item);
  if (!IsWorkQueueType(type)) {
    kernel_.verifier().InvalidWorkQueueType(kName, item, type);
    return;  // kRecord: nothing queued
  }
  if (item->WorkerRoutine == nullptr) {
    kernel_.verifier().InvalidWorkerRoutine(item, type);
    return;
  }
  items_[key] = {.queued = true, .executive = item->WorkerRoutine, .context = item->Parameter};
  queue_.push_back(key);
  kernel_.race().Release(item);
}

void WorkItems::FreeingBlock(const char* routine, const void* begin, const void* end) {
  const auto first = items_.lower_bound(static_cast<PIO_WORKITEM>(const_cast<void*>(begin)));
  const auto last = items_.lower_bound(static_cast<PIO_WORKITEM>(const_cast<void*>(end)));
  for (auto it = first; it != last; ++it) {
    if (it->second.queued)
      kernel_.verifier().ActiveWorkItemInFreedPool(routine, it->first, begin, end);
  }
  // kRecord, or nothing queued: what lay in the block is gone and never runs.
  for (auto it = first; it != last; ++it) std::erase(queue_, it->first);
  items_.erase(first, last);
}

std::uintptr_t WorkItems::Item::Worker() const {
  if (executive != nullptr) return reinterpret_cast<std::uintptr_t>(executive);
  if (routine_ex != nullptr) return reinterpret_cast<std::uintptr_t>(routine_ex);
  return reinterpret_cast<std::uintptr_t>(routine);
}

bool WorkItems::RunQueued() {
  bool ran = false;
  while (!queue_.empty() && kernel_.cpu().irql == PASSIVE_LEVEL) {
    const PIO_WORKITEM item = queue_.front();
    queue_.pop_front();
    Run(item);
    ran = true;
  }
  return ran;
}

void WorkItems::Run(PIO_WORKITEM item) {
  Item& state = items_.at(item);
  state.queued = false;
  // Copies: the routine may free the item (the usual last step of a work item routine).
  const Item run = state;
  // An executive item is the driver's memory alone from here: kemu forgets it.
  if (run.executive != nullptr) items_.erase(item);
  const unsigned cpu = kernel_.current_processor();
  const int regions = kernel_.dispatcher().critical_regions(cpu);
  race::Detector& race = kernel_.race();
  const std::uintptr_t routine_address = run.Worker();
  const std::uint64_t started = kernel_.trace().sequence();
  race.BeginWorkItem(item, reinterpret_cast<const void*>(routine_address), cpu,
                     __builtin_frame_address(0));
  std::uintptr_t mutex_kept = 0;  // a kernel mutex the routine acquired and still owns
  {
    const race::ContextScope race_scope(race, cpu);
    // A worker thread runs it: not the thread whose wait let it run here (its mutexes).
    struct WorkerThread {
      explicit WorkerThread(Dispatcher& d) : dispatcher(d) { dispatcher.EnterWorkerThread(); }
      ~WorkerThread() { dispatcher.LeaveWorkerThread(); }
      Dispatcher& dispatcher;
    } worker(kernel_.dispatcher());
    if (run.executive != nullptr) {
      run.executive(run.context);
    } else if (run.routine_ex != nullptr) {
      run.routine_ex(run.io_object, run.context, item);
    } else {
      run.routine(static_cast<PDEVICE_OBJECT>(run.io_object), run.context);
    }
    // Inside the worker: its saves and its mutexes are the worker thread's.
    CheckSavesRestoredAtReturn(kernel_, "work item routine",
                               reinterpret_cast<const void*>(routine_address), started);
    mutex_kept = kernel_.dispatcher().FirstKernelMutexOwned(cpu);
  }
  if (race.pending()) race.RaisePending();
  if (kernel_.cpu().irql != PASSIVE_LEVEL) {
    kernel_.verifier().WorkItemReturnedAtRaisedIrql(routine_address, kernel_.cpu().irql,
                                                    run.context, item);
  }
  if (kernel_.dispatcher().critical_regions(cpu) != regions) {
    kernel_.verifier().WorkItemApcIndexMismatch(routine_address,
                                                kernel_.dispatcher().critical_regions(cpu));
  }
  // After the IRQL and region checks: which one Windows' worker makes first is UNCONFIRMED.
  if (mutex_kept != 0) {
    kernel_.verifier().WorkItemReturnedOwningMutex(routine_address, run.context, item, mutex_kept);
  }
}

std::vector<std::string> WorkItems::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (const auto& [item, state] : items_) {
    if (state.queued) {
      lines.push_back(fmt::format(
          "the work item at {} is still queued (routine at {}): it never ran; call "
          "Machine::Settle, or wait for it in the driver's stop path",
          static_cast<const void*>(item), reinterpret_cast<const void*>(state.Worker())));
    } else if (state.allocated) {
      lines.push_back(
          fmt::format("the work item at {} from IoAllocateWorkItem was never freed "
                      "(IoFreeWorkItem)",
                      static_cast<const void*>(item)));
    }
  }
  return lines;
}

std::uintptr_t WorkItems::FirstLeak() const {
  for (const auto& [item, state] : items_) {
    if (state.queued || state.allocated) return reinterpret_cast<std::uintptr_t>(item);
  }
  return 0;
}

}  // namespace kemu::model
