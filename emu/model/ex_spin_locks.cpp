#include "model/ex_spin_locks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// The same address as the verifier's and the race detector's (which take no volatile pointer).
const void* Address(PEX_SPIN_LOCK lock) { return const_cast<const LONG*>(lock); }
// The verifier's ordinary spin-lock rules report an address and never read the word through it.
PKSPIN_LOCK AsReported(PEX_SPIN_LOCK lock) {
  return reinterpret_cast<PKSPIN_LOCK>(const_cast<LONG*>(lock));
}

const char* ModeName(ExHold mode) { return mode == ExHold::kShared ? "shared" : "exclusive"; }

constexpr LONG kExclusiveBit = static_cast<LONG>(0x80000000u);

}  // namespace

ExHold ExSpinLocks::HoldOf(const State& state, unsigned cpu) {
  if (state.exclusive.has_value() && state.exclusive->cpu == cpu) return ExHold::kExclusive;
  for (const Holder& holder : state.shared) {
    if (holder.cpu == cpu) return ExHold::kShared;
  }
  return ExHold::kNone;
}

void ExSpinLocks::WriteWord(PEX_SPIN_LOCK lock, const State& state) {
  *lock = state.exclusive.has_value() ? kExclusiveBit : static_cast<LONG>(state.shared.size());
}

ExSpinLocks::State& ExSpinLocks::Lookup(const char* routine, PEX_SPIN_LOCK lock) {
  if (State* found = locks_.Find(lock)) [[likely]] {
    return *found;
  }
  // First sight: zero is the only initialisation an EX_SPIN_LOCK has.
  if (const LONG word = *lock; word != 0) {
    kernel_.verifier().ExSpinLockNotZeroed(routine, Address(lock), word);
  }
  // A new lock for the race detector too: at a reused address, accesses under the earlier lock
  // must not count as protected by this one.
  kernel_.race().LockInitialized(Address(lock), "reader/writer spin lock");
  return locks_[lock];
}

std::string ExSpinLocks::DescribeHolders(const State& state, bool exclusive) const {
  // Each holder as a spin-lock wait names one: a system thread seated on the vCPU by name.
  const Scheduler& scheduler = kernel_.scheduler();
  if (state.exclusive.has_value()) {
    return "held exclusive by " + scheduler.DescribeProcessor(state.exclusive->cpu);
  }
  std::string holders;
  for (const Holder& holder : state.shared) {
    holders += (holders.empty() ? "" : ", ") + scheduler.DescribeProcessor(holder.cpu);
  }
  if (holders.empty()) holders = "no vCPU";  // between a release and the waiting writer's turn
  // This vCPU, when it waits for exclusive access, is one of the waiters counted.
  const bool writer_waits = state.exclusive_waiters > (exclusive ? 1u : 0u);
  return fmt::format("held shared by {}{}", holders,
                     writer_waits ? "; another vCPU waits for exclusive access" : "");
}

ExSpinLocks::State& ExSpinLocks::SpinUntilAvailable(const char* routine, PEX_SPIN_LOCK lock,
                                                    ExHold mode) {
  const Cpu& cpu = kernel_.cpu();
  // Lock order (0x1001) before the spin, as for an ordinary lock.
  kernel_.verifier().LockAcquired(routine, AsReported(lock), cpu.index, kernel_.trace().sequence());
  State& waiting = locks_[lock];
  const bool exclusive = mode == ExHold::kExclusive;
  if (exclusive) ++waiting.exclusive_waiters;  // holds off new shared acquirers meanwhile
  const std::string holders = DescribeHolders(waiting, exclusive);
  kernel_.scheduler().WaitUntil(
      {.ready =
           [this, lock, mode] {
             const State* state = locks_.Find(lock);
             return state == nullptr || Available(*state, mode);
           },
       .what = fmt::format("{} access to the reader/writer spin lock at {} in {} ({})",
                           ModeName(mode), Address(lock), routine, holders),
       .lock = reinterpret_cast<std::uintptr_t>(Address(lock))});
  // Looked up again: the entry is kept while a vCPU waits, but the reference may have moved.
  State& state = locks_[lock];
  if (exclusive) --state.exclusive_waiters;
  return state;
}

