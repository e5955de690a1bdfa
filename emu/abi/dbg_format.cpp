#include "abi/dbg_format.hpp"

#include <fmt/format.h>
#include <wdm.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cwchar>
#include <string_view>

namespace kemu::abi {
namespace {

// The argument size a conversion's prefix asks for, on Windows x64 (LLP64).
enum class Size { kDefault, kChar, kShort, k32, k64, kWide, kNarrow };

struct Spec {
  std::string flags;
  int width = -1;
  int precision = -1;
  Size size = Size::kDefault;
  char type = 0;
};

}  // namespace

void AppendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x110000) {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += '?';
  }
}

namespace {

// Pads `body` to the spec's width, on the left unless the '-' flag is given.
void AppendPadded(std::string& out, const Spec& spec, std::string_view body) {
  const std::size_t width = spec.width > 0 ? static_cast<std::size_t>(spec.width) : 0;
  const std::size_t pad = width > body.size() ? width - body.size() : 0;
  const bool left = spec.flags.find('-') != std::string::npos;
  if (!left) out.append(pad, ' ');
  out.append(body);
  if (left) out.append(pad, ' ');
}

// A narrow character as the output wants it (NarrowArgs).
void AppendNarrow(std::string& out, char c, NarrowArgs narrow) {
  if (narrow == NarrowArgs::kBytes) {
    out += c;
  } else {
    AppendUtf8(out, static_cast<unsigned char>(c));
  }
}

std::string Narrow(const char* text, std::size_t limit, NarrowArgs narrow) {
  std::string out;
  for (std::size_t i = 0; i < limit && text[i] != '\0'; ++i) AppendNarrow(out, text[i], narrow);
  return out;
}

std::string Wide(const wchar_t* text, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < limit && text[i] != L'\0'; ++i) {
    AppendUtf8(out, static_cast<std::uint32_t>(text[i]));
  }
  return out;
}

std::size_t Limit(const Spec& spec) {
  return spec.precision >= 0 ? static_cast<std::size_t>(spec.precision) : ~std::size_t{0};
}

// Widths and precisions beyond what one call can print change nothing but the cost; clamping
// also keeps a fuzzed "%99999999999d" from overflowing.
int Clamp(long long value) {
  return static_cast<int>(std::min<long long>(value, static_cast<long long>(kDbgPrintMaxBytes)));
}

int ParseNumber(const char*& p) {
  long long value = 0;
  while (*p >= '0' && *p <= '9') {
    value = std::min<long long>(value * 10 + (*p++ - '0'), 1 << 20);
  }
  return Clamp(value);
}

// Parses the size prefix at `p`, advancing past it.
Size ParseSize(const char*& p) {
  const std::string_view rest(p);
  auto take = [&](std::string_view prefix) {
    if (!rest.starts_with(prefix)) return false;
    p += prefix.size();
    return true;
  };
  if (take("I64") || take("ll")) return Size::k64;
  if (take("I32")) return Size::k32;
  if (take("hh")) return Size::kChar;
  // Pointer-sized on x64: I, z, t; j and L are 64-bit too.
  if (take("I") || take("z") || take("t") || take("j") || take("L")) return Size::k64;
  if (take("h")) return Size::kShort;
  if (take("l")) return Size::k32;  // LLP64: long is 32 bits
  if (take("w")) return Size::kWide;
  return Size::kDefault;
}

std::string FormatInteger(const Spec& spec, DbgArgs& args) {
  const bool is_signed = spec.type == 'd' || spec.type == 'i';
  std::uint64_t bits = 0;
  if (spec.size == Size::k64) {
    bits = static_cast<std::uint64_t>(va_arg(args.list, long long));
  } else {
    const unsigned raw = static_cast<unsigned>(va_arg(args.list, int));
    if (spec.size == Size::kChar) {
      bits = is_signed ? static_cast<std::uint64_t>(static_cast<std::int8_t>(raw)) : (raw & 0xFF);
    } else if (spec.size == Size::kShort) {
      bits =
          is_signed ? static_cast<std::uint64_t>(static_cast<std::int16_t>(raw)) : (raw & 0xFFFF);
    } else {
      bits = is_signed ? static_cast<std::uint64_t>(static_cast<std::int32_t>(raw)) : raw;
    }
  }
  // The host's printf formats the value once its size is settled: flags, width and precision
  // mean the same there.
  const std::string host =
      fmt::format("%{}{}{}ll{}", spec.flags, spec.width >= 0 ? std::to_string(spec.width) : "",
                  spec.precision >= 0 ? fmt::format(".{}", spec.precision) : "", spec.type);
  char buffer[kDbgPrintMaxBytes + 64];
  if (is_signed) {
    std::snprintf(buffer, sizeof buffer, host.c_str(), static_cast<long long>(bits));
  } else {
    std::snprintf(buffer, sizeof buffer, host.c_str(), static_cast<unsigned long long>(bits));
  }
  return buffer;
}

void ReadThrough(DbgArgs& args, const void* pointer, const char* what) {
  if (args.read_check) args.read_check(pointer, what);
}

// A counted string argument: the structure (`what`), then the Length bytes of its Buffer
// (`buffer_what`). Both names are literals: nothing is formatted unless a check fails.
template <typename Counted>
void ReadCounted(DbgArgs& args, const Counted* string, const char* what, const char* buffer_what) {
  if (string == nullptr) return;
  ReadThrough(args, string, what);
  if (string->Buffer != nullptr && string->Length != 0) {
    ReadThrough(args, string->Buffer, buffer_what);
  }
}

