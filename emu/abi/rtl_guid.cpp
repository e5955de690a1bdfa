// GUIDs as text, in the registry form "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}": RtlGUIDFromString
// reads one (either case of hex digit), RtlStringFromGUID writes one (upper case) into a string it
// allocates. docs/kernel.md, "Strings that own pool"; docs/windows-facts.md §22.
#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "abi/counted_string.hpp"
#include "abi/entry.hpp"
#include "abi/string_buffer.hpp"

namespace {

using kemu::abi::NotNull;
using kemu::model::Kernel;

constexpr std::size_t kWchar = sizeof(WCHAR);
// The braces, 32 hex digits and 4 hyphens.
constexpr std::size_t kGuidChars = 38;
// Where each hyphen stands, counted from the opening brace.
constexpr std::size_t kHyphens[] = {9, 14, 19, 24};

std::optional<unsigned> HexValue(WCHAR c) {
  if (c >= L'0' && c <= L'9') return static_cast<unsigned>(c - L'0');
  if (c >= L'a' && c <= L'f') return static_cast<unsigned>(c - L'a' + 10);
  if (c >= L'A' && c <= L'F') return static_cast<unsigned>(c - L'A' + 10);
  return std::nullopt;
}

// The GUID `text` (exactly kGuidChars characters) spells, or nullopt when it is not one.
std::optional<GUID> ParseGuid(const WCHAR* text) {
  if (text[0] != L'{' || text[kGuidChars - 1] != L'}') return std::nullopt;
  for (const std::size_t at : kHyphens) {
    if (text[at] != L'-') return std::nullopt;
  }
  // The 32 digits in order, skipping the brace and the hyphens.
  std::uint8_t nibbles[32];
  std::size_t count = 0;
  for (std::size_t i = 1; i < kGuidChars - 1; ++i) {
    if (i == kHyphens[0] || i == kHyphens[1] || i == kHyphens[2] || i == kHyphens[3]) continue;
    const std::optional<unsigned> digit = HexValue(text[i]);
    if (!digit.has_value()) return std::nullopt;
    nibbles[count++] = static_cast<std::uint8_t>(*digit);
  }
  // Data1, Data2 and Data3 are numbers written most significant digit first; Data4 is bytes.
  auto number = [&](std::size_t first, std::size_t digits) {
    std::uint32_t value = 0;
    for (std::size_t i = first; i < first + digits; ++i) value = value << 4 | nibbles[i];
    return value;
  };
  GUID guid{};
  guid.Data1 = number(0, 8);
  guid.Data2 = static_cast<USHORT>(number(8, 4));
  guid.Data3 = static_cast<USHORT>(number(12, 4));
  for (std::size_t i = 0; i < 8; ++i) guid.Data4[i] = static_cast<UCHAR>(number(16 + 2 * i, 2));
  return guid;
}

// Writes `digits` upper-case hex digits of `value` at `out`, most significant first.
WCHAR* PutHex(WCHAR* out, std::uint32_t value, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
    *out++ = L"0123456789ABCDEF"[(value >> shift) & 0xF];
  }
  return out;
}

}  // namespace

extern "C" {

// PASSIVE_LEVEL. Anything but the braced form at exactly its length (no trailing characters, no
// missing braces) is STATUS_INVALID_PARAMETER and leaves *Guid as it was (the page: "no
// conversion was done"; the status is UNCONFIRMED).
NTSTATUS RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID* Guid) {
  static constexpr const char* kRoutine = "RtlGUIDFromString";
  Kernel& kernel = KEMU_ENTER(RtlGUIDFromString, KEMU_ARG(GuidString), KEMU_ARG(Guid));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  kemu::abi::CheckReadable(kernel, kRoutine, GuidString, "GuidString");
  NotNull(kernel, kRoutine, Guid, "Guid");
  if (GuidString->Length != kGuidChars * kWchar) return STATUS_INVALID_PARAMETER;
  const std::optional<GUID> guid = ParseGuid(GuidString->Buffer);
  if (!guid.has_value()) return STATUS_INVALID_PARAMETER;
  *Guid = *guid;
  return STATUS_SUCCESS;
}

// PASSIVE_LEVEL. The string's buffer comes from paged pool, the characters and a NUL, and the
// driver frees it with RtlFreeUnicodeString. When the pool refuses (a fault injected into this
// routine), STATUS_NO_MEMORY and GuidString is left as it was.
NTSTATUS RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString) {
  static constexpr const char* kRoutine = "RtlStringFromGUID";
  Kernel& kernel = KEMU_ENTER(RtlStringFromGUID, KEMU_ARG(Guid), KEMU_ARG(GuidString));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  NotNull(kernel, kRoutine, Guid, "Guid");
  NotNull(kernel, kRoutine, GuidString, "GuidString");
  constexpr std::size_t kBytes = (kGuidChars + 1) * kWchar;
  void* block = kemu::abi::AllocateStringBuffer(kernel, kRoutine,
                                                kemu::abi::ExportId::kRtlStringFromGUID, kBytes);
  if (block == nullptr) return STATUS_NO_MEMORY;
  auto* text = static_cast<WCHAR*>(block);
  WCHAR* out = text;
  *out++ = L'{';
  out = PutHex(out, Guid->Data1, 8);
  *out++ = L'-';
  out = PutHex(out, Guid->Data2, 4);
  *out++ = L'-';
  out = PutHex(out, Guid->Data3, 4);
  *out++ = L'-';
  out = PutHex(out, Guid->Data4[0], 2);
  out = PutHex(out, Guid->Data4[1], 2);
  *out++ = L'-';
  for (std::size_t i = 2; i < 8; ++i) out = PutHex(out, Guid->Data4[i], 2);
  *out++ = L'}';
  *out = L'\0';
  GuidString->Buffer = text;
  GuidString->Length = static_cast<USHORT>(kGuidChars * kWchar);
  GuidString->MaximumLength = static_cast<USHORT>(kBytes);
  return STATUS_SUCCESS;
}

}  // extern "C"
