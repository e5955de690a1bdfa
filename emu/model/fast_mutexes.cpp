// Fast and guarded mutexes: locks that wait instead of spinning, for code at or below APC_LEVEL;
// never recursive (docs/kernel.md, "Semaphores and mutexes"). The state lives in the structure, as
// on Windows: Count is 1 while free, Owner is the owning thread. A fast mutex raises to APC_LEVEL
// and keeps the old IRQL in OldIrql; a guarded mutex leaves the IRQL alone and holds its owner in
// a guarded region instead.
#include <fmt/format.h>

#include "model/dispatcher.hpp"
#include "model/freed_objects.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr LONG kFree = 1;

}  // namespace

/// The fields the two kinds share, with what tells them apart.
struct Dispatcher::MutexView {
  volatile LONG* count;
  PVOID* owner;
  ULONG* contention;
  DISPATCHER_HEADER* header;  ///< the event or gate a waiter would block on
  UCHAR header_type;
  const void* address;
  const char* kind;  ///< "fast mutex" or "guarded mutex"
};

Dispatcher::MutexView Dispatcher::ViewOf(PFAST_MUTEX mutex) {
  return {&mutex->Count,
          &mutex->Owner,
          &mutex->Contention,
          &mutex->Event.Header,
          EventSynchronizationObject,
          mutex,
          "fast mutex"};
}

Dispatcher::MutexView Dispatcher::ViewOf(PKGUARDED_MUTEX mutex) {
  return {&mutex->Count, &mutex->Owner, &mutex->Contention, &mutex->Gate,
          GateObject,    mutex,         "guarded mutex"};
}

void Dispatcher::InitializeMutexView(const MutexView& mutex) {
  *mutex.count = kFree;
  *mutex.owner = nullptr;
  *mutex.contention = 0;
  owned_.erase(reinterpret_cast<std::uintptr_t>(mutex.address));
  // A new lock for the race detector, with no history from an earlier one at this address.
  kernel_.race().ObjectInitialized(mutex.address);
  kernel_.race().LockInitialized(mutex.address, mutex.kind);
  kernel_.verifier().MutexInitialized(mutex.address);
}

void Dispatcher::InitializeFastMutex(PFAST_MUTEX mutex) {
  InitializeEvent(&mutex->Event, SynchronizationEvent, false);
  mutex->OldIrql = 0;
  InitializeMutexView(ViewOf(mutex));
}

void Dispatcher::InitializeGuardedMutex(PKGUARDED_MUTEX mutex) {
  InitializeHeader(mutex->Gate, GateObject, sizeof(DISPATCHER_HEADER), 0);
  mutex->CombinedApcDisable = 0;
  InitializeMutexView(ViewOf(mutex));
}

void Dispatcher::CheckMutexView(const char* routine, const MutexView& mutex) const {
  kernel_.verifier().Dereferenced(routine, mutex.address, "Mutex");
  const bool initialized = mutex.header->Type == mutex.header_type &&
                           (*mutex.count == kFree) == (*mutex.owner == nullptr);
  if (!initialized) {
    const std::string expected = fmt::format("an initialized {}", mutex.kind);
    RejectInvalidObject(kernel_, routine, expected.c_str(), mutex.address);
  }
}

void Dispatcher::CheckAtMostApc(const char* routine) const {
  const KIRQL irql = kernel_.irql().Current();
  if (irql > APC_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, APC_LEVEL);
}

