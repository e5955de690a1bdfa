// Executive pool: blocks of host memory the driver allocates with ExAllocatePool*, tracked by
// address so a free is checked (IRQL, tag, double free, an address no allocation returned) and
// what is left at shutdown is reported with its tag, size and the call that allocated it.
#ifndef KEMU_EMU_MODEL_POOL_HPP_
#define KEMU_EMU_MODEL_POOL_HPP_

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/pool_quarantine.hpp"
#include "model/trace.hpp"
#include "personality/export_manifest.hpp"

namespace kemu::model {

class Kernel;

/// One allocation request, once the exported routine has decoded its arguments.
struct PoolRequest {
  const char* routine = "";
  /// The routine whose faults fail this allocation; none when the caller checked its own (a DMA
  /// adapter's AllocateCommonBuffer, which has no export of its own).
  std::optional<personality::ExportId> id = personality::ExportId::kExAllocatePoolWithTag;
  /// The POOL_TYPE value as the driver passed it (reports show it), or for ExAllocatePool2 the
  /// equivalent type.
  std::uint32_t type = 0;
  bool paged = false;
  bool cache_aligned = false;
  SIZE_T bytes = 0;
  ULONG tag = 0;
  bool zero = false;
  /// The routine raises an exception on failure instead of returning NULL.
  bool raise_on_failure = false;
  /// MmAllocateContiguousMemory(SpecifyCache): page-aligned, with a physical range within
  /// [lowest, highest] that crosses no multiple of `boundary` (model/physical_memory.hpp); only
  /// MmFreeContiguousMemory(SpecifyCache) may free it.
  bool contiguous = false;
  std::uint64_t lowest = 0;
  std::uint64_t highest = 0;
  std::uint64_t boundary = 0;
  std::uint32_t cache_type = 0;  ///< MEMORY_CACHING_TYPE
};

/// What MmFreeContiguousMemorySpecifyCache says of the block it frees (MmFreeContiguousMemory
/// says nothing): it must match the allocation.
struct ContiguousFree {
  std::optional<SIZE_T> bytes;
  std::optional<std::uint32_t> cache_type;
};

class Pool {
 public:
  /// The largest block kemu hands out; larger requests fail as "insufficient resources" would.
  static constexpr SIZE_T kMaxBlockBytes = SIZE_T{256} << 20;
  /// How many freed addresses are remembered to tell a double free from a wild one.
  static constexpr std::size_t kFreedMemory = 4096;

  explicit Pool(Kernel& kernel) : kernel_(kernel), quarantine_(kernel) {}
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Checks the request, consults fault injection and returns the block, or nullptr when the
  /// allocation fails.
  void* Allocate(const PoolRequest& request);
  /// ExFreePool (`tag` empty) or ExFreePoolWithTag. `call_site`: the driver's call of the
  /// routine (its return address), where a race report places the free.
  void Free(const char* routine, void* block, std::optional<ULONG> tag, const void* call_site) {
    FreeBlock(routine, block, tag, nullptr, call_site);
  }
  /// MmFreeContiguousMemory(SpecifyCache): `block` must be what a contiguous allocation returned.
  void FreeContiguous(const char* routine, void* block, const ContiguousFree& said,
                      const void* call_site) {
    FreeBlock(routine, block, std::nullopt, &said, call_site);
  }
  /// A live block (pool or contiguous) holds all of [address, address + bytes).
  bool Holds(std::uintptr_t address, std::uint64_t bytes) const;
  /// The live block (pool or contiguous) holding `address`: where it starts, its size, and
  /// whether it is paged pool.
  struct Extent {
    std::uintptr_t base = 0;
    SIZE_T bytes = 0;
    bool paged = false;
  };
  std::optional<Extent> ExtentOf(const void* address) const;
  /// Force IRQL Checking (Verifier, Vista on): `routine` initialised the synchronization object
  /// `kind` at `object`, which must not be in paged pool (0xC4 / 0xE1 when it is).
  void RequireNonpaged(const char* routine, const char* kind, const void* object) const;

  std::size_t outstanding() const { return live_.size(); }
  /// One line per block still allocated, oldest first.
  std::vector<std::string> DescribeOutstanding() const;
  /// Address of the oldest block still allocated, or 0.
  std::uintptr_t FirstOutstanding() const;
  /// "offset 0x10 of the 256-byte pool block tagged 'NicR' (0x5263694e) that
  /// ExAllocatePoolWithTag returned at trace event 12" (or, for a block in the quarantine, "...
  /// freed by ExFreePool at trace event 30 on vCPU 0"), or "" when no block holds `address`.
  std::string DescribeAddress(std::uintptr_t address) const;
  /// "offset 0x8 of the 64-byte pool block tagged ... that ExFreePoolWithTag freed at trace event
  /// 30" for an address inside one of the last kFreedMemory blocks freed and not handed out
  /// again, or "". For reports only: it searches them all.
  std::string DescribeFreed(std::uintptr_t address) const;
  /// Whether `address` lies in one of the last kFreedMemory blocks freed, in memory no block
  /// allocated and no kernel object initialized since covers: a lookup, for routines that must not
  /// read a driver's object there (the host may have unmapped or reused it) before they report it.
  /// Something new lives at [begin, end) (a block handed out there, a kernel object initialized
  /// there in memory the host reused): freed blocks there no longer hold the driver's old objects.
  void ForgetFreedRanges(std::uintptr_t begin, std::uintptr_t end);
  bool InFreedBlock(std::uintptr_t address) const {
    auto after = freed_ranges_.upper_bound(address);
    if (after == freed_ranges_.begin()) return false;
    return address < std::prev(after)->second;
  }
  /// `block` starts an allocation that was freed (into the quarantine or not) and not handed out
  /// again since: giving it to anything that frees it again is a double free.
  bool WasFreed(const void* block) const;

