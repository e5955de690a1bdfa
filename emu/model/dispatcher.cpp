// Events and the waiter registry: EV-1 (raw SignalState), EV-3 (notification vs synchronization);
// what a satisfied wait does to each kind of object.
#include "model/dispatcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "model/freed_objects.hpp"
#include "model/host_memory.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr UCHAR kSizeInLongs(std::size_t bytes) { return static_cast<UCHAR>(bytes / sizeof(LONG)); }

bool IsSynchronization(const DISPATCHER_HEADER* header) {
  return header->Type == EventSynchronizationObject || header->Type == TimerSynchronizationObject;
}

bool IsKind(const DISPATCHER_HEADER* header, UCHAR type, std::size_t bytes) {
  return header->Type == type && header->Size == kSizeInLongs(bytes);
}

const char* KindName(const DISPATCHER_HEADER* header) {
  switch (header->Type) {
    case TimerNotificationObject:
    case TimerSynchronizationObject:
      return "timer";
    case SemaphoreObject:
      return "semaphore";
    case MutantObject:
      return "mutex";
    case ThreadObject:
      return "system thread";
    default:
      return "event";
  }
}

// What CheckObject names as expected for a set of kinds.
std::string Expected(unsigned kinds) {
  std::string names;
  const std::pair<unsigned, const char*> all[] = {{Dispatcher::kEvents, "event"},
                                                  {Dispatcher::kSemaphores, "semaphore"},
                                                  {Dispatcher::kMutexes, "kernel mutex"},
                                                  {Dispatcher::kTimers, "timer"},
                                                  {Dispatcher::kThreads, "thread object"}};
  for (const auto& [kind, name] : all) {
    if ((kinds & kind) == 0) continue;
    names += names.empty() ? "an initialized " : " or ";
    names += name;
  }
  return names;
}

}  // namespace

void Dispatcher::InitializeHeader(DISPATCHER_HEADER& header, UCHAR type, std::size_t object_bytes,
                                  LONG state) {
  header.Lock = 0;
  header.Type = type;
  header.Size = kSizeInLongs(object_bytes);
  header.SignalState = state;
  InitializeListHead(&header.WaitListHead);
}

void Dispatcher::InitializeEvent(PRKEVENT event, EVENT_TYPE type, bool state) {
  InitializeHeader(
      event->Header,
      type == SynchronizationEvent ? EventSynchronizationObject : EventNotificationObject,
      sizeof(KEVENT), state ? 1 : 0);
  NewObject(&event->Header);
}

void Dispatcher::NewObject(DISPATCHER_HEADER* header) {
  // A waiter not yet satisfied still has its wait block on the object's list, which the
  // initialisation just emptied (audit round 15, O3; Bug Check 0x139 names "double initializing
  // a KEVENT while a thread was still waiting").
  for (const Waiter* waiter : waiters_) {
    if (waiter->satisfied) continue;
    const auto& objects = waiter->request->objects;
    if (std::find(objects.begin(), objects.end(), header) == objects.end()) continue;
    const auto [routine, kind] = InitializerOf(header->Type);
    kernel_.verifier().ObjectInitializedWhileWaitedOn(routine, kind, header,
                                                      waiter->request->routine);
  }
  // Memory the host reused after a pool free (the test's own allocation) holds a live object
  // now: CheckObject no longer takes it for the freed one.
  const auto address = reinterpret_cast<std::uintptr_t>(header);
  kernel_.pool().ForgetFreedRanges(address, address + std::size_t{header->Size} * sizeof(LONG));
  // An event or timer initialised where another lived (a reused stack frame) inherits none of its
  // signals (docs/concurrency.md): a waiter on it would otherwise learn an unrelated setter's
  // history.
  if (kernel_.race().enabled() && !SignalUnlearned(header)) {
    kernel_.race().ObjectInitialized(header);
  }
}

