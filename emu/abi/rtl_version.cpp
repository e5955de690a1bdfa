// Version queries (docs/windows-facts.md §10): RtlGetVersion, PsGetVersion,
// RtlIsNtDdiVersionAvailable, RtlIsServicePackVersionInstalled, IoIsWdmVersionAvailable,
// RtlVerifyVersionInfo and VerSetConditionMask.
#include <wdm.h>

#include <algorithm>

#include "abi/entry.hpp"
#include "kemu/machine.hpp"
#include "model/version_info.hpp"

extern "C" {

NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlGetVersion, KEMU_ARG(lpVersionInformation));
  kernel.verifier().Dereferenced("RtlGetVersion", lpVersionInformation, "lpVersionInformation");
  KEMU_FAULT_POINT(kernel, RtlGetVersion);
  return kemu::model::FillVersionInfo(kernel.personality(), lpVersionInformation);
}

BOOLEAN PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber,
                     PUNICODE_STRING CSDVersion) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(PsGetVersion, KEMU_ARG(MajorVersion), KEMU_ARG(MinorVersion),
                 KEMU_ARG(BuildNumber), KEMU_ARG(CSDVersion));
  // PASSIVE_LEVEL; Verifier's DDI compliance rule IrqlPsPassive lists it (audit round 15, P1).
  kemu::abi::AtMost(kernel, "PsGetVersion", PASSIVE_LEVEL, kemu::verifier_code::kIrqlPsPassive);
  const kemu::Personality& personality = kernel.personality();
  if (MajorVersion != nullptr) *MajorVersion = personality.major_version;
  if (MinorVersion != nullptr) *MinorVersion = personality.minor_version;
  if (BuildNumber != nullptr) *BuildNumber = personality.build_number;
  if (CSDVersion != nullptr) kemu::model::CopyCsdVersion(personality, CSDVersion);
  // TRUE only on a checked build of Windows (docs/windows-facts.md §10.3): kemu's checked kernel
  // mode, and never for Windows 10 and 11, which had no checked builds by the releases kemu
  // models. Driver Verifier runs on a free build.
  const bool checked = kemu::KernelModeOf(kernel.options()) == kemu::KernelMode::kChecked &&
                       kernel.personality().os < kemu::Os::kWindows10;
  return checked ? TRUE : FALSE;
}

BOOLEAN RtlIsNtDdiVersionAvailable(ULONG Version) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlIsNtDdiVersionAvailable, KEMU_ARG(Version));
  return kemu::model::IsNtDdiVersionAvailable(kernel.personality(), Version) ? TRUE : FALSE;
}

BOOLEAN RtlIsServicePackVersionInstalled(ULONG Version) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlIsServicePackVersionInstalled, KEMU_ARG(Version));
  return kemu::model::IsServicePackInstalled(kernel.personality(), Version) ? TRUE : FALSE;
}

BOOLEAN IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoIsWdmVersionAvailable, KEMU_ARG(MajorVersion), KEMU_ARG(MinorVersion));
  // PASSIVE_LEVEL; the DDI compliance rule IrqlIoPassive5 lists it (audit round 15, P2).
  kemu::abi::AtMost(kernel, "IoIsWdmVersionAvailable", PASSIVE_LEVEL,
                    kemu::verifier_code::kIrqlIoPassive5);
  const kemu::Personality& personality = kernel.personality();
  return std::pair(personality.wdm_major, personality.wdm_minor) >=
                 std::pair(MajorVersion, MinorVersion)
             ? TRUE
             : FALSE;
}

NTSTATUS RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW VersionInfo, ULONG TypeMask,
                              ULONGLONG ConditionMask) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlVerifyVersionInfo, KEMU_ARG(VersionInfo),
                                           KEMU_ARG(TypeMask), KEMU_ARG(ConditionMask));
  kernel.verifier().Dereferenced("RtlVerifyVersionInfo", VersionInfo, "VersionInfo");
  return kemu::model::VerifyVersion(kernel.personality(), *VersionInfo, TypeMask, ConditionMask);
}

ULONGLONG VerSetConditionMask(ULONGLONG ConditionMask, ULONG TypeMask, UCHAR Condition) {
  KEMU_ENTER(VerSetConditionMask, KEMU_ARG(ConditionMask), KEMU_ARG(TypeMask), KEMU_ARG(Condition));
  return kemu::model::SetConditionMask(ConditionMask, TypeMask, Condition);
}

}  // extern "C"
