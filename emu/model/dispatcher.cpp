// Events and the waiter registry: EV-1 (raw SignalState), EV-3 (notification vs synchronization).
#include "model/dispatcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr UCHAR kSizeInLongs(std::size_t bytes) { return static_cast<UCHAR>(bytes / sizeof(LONG)); }

bool IsSynchronization(const DISPATCHER_HEADER* header) {
  return header->Type == EventSynchronizationObject || header->Type == TimerSynchronizationObject;
}

}  // namespace

void Dispatcher::InitializeEvent(PRKEVENT event, EVENT_TYPE type, bool state) {
  DISPATCHER_HEADER& header = event->Header;
  header.Lock = 0;
  header.Type = type == SynchronizationEvent ? EventSynchronizationObject : EventNotificationObject;
  header.Size = kSizeInLongs(sizeof(KEVENT));
  header.SignalState = state ? 1 : 0;
  InitializeListHead(&header.WaitListHead);
  NewObject(&header);
}

void Dispatcher::NewObject(DISPATCHER_HEADER* header) {
  // An event or timer initialised where another lived (a reused stack frame) inherits none of its
  // signals (docs/concurrency.md): a waiter on it would otherwise learn an unrelated setter's
  // history.
  if (kernel_.race().enabled() && !SignalUnlearned(header)) {
    kernel_.race().ObjectInitialized(header);
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

void Dispatcher::CheckObject(const char* routine, const void* object) const {
  if (object == nullptr) kernel_.verifier().NullArgument(routine, "Object");
  const auto* header = static_cast<const DISPATCHER_HEADER*>(object);
  const bool event =
      (header->Type == EventNotificationObject || header->Type == EventSynchronizationObject) &&
      header->Size == kSizeInLongs(sizeof(KEVENT));
  const bool timer =
      (header->Type == TimerNotificationObject || header->Type == TimerSynchronizationObject) &&
      header->Size == kSizeInLongs(sizeof(KTIMER));
  if (!event && !timer)
    kernel_.verifier().InvalidKernelObject(routine, "an initialized event or timer", object);
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
  for (Waiter* waiter : waiters_) {
    if (waiter->satisfied) continue;
    const auto& objects = waiter->request->objects;
    if (std::find(objects.begin(), objects.end(), header) == objects.end()) continue;
    if (std::optional<NTSTATUS> status = TrySatisfy(*waiter->request)) {
      waiter->satisfied = true;
      waiter->status = *status;
    }
    // A synchronization object satisfies one waiter only.
    if (!Signalled(header)) break;
  }
}

void Dispatcher::Consume(DISPATCHER_HEADER* header) {
  // EV-3: a satisfied wait resets a synchronization object; a notification one stays signalled.
  if (IsSynchronization(header)) header->SignalState = 0;
}

std::optional<NTSTATUS> Dispatcher::TrySatisfy(const WaitRequest& request) {
  const auto& objects = request.objects;
  if (objects.empty()) return std::nullopt;  // a delay ends only at its deadline
  if (request.wait_all) {
    if (!std::all_of(objects.begin(), objects.end(), Signalled)) return std::nullopt;
    for (DISPATCHER_HEADER* header : objects) Consume(header);
    return STATUS_WAIT_0;
  }
  // EV-3: WaitAny returns the lowest signalled index.
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (Signalled(objects[i])) {
      Consume(objects[i]);
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

int& Dispatcher::critical_regions(unsigned cpu) {
  if (critical_regions_.size() <= cpu) critical_regions_.resize(cpu + 1);
  return critical_regions_[cpu];
}

std::string Dispatcher::Describe(const WaitRequest& request) const {
  if (request.objects.empty()) return fmt::format("the delay of {} to end", request.routine);
  std::string names;
  for (const DISPATCHER_HEADER* header : request.objects) {
    const bool timer =
        header->Type == TimerNotificationObject || header->Type == TimerSynchronizationObject;
    if (!names.empty()) names += request.wait_all ? " and " : " or ";
    names +=
        fmt::format("the {} at {}", timer ? "timer" : "event", static_cast<const void*>(header));
  }
  return fmt::format("{} to be signalled ({})", names, request.routine);
}

}  // namespace kemu::model
