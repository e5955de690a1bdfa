// Fast mutexes: a lock that waits instead of spinning, for code at or below APC_LEVEL; never
// recursive (docs/kernel.md, "Semaphores and mutexes"). The state lives in the FAST_MUTEX, as on
// Windows: Count is 1 while free, Owner is the owning thread, OldIrql the level to go back to.
#include <fmt/format.h>

#include "model/dispatcher.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr LONG kFree = 1;

}  // namespace

void Dispatcher::InitializeFastMutex(PFAST_MUTEX mutex) {
  mutex->Count = kFree;
  mutex->Owner = nullptr;
  mutex->Contention = 0;
  mutex->OldIrql = 0;
  InitializeEvent(&mutex->Event, SynchronizationEvent, false);
  owned_.erase(reinterpret_cast<std::uintptr_t>(mutex));
  // A new lock for the race detector, with no history from an earlier one at this address.
  kernel_.race().ObjectInitialized(mutex);
  kernel_.race().LockInitialized(mutex);
}

void Dispatcher::CheckFastMutex(const char* routine, const FAST_MUTEX* mutex) const {
  if (mutex == nullptr) kernel_.verifier().NullArgument(routine, "FastMutex");
  const DISPATCHER_HEADER& header = mutex->Event.Header;
  const bool initialized = header.Type == EventSynchronizationObject &&
                           header.Size == sizeof(KEVENT) / sizeof(LONG) &&
                           (mutex->Count == kFree) == (mutex->Owner == nullptr);
  if (!initialized) {
    kernel_.verifier().InvalidKernelObject(routine,
                                           "a fast mutex initialized by "
                                           "ExInitializeFastMutex",
                                           mutex);
  }
}

void Dispatcher::AcquireFastMutex(const char* routine, PFAST_MUTEX mutex, bool raise) {
  CheckFastMutex(routine, mutex);
  const KIRQL irql = kernel_.irql().Current();
  if (irql > APC_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, APC_LEVEL);
  if (raise && irql < APC_LEVEL) kernel_.irql().Set(APC_LEVEL);
  const std::uintptr_t thread = CurrentThread();
  if (reinterpret_cast<std::uintptr_t>(mutex->Owner) == thread) {
    kernel_.verifier().FastMutexAcquiredBySelf(routine, mutex,
                                               kernel_.scheduler().DescribeContexts());
  }
  if (mutex->Count != kFree) {
    // Owned by another vCPU's thread: this one waits (other vCPUs run) until it is released.
    ++mutex->Contention;
    const auto owner = owned_.find(reinterpret_cast<std::uintptr_t>(mutex));
    kernel_.scheduler().WaitUntil(
        {.ready = [mutex] { return mutex->Count == kFree; },
         .what = fmt::format("the fast mutex at {} in {} (owned by the thread on vCPU {})",
                             static_cast<const void*>(mutex), routine,
                             owner != owned_.end() ? owner->second.cpu : 0)});
  }
  TakeFastMutex(routine, mutex, raise, irql);
}

bool Dispatcher::TryToAcquireFastMutex(const char* routine, PFAST_MUTEX mutex) {
  CheckFastMutex(routine, mutex);
  const KIRQL irql = kernel_.irql().Current();
  if (irql > APC_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, APC_LEVEL);
  if (mutex->Count != kFree) return false;
  if (irql < APC_LEVEL) kernel_.irql().Set(APC_LEVEL);
  TakeFastMutex(routine, mutex, /*raise=*/true, irql);
  return true;
}

void Dispatcher::TakeFastMutex(const char* routine, PFAST_MUTEX mutex, bool raise, KIRQL irql) {
  mutex->Count = 0;
  mutex->Owner = reinterpret_cast<PVOID>(CurrentThread());
  if (raise) mutex->OldIrql = irql;
  owned_[reinterpret_cast<std::uintptr_t>(mutex)] = {
      .cpu = kernel_.current_processor(), .fast = true, .routine = routine};
  // Held from here to the release, as a spin lock is; the release publishes what it protected.
  kernel_.race().Acquire(mutex);
  kernel_.race().LockAcquired(mutex);
}

void Dispatcher::ReleaseFastMutex(const char* routine, PFAST_MUTEX mutex, bool restore) {
  CheckFastMutex(routine, mutex);
  const KIRQL irql = kernel_.irql().Current();
  if (restore && irql != APC_LEVEL) {
    if (irql > APC_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, APC_LEVEL);
    if (irql < APC_LEVEL) kernel_.verifier().IrqlBelowMinimum(routine, irql, APC_LEVEL);
  } else if (!restore && irql > APC_LEVEL) {
    kernel_.verifier().IrqlAboveMaximum(routine, irql, APC_LEVEL);
  }
  const std::uintptr_t thread = CurrentThread();
  const auto owner = reinterpret_cast<std::uintptr_t>(mutex->Owner);
  if (owner != thread) kernel_.verifier().FastMutexReleaseNotOwned(routine, mutex, owner, thread);
  const auto old_irql = static_cast<KIRQL>(mutex->OldIrql);
  kernel_.race().Release(mutex);
  kernel_.race().LockReleased(mutex);
  mutex->Count = kFree;
  mutex->Owner = nullptr;
  owned_.erase(reinterpret_cast<std::uintptr_t>(mutex));
  if (restore && old_irql < kernel_.irql().Current()) kernel_.irql().Lower(old_irql);
  // A thread waiting for it on another vCPU may take it now.
  kernel_.scheduler().Point();
}

}  // namespace kemu::model
