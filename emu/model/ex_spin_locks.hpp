// Reader/writer spin locks (EX_SPIN_LOCK, Windows Vista SP1 on): any number of vCPUs hold one
// shared, or one vCPU holds it exclusive. A vCPU spinning for exclusive access holds off new
// shared acquirers, as Microsoft's "Reader/Writer Spin Locks" page documents. State lives in a
// side table keyed by the driver's EX_SPIN_LOCK address (docs/decisions.md, decision 8); a lock
// kemu has not seen is free when its word is zero, which is its only initialisation.
#ifndef KEMU_EMU_MODEL_EX_SPIN_LOCKS_HPP_
#define KEMU_EMU_MODEL_EX_SPIN_LOCKS_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/address_map.hpp"

namespace kemu::model {

class Kernel;

/// How a vCPU holds a reader/writer spin lock (the values the verifier's reports show).
enum class ExHold : std::uint8_t { kNone = 0, kShared = 1, kExclusive = 2 };

class ExSpinLocks {
 public:
  /// `processors`: the machine's vCPU count (HeldBy is indexed by vCPU without a check).
  ExSpinLocks(Kernel& kernel, unsigned processors) : kernel_(kernel), held_(processors, 0) {}

  /// ExAcquireSpinLockShared / ExAcquireSpinLockExclusive: IRQL <= DISPATCH_LEVEL, raised to
  /// DISPATCH_LEVEL; returns the IRQL before.
  KIRQL AcquireRaising(const char* routine, PEX_SPIN_LOCK lock, ExHold mode);
  /// ExReleaseSpinLockShared / ExReleaseSpinLockExclusive: at DISPATCH_LEVEL, then lowers to
  /// `old_irql` (pending interrupts and DPCs run as the IRQL drops).
  void ReleaseLowering(const char* routine, PEX_SPIN_LOCK lock, ExHold mode, KIRQL old_irql);
  /// The ...AtDpcLevel acquires and ...FromDpcLevel releases: IRQL >= DISPATCH_LEVEL, unchanged.
  void AcquireAtDpcLevel(const char* routine, PEX_SPIN_LOCK lock, ExHold mode);
  void ReleaseFromDpcLevel(const char* routine, PEX_SPIN_LOCK lock, ExHold mode);
  /// ExTryConvertSharedSpinLockExclusive: TRUE when the running vCPU was the only shared holder
  /// and no vCPU spins for exclusive access; FALSE (still shared) otherwise.
  LOGICAL TryConvertSharedToExclusive(PEX_SPIN_LOCK lock);

  /// Number of reader/writer locks vCPU `cpu` holds, in either mode (asked around ISRs and DPCs).
  std::size_t HeldBy(unsigned cpu) const { return held_[cpu]; }
  /// "a reader/writer spin lock at 0x... is still held shared by vCPU 0", one line per holder.
  std::vector<std::string> DescribeHeld() const;
  /// "the reader/writer spin lock at 0x..., shared (taken by ... after trace event 12)" for each
  /// lock vCPU `cpu` holds, in acquisition order.
  std::vector<std::string> DescribeHeldBy(unsigned cpu) const;
  /// Address of one held lock (the earliest taken), or 0.
  std::uintptr_t FirstHeld() const;
  /// Forget the free locks inside [begin, end): their memory is being reused, and a lock placed
  /// there later starts from its word again.
  void ForgetRange(const void* begin, const void* end);
  /// The first lock in [begin, end) a vCPU holds, and that vCPU (a pool free's check).
  std::optional<std::pair<const void*, unsigned>> HeldIn(const void* begin, const void* end) const;

 private:
  struct Holder {
    unsigned cpu = 0;
    std::uint64_t acquired_at = 0;  ///< trace event number before the acquire, for report order
    const char* acquired_by = "";   ///< the routine that took it (a string literal)
  };
  struct State {
    std::optional<Holder> exclusive;
    std::vector<Holder> shared;      ///< in acquisition order; a vCPU appears at most once
    unsigned exclusive_waiters = 0;  ///< vCPUs spinning for exclusive access
  };

  static ExHold HoldOf(const State& state, unsigned cpu);
  /// Whether `mode` can be granted now (documented writer preference for shared requests).
  static bool Available(const State& state, ExHold mode) {
    if (state.exclusive.has_value()) return false;
    return mode == ExHold::kShared ? state.exclusive_waiters == 0 : state.shared.empty();
  }
  State& Lookup(const char* routine, PEX_SPIN_LOCK lock);
  /// What a contended acquire waits behind, for its wait's report: "held exclusive by vCPU 1",
  /// "held shared by vCPU 0, the system thread 0x1000 (...) on vCPU 2; another vCPU waits for
  /// exclusive access". `exclusive`: the waiter itself wants exclusive access (it is counted).
  std::string DescribeHolders(const State& state, bool exclusive) const;
  /// A contended acquire: checks the lock order, then waits until `mode` is available; returns
  /// the lock's state, looked up again.
  State& SpinUntilAvailable(const char* routine, PEX_SPIN_LOCK lock, ExHold mode);
  void Take(const char* routine, PEX_SPIN_LOCK lock, ExHold mode);
  void Drop(const char* routine, PEX_SPIN_LOCK lock, ExHold mode);
  /// A release by a vCPU that does not hold the lock: the verifier's report.
  void ReleaseNotHeld(const char* routine, PEX_SPIN_LOCK lock, const State* state);
  /// Writes the lock word kemu keeps while the lock is known: 0 when free (kemu's encoding
  /// otherwise: the shared count, or bit 31 for an exclusive holder; Windows' is undocumented).
  static void WriteWord(PEX_SPIN_LOCK lock, const State& state);

  Kernel& kernel_;
  AddressMap<PEX_SPIN_LOCK, State> locks_;
  std::vector<std::size_t> held_;  ///< locks each vCPU holds (index = vCPU)
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_EX_SPIN_LOCKS_HPP_