  /// Special pool under Verifier: freed blocks kept poisoned (model/pool_quarantine.hpp).
  const PoolQuarantine& quarantine() const { return quarantine_; }
  /// Machine shutdown: every quarantined block is checked for writes since its free and released.
  void ReleaseQuarantine(const char* routine) { quarantine_.ReleaseAll(routine); }
  /// Verifier, on every load and store of driver code built with kemu_instrument_driver(), before
  /// it happens: an access into a quarantined block, or through a poison value read out of one,
  /// is 0xD5 at the access, as Windows' special pool faults on it (the driver would otherwise go
  /// on with the poison and fault the host). Inline: a poison test, and a lookup only while the
  /// quarantine holds blocks.
  [[gnu::always_inline]] void CheckDriverAccess(std::uintptr_t address, bool write) {
    if (PoolQuarantine::IsPoison(address)) [[unlikely]] {
      PoisonAccess(address, write);
    }
    if (!quarantine_.empty()) [[unlikely]] {
      CheckFreedAccess(address, write);
    }
  }
  /// Verifier, on every kernel call: no pointer argument points into a quarantined block or was
  /// read out of one (its value is poison). Inline: a poison test per pointer, and a lookup only
  /// while the quarantine holds blocks. The arguments' count is a constant (Kernel::EnterCall),
  /// so the loop unrolls and the test of `address` folds away; each argument goes to the reports
  /// by value, so the list never leaves registers on the common path.
  template <std::size_t N>
  [[gnu::always_inline]] void CheckArguments(const char* routine,
                                             std::span<const CallArg, N> args) {
    const auto check_each = [&]<std::size_t... I>(std::index_sequence<I...>) {
      (CheckArgument(routine, args[I]), ...);
    };
    check_each(std::make_index_sequence<N>());
  }

 private:
  struct Block {
    SIZE_T bytes = 0;
    std::size_t alignment = 0;  ///< also the red zone before the block (host memory starts there)
    ULONG tag = 0;
    std::uint32_t type = 0;
    bool paged = false;
    const char* routine = "";
    std::uint64_t sequence = 0;  ///< trace event number of the allocating call
    unsigned cpu = 0;
    KIRQL irql = 0;
    /// Under Verifier, the end of the guard bytes after the block (offset); 0: unguarded.
    SIZE_T guard_end = 0;
    bool contiguous = false;       ///< from MmAllocateContiguousMemory(SpecifyCache)
    std::uint32_t cache_type = 0;  ///< a contiguous block's MEMORY_CACHING_TYPE
  };

  /// Free and FreeContiguous (`contiguous` is what the contiguous routine said, nullptr for the
  /// pool routines).
  void FreeBlock(const char* routine, void* block, std::optional<ULONG> tag,
                 const ContiguousFree* contiguous, const void* call_site);
  /// The block's kind and what MmFreeContiguousMemorySpecifyCache said match (reports if not).
  bool FreedByItsKind(const char* routine, void* block, const Block& state,
                      const ContiguousFree* contiguous);

  void CheckIrqlForFree(const char* routine, void* block, const Block& state);
  /// Special pool: the bytes after the block are as Allocate left them.
  void CheckGuard(const char* routine, void* block, const Block& state);
  void Forget(std::uintptr_t address);
  /// One argument: poison first, then the quarantine while it holds blocks.
  [[gnu::always_inline]] void CheckArgument(const char* routine, CallArg arg) {
    if (!arg.address) return;
    if (PoolQuarantine::IsPoison(arg.value)) [[unlikely]] {
      PoisonArgument(routine, arg);
    }
    if (!quarantine_.empty()) CheckFreedArgument(routine, arg);
  }
  /// Reports `arg`, a value read out of freed pool (0xD5). Never returns.
  [[noreturn]] void PoisonArgument(const char* routine, CallArg arg) const;
  /// Reports `arg` if it points into a quarantined block and `routine` dereferences it.
  void CheckFreedArgument(const char* routine, CallArg arg) const;
  /// Reports a driver access through a poison `address` (0xD5). Never returns.
  [[noreturn]] void PoisonAccess(std::uintptr_t address, bool write) const;
  /// Reports a driver access at `address` if a quarantined block holds it.
  void CheckFreedAccess(std::uintptr_t address, bool write) const;

  Kernel& kernel_;
  std::map<std::uintptr_t, Block> live_;
  /// Recently freed addresses, each with the number of its free. The FIFO may hold an address
  /// that was reused and freed again; eviction forgets it only if that free is still the latest,
  /// so reuse (Forget) is O(1) instead of a search of the FIFO on nearly every allocation.
  std::unordered_map<std::uintptr_t, std::uint64_t> freed_;
  struct Freed {
    std::uintptr_t address = 0;
    std::uint64_t number = 0;  ///< the free's number (frees_)
    SIZE_T bytes = 0;
    ULONG tag = 0;
    const char* routine = "";
    std::uint64_t sequence = 0;  ///< trace event number of the freeing call
  };
  std::deque<Freed> freed_order_;
  /// [start, end) of the blocks in freed_order_ whose memory no later block overlaps: disjoint,
  /// as an allocation drops every range it overlaps (InFreedBlock).
  std::map<std::uintptr_t, std::uintptr_t> freed_ranges_;
  std::uint64_t frees_ = 0;
  PoolQuarantine quarantine_;
  /// Blocks freed without special pool while a thread still waited on an object in them: their
  /// host memory stays until the machine goes, since the wait reads the object at every step.
  /// The driver's bug shows as the wait it never ends (or the object's later misuse), not as
  /// kemu reading memory the host allocator reused. Address and alignment.
  std::vector<std::pair<void*, std::size_t>> retained_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_POOL_HPP_
