// Escaping free text for terminals, Markdown and XML (see visible_text.hpp).
#include "scenario/report/visible_text.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace kemu::scenario::internal {
namespace {

bool Continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at the start of `text`, or 0 when it does not start with one
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t SequenceLength(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!Continuation(byte(i))) return 0;
  }
  return length;
}

// C1 controls (a terminal may act on U+009B as on ESC '[') and the two non-characters that XML 1.0
// excludes.
bool Forbidden(std::string_view sequence) {
  if (sequence.size() == 2)
    return static_cast<unsigned char>(sequence[0]) == 0xC2 &&
           static_cast<unsigned char>(sequence[1]) < 0xA0;
  return sequence == "\xEF\xBF\xBE" || sequence == "\xEF\xBF\xBF";
}

void AppendEscaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
}

}  // namespace

std::string VisibleText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto byte = static_cast<unsigned char>(text[0]);
    std::size_t length = 1;
    if (byte < 0x80) {
      const bool control = (byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7F;
      if (control) {
        AppendEscaped(out, text.substr(0, 1));
      } else {
        out += text[0];
      }
    } else if ((length = SequenceLength(text)) == 0) {
      length = 1;
      AppendEscaped(out, text.substr(0, 1));
    } else if (Forbidden(text.substr(0, length))) {
      AppendEscaped(out, text.substr(0, length));
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace kemu::scenario::internal
