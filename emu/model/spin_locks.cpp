#include "model/spin_locks.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/freed_objects.hpp"
#include "model/host_memory.hpp"
#include "model/kernel.hpp"
#include "model/spin_locks_inline.hpp"

namespace kemu::model {
namespace {

const char* KindName(LockKind kind) {
  switch (kind) {
    case LockKind::kOrdinary:
      return "an ordinary spin lock";
    case LockKind::kQueued:
      return "an in-stack queued spin lock";
    case LockKind::kUnused:
      break;
  }
  return "an unused spin lock";
}

// The lock a queued handle names, without the flag bits of SL-9.
PKSPIN_LOCK LockOf(PKLOCK_QUEUE_HANDLE handle) {
  return reinterpret_cast<PKSPIN_LOCK>(reinterpret_cast<std::uintptr_t>(handle->LockQueue.Lock) &
                                       ~std::uintptr_t{3});
}

}  // namespace

void SpinLocks::Initialize(PKSPIN_LOCK lock) {
  kernel_.pool().RequireNonpaged("KeInitializeSpinLock", "spin lock", lock);
  *lock = 0;  // SL-1
  // A live lock now, even in memory the host reused after a pool free.
  const auto address = reinterpret_cast<std::uintptr_t>(lock);
  kernel_.pool().ForgetFreedRanges(address, address + sizeof(KSPIN_LOCK));
  State& state = locks_[lock];
  // Re-initialising a held lock is the driver's bug; Windows just zeroes the word, and so do we.
  SetOwner(state, -1);
  state = State{};
  kernel_.verifier().LockInitialized(lock);
  // A new lock for the race detector too: at a reused address (a stack frame), accesses under the
  // earlier lock must not count as protected by this one.
  kernel_.race().LockInitialized(lock);
}

SpinLocks::State& SpinLocks::FirstUse(const char* routine, PKSPIN_LOCK lock) {
  // Never passed to KeInitializeSpinLock. Verifier's deadlock detection reports it; a kernel
  // without it sees a zero word as a free lock (zeroed device extensions rely on that) and spins
  // forever on anything else.
  // In pool the driver freed (and no lock initialized there since): the lock is gone, and its
  // word is not read (the host may have unmapped the block, or handed it to another use).
  if (kernel_.pool().InFreedBlock(reinterpret_cast<std::uintptr_t>(lock))) {
    RejectInvalidObject(kernel_, routine, "an initialized spin lock", lock);
  }
  // Without deadlock detection the lock word is read: a wild lock pointer is the kernel's page
  // fault there, not kemu's process faulting (audit round 19, B-S5). Asked once per lock: later
  // uses find it in the table.
  if (!kernel_.verifier().deadlock_detection() && !kernel_.pool().ExtentOf(lock)) {
    if (const auto bad = FirstUnreadable(lock, sizeof(KSPIN_LOCK))) {
      kernel_.verifier().UnreadableArgument(routine, "SpinLock", sizeof(KSPIN_LOCK), *bad);
    }
  }
  if (kernel_.verifier().deadlock_detection() || *lock != 0) {
    // A lock in memory the driver freed was initialised once: the report says where it lived.
    kernel_.verifier().AcquireUninitialized(
        routine, lock, kernel_.pool().DescribeFreed(reinterpret_cast<std::uintptr_t>(lock)));
  }
  return locks_[lock];
}

std::string SpinLocks::Named(PKSPIN_LOCK lock) const {
  const std::string what = kernel_.DescribeLock(reinterpret_cast<std::uintptr_t>(lock));
  return fmt::format("the spin lock at {}{}{}{}", static_cast<const void*>(lock),
                     what.empty() ? "" : " (", what, what.empty() ? "" : ")");
}

SpinLocks::State& SpinLocks::SpinUntilFree(const char* routine, PKSPIN_LOCK lock, int owner,
                                           bool waited) {
  const Cpu& cpu = kernel_.cpu();
  kernel_.verifier().LockAcquired(routine, lock, cpu.index, kernel_.trace().sequence(), waited);
  // Contention: spin until the owner releases it. Other vCPUs run meanwhile, and this one still
  // takes the interrupts its IRQL allows.
  kernel_.scheduler().WaitUntil(
      {.ready = [this, lock] { return !IsHeld(lock); },
       .what = fmt::format("{} in {} (held by {})", Named(lock), routine,
                           kernel_.scheduler().DescribeProcessor(static_cast<unsigned>(owner))),
       .lock = reinterpret_cast<std::uintptr_t>(lock)});
  // Looked up again: the wait may have let the lock's memory be freed and forgotten.
  return locks_[lock];
}

void SpinLocks::Take(const char* routine, PKSPIN_LOCK lock, LockKind kind,
                     PKLOCK_QUEUE_HANDLE handle, KIRQL raised_to, bool waited) {
  TakeInline(routine, lock, kind, handle, raised_to, waited);
}

void SpinLocks::Drop(const char* routine, PKSPIN_LOCK lock, LockKind kind,
                     PKLOCK_QUEUE_HANDLE handle) {
  DropFound(routine, lock, kind, handle, locks_.Find(lock));
}

void SpinLocks::ReportMismatch(const char* routine, PKSPIN_LOCK lock, bool acquiring,
                               LockKind used_as) {
  kernel_.verifier().MismatchedLockApi(routine, lock, acquiring, KindName(used_as));
}

KIRQL SpinLocks::AcquireRaiseTo(const char* routine, PKSPIN_LOCK lock, KIRQL level) {
  const KIRQL old = kernel_.irql().Current();
  if (old > level) kernel_.verifier().AcquireAboveDispatch(routine, lock, old);
  // The IRQL moves first, then the lock is taken, as on Windows; a retail kernel "raises" to
  // DISPATCH_LEVEL even from above it (SL-6).
  kernel_.irql().Set(level);
  TakeInline(routine, lock, LockKind::kOrdinary, nullptr, level, /*waited=*/true, old);
  return old;
}

KIRQL SpinLocks::ReleaseLevel(const State* state) {
  return state != nullptr && state->owner >= 0 ? state->raised_to : DISPATCH_LEVEL;
}

void SpinLocks::Release(const char* routine, PKSPIN_LOCK lock, KIRQL new_irql) {
  const KIRQL current = kernel_.irql().Current();
  // One lookup for the level check and the release: the verifier's report between them does not
  // touch the table.
  State* const state = locks_.Find(lock);
  if (current != ReleaseLevel(state)) {
    kernel_.verifier().ReleaseNotAtDispatch(routine, lock, current, /*queued=*/false, new_irql);
  }
  // Only for the processor's own lock: a release of one it does not hold is its own report.
  // The common case is one compare: the IRQL given back is the one the acquire returned.
  if (state != nullptr && new_irql != state->old_irql && state->old_irql != kNoOldIrql &&
      state->owner == static_cast<int>(kernel_.current_processor())) [[unlikely]] {
    kernel_.verifier().ReleaseToOtherIrql(routine, lock, new_irql, state->old_irql);
  }
  DropFound(routine, lock, LockKind::kOrdinary, nullptr, state);
  kernel_.irql().Lower(new_irql);
}

void SpinLocks::AcquireAtDpcLevel(const char* routine, PKSPIN_LOCK lock) {
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(routine, lock, current, /*acquiring=*/true);
  }
  Take(routine, lock, LockKind::kOrdinary, nullptr);
}

