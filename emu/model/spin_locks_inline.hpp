// The uncontended acquire and the release of a spin lock, inline for the files whose hot paths
// take locks: the spin-lock routines (spin_locks.cpp) and the interrupt dispatch, which holds the
// interrupt's lock around every ISR (interrupt_dispatch.cpp). On those paths a call boundary costs
// about as much as the lock table's lookup.
#ifndef KEMU_EMU_MODEL_SPIN_LOCKS_INLINE_HPP_
#define KEMU_EMU_MODEL_SPIN_LOCKS_INLINE_HPP_

#include <cstdint>

#include "model/kernel.hpp"
#include "model/spin_locks.hpp"

namespace kemu::model {

// SL-9: a queued lock's word holds the owner's handle; the handle's Lock field carries the lock
// address with bit 1 (owner) set while held.
inline constexpr std::uintptr_t kQueuedOwnerBit = 2;

// The routine reports name for the kernel's own take of an interrupt lock around an ISR.
inline constexpr const char* kInterruptDispatch = "interrupt dispatch";

// Inlined into the acquire routines drivers call most: a call boundary costs about as much as a
// lookup on this path.
[[gnu::always_inline]] inline void SpinLocks::TakeInline(const char* routine, PKSPIN_LOCK lock,
                                                         LockKind kind, PKLOCK_QUEUE_HANDLE handle,
                                                         KIRQL raised_to, bool waited,
                                                         KIRQL old_irql) {
  // One lookup on the uncontended path: AddressMap references stay valid until the entry is
  // erased, which only a contended wait below can let happen.
  State* found = &Lookup(routine, lock);
  const Cpu& cpu = kernel_.cpu();
  if (found->owner == static_cast<int>(cpu.index)) {
    kernel_.verifier().AcquireOwnedBySelf(routine, lock, /*try_only=*/false);
  }
  // Lock order (0x1001) is checked before a contended acquire spins, as Driver Verifier checks it
  // at the acquire: an inversion is reported as one even if this interleaving would deadlock.
  const bool contended = found->owner >= 0 && found->owner != static_cast<int>(cpu.index);
  if (contended) [[unlikely]] {
    found = &SpinUntilFree(routine, lock, found->owner, waited);
  }
  State& state = *found;
  if (state.kind != LockKind::kUnused && state.kind != kind) {
    ReportMismatch(routine, lock, /*acquiring=*/true, state.kind);
  }
  state.kind = kind;
  SetOwner(state, static_cast<int>(cpu.index));
  kernel_.race().LockAcquired(lock);
  state.queue_handle = reinterpret_cast<std::uintptr_t>(handle);
  state.acquired_at = kernel_.trace().sequence();
  state.acquired_by = routine;
  state.raised_to = raised_to;
  state.old_irql = old_irql;
  if (kind == LockKind::kQueued) {
    handle->LockQueue.Next = nullptr;
    handle->LockQueue.Lock =
        reinterpret_cast<PKSPIN_LOCK>(reinterpret_cast<std::uintptr_t>(lock) | kQueuedOwnerBit);
    *lock = reinterpret_cast<KSPIN_LOCK>(handle);
  } else if (kernel_.verifier().mode() == verifier::CheckMode::kRetail) {
    *lock = 1;  // SL-3, MP retail kernel
  } else {
    *lock = cpu.thread_address() | 1;  // SL-3, checked kernel: owner thread | 1
  }
  kernel_.NoteLock(TraceKind::kLockAcquire, routine, lock);
  // Lock order (0x1001), after the acquire event, unless checked before the spin.
  if (!contended) {
    kernel_.verifier().LockAcquired(routine, lock, cpu.index, kernel_.trace().sequence(), waited);
  }
}

[[gnu::always_inline]] inline void SpinLocks::DropFound(const char* routine, PKSPIN_LOCK lock,
                                                        LockKind kind, PKLOCK_QUEUE_HANDLE handle,
                                                        State* found) {
  const Cpu& cpu = kernel_.cpu();
  if (found == nullptr || found->owner < 0) {
    kernel_.verifier().ReleaseNotOwned(routine, lock);
    *lock = 0;  // a retail kernel simply clears the word
    kernel_.NoteLock(TraceKind::kLockRelease, routine, lock);
    return;
  }
  State& state = *found;
  if (state.owner != static_cast<int>(cpu.index)) {
    kernel_.verifier().ReleaseByOtherProcessor(
        routine, lock, kernel_.cpu(static_cast<unsigned>(state.owner)).thread_address(),
        cpu.thread_address());
  }
  if (state.kind != kind) {
    ReportMismatch(routine, lock, /*acquiring=*/false, state.kind);
  }
  // The owner is identified by the handle's address, never by reading the handle kemu saw at
  // the acquire: a copy released here means the original may already be out of scope.
  const auto passed = reinterpret_cast<std::uintptr_t>(handle);
  if (kind == LockKind::kQueued && state.kind == LockKind::kQueued &&
      passed != state.queue_handle) {
    kernel_.verifier().QueuedReleaseThroughOtherHandle(routine, lock, handle, state.queue_handle);
  }
  if (handle != nullptr) handle->LockQueue.Lock = lock;  // SL-9: owner bit cleared
  SetOwner(state, -1);
  kernel_.race().LockReleased(lock);
  state.queue_handle = 0;
  kernel_.verifier().LockReleased(lock, cpu.index);
  *lock = 0;
  kernel_.NoteLock(TraceKind::kLockRelease, routine, lock);
  // A vCPU spinning on it may take it now.
  kernel_.scheduler().Point();
}

[[gnu::always_inline]] inline void SpinLocks::TakeInterruptLock(PKSPIN_LOCK lock) {
  TakeInline(kInterruptDispatch, lock, LockKind::kOrdinary, nullptr, DISPATCH_LEVEL,
             /*waited=*/true);
}

[[gnu::always_inline]] inline void SpinLocks::DropInterruptLock(PKSPIN_LOCK lock) {
  DropFound(kInterruptDispatch, lock, LockKind::kOrdinary, nullptr, locks_.Find(lock));
}

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_SPIN_LOCKS_INLINE_HPP_
