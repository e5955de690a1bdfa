#include "model/unicode_case.hpp"

namespace kemu::model {
namespace {

bool Within(wchar_t c, wchar_t first, wchar_t last) { return c >= first && c <= last; }

// Latin Extended-A (U+0100-U+017F) pairs each capital with the small letter after it, but the
// pairing changes phase twice: runs where the capital has the even code and runs where it has the
// odd one. The few letters outside the runs (dotted and dotless i, kra, n preceded by apostrophe,
// long s) have no one-to-one partner in this block and map to themselves.
bool CapitalIsEven(wchar_t c) {
  return Within(c, 0x100, 0x12F) || Within(c, 0x132, 0x137) || Within(c, 0x14A, 0x177);
}
bool CapitalIsOdd(wchar_t c) { return Within(c, 0x139, 0x148) || Within(c, 0x179, 0x17E); }

bool IsEven(wchar_t c) { return (c & 1) == 0; }

}  // namespace

wchar_t UpcaseChar(wchar_t c) {
  if (c < 0x80) return Within(c, L'a', L'z') ? static_cast<wchar_t>(c - 0x20) : c;
  // Latin-1: the small letters sit 0x20 above their capitals, except the division sign (which has
  // none) and y with diaeresis, whose capital is in Latin Extended-A.
  if (Within(c, 0xE0, 0xFE) && c != 0xF7) return static_cast<wchar_t>(c - 0x20);
  if (c == 0xFF) return 0x178;
  if (CapitalIsEven(c) && !IsEven(c)) return static_cast<wchar_t>(c - 1);
  if (CapitalIsOdd(c) && IsEven(c)) return static_cast<wchar_t>(c - 1);
  // Greek: final sigma upcases to the one capital sigma.
  if (c == 0x3C2) return 0x3A3;
  if (Within(c, 0x3B1, 0x3C9)) return static_cast<wchar_t>(c - 0x20);
  // Cyrillic: the basic alphabet, then the letters of other Slavic languages below it.
  if (Within(c, 0x430, 0x44F)) return static_cast<wchar_t>(c - 0x20);
  if (Within(c, 0x450, 0x45F)) return static_cast<wchar_t>(c - 0x50);
  // Full-width Latin letters (East Asian text).
  if (Within(c, 0xFF41, 0xFF5A)) return static_cast<wchar_t>(c - 0x20);
  return c;
}

wchar_t DowncaseChar(wchar_t c) {
  if (c < 0x80) return Within(c, L'A', L'Z') ? static_cast<wchar_t>(c + 0x20) : c;
  if (Within(c, 0xC0, 0xDE) && c != 0xD7) return static_cast<wchar_t>(c + 0x20);
  if (c == 0x178) return 0xFF;
  if (CapitalIsEven(c) && IsEven(c)) return static_cast<wchar_t>(c + 1);
  if (CapitalIsOdd(c) && !IsEven(c)) return static_cast<wchar_t>(c + 1);
  // U+03A2 is unassigned (there is no capital final sigma).
  if (Within(c, 0x391, 0x3A9) && c != 0x3A2) return static_cast<wchar_t>(c + 0x20);
  if (Within(c, 0x410, 0x42F)) return static_cast<wchar_t>(c + 0x20);
  if (Within(c, 0x400, 0x40F)) return static_cast<wchar_t>(c + 0x50);
  if (Within(c, 0xFF21, 0xFF3A)) return static_cast<wchar_t>(c + 0x20);
  return c;
}

unsigned char UpcaseLatin1(unsigned char c) {
  const wchar_t upper = UpcaseChar(c);
  return upper <= 0xFF ? static_cast<unsigned char>(upper) : c;
}

}  // namespace kemu::model