void SpinLocks::ReleaseFromDpcLevel(const char* routine, PKSPIN_LOCK lock) {
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(routine, lock, current, /*acquiring=*/false);
  }
  Drop(routine, lock, LockKind::kOrdinary);
}

BOOLEAN SpinLocks::TryAcquireAtDpcLevel(PKSPIN_LOCK lock) {
  static constexpr const char* kRoutine = "KeTryToAcquireSpinLockAtDpcLevel";
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(kRoutine, lock, current, /*acquiring=*/true);
  }
  State& state = Lookup(kRoutine, lock);
  if (state.owner == static_cast<int>(kernel_.cpu().index)) {
    // SL-8: a retail MP kernel answers FALSE; checked kernels and Verifier bug-check.
    kernel_.verifier().AcquireOwnedBySelf(kRoutine, lock, /*try_only=*/true);
    return FALSE;
  }
  if (state.owner >= 0) return FALSE;
  Take(kRoutine, lock, LockKind::kOrdinary, nullptr, DISPATCH_LEVEL, /*waited=*/false);
  return TRUE;
}

BOOLEAN SpinLocks::Test(PKSPIN_LOCK lock) const {
  return *lock == 0 ? TRUE : FALSE;  // SL-2: TRUE means free
}

void SpinLocks::AcquireQueued(const char* routine, PKSPIN_LOCK lock, PKLOCK_QUEUE_HANDLE handle,
                              KIRQL level) {
  const KIRQL old = kernel_.irql().Current();
  if (old > level) kernel_.verifier().AcquireAboveDispatch(routine, lock, old);
  kernel_.irql().Set(level);
  handle->OldIrql = old;
  TakeInline(routine, lock, LockKind::kQueued, handle, level, /*waited=*/true);
}