std::pair<const char*, const char*> Dispatcher::InitializerOf(UCHAR type) {
  switch (type) {
    case EventNotificationObject:
    case EventSynchronizationObject:
      return {"KeInitializeEvent", "event"};
    case SemaphoreObject:
      return {"KeInitializeSemaphore", "semaphore"};
    case MutantObject:
      return {"KeInitializeMutex", "mutex"};
    case TimerNotificationObject:
    case TimerSynchronizationObject:
      return {"KeInitializeTimer(Ex)", "timer"};
    default:
      return {"PsCreateSystemThread", "thread object"};
  }
}

void Dispatcher::ForgetSignals(DISPATCHER_HEADER* header) {
  // The signals before a reset order nothing after it: a wait satisfied later learns from the
  // signal that satisfied it only.
  if (kernel_.race().enabled() && !SignalUnlearned(header)) kernel_.race().ClearSync(header);
}

bool Dispatcher::SignalUnlearned(const DISPATCHER_HEADER* header) const {
  // A wait this object satisfied learns from its signals when its context resumes, maybe after the
  // reset (or the end of a pulse): those signals stay until then. Kept whole, so a later waiter may
  // still learn from signals before the reset: a race missed, never a false one.
  return std::any_of(waiters_.begin(), waiters_.end(), [header](const Waiter* waiter) {
    const auto& objects = waiter->request->objects;
    return waiter->satisfied && std::find(objects.begin(), objects.end(), header) != objects.end();
  });
}

bool Dispatcher::WaitedOnIn(const void* begin, const void* end) const {
  return std::any_of(waiters_.begin(), waiters_.end(), [&](const Waiter* waiter) {
    const auto& objects = waiter->request->objects;
    return std::any_of(objects.begin(), objects.end(), [&](const DISPATCHER_HEADER* header) {
      const void* object = header;
      return object >= begin && object < end;
    });
  });
}

void Dispatcher::CheckObject(const char* routine, const void* object, unsigned kinds) const {
  kernel_.verifier().Dereferenced(routine, object, "Object");
  // In pool the driver freed, where no object was initialized since: the object is gone, and its
  // header is not read (the host may have unmapped the block, or handed it to another use).
  if (kernel_.pool().InFreedBlock(reinterpret_cast<std::uintptr_t>(object))) [[unlikely]] {
    RejectInvalidObject(kernel_, routine, Expected(kinds).c_str(), object);
  }
  // A wild pointer (an uninitialised or corrupted field) is the page fault the kernel's read of
  // the header takes, not kemu's process faulting (audit round 19, B-S5). An object in a live
  // pool block is readable without asking the host.
  if (!kernel_.pool().ExtentOf(object)) {
    if (const auto bad = FirstUnreadable(object, sizeof(DISPATCHER_HEADER))) [[unlikely]] {
      kernel_.verifier().UnreadableArgument(routine, "Object", sizeof(DISPATCHER_HEADER), *bad);
    }
  }
  const auto* header = static_cast<const DISPATCHER_HEADER*>(object);
  const bool event = (IsKind(header, EventNotificationObject, sizeof(KEVENT)) ||
                      IsKind(header, EventSynchronizationObject, sizeof(KEVENT)));
  const bool timer = (IsKind(header, TimerNotificationObject, sizeof(KTIMER)) ||
                      IsKind(header, TimerSynchronizationObject, sizeof(KTIMER)));
  const bool thread = IsKind(header, ThreadObject, SystemThreads::kObjectBytes) &&
                      kernel_.system_threads().IsLiveObject(header);
  const bool accepted =
      ((kinds & kThreads) != 0 && thread) || ((kinds & kEvents) != 0 && event) ||
      ((kinds & kTimers) != 0 && timer) ||
      ((kinds & kSemaphores) != 0 && IsKind(header, SemaphoreObject, sizeof(KSEMAPHORE))) ||
      ((kinds & kMutexes) != 0 && IsKind(header, MutantObject, sizeof(KMUTEX)));
  // Memory the driver freed holds no object any more: the report names the free (an event freed
  // by a DPC or another vCPU while the routine ran, after its arguments were checked).
  if (!accepted) RejectInvalidObject(kernel_, routine, Expected(kinds).c_str(), object);
}

