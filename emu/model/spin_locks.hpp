// Spin locks, ordinary and in-stack queued. State lives in a side table keyed by the driver's
// KSPIN_LOCK address (docs/decisions.md, decision 8); the lock word itself is written the way
// Windows writes it, because drivers and KeTestSpinLock read it (SL-2, SL-3, SL-9).
#ifndef KEMU_EMU_MODEL_SPIN_LOCKS_HPP_
#define KEMU_EMU_MODEL_SPIN_LOCKS_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/address_map.hpp"

namespace kemu::model {

class Kernel;

/// Which family of routines a lock is used with; Windows forbids mixing them on one lock.
enum class LockKind : std::uint8_t { kUnused, kOrdinary, kQueued };

class SpinLocks {
 public:
  /// `processors`: the machine's vCPU count (HeldBy is indexed by vCPU without a check).
  SpinLocks(Kernel& kernel, unsigned processors) : kernel_(kernel), held_(processors, 0) {}

  void Initialize(PKSPIN_LOCK lock);

  // Ordinary locks.
  KIRQL AcquireRaiseTo(const char* routine, PKSPIN_LOCK lock, KIRQL level);
  void Release(const char* routine, PKSPIN_LOCK lock, KIRQL new_irql);
  void AcquireAtDpcLevel(const char* routine, PKSPIN_LOCK lock);
  void ReleaseFromDpcLevel(const char* routine, PKSPIN_LOCK lock);
  BOOLEAN TryAcquireAtDpcLevel(PKSPIN_LOCK lock);
  BOOLEAN Test(PKSPIN_LOCK lock) const;

  // In-stack queued locks.
  void AcquireQueued(const char* routine, PKSPIN_LOCK lock, PKLOCK_QUEUE_HANDLE handle,
                     KIRQL level);
  void ReleaseQueued(const char* routine, PKLOCK_QUEUE_HANDLE handle, bool restore_irql);
  void AcquireQueuedAtDpcLevel(const char* routine, PKSPIN_LOCK lock, PKLOCK_QUEUE_HANDLE handle);
  void ReleaseQueuedFromDpcLevel(const char* routine, PKLOCK_QUEUE_HANDLE handle);
  /// The ...ForDpc pair: in a threaded DPC run at PASSIVE_LEVEL the acquire raises to
  /// DISPATCH_LEVEL and the release lowers back to the handle's OldIrql; elsewhere the IRQL is
  /// left alone.
  void AcquireQueuedForDpc(PKSPIN_LOCK lock, PKLOCK_QUEUE_HANDLE handle);
  void ReleaseQueuedForDpc(PKLOCK_QUEUE_HANDLE handle);
  /// KeAcquireSpinLockForDpc / KeReleaseSpinLockForDpc, the ordinary lock's ...ForDpc pair, with
  /// the same IRQL rule; the acquire returns the IRQL it was called at, which the release is
  /// given back as `old_irql`.
  KIRQL AcquireForDpc(PKSPIN_LOCK lock);
  void ReleaseForDpc(PKSPIN_LOCK lock, KIRQL old_irql);

  /// Takes / drops a lock for the kernel itself (interrupt locks), with the same ownership rules.
  /// `raised_to` is the IRQL the acquiring routine left the processor at (where the matching
  /// release must happen). `handle` is the queue handle the driver passed to this call (nullptr
  /// for the ordinary routines); only it is ever written.
  /// `waited` is false for a try, which never spins (so it is no side of a lock-order deadlock).
  void Take(const char* routine, PKSPIN_LOCK lock, LockKind kind, PKLOCK_QUEUE_HANDLE handle,
            KIRQL raised_to = DISPATCH_LEVEL, bool waited = true);
  void Drop(const char* routine, PKSPIN_LOCK lock, LockKind kind,
            PKLOCK_QUEUE_HANDLE handle = nullptr);
  /// Take and Drop of an interrupt's spin lock around its ISR ("interrupt dispatch"): the same
  /// rules, inline (model/spin_locks_inline.hpp) for an ordinary lock and no handle.
  inline void TakeInterruptLock(PKSPIN_LOCK lock);
  inline void DropInterruptLock(PKSPIN_LOCK lock);