void ExSpinLocks::Take(const char* routine, PEX_SPIN_LOCK lock, ExHold mode) {
  State* state = &Lookup(routine, lock);
  const Cpu& cpu = kernel_.cpu();
  // Recursion in either mode deadlocks ("Recursive acquisition of a spin lock causes deadlock and
  // is not allowed", on every acquire routine's page): a shared acquire waits behind a vCPU that
  // spins for exclusive access, and that vCPU waits for this one.
  if (HoldOf(*state, cpu.index) != ExHold::kNone) {
    kernel_.verifier().AcquireOwnedBySelf(routine, AsReported(lock), /*try_only=*/false);
  }
  const bool contended = !Available(*state, mode);
  if (contended) [[unlikely]] {
    state = &SpinUntilAvailable(routine, lock, mode);
  }
  const Holder holder{
      .cpu = cpu.index, .acquired_at = kernel_.trace().sequence(), .acquired_by = routine};
  if (mode == ExHold::kShared) {
    state->shared.push_back(holder);
  } else {
    state->exclusive = holder;
  }
  ++held_[cpu.index];
  kernel_.race().LockAcquired(Address(lock), /*shared=*/mode == ExHold::kShared);
  WriteWord(lock, *state);
  kernel_.NoteLock(TraceKind::kLockAcquire, routine, Address(lock));
  if (!contended) {
    kernel_.verifier().LockAcquired(routine, AsReported(lock), cpu.index,
                                    kernel_.trace().sequence());
  }
}

void ExSpinLocks::ReleaseNotHeld(const char* routine, PEX_SPIN_LOCK lock, const State* state) {
  const Cpu& cpu = kernel_.cpu();
  const Holder* other = nullptr;
  if (state != nullptr && state->exclusive.has_value()) other = &*state->exclusive;
  if (state != nullptr && !state->shared.empty()) other = &state->shared.front();
  if (other == nullptr) {
    kernel_.verifier().ReleaseNotOwned(routine, AsReported(lock));
  } else {
    kernel_.verifier().ReleaseByOtherProcessor(
        routine, AsReported(lock), kernel_.cpu(other->cpu).thread_address(), cpu.thread_address());
  }
  // Without the verifier's stop (retail, or kRecord), the holders keep the lock: UNCONFIRMED what
  // Windows' word then says, and kemu does not guess.
  kernel_.NoteLock(TraceKind::kLockRelease, routine, Address(lock));
}

void ExSpinLocks::Drop(const char* routine, PEX_SPIN_LOCK lock, ExHold mode) {
  State* const state = locks_.Find(lock);
  const unsigned cpu = kernel_.cpu().index;
  const ExHold held = state != nullptr ? HoldOf(*state, cpu) : ExHold::kNone;
  if (held == ExHold::kNone) return ReleaseNotHeld(routine, lock, state);
  if (held != mode) {
    kernel_.verifier().ExSpinLockWrongMode(routine, Address(lock), static_cast<unsigned>(held),
                                           static_cast<unsigned>(mode), /*release=*/true);
  }
  // The hold this vCPU has is the one that goes, whichever routine was used (kRecord goes on).
  if (held == ExHold::kExclusive) {
    state->exclusive.reset();
  } else {
    std::erase_if(state->shared, [cpu](const Holder& holder) { return holder.cpu == cpu; });
  }
  --held_[cpu];
  kernel_.race().LockReleased(Address(lock));
  kernel_.verifier().LockReleased(AsReported(lock), cpu);
  WriteWord(lock, *state);
  kernel_.NoteLock(TraceKind::kLockRelease, routine, Address(lock));
  // A vCPU spinning on it may take it now.
  kernel_.scheduler().Point();
}

KIRQL ExSpinLocks::AcquireRaising(const char* routine, PEX_SPIN_LOCK lock, ExHold mode) {
  const KIRQL old = kernel_.irql().Current();
  if (old > DISPATCH_LEVEL) kernel_.verifier().AcquireAboveDispatch(routine, AsReported(lock), old);
  // The IRQL moves first, then the lock is taken, as for an ordinary lock (SL-6 without a
  // verifier: the IRQL drops to DISPATCH_LEVEL).
  kernel_.irql().Set(DISPATCH_LEVEL);
  Take(routine, lock, mode);
  return old;
}

void ExSpinLocks::ReleaseLowering(const char* routine, PEX_SPIN_LOCK lock, ExHold mode,
                                  KIRQL old_irql) {
  const KIRQL current = kernel_.irql().Current();
  if (current != DISPATCH_LEVEL) {
    kernel_.verifier().ReleaseNotAtDispatch(routine, AsReported(lock), current, /*queued=*/false,
                                            old_irql);
  }
  Drop(routine, lock, mode);
  kernel_.irql().Lower(old_irql);
}

void ExSpinLocks::AcquireAtDpcLevel(const char* routine, PEX_SPIN_LOCK lock, ExHold mode) {
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(routine, AsReported(lock), current,
                                               /*acquiring=*/true);
  }
  Take(routine, lock, mode);
}

void ExSpinLocks::ReleaseFromDpcLevel(const char* routine, PEX_SPIN_LOCK lock, ExHold mode) {
  const KIRQL current = kernel_.irql().Current();
  if (current < DISPATCH_LEVEL) {
    kernel_.verifier().AtDpcLevelBelowDispatch(routine, AsReported(lock), current,
                                               /*acquiring=*/false);
  }
  Drop(routine, lock, mode);
}

