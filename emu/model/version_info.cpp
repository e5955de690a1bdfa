#include "model/version_info.hpp"

#include <array>
#include <cstddef>

namespace kemu::model {
namespace {

constexpr ULONG kPlatformWin32Nt = 2;           // VER_PLATFORM_WIN32_NT
constexpr ULONG kOsMask = 0xFFFF0000;           // OSVER()
constexpr ULONG kSubVersionMask = 0x000000FF;   // SUBVER(): Windows 10 releases
constexpr ULONG kServicePackMask = 0x0000FF00;  // SPVER() << 8

template <std::size_t N>
void Widen(std::string_view text, WCHAR (&out)[N]) {
  std::size_t i = 0;
  for (; i < text.size() && i + 1 < N; ++i) out[i] = static_cast<WCHAR>(text[i]);
  out[i] = 0;
}

// Wide copies of the personalities' CSD strings, made once; UNICODE_STRINGs handed to drivers
// point into them.
struct CsdStrings {
  CsdStrings() {
    for (Os os : AllOs()) Widen(GetPersonality(os).csd_version, text[static_cast<std::size_t>(os)]);
  }
  WCHAR text[kOsCount][32] = {};
};

}  // namespace

NTSTATUS FillVersionInfo(const Personality& personality, PRTL_OSVERSIONINFOW info) {
  const ULONG size = info->dwOSVersionInfoSize;
  if (size < sizeof(RTL_OSVERSIONINFOW)) return STATUS_INVALID_PARAMETER;
  info->dwMajorVersion = personality.major_version;
  info->dwMinorVersion = personality.minor_version;
  info->dwBuildNumber = personality.build_number;
  info->dwPlatformId = kPlatformWin32Nt;
  Widen(personality.csd_version, info->szCSDVersion);
  if (size >= sizeof(RTL_OSVERSIONINFOEXW)) {
    auto* ex = reinterpret_cast<PRTL_OSVERSIONINFOEXW>(info);
    ex->wServicePackMajor = personality.service_pack_major;
    ex->wServicePackMinor = personality.service_pack_minor;
    ex->wSuiteMask = personality.suite_mask;
    ex->wProductType = personality.product_type;
    ex->wReserved = 0;
  }
  return STATUS_SUCCESS;
}

void CopyCsdVersion(const Personality& personality, PUNICODE_STRING out) {
  static const CsdStrings strings;
  // UNICODE_STRING::Buffer is not const; drivers must not write through it, as on Windows.
  WCHAR* text = const_cast<WCHAR*>(strings.text[static_cast<std::size_t>(personality.os)]);
  USHORT length = 0;
  while (text[length] != 0) ++length;
  out->Buffer = text;
  out->Length = static_cast<USHORT>(length * sizeof(WCHAR));
  out->MaximumLength = static_cast<USHORT>((length + 1) * sizeof(WCHAR));
}

bool IsNtDdiVersionAvailable(const Personality& personality, ULONG ntddi_version) {
  const ULONG mask = kOsMask | kSubVersionMask;
  return (personality.ntddi_version & mask) >= (ntddi_version & mask);
}

bool IsServicePackInstalled(const Personality& personality, ULONG ntddi_version) {
  // Only a service pack of the running release counts: for any other release, older or newer,
  // the answer is FALSE (the routine's documentation), so XP SP2 is not "installed" on Vista.
  if ((personality.ntddi_version & kOsMask) != (ntddi_version & kOsMask)) return false;
  // Within Windows 10 the sub-version byte names the release (22H2 is not NTDDI_WIN11_GE); the
  // running one includes every earlier one, as RtlIsNtDdiVersionAvailable says.
  if ((personality.ntddi_version & kSubVersionMask) < (ntddi_version & kSubVersionMask)) {
    return false;
  }
  return (personality.ntddi_version & kServicePackMask) >= (ntddi_version & kServicePackMask);
}

}  // namespace kemu::model
