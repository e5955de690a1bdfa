// kemu's one case mapping, shared by every kernel routine that upcases or downcases a character
// (RtlUpcaseUnicodeChar, the case-insensitive string comparisons and hashes, RtlUpperChar) and by
// the registry's name comparison, so that they all agree.
//
// Windows maps case through the NLS upcase and downcase tables it loads at boot, which cover all
// of Unicode; kemu approximates them with the simple one-to-one mappings of the scripts driver
// names and strings use: ASCII, Latin-1, the Latin Extended-A pairs, Greek, basic Cyrillic and the
// full-width Latin letters. Any other character maps to itself (UNCONFIRMED beyond ASCII:
// docs/differences.md).
//
//   if (UpcaseChar(a) == UpcaseChar(b)) { ... }  // equal ignoring case
#ifndef KEMU_EMU_MODEL_UNICODE_CASE_HPP_
#define KEMU_EMU_MODEL_UNICODE_CASE_HPP_

namespace kemu::model {

/// The upper-case form of `c`, or `c` when kemu's mapping gives it none. A lower-case letter
/// whose upper case is more than one character (German sharp s, U+00DF) keeps its own value, as
/// a one-character mapping must.
wchar_t UpcaseChar(wchar_t c);

/// The lower-case form of `c`, or `c` when kemu's mapping gives it none. Capital sigma (U+03A3)
/// downcases to the medial sigma U+03C3, never to the final sigma U+03C2.
wchar_t DowncaseChar(wchar_t c);

/// The upper case of a byte of kemu's ANSI code page, Latin-1 (docs/differences.md), where a
/// byte is the character of the same value. A letter whose capital lies beyond Latin-1 (y with
/// diaeresis) cannot become one byte and stays as it is.
unsigned char UpcaseLatin1(unsigned char c);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_UNICODE_CASE_HPP_