void Dispatcher::AcquireMutexView(const char* routine, const MutexView& mutex) {
  const std::uintptr_t thread = CurrentThread();
  if (reinterpret_cast<std::uintptr_t>(*mutex.owner) == thread) {
    kernel_.verifier().MutexAcquiredBySelf(routine, mutex.kind, mutex.address,
                                           kernel_.scheduler().DescribeContexts());
  }
  // Lock order (0x1001) before the wait, as for a spin lock before it spins.
  kernel_.verifier().MutexOrder(routine, mutex.kind, mutex.address, thread,
                                kernel_.current_processor(), kernel_.trace().sequence());
  if (*mutex.count != kFree) {
    // Owned by another vCPU's thread: this one waits (other vCPUs run) until it is released.
    ++*mutex.contention;
    const auto owner = owned_.find(reinterpret_cast<std::uintptr_t>(mutex.address));
    kernel_.scheduler().WaitUntil(
        {.ready = [count = mutex.count] { return *count == kFree; },
         .what = fmt::format("the {} at {} in {} (owned by {})", mutex.kind, mutex.address, routine,
                             owner != owned_.end() ? kernel_.system_threads().DescribeOwner(
                                                         owner->second.thread, owner->second.cpu)
                                                   : std::string("its owner"))});
  }
  TakeMutexView(routine, mutex);
}

void Dispatcher::TakeMutexView(const char* routine, const MutexView& mutex) {
  *mutex.count = 0;
  *mutex.owner = reinterpret_cast<PVOID>(CurrentThread());
  owned_[reinterpret_cast<std::uintptr_t>(mutex.address)] = {.cpu = kernel_.current_processor(),
                                                             .thread = CurrentThread(),
                                                             .kind = mutex.kind,
                                                             .routine = routine};
  // Held from here to the release, as a spin lock is; the release publishes what it protected.
  kernel_.race().Acquire(mutex.address);
  kernel_.race().LockAcquired(mutex.address);
  kernel_.verifier().MutexHeld(mutex.address, CurrentThread(), routine, kernel_.trace().sequence());
}

void Dispatcher::ReleaseMutexView(const char* routine, const MutexView& mutex) {
  const std::uintptr_t thread = CurrentThread();
  const auto owner = reinterpret_cast<std::uintptr_t>(*mutex.owner);
  if (owner != thread) {
    kernel_.verifier().MutexReleasedByNonOwner(routine, mutex.kind, mutex.address, owner, thread);
  }
  kernel_.race().Release(mutex.address);
  kernel_.race().LockReleased(mutex.address);
  kernel_.verifier().MutexReleased(mutex.address, thread);
  *mutex.count = kFree;
  *mutex.owner = nullptr;
  owned_.erase(reinterpret_cast<std::uintptr_t>(mutex.address));
  // A thread waiting for it on another vCPU may take it now.
  kernel_.scheduler().Point();
}

void Dispatcher::CheckFastMutexIrql(const char* routine, PFAST_MUTEX mutex, bool acquiring,
                                    bool at_apc_only) const {
  const KIRQL irql = kernel_.irql().Current();
  const bool above = irql > APC_LEVEL;
  if (!above && !(at_apc_only && irql < APC_LEVEL)) return;
  kernel_.verifier().IrqlRuleWithCode(
      routine, irql, APC_LEVEL, above, /*has_code=*/true,
      acquiring ? verifier_code::kAcquireFastMutexAboveApc
                : verifier_code::kReleaseFastMutexNotAtApc,
      {irql, reinterpret_cast<std::uintptr_t>(mutex), 0},
      {acquiring ? "0x33: fast mutex acquired above APC_LEVEL"
                 : "0x34: fast mutex released at an IRQL other than APC_LEVEL",
       "current IRQL", "fast mutex", nullptr});
}

void Dispatcher::CheckApcsDisabled(const char* routine, PFAST_MUTEX mutex, bool acquiring) const {
  // The Unsafe routines rely on the caller having disabled APCs: APC_LEVEL, a critical or guarded
  // region, or a kernel mutex owned (which disables normal kernel APCs as a region does).
  const KIRQL irql = kernel_.irql().Current();
  if (ApcsDisabled(kernel_.current_processor(), irql)) return;
  kernel_.verifier().UnsafeMutexWithApcsEnabled(routine, mutex, irql, acquiring);
}

