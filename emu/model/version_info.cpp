#include "model/version_info.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <optional>

namespace kemu::model {
namespace {

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
  info->dwPlatformId = VER_PLATFORM_WIN32_NT;
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

namespace {

// The members RtlVerifyVersionInfo compares are the VER_* TypeMask bits of <wdm.h>; a member's
// condition is VER_NUM_BITS_PER_CONDITION_MASK bits at that many times its bit number.
constexpr ULONG kKnownMembers = VER_MINORVERSION | VER_MAJORVERSION | VER_BUILDNUMBER |
                                VER_PLATFORMID | VER_SERVICEPACKMINOR | VER_SERVICEPACKMAJOR |
                                VER_SUITENAME | VER_PRODUCT_TYPE;

unsigned ShiftOf(ULONG member) {
  return static_cast<unsigned>(std::countr_zero(member)) * VER_NUM_BITS_PER_CONDITION_MASK;
}

UCHAR ConditionOf(ULONGLONG condition_mask, ULONG member) {
  return static_cast<UCHAR>((condition_mask >> ShiftOf(member)) & VER_CONDITION_MASK);
}

// `running` compared with `required` as `condition` says; nullopt for a condition that is no
// comparison (0, VER_AND, VER_OR).
std::optional<bool> Holds(ULONG running, ULONG required, UCHAR condition) {
  switch (condition) {
    case VER_EQUAL:
      return running == required;
    case VER_GREATER:
      return running > required;
    case VER_GREATER_EQUAL:
      return running >= required;
    case VER_LESS:
      return running < required;
    case VER_LESS_EQUAL:
      return running <= required;
    default:
      return std::nullopt;
  }
}

}  // namespace

ULONGLONG SetConditionMask(ULONGLONG condition_mask, ULONG type_mask, UCHAR condition) {
  // Nothing to store without a member or a condition (UNCONFIRMED: the page does not say).
  if ((type_mask & kKnownMembers) == 0 || condition == 0) return condition_mask;
  for (ULONG member = 1; member <= VER_PRODUCT_TYPE; member <<= 1) {
    if ((type_mask & member) == 0) continue;
    condition_mask &= ~(ULONGLONG{VER_CONDITION_MASK} << ShiftOf(member));
    condition_mask |= static_cast<ULONGLONG>(condition & VER_CONDITION_MASK) << ShiftOf(member);
  }
  return condition_mask;
}

NTSTATUS VerifyVersion(const Personality& personality, const RTL_OSVERSIONINFOEXW& requirement,
                       ULONG type_mask, ULONGLONG condition_mask) {
  if (type_mask == 0 || condition_mask == 0 || (type_mask & ~kKnownMembers) != 0) {
    return STATUS_INVALID_PARAMETER;
  }
  for (ULONG member = 1; member <= VER_PRODUCT_TYPE; member <<= 1) {
    if ((type_mask & member) != 0 && ConditionOf(condition_mask, member) == 0) {
      return STATUS_INVALID_PARAMETER;  // named, but with no condition (UNCONFIRMED)
    }
  }
  // The major, minor and service-pack numbers are one version, compared in that order: the first
  // member that differs decides with its own condition; all equal, each condition must admit
  // equality.
  struct Part {
    ULONG member;
    ULONG running;
    ULONG required;
  };
  const Part version[] = {
      {VER_MAJORVERSION, personality.major_version, requirement.dwMajorVersion},
      {VER_MINORVERSION, personality.minor_version, requirement.dwMinorVersion},
      {VER_SERVICEPACKMAJOR, personality.service_pack_major, requirement.wServicePackMajor},
      {VER_SERVICEPACKMINOR, personality.service_pack_minor, requirement.wServicePackMinor},
  };
  bool version_equal = true;
  for (const Part& part : version) {
    if ((type_mask & part.member) == 0) continue;
    const UCHAR condition = ConditionOf(condition_mask, part.member);
    const std::optional<bool> holds = Holds(part.running, part.required, condition);
    if (!holds.has_value()) return STATUS_INVALID_PARAMETER;
    if (part.running != part.required) {
      if (!*holds) return STATUS_REVISION_MISMATCH;
      version_equal = false;
      break;
    }
  }
  if (version_equal) {
    for (const Part& part : version) {
      if ((type_mask & part.member) == 0) continue;
      if (!*Holds(part.running, part.required, ConditionOf(condition_mask, part.member))) {
        return STATUS_REVISION_MISMATCH;
      }
    }
  }
  const Part separate[] = {
      {VER_BUILDNUMBER, personality.build_number, requirement.dwBuildNumber},
      {VER_PLATFORMID, VER_PLATFORM_WIN32_NT, requirement.dwPlatformId},
      {VER_PRODUCT_TYPE, personality.product_type, requirement.wProductType},
  };
  for (const Part& part : separate) {
    if ((type_mask & part.member) == 0) continue;
    const std::optional<bool> holds =
        Holds(part.running, part.required, ConditionOf(condition_mask, part.member));
    if (!holds.has_value()) return STATUS_INVALID_PARAMETER;
    if (!*holds) return STATUS_REVISION_MISMATCH;
  }
  if ((type_mask & VER_SUITENAME) != 0) {
    const ULONG running = personality.suite_mask;
    const ULONG required = requirement.wSuiteMask;
    switch (ConditionOf(condition_mask, VER_SUITENAME)) {
      case VER_AND:
        if ((running & required) != required) return STATUS_REVISION_MISMATCH;
        break;
      case VER_OR:
        if (required != 0 && (running & required) == 0) return STATUS_REVISION_MISMATCH;
        break;
      default:
        return STATUS_INVALID_PARAMETER;  // a suite mask is a set: only VER_AND or VER_OR
    }
  }
  return STATUS_SUCCESS;
}

}  // namespace kemu::model