LOGICAL ExSpinLocks::TryConvertSharedToExclusive(PEX_SPIN_LOCK lock) {
  static constexpr const char* kRoutine = "ExTryConvertSharedSpinLockExclusive";
  State& state = Lookup(kRoutine, lock);
  const unsigned cpu = kernel_.cpu().index;
  if (const ExHold held = HoldOf(state, cpu); held != ExHold::kShared) {
    kernel_.verifier().ExSpinLockWrongMode(kRoutine, Address(lock), static_cast<unsigned>(held),
                                           static_cast<unsigned>(ExHold::kShared),
                                           /*release=*/false);
    return FALSE;
  }
  // Microsoft's "Reader/Writer Spin Locks": it succeeds if no other reader holds the lock and no
  // writer already waits for it.
  if (state.shared.size() != 1 || state.exclusive_waiters != 0) return FALSE;
  state.exclusive = state.shared.front();
  state.shared.clear();
  // Now exclusive for the race detector: its writes are protected from the other holders' too.
  kernel_.race().LockReleased(Address(lock));
  kernel_.race().LockAcquired(Address(lock), /*shared=*/false);
  WriteWord(lock, state);
  kernel_.NoteLock(TraceKind::kLockAcquire, kRoutine, Address(lock));
  return TRUE;
}

std::vector<std::string> ExSpinLocks::DescribeHeld() const {
  std::vector<std::pair<std::uint64_t, std::string>> held;
  for (const auto& [lock, state] : locks_) {
    auto add = [&, lock = lock](const Holder& holder, ExHold mode) {
      held.emplace_back(holder.acquired_at,
                        fmt::format("a reader/writer spin lock at {} is still held {} by vCPU {}",
                                    Address(lock), ModeName(mode), holder.cpu));
    };
    if (state.exclusive.has_value()) add(*state.exclusive, ExHold::kExclusive);
    for (const Holder& holder : state.shared) add(holder, ExHold::kShared);
  }
  // Acquisition order, not table order, so reports are reproducible.
  std::sort(held.begin(), held.end());
  std::vector<std::string> out;
  for (auto& entry : held) out.push_back(std::move(entry.second));
  return out;
}

std::vector<std::string> ExSpinLocks::DescribeHeldBy(unsigned cpu) const {
  std::vector<std::pair<std::uint64_t, std::string>> held;
  for (const auto& [lock, state] : locks_) {
    const Holder* holder = nullptr;
    if (state.exclusive.has_value() && state.exclusive->cpu == cpu) holder = &*state.exclusive;
    for (const Holder& shared : state.shared) {
      if (shared.cpu == cpu) holder = &shared;
    }
    if (holder == nullptr) continue;
    held.emplace_back(holder->acquired_at,
                      fmt::format("the reader/writer spin lock at {}, {} (taken by {} after trace "
                                  "event {})",
                                  Address(lock), ModeName(HoldOf(state, cpu)), holder->acquired_by,
                                  holder->acquired_at));
  }
  std::sort(held.begin(), held.end());
  std::vector<std::string> out;
  for (auto& entry : held) out.push_back(std::move(entry.second));
  return out;
}

std::uintptr_t ExSpinLocks::FirstHeld() const {
  std::uintptr_t first = 0;
  std::uint64_t first_at = ~std::uint64_t{0};
  for (const auto& [lock, state] : locks_) {
    auto consider = [&, lock = lock](const Holder& holder) {
      if (holder.acquired_at < first_at) {
        first = reinterpret_cast<std::uintptr_t>(Address(lock));
        first_at = holder.acquired_at;
      }
    };
    if (state.exclusive.has_value()) consider(*state.exclusive);
    for (const Holder& holder : state.shared) consider(holder);
  }
  return first;
}

std::optional<std::pair<const void*, unsigned>> ExSpinLocks::HeldIn(const void* begin,
                                                                    const void* end) const {
  std::optional<std::pair<const void*, unsigned>> held;
  locks_.ForEachIn(begin, end, [&held](const auto& entry) {
    if (held) return;
    const State& state = entry.second;
    if (state.exclusive.has_value()) {
      held.emplace(const_cast<const LONG*>(entry.first), state.exclusive->cpu);
    } else if (!state.shared.empty()) {
      held.emplace(const_cast<const LONG*>(entry.first), state.shared.front().cpu);
    }
  });
  return held;
}

void ExSpinLocks::ForgetRange(const void* begin, const void* end) {
  // A held lock, or one a vCPU spins on, stays known: its release (or Machine::Shutdown) still
  // finds it.
  locks_.EraseIfIn(begin, end, [](const auto& entry) {
    return !entry.second.exclusive.has_value() && entry.second.shared.empty() &&
           entry.second.exclusive_waiters == 0;
  });
}

}  // namespace kemu::model
