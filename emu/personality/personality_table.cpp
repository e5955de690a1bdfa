// The nine personalities, as data (docs/decisions.md, decision 1). Sources:
// docs/windows-facts.md §0 (capability matrix), §2.4-2.7 (connect versions and statuses), §8.3
// (message limits), §10 (version numbers); WDM versions from the IoIsWdmVersionAvailable
// documentation.
#include <array>

#include "kemu/personality.hpp"

namespace kemu {
namespace {

constexpr std::uint8_t kWorkstation = 1;  // VER_NT_WORKSTATION
constexpr std::uint8_t kServer = 3;       // VER_NT_SERVER
constexpr std::uint8_t kSynchLevelX64 = 12;

constexpr std::int32_t kStatusNotSupported = static_cast<std::int32_t>(0xC00000BBu);
constexpr std::int32_t kStatusInvalidParameter1 = static_cast<std::int32_t>(0xC00000EFu);

constexpr std::uint32_t kVistaVersions =
    ConnectVersionBit(1) | ConnectVersionBit(2) | ConnectVersionBit(3);
constexpr std::uint32_t kWin7Versions = kVistaVersions | ConnectVersionBit(4);
// CONNECT_MESSAGE_BASED_PASSIVE (5) comes with the Windows 8 passive-level ISRs (conformance
// EX-9); its first release is UNCONFIRMED (docs/windows-facts.md §13 item 2), so Windows 8 is
// kemu's choice.
constexpr std::uint32_t kWin8Versions = kWin7Versions | ConnectVersionBit(5);

// Before Vista the kernel has no IoConnectInterruptEx; Iointex.lib answers every Version but
// CONNECT_FULLY_SPECIFIED with an error the documentation does not name (UNCONFIRMED);
// STATUS_NOT_SUPPORTED is kemu's choice (docs/windows-facts.md §2.7).
constexpr Personality kPreVista = {
    .os = Os::kWindows2000,
    .display_name = "",
    .major_version = 5,
    .minor_version = 0,
    .build_number = 0,
    .service_pack_major = 0,
    .service_pack_minor = 0,
    .csd_version = "",
    .product_type = kWorkstation,
    .suite_mask = 0,
    .ntddi_version = 0,
    .wdm_major = 1,
    .wdm_minor = 0,
    .synch_level = kSynchLevelX64,
    .kernel_exports_connect_ex = false,
    .connect_versions = 0,
    .iointex_status = kStatusNotSupported,
    .unsupported_version_status = kStatusInvalidParameter1,
    .supports_msi = false,
    .max_messages = 0,
    .processor_groups = false,
    .passive_isrs = false,
    .verifier_irql_api_checks = false,
    .verifier_isr_checks = false,
    .verifier_lock_api_checks = false,
    .verifier_resource_checks = false,
    .verifier_irql_rule_codes = false,
    .verifier_ddi_compliance = false,
};

constexpr Personality With(Personality base, Os os, std::string_view name, std::uint32_t major,
                           std::uint32_t minor, std::uint32_t build, std::uint16_t sp,
                           std::string_view csd, std::uint8_t product, std::uint32_t ntddi) {
  base.os = os;
  base.display_name = name;
  base.major_version = major;
  base.minor_version = minor;
  base.build_number = build;
  base.service_pack_major = sp;
  base.csd_version = csd;
  base.product_type = product;
  base.ntddi_version = ntddi;
  return base;
}

constexpr Personality WdmVersion(Personality base, std::uint8_t major, std::uint8_t minor) {
  base.wdm_major = major;
  base.wdm_minor = minor;
  return base;
}

constexpr Personality kVistaBase = [] {
  Personality p = kPreVista;
  p.wdm_major = 6;
  p.wdm_minor = 0;
  p.kernel_exports_connect_ex = true;
  p.connect_versions = kVistaVersions;
  p.iointex_status = 0;  // Wdmlib* forwards to the kernel from Vista on
  p.supports_msi = true;
  p.max_messages = 910;
  p.verifier_irql_api_checks = true;
  p.verifier_resource_checks = true;
  return p;
}();

constexpr Personality kWin7Base = [] {
  Personality p = kVistaBase;
  p.connect_versions = kWin7Versions;
  p.processor_groups = true;
  p.verifier_isr_checks = true;
  p.verifier_lock_api_checks = true;
  p.verifier_irql_rule_codes = true;
  return p;
}();

constexpr Personality kWin8Base = [] {
  Personality p = kWin7Base;
  p.connect_versions = kWin8Versions;
  p.max_messages = 2048;
  p.passive_isrs = true;
  p.verifier_ddi_compliance = true;
  return p;
}();

// Each release at its last service pack: what a driver meets in the field today.
constexpr std::array<Personality, kOsCount> kPersonalities = {
    WdmVersion(With(kPreVista, Os::kWindows2000, "Windows 2000", 5, 0, 2195, 4, "Service Pack 4",
                    kWorkstation, 0x05000400),
               1, 0x10),
    WdmVersion(With(kPreVista, Os::kWindowsXP, "Windows XP", 5, 1, 2600, 3, "Service Pack 3",
                    kWorkstation, 0x05010300),
               1, 0x20),
    WdmVersion(With(kPreVista, Os::kWindowsServer2003, "Windows Server 2003", 5, 2, 3790, 2,
                    "Service Pack 2", kServer, 0x05020200),
               1, 0x30),
    With(kVistaBase, Os::kWindowsVista, "Windows Vista", 6, 0, 6002, 2, "Service Pack 2",
         kWorkstation, 0x06000200),
    With(kWin7Base, Os::kWindows7, "Windows 7", 6, 1, 7601, 1, "Service Pack 1", kWorkstation,
         0x06010100),
    With(kWin8Base, Os::kWindows8, "Windows 8", 6, 2, 9200, 0, "", kWorkstation, 0x06020000),
    With(kWin8Base, Os::kWindows81, "Windows 8.1", 6, 3, 9600, 0, "", kWorkstation, 0x06030000),
    // Windows 10 22H2 (build 19045, NTDDI_WIN10_VB) and Windows 11 23H2 (22631, NTDDI_WIN10_NI).
    With(kWin8Base, Os::kWindows10, "Windows 10", 10, 0, 19045, 0, "", kWorkstation, 0x0A000008),
    With(kWin8Base, Os::kWindows11, "Windows 11", 10, 0, 22631, 0, "", kWorkstation, 0x0A00000C),
};

constexpr bool CoversEveryOsInOrder() {
  for (std::size_t i = 0; i < kOsCount; ++i) {
    if (static_cast<std::size_t>(kPersonalities[i].os) != i) return false;
  }
  return true;
}
static_assert(CoversEveryOsInOrder(), "one personality per kemu::Os, in enum order");

}  // namespace

const Personality& GetPersonality(Os os) { return kPersonalities[static_cast<std::size_t>(os)]; }

}  // namespace kemu