void SpinLocks::ReleaseQueued(const char* routine, PKLOCK_QUEUE_HANDLE handle, bool restore_irql) {
  PKSPIN_LOCK lock = LockOf(handle);
  const KIRQL current = kernel_.irql().Current();
  State* const state = locks_.Find(lock);
  if (restore_irql && lock != nullptr && current != ReleaseLevel(state)) {
    kernel_.verifier().ReleaseNotAtDispatch(routine, lock, current, /*queued=*/true,
                                            handle->OldIrql);
  }
  kernel_.verifier().Dereferenced(routine, lock, "LockHandle->LockQueue.Lock");
  DropFound(routine, lock, LockKind::kQueued, handle, state);
  if (restore_irql) kernel_.irql().Lower(handle->OldIrql);
}

void SpinLocks::AcquireQueuedAtDpcLevel(const char* routine, PKSPIN_LOCK lock,
                                        PKLOCK_QUEUE_HANDLE handle) {
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(routine, lock, current, /*acquiring=*/true);
  }
  handle->OldIrql = current;
  Take(routine, lock, LockKind::kQueued, handle);
}

void SpinLocks::ReleaseQueuedFromDpcLevel(const char* routine, PKLOCK_QUEUE_HANDLE handle) {
  PKSPIN_LOCK lock = LockOf(handle);
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(routine, lock, current, /*acquiring=*/false);
  }
  kernel_.verifier().Dereferenced(routine, lock, "LockHandle->LockQueue.Lock");
  Drop(routine, lock, LockKind::kQueued, handle);
}

// The ...ForDpc routines (SL-10): in a threaded DPC run at PASSIVE_LEVEL the acquire raises to
// DISPATCH_LEVEL and the release lowers back to the IRQL the acquire returned (Microsoft's
// KeAcquireSpinLockForDpc and KeReleaseSpinLockForDpc pages); anywhere else, an ordinary DPC at
// DISPATCH_LEVEL or a thread as the SL-10 kmtest calls them, the IRQL is left alone.
KIRQL SpinLocks::RaiseForDpc() {
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL && kernel_.cpu().InThreadedDpc()) {
    kernel_.irql().Set(DISPATCH_LEVEL);
  }
  return current;
}

void SpinLocks::LowerForDpc(KIRQL old_irql) {
  if (old_irql < DISPATCH_LEVEL && kernel_.cpu().InThreadedDpc() &&
      old_irql < kernel_.irql().Current()) {
    kernel_.irql().Lower(old_irql);
  }
}