void Dispatcher::HoldForNextWait(KIRQL irql) {
  SetWaitNext(kernel_.current_processor(), irql);
  if (irql < DISPATCH_LEVEL) kernel_.WriteIrql(kernel_.cpu(), DISPATCH_LEVEL);
}

LONG Dispatcher::SetEvent(const char* routine, PRKEVENT event) {
  CheckObject(routine, event);
  const LONG previous = event->Header.SignalState;  // EV-1: raw, whatever the driver stored
  Signal(&event->Header);
  return previous;
}

LONG Dispatcher::ResetEvent(const char* routine, PRKEVENT event) {
  CheckObject(routine, event);
  const LONG previous = event->Header.SignalState;
  event->Header.SignalState = 0;
  ForgetSignals(&event->Header);
  return previous;
}

void Dispatcher::Signal(DISPATCHER_HEADER* header) {
  // What the signaller did happens before whatever a wait satisfied by this object does next.
  kernel_.race().Release(header);
  header->SignalState = 1;
  WakeWaiters(header);
}

void Dispatcher::WakeWaiters(DISPATCHER_HEADER* header) {
  for (Waiter* waiter : waiters_) {
    // A synchronization object satisfies one waiter, a semaphore as many as its count.
    if (header->SignalState <= 0) break;
    if (waiter->satisfied) continue;
    const auto& objects = waiter->request->objects;
    if (std::find(objects.begin(), objects.end(), header) == objects.end()) continue;
    if (std::optional<NTSTATUS> status = TrySatisfy(*waiter->request)) {
      waiter->satisfied = true;
      waiter->status = *status;
    }
  }
}

bool Dispatcher::Signalled(const DISPATCHER_HEADER* header, const WaitRequest& request) {
  if (header->Type == MutantObject) {
    // A mutex its thread owns satisfies the thread's wait again (recursive acquisition).
    const auto* mutex = reinterpret_cast<const KMUTEX*>(header);
    return header->SignalState > 0 ||
           reinterpret_cast<std::uintptr_t>(mutex->OwnerThread) == request.thread;
  }
  return header->SignalState > 0;
}

void Dispatcher::Consume(DISPATCHER_HEADER* header, const WaitRequest& request) {
  switch (header->Type) {
    case SemaphoreObject:
      --header->SignalState;
      return;
    case MutantObject: {
      auto* mutex = reinterpret_cast<KMUTEX*>(header);
      if (--header->SignalState == 0) {  // the first acquisition: the mutex becomes the thread's
        mutex->OwnerThread = reinterpret_cast<struct _KTHREAD*>(request.thread);
        owned_[reinterpret_cast<std::uintptr_t>(mutex)] = {
            .cpu = request.cpu,
            .thread = request.thread,
            .kind = "kernel mutex",
            .routine = request.routine,
            .kernel_mutex = true,
            .at_dispatch = request.irql >= DISPATCH_LEVEL};
        kernel_.verifier().MutexHeld(mutex, request.thread, request.routine,
                                     kernel_.trace().sequence());
      }
      return;
    }
    default:
      // EV-3: a satisfied wait resets a synchronization object; a notification one stays
      // signalled.
      if (IsSynchronization(header)) header->SignalState = 0;
  }
}

