// kemu's byte decoder for fuzz inputs: reads small numbers from the front of a byte string and
// yields 0 once it is used up, so every input, the empty one included, decodes completely and the
// same bytes always give the same values. One byte per choice keeps mutations local: changing a
// byte changes one decision.
#ifndef KEMU_EMU_FUZZ_BYTE_READER_HPP_
#define KEMU_EMU_FUZZ_BYTE_READER_HPP_

#include <cstddef>
#include <cstdint>
#include <span>

namespace kemu::fuzz::internal {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  bool empty() const { return next_ >= data_.size(); }

  /// The next byte, or 0 past the end.
  std::uint8_t Byte() { return empty() ? 0 : data_[next_++]; }

  /// A value in min..max (both included): as many bytes as the span needs, little-endian, folded
  /// into the range.
  std::uint64_t Range(std::uint64_t min, std::uint64_t max) {
    if (max <= min) return min;
    const std::uint64_t span = max - min;
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64 && (span >> shift) != 0; shift += 8) {
      value |= static_cast<std::uint64_t>(Byte()) << shift;
    }
    return span == ~std::uint64_t{0} ? value : min + value % (span + 1);
  }

  bool Bool() { return (Byte() & 1) != 0; }

  /// An index below `count` (0 when count is 0).
  std::size_t Index(std::size_t count) {
    return count == 0 ? 0 : static_cast<std::size_t>(Range(0, count - 1));
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t next_ = 0;
};

}  // namespace kemu::fuzz::internal

#endif  // KEMU_EMU_FUZZ_BYTE_READER_HPP_
