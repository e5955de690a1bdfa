#include "verifier/pool_tag.hpp"

#include <fmt/format.h>

namespace kemu::verifier {

std::string FormatPoolTag(ULONG tag) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<unsigned char>((tag >> (8 * i)) & 0x7F);
    text += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
  }
  return fmt::format("'{}' ({:#010x})", text, tag);
}

}  // namespace kemu::verifier
