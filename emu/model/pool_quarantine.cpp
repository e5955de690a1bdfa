#include "model/pool_quarantine.hpp"

#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <new>

#include "model/kernel.hpp"
#include "verifier/pool_tag.hpp"

namespace kemu::model {
namespace {

struct HostDelete {
  std::size_t alignment;
  void operator()(void* memory) const { ::operator delete (memory, std::align_val_t{alignment}); }
};

}  // namespace

PoolQuarantine::~PoolQuarantine() {
  for (const Block& block : fifo_) {
    ::operator delete (reinterpret_cast<void*>(block.address - block.alignment),
                       std::align_val_t{block.alignment});
  }
}

void PoolQuarantine::Add(Block block) {
  block.number = next_number_++;
  // Host blocks are whole 16-byte units, so every word is a full one.
  auto* words = reinterpret_cast<unsigned char*>(block.address);
  for (SIZE_T offset = 0; offset + 8 <= block.host_bytes; offset += 8) {
    const std::uint64_t word = PoisonWord(block.number, offset);
    std::memcpy(words + offset, &word, sizeof word);
  }
  by_address_[block.address] = block.number;
  bytes_ += block.host_bytes;
  const char* routine = block.freed_by;
  fifo_.push_back(block);
  // The newest block stays even past the budget: a use right after its free is the likeliest.
  while (bytes_ > kBudgetBytes && fifo_.size() > 1) ReleaseOldest(routine);
}

void PoolQuarantine::ReleaseAll(const char* routine) {
  while (!fifo_.empty()) ReleaseOldest(routine);
}

void PoolQuarantine::ReleaseOldest(const char* routine) {
  // Out of the FIFO before the check, and the host memory freed however the check ends: a
  // report under BugCheckAction::kThrow unwinds from here, under kRecord the release goes on.
  const Block block = fifo_.front();
  fifo_.pop_front();
  by_address_.erase(block.address);
  bytes_ -= block.host_bytes;
  // The host allocation starts a red zone of `alignment` bytes before the block (model::Pool).
  const std::unique_ptr<void, HostDelete> memory(
      reinterpret_cast<void*>(block.address - block.alignment), HostDelete{block.alignment});
  CheckIntact(routine, block);
}

void PoolQuarantine::CheckIntact(const char* routine, const Block& block) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(block.address);
  for (SIZE_T offset = 0; offset + 8 <= block.host_bytes; offset += 8) {
    const std::uint64_t expected = PoisonWord(block.number, offset);
    if (std::memcmp(bytes + offset, &expected, sizeof expected) == 0) continue;
    unsigned char poison[8];
    std::memcpy(poison, &expected, sizeof poison);
    SIZE_T first = 0;
    while (bytes[offset + first] == poison[first]) ++first;
    kernel_.verifier().FreedPoolWritten(routine, bytes + offset + first, Describe(block));
    return;
  }
}

const PoolQuarantine::Block* PoolQuarantine::Holding(std::uintptr_t address) const {
  auto it = by_address_.upper_bound(address);
  if (it == by_address_.begin()) return nullptr;
  --it;
  const Block& block = fifo_[it->second - fifo_.front().number];
  return address < block.address + block.host_bytes ? &block : nullptr;
}

const PoolQuarantine::Block* PoolQuarantine::Source(std::uint64_t value) const {
  if (fifo_.empty()) return nullptr;
  const auto number = static_cast<std::uint32_t>((value >> 24) & kNumberMask);
  const std::uint32_t index = (number - fifo_.front().number) & kNumberMask;
  if (index >= fifo_.size()) return nullptr;
  const Block& block = fifo_[index];
  return (block.number & kNumberMask) == number ? &block : nullptr;
}

std::string PoolQuarantine::Describe(const Block& block) {
  return fmt::format(
      "the {}-byte pool block at {:#x} tagged {}, freed by {} at trace event {} on vCPU {}",
      block.bytes, block.address, verifier::FormatPoolTag(block.tag), block.freed_by,
      block.freed_at, block.cpu);
}

}  // namespace kemu::model
