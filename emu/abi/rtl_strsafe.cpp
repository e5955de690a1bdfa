// The ntstrsafe printf routines: RtlStringCb/CchPrintfA/W, RtlUnicodeStringPrintf and their V
// (va_list) forms, formatted in DbgPrint's language (dbg_format.hpp) and cut to the destination
// with STATUS_BUFFER_OVERFLOW. The copy, cat and length routines are header inlines (ntstrsafe.h).
#include <ntstrsafe.h>
#include <wdm.h>

#include <cstdarg>
#include <cstdint>
#include <string>
#include <type_traits>

#include "abi/counted_string.hpp"
#include "abi/dbg_format.hpp"
#include "abi/entry.hpp"

namespace {

// Windows' wide printf reads %s and %c as wide and %S and %C as narrow; DbgPrint's language reads
// them the other way round. Rewrites a wide format (as UTF-8) so the unprefixed codes say which.
std::string NarrowFormat(const wchar_t* format) {
  std::string out;
  for (const wchar_t* p = format; *p != L'\0'; ++p) {
    // Through the unsigned type of the same width: wchar_t is signed where kemu runs.
    const auto c = static_cast<std::uint32_t>(static_cast<std::make_unsigned_t<wchar_t>>(*p));
    if (c != '%') {
      kemu::abi::AppendUtf8(out, c);
      continue;
    }
    out += '%';
    ++p;
    // Flags, width, precision, then a size prefix (I64, l, h, w, ...), then the type.
    while (*p != L'\0' && std::wstring_view(L"-+ #0123456789.*").find(*p) != std::wstring::npos) {
      out += static_cast<char>(*p++);
    }
    std::string prefix;
    while (*p != L'\0' && (std::wstring_view(L"Ilhwztj").find(*p) != std::wstring::npos ||
                           (!prefix.empty() && prefix[0] == 'I' && *p >= L'0' && *p <= L'9'))) {
      prefix += static_cast<char>(*p++);
    }
    if (*p == L'\0') {
      out += prefix;
      break;
    }
    const wchar_t type = *p;
    // push_back rather than `prefix = "w"`: GCC 12 at -O2 reports a false -Wrestrict overlap in
    // libstdc++'s replace() for a literal assigned to a string (GCC bug 105651).
    if (prefix.empty() && (type == L's' || type == L'c')) prefix.push_back('w');
    if (prefix.empty() && (type == L'S' || type == L'C')) prefix.push_back('h');
    out += prefix;
    kemu::abi::AppendUtf8(out, static_cast<std::uint32_t>(type));
  }
  return out;
}

// UTF-8 (as the formatter writes it for a wide routine, NarrowArgs::kUtf8) back to wide
// characters.
std::wstring Widen(const std::string& text) {
  std::wstring out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    std::uint32_t code = extra == 0 ? lead : lead & (0x3F >> extra);
    for (int k = 1; k <= extra && i + k < text.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    out += static_cast<wchar_t>(code);
    i += 1 + extra;
  }
  return out;
}

template <typename Char>
NTSTATUS Store(const std::basic_string<Char>& text, Char* dest, std::size_t cch) {
  const std::size_t fit = text.size() < cch ? text.size() : cch - 1;
  text.copy(dest, fit);
  dest[fit] = Char{0};
  return fit == text.size() ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

kemu::abi::DbgText Format(kemu::model::Kernel& kernel, const char* routine, const char* format,
                          kemu::abi::DbgArgs& args,
                          kemu::abi::NarrowArgs narrow = kemu::abi::NarrowArgs::kBytes) {
  args.read_check = [&kernel, routine](const void* pointer, const char* what) {
    kemu::abi::CheckReadThrough(kernel, routine, pointer, what);
  };
  kemu::abi::DbgText text = kemu::abi::FormatWindows(format, args, narrow);
  if (text.unicode && kernel.irql().Current() > PASSIVE_LEVEL) {
    kernel.verifier().DbgPrintUnicodeAboveIrql(routine, kernel.irql().Current());
  }
  return text;
}

NTSTATUS PrintA(kemu::model::Kernel& kernel, const char* routine, char* dest, std::size_t cch,
                const char* format, kemu::abi::DbgArgs& args) {
  if (dest == nullptr || cch == 0 || cch > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  kernel.verifier().Dereferenced(routine, format, "pszFormat");
  return Store(Format(kernel, routine, format, args).text, dest, cch);
}

NTSTATUS PrintW(kemu::model::Kernel& kernel, const char* routine, wchar_t* dest, std::size_t cch,
                const wchar_t* format, kemu::abi::DbgArgs& args) {
  if (dest == nullptr || cch == 0 || cch > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
  kernel.verifier().Dereferenced(routine, format, "pszFormat");
  const std::string narrow = NarrowFormat(format);
  return Store(
      Widen(Format(kernel, routine, narrow.c_str(), args, kemu::abi::NarrowArgs::kUtf8).text), dest,
      cch);
}

// RtlUnicodeString(V)Printf: the counted string is rewritten from its start and never terminated.
// Its fields must describe a buffer (even byte counts, Length <= MaximumLength, at most
// NTSTRSAFE_UNICODE_STRING_MAX_CCH characters, a Buffer when MaximumLength is not 0).
NTSTATUS PrintUnicodeString(kemu::model::Kernel& kernel, const char* routine, PUNICODE_STRING dest,
                            const wchar_t* format, kemu::abi::DbgArgs& args) {
  if (dest == nullptr || format == nullptr) return STATUS_INVALID_PARAMETER;
  const std::size_t max_bytes = NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR);
  if (dest->Length % sizeof(WCHAR) != 0 || dest->MaximumLength % sizeof(WCHAR) != 0 ||
      dest->Length > dest->MaximumLength || dest->MaximumLength > max_bytes ||
      (dest->Buffer == nullptr && dest->MaximumLength != 0)) {
    return STATUS_INVALID_PARAMETER;
  }
  const std::string narrow = NarrowFormat(format);
  const std::wstring text =
      Widen(Format(kernel, routine, narrow.c_str(), args, kemu::abi::NarrowArgs::kUtf8).text);
  const std::size_t room = dest->MaximumLength / sizeof(WCHAR);
  if (room == 0 && !text.empty()) return STATUS_INVALID_PARAMETER;
  const std::size_t fit = text.size() < room ? text.size() : room;
  text.copy(dest->Buffer, fit);
  dest->Length = static_cast<USHORT>(fit * sizeof(WCHAR));
  return fit == text.size() ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}

}  // namespace

extern "C" {

NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat,
                                ...) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlUnicodeStringPrintf, KEMU_ARG(DestinationString), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_start(args.list, pszFormat);
  const NTSTATUS status =
      PrintUnicodeString(kernel, "RtlUnicodeStringPrintf", DestinationString, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat,
                                 va_list argList) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlUnicodeStringVPrintf, KEMU_ARG(DestinationString), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_copy(args.list, argList);
  const NTSTATUS status =
      PrintUnicodeString(kernel, "RtlUnicodeStringVPrintf", DestinationString, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat,
                             ...) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCchPrintfA, KEMU_ARG(pszDest), KEMU_ARG(cchDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_start(args.list, pszFormat);
  const NTSTATUS status = PrintA(kernel, "RtlStringCchPrintfA", pszDest, cchDest, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, ...) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCbPrintfA, KEMU_ARG(pszDest), KEMU_ARG(cbDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_start(args.list, pszFormat);
  const NTSTATUS status = PrintA(kernel, "RtlStringCbPrintfA", pszDest, cbDest, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat,
                             ...) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCchPrintfW, KEMU_ARG(pszDest), KEMU_ARG(cchDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_start(args.list, pszFormat);
  const NTSTATUS status = PrintW(kernel, "RtlStringCchPrintfW", pszDest, cchDest, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat,
                            ...) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCbPrintfW, KEMU_ARG(pszDest), KEMU_ARG(cbDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_start(args.list, pszFormat);
  const NTSTATUS status =
      PrintW(kernel, "RtlStringCbPrintfW", pszDest, cbDest / sizeof(wchar_t), pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat,
                              va_list argList) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCchVPrintfA, KEMU_ARG(pszDest), KEMU_ARG(cchDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_copy(args.list, argList);
  const NTSTATUS status = PrintA(kernel, "RtlStringCchVPrintfA", pszDest, cchDest, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat,
                             va_list argList) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCbVPrintfA, KEMU_ARG(pszDest), KEMU_ARG(cbDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_copy(args.list, argList);
  const NTSTATUS status = PrintA(kernel, "RtlStringCbVPrintfA", pszDest, cbDest, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat,
                              va_list argList) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCchVPrintfW, KEMU_ARG(pszDest), KEMU_ARG(cchDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_copy(args.list, argList);
  const NTSTATUS status = PrintW(kernel, "RtlStringCchVPrintfW", pszDest, cchDest, pszFormat, args);
  va_end(args.list);
  return status;
}

NTSTATUS RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat,
                             va_list argList) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlStringCbVPrintfW, KEMU_ARG(pszDest), KEMU_ARG(cbDest), KEMU_ARG(pszFormat));
  kemu::abi::DbgArgs args;
  va_copy(args.list, argList);
  const NTSTATUS status =
      PrintW(kernel, "RtlStringCbVPrintfW", pszDest, cbDest / sizeof(wchar_t), pszFormat, args);
  va_end(args.list);
  return status;
}

}  // extern "C"
