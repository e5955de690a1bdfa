// Rules for bitmap variables (RTL_BITMAP; docs/kernel.md, "Bitmaps"). Microsoft documents what
// the routines must be given (a range inside the bitmap, a ULONG-aligned buffer that holds its
// bits), not what breaking it does: a checked kernel asserts, a retail one reads or writes past
// the buffer. kemu never touches memory past the bitmap, so these are its sub-code, in every mode.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::BitmapRule(const void* header, std::uint64_t rule, std::uint64_t value,
                          const std::string& summary) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kBitmap, Address(header), rule, value},
       .parameter_names = {"kemu: bitmap misuse", "RTL_BITMAP header", "rule (kemu::bitmap_rule)",
                           "the first index past the range, or the buffer's address or "
                           "bytes (by rule)"},
       .summary = summary});
}

void Verifier::BitmapOutOfRange(const char* routine, const void* header, ULONG start,
                                std::uint64_t count) {
  const auto& bitmap = *static_cast<const RTL_BITMAP*>(header);
  const std::uint64_t end = std::uint64_t{start} + count;
  BitmapRule(header, bitmap_rule::kOutOfRange, end,
             fmt::format("{} was given bits {} to {} of the bitmap at {}, which has {} bits "
                         "(0 to {}): StartingIndex plus the count may not exceed SizeOfBitMap.",
                         routine, start, end - 1, header, bitmap.SizeOfBitMap,
                         std::int64_t{bitmap.SizeOfBitMap} - 1));
}

void Verifier::BitmapBufferMisaligned(const char* routine, const void* header, const void* buffer) {
  BitmapRule(header, bitmap_rule::kMisalignedBuffer, Address(buffer),
             fmt::format("{} was given the buffer at {}, which is not ULONG-aligned: the bitmap's "
                         "buffer must start on a 4-byte boundary.",
                         routine, buffer));
}

void Verifier::BitmapBufferTooSmall(const char* routine, const void* header, ULONG bits,
                                    std::uint64_t available) {
  const std::uint64_t needed = (std::uint64_t{bits} + 31) / 32 * 4;
  BitmapRule(header, bitmap_rule::kBufferTooSmall, available,
             fmt::format("{} was given {} bits, which take {} bytes of buffer, but the pool block "
                         "holding the buffer has only {} bytes from there: the bits past it would "
                         "be someone else's memory.",
                         routine, bits, needed, available));
}

}  // namespace kemu::verifier
