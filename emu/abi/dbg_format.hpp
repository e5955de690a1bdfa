// DbgPrint's format language as the Windows kernel reads it, not as the host's printf would:
// LLP64 sizes (%ld and %lx take 32 bits), Microsoft size prefixes (%I64x, %I32d, %Ix), counted
// strings (%Z for an ANSI_STRING, %wZ for a UNICODE_STRING), wide text (%ws, %ls, %S, %wc, %C) and
// %p as 16 uppercase hex digits. Passing these to the host's vsnprintf prints them literally and
// shifts every later argument.
#ifndef KEMU_EMU_ABI_DBG_FORMAT_HPP_
#define KEMU_EMU_ABI_DBG_FORMAT_HPP_

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace kemu::abi {

/// A va_list that can be passed by reference on every host (on some it is an array type).
struct DbgArgs {
  std::va_list list;
  /// Called with each non-NULL pointer a conversion reads through (%s, %S, %ws and the rest; %Z
  /// and %wZ: the structure, then its Buffer when Length is not 0) and what it is, before it is
  /// read: the kernel's check that it is readable (counted_string.hpp, CheckReadThrough).
  std::function<void(const void* pointer, const char* what)> read_check;
};

struct DbgText {
  std::string text;
  /// The format used a Unicode code (%C %S %lc %ls %wc %ws %wZ), which Windows allows only at
  /// PASSIVE_LEVEL.
  bool unicode = false;
};

/// At most this many bytes of one call reach the debugger.
inline constexpr std::size_t kDbgPrintMaxBytes = 512;

/// Formats `format` with `args` as DbgPrint does; wide text becomes UTF-8. Floating-point codes,
/// which DbgPrint does not support, consume their argument and appear literally; %n writes
/// nothing.
DbgText FormatDbgPrint(const char* format, DbgArgs& args);
/// Appends the code point as UTF-8 ('?' beyond U+10FFFF).
void AppendUtf8(std::string& out, std::uint32_t code);
/// How narrow text from arguments (%s %hs %Z %c, and %S %C in a wide routine's sense) is written.
enum class NarrowArgs {
  kBytes,  ///< as its bytes: the output is narrow (DbgPrint, RtlStringCbPrintfA)
  /// as UTF-8 of kemu's code page (each byte one character, Latin-1): the output is decoded to
  /// wide characters afterwards (RtlStringCbPrintfW), where a byte >= 0x80 must stay one character
  kUtf8,
};

/// The same language without DbgPrint's 512-byte cut (the ntstrsafe printf routines).
DbgText FormatWindows(const char* format, DbgArgs& args, NarrowArgs narrow = NarrowArgs::kBytes);

}  // namespace kemu::abi

#endif  // KEMU_EMU_ABI_DBG_FORMAT_HPP_