void SpinLocks::AcquireQueuedForDpc(PKSPIN_LOCK lock, PKLOCK_QUEUE_HANDLE handle) {
  handle->OldIrql = RaiseForDpc();
  Take("KeAcquireInStackQueuedSpinLockForDpc", lock, LockKind::kQueued, handle);
}

void SpinLocks::ReleaseQueuedForDpc(PKLOCK_QUEUE_HANDLE handle) {
  static constexpr const char* kRoutine = "KeReleaseInStackQueuedSpinLockForDpc";
  PKSPIN_LOCK lock = LockOf(handle);
  kernel_.verifier().Dereferenced(kRoutine, lock, "LockHandle->LockQueue.Lock");
  Drop(kRoutine, lock, LockKind::kQueued, handle);
  LowerForDpc(handle->OldIrql);
}

KIRQL SpinLocks::AcquireForDpc(PKSPIN_LOCK lock) {
  const KIRQL current = RaiseForDpc();
  Take("KeAcquireSpinLockForDpc", lock, LockKind::kOrdinary, nullptr);
  return current;
}

void SpinLocks::ReleaseForDpc(PKSPIN_LOCK lock, KIRQL old_irql) {
  Drop("KeReleaseSpinLockForDpc", lock, LockKind::kOrdinary);
  LowerForDpc(old_irql);
}

std::vector<std::string> SpinLocks::DescribeHeld() const {
  std::vector<std::pair<std::uint64_t, std::string>> held;
  for (const auto& [lock, state] : locks_) {
    if (state.owner < 0) continue;
    held.emplace_back(state.acquired_at,
                      fmt::format("{} at {} is still held by vCPU {}", KindName(state.kind),
                                  static_cast<const void*>(lock), state.owner));
  }
  // Report in acquisition order, not hash order, so reports are reproducible.
  std::sort(held.begin(), held.end());
  std::vector<std::string> out;
  for (auto& entry : held) out.push_back(std::move(entry.second));
  return out;
}

std::vector<std::string> SpinLocks::DescribeHeldBy(unsigned cpu) const {
  std::vector<std::pair<std::uint64_t, std::string>> held;
  for (const auto& [lock, state] : locks_) {
    if (state.owner != static_cast<int>(cpu)) continue;
    held.emplace_back(state.acquired_at,
                      fmt::format("{} (taken by {} after trace event {})", Named(lock),
                                  state.acquired_by, state.acquired_at));
  }
  std::sort(held.begin(), held.end());
  std::vector<std::string> out;
  for (auto& entry : held) out.push_back(std::move(entry.second));
  return out;
}

std::uintptr_t SpinLocks::FirstHeld() const {
  std::uintptr_t first = 0;
  std::uint64_t first_at = ~std::uint64_t{0};
  for (const auto& [lock, state] : locks_) {
    if (state.owner >= 0 && state.acquired_at < first_at) {
      first = reinterpret_cast<std::uintptr_t>(lock);
      first_at = state.acquired_at;
    }
  }
  return first;
}

std::optional<std::pair<const void*, unsigned>> SpinLocks::HeldIn(const void* begin,
                                                                  const void* end) const {
  std::optional<std::pair<const void*, unsigned>> held;
  locks_.ForEachIn(begin, end, [&held](const auto& entry) {
    if (!held && entry.second.owner >= 0) {
      held.emplace(entry.first, static_cast<unsigned>(entry.second.owner));
    }
  });
  return held;
}

void SpinLocks::ForgetRange(const void* begin, const void* end) {
  // A held lock stays known (and held): the driver freed it in use, and its release, the next
  // acquire of the reused address or Machine::Shutdown still finds it.
  locks_.EraseIfIn(begin, end, [](const auto& entry) { return entry.second.owner < 0; });
  kernel_.verifier().LocksFreed(begin, end);
}

}  // namespace kemu::model
