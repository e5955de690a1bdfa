#include "model/pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <new>
#include <string>
#include <string_view>

#include "model/kernel.hpp"
#include "verifier/pool_tag.hpp"

namespace kemu::model {
namespace {

// The DMA adapter operation that allocates common buffers (model/dma_adapters.cpp).
constexpr std::string_view kCommonBufferAllocator = "AllocateCommonBuffer";

constexpr SIZE_T kPageSize = 4096;
// Windows x64 aligns small blocks to 16 bytes and page-sized ones to a page; cache-aligned pool
// to the cache line.
constexpr std::size_t kSmallAlignment = 16;
constexpr std::size_t kCacheLine = 64;

// Uninitialised pool holds whatever the last owner left. kemu fills it with one fixed byte so a
// driver that reads before it writes sees the same garbage on every run (determinism) and a
// value unlikely to pass for a valid pointer or count.
constexpr unsigned char kUninitializedFill = 0xA5;

// Under Driver Verifier every block is special pool: the bytes after the end the driver asked for
// (the rest of its 16-byte unit and a guard of kGuardBytes) hold kGuardFill, checked when the
// block is freed. A driver that wrote past its allocation is then 0xC1 with the first byte it
// changed, where Windows would find the same at the free (or fault at once past the page).
constexpr SIZE_T kGuardBytes = 16;
constexpr unsigned char kGuardFill = 0x5C;

// Every block, in every mode, sits in host memory with a red zone in front of it as long as its
// alignment (so the block stays aligned) and kGuardBytes after its last unit: a driver's small
// underrun or overrun lands in memory kemu owns, never in the host allocator's bookkeeping, which
// would abort the whole test process. Under Verifier the front zone is special pool's pattern
// too, checked when the block is freed (0xC1 / 0x23).
void* HostOf(void* block, std::size_t alignment) { return static_cast<char*>(block) - alignment; }

std::size_t AlignmentFor(const PoolRequest& request, SIZE_T unit_bytes) {
  if (request.contiguous || request.bytes >= kPageSize) return kPageSize;
  // A block smaller than a page never crosses a page boundary (the allocators' documented
  // promise): a driver may hand one to a device by its one physical page. Aligned to its size
  // rounded up to a power of two, it sits inside one page, whatever the host allocator does.
  const std::size_t within_page = std::bit_ceil(static_cast<std::size_t>(unit_bytes));
  return std::max(within_page, request.cache_aligned ? kCacheLine : kSmallAlignment);
}

}  // namespace

Pool::~Pool() {
  // What the driver leaked has been reported at shutdown; the host memory goes back here.
  for (const auto& [address, block] : live_) {
    ::operator delete (HostOf(reinterpret_cast<void*>(address), block.alignment),
                       std::align_val_t{block.alignment});
  }
  for (const auto& [block, alignment] : retained_) {
    ::operator delete (HostOf(block, alignment), std::align_val_t{alignment});
  }
}

void* Pool::Allocate(const PoolRequest& request) {
  const KIRQL irql = kernel_.cpu().irql;
  // IRQL first: a fault-injected allocation at the wrong IRQL is still the driver's bug.
  const KIRQL limit = request.paged ? APC_LEVEL : DISPATCH_LEVEL;
  if (irql > limit) {
    kernel_.verifier().PoolAllocateAtBadIrql(request.routine, irql, request.type, request.bytes,
                                             request.paged);
  }
  // NonPagedPoolMustSucceed and NonPagedPoolCacheAlignedMustS, session forms included (the low
  // three bits are the base type).
  if (const std::uint32_t base = request.type & 0x7;
      base == NonPagedPoolMustSucceed || base == NonPagedPoolCacheAlignedMustS) {
    kernel_.verifier().PoolMustSucceed(request.routine, request.type, request.bytes, request.tag);
  }
  // Windows defines the base types 0-6, their session forms (+32) and the modifier bits 8, 16,
  // 256, 512 and 1024. What it does with anything else (DontUseThisType, MaxPoolType, a bit no
  // header defines, an uninitialised variable) is documented nowhere, so kemu does not hand out
  // pool for it: it stops by name (audit round 16, V5).
  constexpr std::uint32_t kDefinedBits = 0x7 | 8 | 16 | 32 | 256 | 512 | 1024;
  if (const std::uint32_t base = request.type & 0x7;
      (request.type & ~kDefinedBits) != 0 || base == DontUseThisType || base == MaxPoolType)
      [[unlikely]] {
    kernel_.ThrowNotModelled(
        fmt::format("{} with PoolType {:#x} (no POOL_TYPE Windows defines: those are a base "
                    "type 0-6 other than DontUseThisType, its session form, and the modifier bits "
                    "0x8, 0x10, 0x100, 0x200 and 0x400; what Windows does with others is "
                    "undocumented)",
                    request.routine, request.type));
  }
  SIZE_T bytes = request.bytes;
  if (bytes == 0) {
    kernel_.verifier().PoolZeroBytes(request.routine, irql, request.type, request.tag);
    bytes = 1;  // a kernel that carries on hands out the smallest block
  }
  const bool injected =
      request.id.has_value() && kernel_.faults().Check(*request.id, request.tag).has_value();
  void* block = nullptr;
  const bool guarded = kernel_.verifier().mode() == verifier::CheckMode::kVerifier;
  // Windows hands out whole 16-byte units, so a driver may store a list link (a lookaside
  // list's SLIST_ENTRY) in even the smallest block.
  const SIZE_T unit_bytes = (bytes + kSmallAlignment - 1) & ~SIZE_T{kSmallAlignment - 1};
  const std::size_t alignment = AlignmentFor(request, unit_bytes);
  // From the block on: its units and the guard after them (the front zone is `alignment` more).
  const SIZE_T host_bytes = unit_bytes + kGuardBytes;
  if (!injected && bytes <= kMaxBlockBytes) {
    void* host = ::operator new (alignment + host_bytes, std::align_val_t{alignment}, std::nothrow);
    if (host != nullptr) {
      block = static_cast<char*>(host) + alignment;
      std::memset(host, kGuardFill, alignment);
    }
  }
  if (block == nullptr) {
    if (request.raise_on_failure) {
      kernel_.verifier().PoolAllocationRaised(request.routine, request.bytes, request.tag);
    }
    return nullptr;
  }
  if (request.contiguous && !kernel_.physical_memory().MapContiguous(
                                block, bytes, request.lowest, request.highest, request.boundary)) {
    // No free physical range meets the driver's limits: Windows returns NULL.
    ::operator delete (HostOf(block, alignment), std::align_val_t{alignment});
    return nullptr;
  }
  std::memset(block, request.zero ? 0 : kUninitializedFill, bytes);
  std::memset(static_cast<char*>(block) + bytes, kGuardFill, host_bytes - bytes);
  const auto address = reinterpret_cast<std::uintptr_t>(block);
  Forget(address);
  // The host memory the block took, front zone and guard included.
  ForgetFreedRanges(address - alignment, address + host_bytes);
  live_[address] = Block{.bytes = request.bytes,
                         .alignment = alignment,
                         .tag = request.tag,
                         .type = request.type,
                         .paged = request.paged,
                         .routine = request.routine,
                         .sequence = kernel_.trace().sequence(),
                         .cpu = kernel_.current_processor(),
                         .irql = irql,
                         .guard_end = guarded ? host_bytes : 0,
                         .contiguous = request.contiguous,
                         .cache_type = request.cache_type};
  return block;
}

void Pool::CheckIrqlForFree(const char* routine, void* block, const Block& state) {
  const KIRQL irql = kernel_.cpu().irql;
  const KIRQL limit = state.paged ? APC_LEVEL : DISPATCH_LEVEL;
  if (irql > limit) {
    kernel_.verifier().PoolFreeAtBadIrql(routine, irql, state.type, block, state.paged);
  }
}

void Pool::CheckGuard(const char* routine, void* block, const Block& state) {
  if (state.guard_end == 0) return;  // not special pool: the red zones only absorb the writes
  const auto* bytes = static_cast<const unsigned char*>(block);
  // A common buffer's guard is DMA verification's padding, reported as such (0xE6 / 0x0F).
  const bool common_buffer = std::string_view(state.routine) == kCommonBufferAllocator;
  // In front first, nearest the block: a write there is as much the driver's as one past the end,
  // and Windows' special pool checks the page's pattern before the block at the free.
  for (std::size_t before = 1; before <= state.alignment; ++before) {
    if (bytes[-static_cast<std::ptrdiff_t>(before)] != kGuardFill) {
      if (common_buffer) {
        kernel_.verifier().DmaCommonBufferCorrupted(routine, block, bytes - before, state.bytes,
                                                    true);
      } else {
        kernel_.verifier().PoolUnderrun(routine, block, bytes - before, state.bytes, state.tag);
      }
      return;
    }
  }
  const SIZE_T requested = std::max<SIZE_T>(state.bytes, 1);
  for (SIZE_T i = requested; i < state.guard_end; ++i) {
    if (bytes[i] != kGuardFill) {
      if (common_buffer) {
        kernel_.verifier().DmaCommonBufferCorrupted(routine, block, bytes + i, state.bytes, false);
      } else {
        kernel_.verifier().PoolOverrun(routine, block, bytes + i, state.bytes, state.tag);
      }
      return;
    }
  }
}

bool Pool::FreedByItsKind(const char* routine, void* block, const Block& state,
                          const ContiguousFree* contiguous) {
  if (contiguous == nullptr) {
    if (!state.contiguous) return true;
    kernel_.verifier().PoolFreeOfContiguous(routine, block, state.routine);
    return false;
  }
  if (!state.contiguous) {
    kernel_.verifier().ContiguousFreeMismatch(routine, block, contiguous_free_rule::kPoolBlock, 0);
    return false;
  }
  // A common buffer is contiguous memory its adapter keeps a record of: only the adapter frees it.
  if (std::string_view(state.routine) == kCommonBufferAllocator &&
      std::string_view(routine) != "FreeCommonBuffer") {
    kernel_.verifier().ContiguousFreeMismatch(routine, block, contiguous_free_rule::kCommonBuffer,
                                              0);
    return false;
  }
  // Only the SpecifyCache free says a size; it frees only what a SpecifyCache allocation returned.
  if (contiguous->bytes &&
      std::string_view(state.routine) != "MmAllocateContiguousMemorySpecifyCache") {
    kernel_.verifier().ContiguousFreeMismatch(routine, block,
                                              contiguous_free_rule::kNotSpecifyCache, 0);
    return false;
  }
  if (contiguous->bytes && *contiguous->bytes != state.bytes) {
    kernel_.verifier().ContiguousFreeMismatch(routine, block, contiguous_free_rule::kBytes,
                                              state.bytes);
    return false;
  }
  if (contiguous->cache_type && *contiguous->cache_type != state.cache_type) {
    kernel_.verifier().ContiguousFreeMismatch(routine, block, contiguous_free_rule::kCacheType,
                                              state.cache_type);
    return false;
  }
  return true;
}

void Pool::FreeBlock(const char* routine, void* block, std::optional<ULONG> tag,
                     const ContiguousFree* contiguous, const void* call_site) {
  const auto address = reinterpret_cast<std::uintptr_t>(block);
  auto it = live_.find(address);
  if (it == live_.end()) {
    if (freed_.count(address) != 0) {
      kernel_.verifier().PoolDoubleFree(routine, block);
    } else if (contiguous != nullptr) {
      kernel_.verifier().ContiguousFreeMismatch(routine, block, contiguous_free_rule::kUnknown, 0);
    } else {
      kernel_.verifier().PoolFreeUnknown(routine, block);
    }
    return;  // a kernel that carries on frees nothing
  }
  const Block state = it->second;
  if (!FreedByItsKind(routine, block, state, contiguous)) return;  // nothing is freed
  if (kernel_.lookasides().FreeingCachedEntry(routine, block, state.bytes)) return;
  CheckIrqlForFree(routine, block, state);
  CheckGuard(routine, block, state);
  const ULONG freeing_tag = tag.value_or(0);
  const bool protected_block = (state.tag & PROTECTED_POOL) != 0;
  if ((tag.has_value() || protected_block) && freeing_tag != state.tag) {
    kernel_.verifier().PoolFreeWrongTag(routine, block, state.tag, freeing_tag, protected_block);
  }
  // A timer or DPC still armed in the block would fire from freed memory.
  const void* end = static_cast<char*>(block) + state.bytes;
  if (PKTIMER timer = kernel_.timers().SetTimerIn(block, end)) {
    kernel_.verifier().TimerOrDpcInFreedPool(routine, timer, true, state.type, block, end);
  }
  if (PKDPC dpc = kernel_.dpcs().QueuedDpcIn(block, end)) {
    kernel_.verifier().TimerOrDpcInFreedPool(routine, dpc, false, state.type, block, end);
  }
  // A spin lock still held in the block: its holder will release freed memory.
  if (const auto held = kernel_.spin_locks().HeldIn(block, end)) {
    kernel_.verifier().FreedHeldLock(routine, held->first, "spin lock",
                                     kernel_.cpu(held->second).thread_address(), block, end);
  }
  if (const auto held = kernel_.ex_spin_locks().HeldIn(block, end)) {
    kernel_.verifier().FreedHeldLock(routine, held->first, "reader/writer spin lock",
                                     kernel_.cpu(held->second).thread_address(), block, end);
  }
  // So would a queued work item (an executive one lives in driver memory by design).
  kernel_.work_items().FreeingBlock(routine, block, end);
  kernel_.resources().Freed(routine, block, state.bytes);
  kernel_.lookasides().Freed(routine, block, state.bytes);
  kernel_.bugcheck_callbacks().Freed(block, end, routine);
  // To the race detector the free writes the whole block: a DPC on another vCPU that wrote it
  // with nothing ordering that before the free races with it, whether or not it still runs
  // (audit round 19, C2).
  kernel_.race().OnFree(block, state.bytes, reinterpret_cast<std::uintptr_t>(call_site));
  live_.erase(it);
  if (state.contiguous) kernel_.physical_memory().UnmapContiguous(block);
  // Locks and KDPCs in the block die with it: one placed later at a reused address is a new one,
  // and a call on one in between names this free.
  kernel_.spin_locks().ForgetRange(block, static_cast<char*>(block) + state.bytes);
  kernel_.ex_spin_locks().ForgetRange(block, static_cast<char*>(block) + state.bytes);
  kernel_.dpcs().ForgetRange(block, end);
  kernel_.timers().io().ForgetRange(block, end);  // a device object's timer ends with it
  kernel_.race().Forget(block, state.bytes);
  freed_[address] = ++frees_;
  freed_order_.push_back({.address = address,
                          .number = frees_,
                          .bytes = state.bytes,
                          .tag = state.tag,
                          .routine = routine,
                          .sequence = kernel_.trace().sequence()});
  freed_ranges_[address] = address + std::max<SIZE_T>(state.bytes, 1);
  if (freed_order_.size() > kFreedMemory) {
    const Freed oldest = freed_order_.front();
    freed_order_.pop_front();
    auto it = freed_.find(oldest.address);
    if (it != freed_.end() && it->second == oldest.number) {
      freed_.erase(it);
      freed_ranges_.erase(oldest.address);
    }
  }
  if (state.guard_end == 0) {
    if (kernel_.dispatcher().WaitedOnIn(block, end)) {
      retained_.emplace_back(block, state.alignment);
      return;
    }
    ::operator delete (HostOf(block, state.alignment), std::align_val_t{state.alignment});
    return;
  }
  // Special pool (Verifier): the block stays poisoned for a while, so a use after this free is
  // caught instead of reading whatever the host allocator left there. Last: releasing older
  // blocks may report a write into one of them.
  quarantine_.Add({.address = address,
                   .bytes = state.bytes,
                   .host_bytes = state.guard_end,
                   .alignment = state.alignment,
                   .tag = state.tag,
                   .freed_by = routine,
                   .freed_at = kernel_.trace().sequence(),
                   .cpu = kernel_.current_processor()});
}

void Pool::PoisonArgument(const char* routine, CallArg arg) const {
  const PoolQuarantine::Block* source = quarantine_.Source(arg.value);
  // Where the value lay: the block's start plus the offset the poison word carries.
  const std::uint64_t read_from =
      source == nullptr ? 0 : source->address + (arg.value & PoolQuarantine::kOffsetMask);
  kernel_.verifier().FreedPoolValuePassed(
      routine, arg.name, arg.value, read_from,
      source == nullptr ? std::string("a pool block freed earlier (since back to the host)")
                        : PoolQuarantine::Describe(*source));
}

void Pool::CheckFreedArgument(const char* routine, CallArg arg) const {
  const PoolQuarantine::Block* block = quarantine_.Holding(arg.value);
  if (block == nullptr) return;
  // Arguments a routine only stores or hands on (a context, a DPC's system arguments) may be
  // stale without anything reading freed memory; the frees report a freed block themselves
  // (double free). MmSizeOfMdl's Base is only arithmetic on the address.
  for (const char* passed_on :
       {"Context", "DeferredContext", "SynchronizeContext", "ServiceContext", "SystemArgument1",
        "SystemArgument2", "P", "BaseAddress", "VirtualAddress", "Base"}) {
    if (std::strcmp(arg.name, passed_on) == 0) return;
  }
  kernel_.verifier().FreedPoolReferenced(routine, arg.name, arg.value,
                                         PoolQuarantine::Describe(*block));
}

void Pool::PoisonAccess(std::uintptr_t address, bool write) const {
  const PoolQuarantine::Block* source = quarantine_.Source(address);
  const std::uint64_t read_from =
      source == nullptr ? 0 : source->address + (address & PoolQuarantine::kOffsetMask);
  kernel_.verifier().FreedPoolPoisonFollowed(
      address, write, read_from,
      source == nullptr ? std::string("a pool block freed earlier (since back to the host)")
                        : PoolQuarantine::Describe(*source));
}

void Pool::CheckFreedAccess(std::uintptr_t address, bool write) const {
  const PoolQuarantine::Block* block = quarantine_.Holding(address);
  if (block == nullptr) return;
  kernel_.verifier().FreedPoolAccessed(address, write, address - block->address,
                                       PoolQuarantine::Describe(*block));
}

void Pool::ForgetFreedRanges(std::uintptr_t begin, std::uintptr_t end) {
  auto it = freed_ranges_.upper_bound(begin);
  if (it != freed_ranges_.begin() && std::prev(it)->second > begin) --it;
  while (it != freed_ranges_.end() && it->first < end) it = freed_ranges_.erase(it);
}

void Pool::Forget(std::uintptr_t address) {
  // The host reused a freed address for a new block: it is live again, not "already freed".
  freed_.erase(address);
}

std::vector<std::string> Pool::DescribeOutstanding() const {
  std::vector<const std::pair<const std::uintptr_t, Block>*> blocks;
  for (const auto& entry : live_) blocks.push_back(&entry);
  // Allocation order, not address order, so reports read the same on every run.
  std::sort(blocks.begin(), blocks.end(),
            [](const auto* a, const auto* b) { return a->second.sequence < b->second.sequence; });
  std::vector<std::string> out;
  for (const auto* entry : blocks) {
    const Block& block = entry->second;
    const std::string what =
        block.contiguous
            ? fmt::format("contiguous memory at {:#x} ({} bytes)", entry->first, block.bytes)
            : fmt::format("pool block at {:#x} ({} bytes of {} pool, tag {})", entry->first,
                          block.bytes, block.paged ? "paged" : "nonpaged",
                          verifier::FormatPoolTag(block.tag));
    out.push_back(fmt::format(
        "{} is still allocated; {} allocated it at trace event #{} on vCPU {} at IRQL {}", what,
        block.routine, block.sequence, block.cpu, block.irql));
  }
  return out;
}

std::uintptr_t Pool::FirstOutstanding() const {
  std::uintptr_t first = 0;
  std::uint64_t first_at = ~std::uint64_t{0};
  for (const auto& [address, block] : live_) {
    if (block.sequence < first_at) {
      first = address;
      first_at = block.sequence;
    }
  }
  return first;
}

std::string Pool::DescribeAddress(std::uintptr_t address) const {
  auto it = live_.upper_bound(address);
  if (it == live_.begin() || address >= std::prev(it)->first + std::prev(it)->second.bytes) {
    const PoolQuarantine::Block* freed = quarantine_.Holding(address);
    if (freed == nullptr) return "";
    return fmt::format("offset 0x{:x} of {}", address - freed->address,
                       PoolQuarantine::Describe(*freed));
  }
  --it;
  const Block& block = it->second;
  return fmt::format(
      "offset 0x{:x} of the {}-byte pool block tagged {} that {} returned at trace "
      "event {}",
      address - it->first, block.bytes, verifier::FormatPoolTag(block.tag), block.routine,
      block.sequence);
}

bool Pool::Holds(std::uintptr_t address, std::uint64_t bytes) const {
  auto it = live_.upper_bound(address);
  if (it == live_.begin()) return false;
  --it;
  const std::uint64_t offset = address - it->first;
  return offset < it->second.bytes && bytes <= it->second.bytes - offset;
}

std::optional<Pool::Extent> Pool::ExtentOf(const void* pointer) const {
  const auto address = reinterpret_cast<std::uintptr_t>(pointer);
  auto it = live_.upper_bound(address);
  if (it == live_.begin()) return std::nullopt;
  --it;
  if (address - it->first >= it->second.bytes) return std::nullopt;
  return Extent{.base = it->first, .bytes = it->second.bytes, .paged = it->second.paged};
}

void Pool::RequireNonpaged(const char* routine, const char* kind, const void* object) const {
  if (kernel_.verifier().mode() != verifier::CheckMode::kVerifier) return;
  const std::optional<Extent> extent = ExtentOf(object);
  if (!extent || !extent->paged) return;
  kernel_.verifier().SyncObjectPageable(routine, kind, object,
                                        DescribeAddress(reinterpret_cast<std::uintptr_t>(object)));
}

bool Pool::WasFreed(const void* block) const {
  const auto address = reinterpret_cast<std::uintptr_t>(block);
  return live_.count(address) == 0 && freed_.count(address) != 0;
}

std::string Pool::DescribeFreed(std::uintptr_t address) const {
  // Newest first: the latest free of memory at that address is the one the driver outlived.
  for (auto it = freed_order_.rbegin(); it != freed_order_.rend(); ++it) {
    if (address < it->address || address >= it->address + std::max<SIZE_T>(it->bytes, 1)) continue;
    // Handed out again since (and maybe freed again): that later block is the one to name.
    const auto latest = freed_.find(it->address);
    if (latest == freed_.end() || latest->second != it->number) return "";
    if (!DescribeAddress(address).empty()) return "";  // live again, inside a newer block
    return fmt::format(
        "offset 0x{:x} of the {}-byte pool block tagged {} that {} freed at trace "
        "event {}",
        address - it->address, it->bytes, verifier::FormatPoolTag(it->tag), it->routine,
        it->sequence);
  }
  return "";
}

}  // namespace kemu::model