// One conversion; returns false for a type DbgPrint does not know (then printed literally).
bool Convert(const Spec& spec, DbgArgs& args, DbgText& out, NarrowArgs narrow) {
  std::string& text = out.text;
  const bool wide_by_prefix = spec.size == Size::kWide || spec.size == Size::k32;
  switch (spec.type) {
    case 'd':
    case 'i':
    case 'o':
    case 'u':
    case 'x':
    case 'X':
      text += FormatInteger(spec, args);
      return true;
    case 'p': {
      const auto pointer = reinterpret_cast<std::uintptr_t>(va_arg(args.list, void*));
      AppendPadded(text, spec, fmt::format("{:016X}", pointer));
      return true;
    }
    case 'c':
    case 'C': {
      const int value = va_arg(args.list, int);
      const bool wide = spec.type == 'C' ? spec.size != Size::kShort : wide_by_prefix;
      std::string body;
      if (wide) {
        out.unicode = true;
        AppendUtf8(body, static_cast<std::uint32_t>(value));
      } else {
        AppendNarrow(body, static_cast<char>(value), narrow);
      }
      AppendPadded(text, spec, body);
      return true;
    }
    case 's':
    case 'S': {
      const bool wide = spec.type == 'S' ? spec.size != Size::kShort : wide_by_prefix;
      const void* pointer = va_arg(args.list, const void*);
      if (wide) out.unicode = true;
      if (pointer != nullptr) {
        ReadThrough(args, pointer,
                    wide ? "a wide string argument (%ws)" : "a string argument (%s)");
      }
      if (pointer == nullptr) {
        AppendPadded(text, spec, "(null)");
      } else if (wide) {
        AppendPadded(text, spec, Wide(static_cast<const wchar_t*>(pointer), Limit(spec)));
      } else {
        AppendPadded(text, spec, Narrow(static_cast<const char*>(pointer), Limit(spec), narrow));
      }
      return true;
    }
    case 'Z': {
      // %Z: a PANSI_STRING; %wZ: a PUNICODE_STRING. Length counts bytes, not characters.
      const void* pointer = va_arg(args.list, const void*);
      if (spec.size == Size::kWide) {
        out.unicode = true;
        const auto* string = static_cast<const UNICODE_STRING*>(pointer);
        ReadCounted(args, string, "a UNICODE_STRING argument (%wZ)",
                    "the Buffer of a UNICODE_STRING argument (%wZ)");
        if (string == nullptr || string->Buffer == nullptr) {
          AppendPadded(text, spec, "(null)");
        } else {
          const std::size_t chars = string->Length / sizeof(WCHAR);
          std::string body;
          for (std::size_t i = 0; i < chars; ++i) {
            AppendUtf8(body, static_cast<std::uint32_t>(string->Buffer[i]));
          }
          AppendPadded(text, spec, body);
        }
      } else {
        const auto* string = static_cast<const ANSI_STRING*>(pointer);
        ReadCounted(args, string, "an ANSI_STRING argument (%Z)",
                    "the Buffer of an ANSI_STRING argument (%Z)");
        if (string == nullptr || string->Buffer == nullptr) {
          AppendPadded(text, spec, "(null)");
        } else {
          std::string body;
          for (USHORT i = 0; i < string->Length; ++i) AppendNarrow(body, string->Buffer[i], narrow);
          AppendPadded(text, spec, body);
        }
      }
      return true;
    }
    case 'n':
      (void)va_arg(args.list, void*);  // writing through it is a classic exploit; kemu does not
      return true;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
      (void)va_arg(args.list, double);
      return false;
    default:
      return false;
  }
}

}  // namespace

DbgText FormatDbgPrint(const char* format, DbgArgs& args) {
  DbgText out = FormatWindows(format, args);
  if (out.text.size() > kDbgPrintMaxBytes) out.text.resize(kDbgPrintMaxBytes);
  return out;
}

DbgText FormatWindows(const char* format, DbgArgs& args, NarrowArgs narrow) {
  DbgText out;
  for (const char* p = format; *p != '\0';) {
    if (*p != '%') {
      out.text += *p++;
      continue;
    }
    const char* start = p++;
    if (*p == '%') {
      out.text += '%';
      ++p;
      continue;
    }
    Spec spec;
    while (*p != '\0' && std::string_view("-+ #0").find(*p) != std::string_view::npos) {
      spec.flags += *p++;
    }
    if (*p == '*') {
      const int width = va_arg(args.list, int);
      if (width < 0) spec.flags += '-';
      spec.width = Clamp(width < 0 ? -static_cast<long long>(width) : width);
      ++p;
    } else if (*p >= '1' && *p <= '9') {
      spec.width = ParseNumber(p);
    }
    if (*p == '.') {
      ++p;
      if (*p == '*') {
        const int precision = va_arg(args.list, int);
        spec.precision = precision < 0 ? -1 : Clamp(precision);  // negative: as if none
        ++p;
      } else {
        spec.precision = ParseNumber(p);
      }
    }
    spec.size = ParseSize(p);
    if (*p == '\0') {
      out.text.append(start, p);  // a dangling '%' stays as written
      break;
    }
    spec.type = *p++;
    if (!Convert(spec, args, out, narrow)) out.text.append(start, p);
  }
  return out;
}

}  // namespace kemu::abi
