// Version answers computed from a personality (docs/windows-facts.md §10).
#ifndef KEMU_EMU_MODEL_VERSION_INFO_HPP_
#define KEMU_EMU_MODEL_VERSION_INFO_HPP_

#include <wdm.h>

#include "kemu/personality.hpp"

namespace kemu::model {

/// RtlGetVersion: fills the basic or the EX structure, chosen by dwOSVersionInfoSize.
NTSTATUS FillVersionInfo(const Personality& personality, PRTL_OSVERSIONINFOW info);
/// Points `out` at the personality's service-pack string (static storage).
void CopyCsdVersion(const Personality& personality, PUNICODE_STRING out);
/// The running release is `ntddi_version` or newer (service-pack byte ignored,
/// docs/windows-facts.md §10.4).
bool IsNtDdiVersionAvailable(const Personality& personality, ULONG ntddi_version);
/// The running release is newer than `ntddi_version`'s, or the same with at least its service
/// pack.
bool IsServicePackInstalled(const Personality& personality, ULONG ntddi_version);
/// RtlVerifyVersionInfo's answer for `requirement` on `personality` (docs/windows-facts.md §10.7).
NTSTATUS VerifyVersion(const Personality& personality, const RTL_OSVERSIONINFOEXW& requirement,
                       ULONG type_mask, ULONGLONG condition_mask);
/// VerSetConditionMask: `condition` stored for every member `type_mask` names.
ULONGLONG SetConditionMask(ULONGLONG condition_mask, ULONG type_mask, UCHAR condition);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_VERSION_INFO_HPP_
