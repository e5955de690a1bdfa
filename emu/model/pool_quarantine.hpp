// Freed special pool under Driver Verifier: a freed block is not handed back to the host at once.
// It is filled with poison and kept, oldest first out, within a byte budget, so that a driver that
// goes on using it is caught: a kernel routine given a pointer into it, a pointer-sized value read
// out of it, or a write into it (found when the block leaves the quarantine) is 0xD5
// DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, where Windows' special pool faults on the access itself.
#ifndef KEMU_EMU_MODEL_POOL_QUARANTINE_HPP_
#define KEMU_EMU_MODEL_POOL_QUARANTINE_HPP_

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace kemu::model {

class Kernel;

class PoolQuarantine {
 public:
  /// Freed blocks are kept until they add up to more than this many host bytes; then the oldest
  /// go back to the host. A fixed size, so the same test frees the same blocks on every run.
  static constexpr SIZE_T kBudgetBytes = SIZE_T{4} << 20;

  /// Each aligned 8-byte word of a quarantined block holds PoisonWord(number, offset): the top
  /// 16 bits are 0xD5D5 (no canonical x64 address has them, and the hex dump names the bug
  /// check), bits 47..24 the block's quarantine number and bits 23..0 the word's offset, so a
  /// pointer read out of freed pool says where it was read from.
  static constexpr std::uint64_t kPoisonMarker = 0xD5D5'0000'0000'0000;
  static constexpr std::uint64_t kPoisonMarkerMask = 0xFFFF'0000'0000'0000;
  static constexpr std::uint32_t kNumberMask = 0xFF'FFFF;
  static constexpr std::uint64_t kOffsetMask = 0xFF'FFFF;

  static constexpr std::uint64_t PoisonWord(std::uint32_t number, std::uint64_t offset) {
    return kPoisonMarker | (std::uint64_t{number & kNumberMask} << 24) | (offset & kOffsetMask);
  }
  /// `value` was read out of a quarantined block (a field offset added to it is allowed for: the
  /// offset bits absorb it).
  static constexpr bool IsPoison(std::uint64_t value) {
    return (value & kPoisonMarkerMask) == kPoisonMarker;
  }

  /// A freed block as the reports name it.
  struct Block {
    std::uintptr_t address = 0;
    SIZE_T bytes = 0;           ///< the size the driver asked for
    SIZE_T host_bytes = 0;      ///< from `address` on, all poisoned: its 16-byte units and guard
    std::size_t alignment = 0;  ///< also the red zone before `address` the host memory starts with
    ULONG tag = 0;
    const char* freed_by = "";
    std::uint64_t freed_at = 0;  ///< trace event number of the free
    unsigned cpu = 0;
    std::uint32_t number = 0;  ///< set by Add: the block's place in the FIFO, from 1
  };

  explicit PoolQuarantine(Kernel& kernel) : kernel_(kernel) {}
  /// The host memory goes back without checks: a machine that crashed or was never shut down.
  ~PoolQuarantine();
  PoolQuarantine(const PoolQuarantine&) = delete;
  PoolQuarantine& operator=(const PoolQuarantine&) = delete;

  /// Poisons `block` and keeps it; releases the oldest blocks past the budget, each checked for
  /// writes since its free (`routine`: the free that pushed them out).
  void Add(Block block);
  /// Machine shutdown: checks and releases every block.
  void ReleaseAll(const char* routine);

  bool empty() const { return fifo_.empty(); }
  std::size_t size() const { return fifo_.size(); }
  SIZE_T bytes() const { return bytes_; }
  /// The quarantined block whose poisoned bytes hold `address`, or nullptr.
  const Block* Holding(std::uintptr_t address) const;
  /// The quarantined block a poison `value` was read from, or nullptr when it has left the
  /// quarantine since.
  const Block* Source(std::uint64_t value) const;
  /// "the 184-byte pool block at 0x... tagged 'Audt' (0x74647541), freed by ExFreePoolWithTag at
  /// trace event 57 on vCPU 0".
  static std::string Describe(const Block& block);

 private:
  /// Takes the oldest block out, checks it for writes since its free and gives it back to the
  /// host (even when the check reports).
  void ReleaseOldest(const char* routine);
  /// Verifier report if a byte of `block` is no longer its poison.
  void CheckIntact(const char* routine, const Block& block);

  Kernel& kernel_;
  std::deque<Block> fifo_;                              ///< oldest first; numbers consecutive
  std::map<std::uintptr_t, std::uint32_t> by_address_;  ///< block start → number
  SIZE_T bytes_ = 0;
  std::uint32_t next_number_ = 1;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_POOL_QUARANTINE_HPP_
