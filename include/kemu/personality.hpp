// kemu/personality.hpp — what differs between Windows versions, as data.
//
// Each `kemu::Os` has one constant `Personality` record. Model code reads its named fields and
// never compares versions, so every behavioural difference kemu knows about is listed here:
//
//   const kemu::Personality& p = kemu::GetPersonality(kemu::Os::kWindowsXP);
//   if (!p.supports_msi) { /* the PnP manager grants only line-based interrupts */ }
#ifndef KEMU_PERSONALITY_HPP_
#define KEMU_PERSONALITY_HPP_

#include <cstdint>
#include <string_view>

#include "kemu/os.hpp"

namespace kemu {

/// Bit for CONNECT_* version `v` in Personality::connect_versions (0 for a version no
/// personality could accept, so any ULONG a driver passes is safe to test).
constexpr std::uint32_t ConnectVersionBit(std::uint32_t version) {
  return version < 32 ? std::uint32_t{1} << version : 0;
}

/// One Windows release's observable kernel behaviour. All fields are plain data.
struct Personality {
  Os os;
  std::string_view display_name;  ///< "Windows XP"

  // Version identity (RtlGetVersion, PsGetVersion, RtlIsNtDdiVersionAvailable).
  std::uint32_t major_version;
  std::uint32_t minor_version;
  std::uint32_t build_number;
  std::uint16_t service_pack_major;
  std::uint16_t service_pack_minor;
  std::string_view csd_version;  ///< "Service Pack 3", or "" when none
  std::uint8_t product_type;     ///< VER_NT_WORKSTATION (1) or VER_NT_SERVER (3)
  std::uint16_t suite_mask;
  std::uint32_t ntddi_version;  ///< NTDDI_* of this release including its service pack
  std::uint8_t wdm_major;       ///< IoIsWdmVersionAvailable
  std::uint8_t wdm_minor;

  // IRQL. kemu models x64 kernels only; they are all multiprocessor builds, so SYNCH_LEVEL is 12
  // (IPI_LEVEL - 2) on every release, including the fictional x64 Windows 2000.
  std::uint8_t synch_level;

  // Interrupt connection.
  bool kernel_exports_connect_ex;  ///< ntoskrnl exports IoConnectInterruptEx (Vista+)
  std::uint32_t connect_versions;  ///< CONNECT_* versions the kernel accepts (ConnectVersionBit)
  std::int32_t iointex_status;     ///< NTSTATUS Iointex.lib returns for a non-FULLY_SPECIFIED
                                   ///< request before Vista (undocumented; STATUS_NOT_SUPPORTED)
  std::int32_t unsupported_version_status;  ///< NTSTATUS for an unknown Version on Vista+
  bool supports_msi;                        ///< PnP grants message-signaled interrupts (Vista+)
  std::uint32_t max_messages;               ///< messages per function: 910 (Vista/7), 2048 (8+)
  bool processor_groups;                    ///< CONNECT_FULLY_SPECIFIED_GROUP honours Group (7+)
  bool passive_isrs;  ///< passive-level ISRs and CONNECT_MESSAGE_BASED_PASSIVE (8+)

  // Driver Verifier generation.
  bool verifier_irql_api_checks;  ///< 0xC4/0xE5 kernel API called at the wrong IRQL (Vista+)
  bool verifier_isr_checks;       ///< 0xC4/0x110, 0x111 (Windows 7+)
  bool verifier_lock_api_checks;  ///< 0xC4/0x1008, 0x1009 mismatched lock APIs (Windows 7+)
  /// 0xC4/0xD0, 0xD1, 0xD2: an ERESOURCE initialised twice, deleted uninitialised, or freed with
  /// its pool while still initialised (Vista+).
  bool verifier_resource_checks;
  /// 0xC4/0x11A, 0x11B (critical region above APC_LEVEL) and 0x120-0x122 (a wait at a forbidden
  /// IRQL) in place of the generic 0xE5 (Windows 7+).
  bool verifier_irql_rule_codes;
  bool verifier_ddi_compliance;  ///< 0xC4/0x0002xxxx DDI compliance rules (Windows 8+)

  /// True when a driver linked against this release may call `routine` directly (an export, or an
  /// inline or static-library routine of the WDK). Backed by the export manifest.
  bool CanCall(std::string_view routine) const;
  /// True when MmGetSystemRoutineAddress resolves `routine` on this release.
  bool Exports(std::string_view routine) const;
};

/// The personality record of `os`.
const Personality& GetPersonality(Os os);

}  // namespace kemu

#endif  // KEMU_PERSONALITY_HPP_