std::optional<NTSTATUS> Dispatcher::TrySatisfy(const WaitRequest& request) {
  const auto& objects = request.objects;
  if (objects.empty()) return std::nullopt;  // a delay ends only at its deadline
  const auto signalled = [&request](const DISPATCHER_HEADER* header) {
    return Signalled(header, request);
  };
  if (request.wait_all) {
    if (!std::all_of(objects.begin(), objects.end(), signalled)) return std::nullopt;
    for (DISPATCHER_HEADER* header : objects) Consume(header, request);
    return STATUS_WAIT_0;
  }
  // EV-3: WaitAny returns the lowest signalled index.
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (signalled(objects[i])) {
      Consume(objects[i], request);
      return static_cast<NTSTATUS>(STATUS_WAIT_0 + i);
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Dispatcher::EarliestDeadline() const {
  std::optional<std::uint64_t> earliest;
  for (const Waiter* waiter : waiters_) {
    const auto& deadline = waiter->request->deadline;
    if (!waiter->satisfied && deadline && (!earliest || *deadline < *earliest)) {
      earliest = deadline;
    }
  }
  return earliest;
}

void Dispatcher::SetWaitNext(unsigned cpu, KIRQL irql) {
  if (wait_next_.size() <= cpu) wait_next_.resize(cpu + 1);
  wait_next_[cpu] = irql;
}

std::optional<KIRQL> Dispatcher::TakeWaitNext(unsigned cpu) {
  if (cpu >= wait_next_.size()) return std::nullopt;
  return std::exchange(wait_next_[cpu], std::nullopt);
}

std::uintptr_t Dispatcher::CurrentThread() const { return ThreadOn(kernel_.current_processor()); }

std::uintptr_t Dispatcher::ThreadOn(unsigned cpu) const {
  // A system thread running there (it runs no work items, so it has no worker nested in it).
  if (cpu < thread_on_.size() && thread_on_[cpu] != 0) return thread_on_[cpu];
  const unsigned depth = cpu < worker_depth_.size() ? worker_depth_[cpu] : 0;
  // Inside the vCPU's 16-byte thread stand-in: distinct from every other vCPU's thread.
  constexpr unsigned kMostDistinctWorkers = sizeof(Cpu::thread_stub) - 1;
  return kernel_.cpu(cpu).thread_address() + std::min(depth, kMostDistinctWorkers);
}

void Dispatcher::SwapThreadSlots(unsigned cpu, ThreadSlots& slots) {
  const std::size_t size = std::max<std::size_t>(cpu + 1, kernel_.processor_count());
  for (auto* slot_vector : {&worker_depth_, &guarded_regions_}) {
    if (slot_vector->size() < size) slot_vector->resize(size);
  }
  if (critical_regions_.size() < size) critical_regions_.resize(size);
  if (thread_on_.size() < size) thread_on_.resize(size);
  std::swap(thread_on_[cpu], slots.thread);
  std::swap(critical_regions_[cpu], slots.critical_regions);
  std::swap(guarded_regions_[cpu], slots.guarded_regions);
  std::swap(worker_depth_[cpu], slots.worker_depth);
}

void Dispatcher::EnterWorkerThread() {
  const unsigned cpu = kernel_.current_processor();
  if (worker_depth_.size() <= cpu) worker_depth_.resize(cpu + 1);
  ++worker_depth_[cpu];
}

void Dispatcher::LeaveWorkerThread() { --worker_depth_[kernel_.current_processor()]; }

bool Dispatcher::InWorkerThread() const {
  const unsigned cpu = kernel_.current_processor();
  return cpu < worker_depth_.size() && worker_depth_[cpu] > 0;
}

int& Dispatcher::critical_regions(unsigned cpu) {
  if (critical_regions_.size() <= cpu) critical_regions_.resize(cpu + 1);
  return critical_regions_[cpu];
}

std::string Dispatcher::Describe(const WaitRequest& request) const {
  if (request.objects.empty()) return fmt::format("the delay of {} to end", request.routine);
  std::string names;
  for (const DISPATCHER_HEADER* header : request.objects) {
    if (!names.empty()) names += request.wait_all ? " and " : " or ";
    names += fmt::format("the {} at {}", KindName(header), static_cast<const void*>(header));
  }
  return fmt::format("{} to be signalled ({})", names, request.routine);
}

}  // namespace kemu::model