void Dispatcher::AcquireFastMutex(const char* routine, PFAST_MUTEX mutex, bool raise) {
  const MutexView view = ViewOf(mutex);
  CheckMutexView(routine, view);
  CheckFastMutexIrql(routine, mutex, /*acquiring=*/true, /*at_apc_only=*/false);
  if (!raise) CheckApcsDisabled(routine, mutex, /*acquiring=*/true);
  const KIRQL irql = kernel_.irql().Current();
  if (raise && irql < APC_LEVEL) kernel_.irql().Set(APC_LEVEL);
  AcquireMutexView(routine, view);
  if (raise) mutex->OldIrql = irql;
}

bool Dispatcher::TryToAcquireFastMutex(const char* routine, PFAST_MUTEX mutex) {
  const MutexView view = ViewOf(mutex);
  CheckMutexView(routine, view);
  CheckFastMutexIrql(routine, mutex, /*acquiring=*/true, /*at_apc_only=*/false);
  if (mutex->Count != kFree) return false;
  const KIRQL irql = kernel_.irql().Current();
  if (irql < APC_LEVEL) kernel_.irql().Set(APC_LEVEL);
  TakeMutexView(routine, view);
  mutex->OldIrql = irql;
  return true;
}

void Dispatcher::ReleaseFastMutex(const char* routine, PFAST_MUTEX mutex, bool restore) {
  const MutexView view = ViewOf(mutex);
  CheckMutexView(routine, view);
  // ExReleaseFastMutex must run at APC_LEVEL exactly; the Unsafe release at most there, with
  // APCs disabled.
  CheckFastMutexIrql(routine, mutex, /*acquiring=*/false, /*at_apc_only=*/restore);
  if (!restore) CheckApcsDisabled(routine, mutex, /*acquiring=*/false);
  const auto old_irql = static_cast<KIRQL>(mutex->OldIrql);
  ReleaseMutexView(routine, view);
  if (restore && old_irql < kernel_.irql().Current()) kernel_.irql().Lower(old_irql);
}

void Dispatcher::AcquireGuardedMutex(const char* routine, PKGUARDED_MUTEX mutex, bool region) {
  const MutexView view = ViewOf(mutex);
  CheckMutexView(routine, view);
  CheckAtMostApc(routine);
  if (region) EnterGuardedRegion();  // before it waits, as Windows enters it first
  AcquireMutexView(routine, view);
}

bool Dispatcher::TryToAcquireGuardedMutex(const char* routine, PKGUARDED_MUTEX mutex) {
  const MutexView view = ViewOf(mutex);
  CheckMutexView(routine, view);
  CheckAtMostApc(routine);
  if (mutex->Count != kFree) return false;
  EnterGuardedRegion();
  TakeMutexView(routine, view);
  return true;
}

void Dispatcher::ReleaseGuardedMutex(const char* routine, PKGUARDED_MUTEX mutex, bool region) {
  const MutexView view = ViewOf(mutex);
  CheckMutexView(routine, view);
  CheckAtMostApc(routine);
  ReleaseMutexView(routine, view);
  if (region) LeaveGuardedRegion(routine);
}

void Dispatcher::EnterGuardedRegion() {
  const unsigned cpu = kernel_.current_processor();
  if (guarded_regions_.size() <= cpu) guarded_regions_.resize(cpu + 1);
  ++guarded_regions_[cpu];
}

void Dispatcher::LeaveGuardedRegion(const char* routine) {
  const unsigned cpu = kernel_.current_processor();
  if (cpu >= guarded_regions_.size() || guarded_regions_[cpu] == 0) {
    kernel_.verifier().GuardedRegionUnderflow(routine);
    return;
  }
  --guarded_regions_[cpu];
}

unsigned Dispatcher::guarded_regions(unsigned cpu) const {
  return cpu < guarded_regions_.size() ? guarded_regions_[cpu] : 0;
}

}  // namespace kemu::model