  bool IsHeld(PKSPIN_LOCK lock) const { return OwnerOf(lock) >= 0; }
  /// The vCPU holding `lock`, or -1.
  int OwnerOf(PKSPIN_LOCK lock) const {
    if (held_total_ == 0) return -1;  // every delivery asks, and usually nothing is held
    const State* state = locks_.Find(lock);
    return state != nullptr ? state->owner : -1;
  }
  /// Number of locks vCPU `cpu` holds (asked around every ISR and DPC).
  std::size_t HeldBy(unsigned cpu) const { return held_[cpu]; }
  /// "spin lock 0x... held by vCPU 0", one line per lock still held.
  std::vector<std::string> DescribeHeld() const;
  /// "the spin lock at 0x... (taken by KeAcquireSpinLock after trace event 12)" for each lock
  /// vCPU `cpu` holds, in acquisition order.
  std::vector<std::string> DescribeHeldBy(unsigned cpu) const;
  /// "the spin lock at 0x... (the interrupt spin lock of the ISR ...)", or with where it lies in
  /// pool; just "the spin lock at 0x..." when kemu knows neither (Kernel::DescribeLock).
  std::string Named(PKSPIN_LOCK lock) const;
  /// Address of one held lock, or 0.
  std::uintptr_t FirstHeld() const;
  /// Forget locks inside [begin, end) (their memory is being reused).
  void ForgetRange(const void* begin, const void* end);
  /// The first lock in [begin, end) a vCPU holds, and that vCPU (a pool free's check).
  std::optional<std::pair<const void*, unsigned>> HeldIn(const void* begin, const void* end) const;

 private:
  /// No IRQL: the lock was not taken by a routine that returns the IRQL before it.
  static constexpr KIRQL kNoOldIrql = 0xFF;
  struct State {
    LockKind kind = LockKind::kUnused;
    int owner = -1;  ///< vCPU index, -1 when free
    /// Address of the queue handle a queued acquire was given, only ever compared with the
    /// handle a release passes: the driver's handle may be gone by then (a copy released it).
    std::uintptr_t queue_handle = 0;
    std::uint64_t acquired_at = 0;  ///< trace event number before the acquire, for report order
    const char* acquired_by = "";   ///< the routine that took it (a string literal)
    /// IRQL the acquiring routine raised to: DISPATCH_LEVEL, or SYNCH_LEVEL for the RaiseToSynch
    /// routines, whose locks are released with KeReleaseSpinLock at that level.
    KIRQL raised_to = DISPATCH_LEVEL;
    /// The IRQL a raising acquire (KeAcquireSpinLock and kin) returned, or kNoOldIrql.
    KIRQL old_irql = kNoOldIrql;
  };

  /// The ...ForDpc routines' IRQL in a threaded DPC run below DISPATCH_LEVEL: raise to
  /// DISPATCH_LEVEL (returns the IRQL before), and lower back to `old_irql`.
  KIRQL RaiseForDpc();
  void LowerForDpc(KIRQL old_irql);

  State& Lookup(const char* routine, PKSPIN_LOCK lock) {
    if (State* found = locks_.Find(lock)) [[likely]] {
      return *found;
    }
    return FirstUse(routine, lock);
  }
  /// Lookup of a lock kemu has never seen (never passed to KeInitializeSpinLock).
  State& FirstUse(const char* routine, PKSPIN_LOCK lock);
  /// The only writer of State::owner: keeps the per-vCPU count HeldBy returns, read around every
  /// ISR and DPC, without a scan of every lock.
  void SetOwner(State& state, int owner) {
    if (state.owner >= 0) {
      --held_[static_cast<unsigned>(state.owner)];
      --held_total_;
    }
    if (owner >= 0) {
      ++held_[static_cast<unsigned>(owner)];
      ++held_total_;
    }
    state.owner = owner;
  }
  /// A contended acquire: checks the lock order, waits until `owner` releases the lock and
  /// returns its state, looked up again. Out of line, so the uncontended acquire inlined into the
  /// hottest routines keeps a small frame.
  [[gnu::noinline]] State& SpinUntilFree(const char* routine, PKSPIN_LOCK lock, int owner,
                                         bool waited);
  /// MismatchedLockApi's report for a lock used as `used_as` (out of line: its text is cold).
  void ReportMismatch(const char* routine, PKSPIN_LOCK lock, bool acquiring, LockKind used_as);
  /// Take's body, inlined into the hottest acquires (model/spin_locks_inline.hpp). `old_irql`:
  /// what a raising acquire returned, which KeReleaseSpinLock must be given back.
  void TakeInline(const char* routine, PKSPIN_LOCK lock, LockKind kind, PKLOCK_QUEUE_HANDLE handle,
                  KIRQL raised_to, bool waited, KIRQL old_irql = kNoOldIrql);
  /// Drop, given the lock's state (or nullptr) already looked up.
  void DropFound(const char* routine, PKSPIN_LOCK lock, LockKind kind, PKLOCK_QUEUE_HANDLE handle,
                 State* found);
  /// The level a release must happen at (where its acquire left the processor), from the lock's
  /// state or nullptr.
  static KIRQL ReleaseLevel(const State* state);

  Kernel& kernel_;
  AddressMap<PKSPIN_LOCK, State> locks_;
  std::vector<std::size_t> held_;  ///< locks each vCPU holds (index = vCPU)
  std::size_t held_total_ = 0;     ///< locks held by any vCPU (held_ summed)
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_SPIN_LOCKS_HPP_
