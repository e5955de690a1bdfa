// kemu::Os names and the personality table (emu/personality/): what each emulated Windows release
// reports and offers. Version numbers from docs/windows-facts.md §10.1; capabilities from
// §0 and docs/conformance.md §2.8.
#include <wdm.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "kemu/testing/gtest.hpp"

namespace {

using kemu::Os;
using ::testing::ElementsAre;

constexpr std::string_view kNames[] = {"win2000", "xp",     "ws2003", "vista", "win7",
                                       "win8",    "win8.1", "win10",  "win11"};

TEST(OsTest, AllOsListsTheNineReleasesOldestFirst) {
  EXPECT_EQ(kemu::kOsCount, 9u);
  EXPECT_THAT(kemu::AllOs(), ElementsAre(Os::kWindows2000, Os::kWindowsXP, Os::kWindowsServer2003,
                                         Os::kWindowsVista, Os::kWindows7, Os::kWindows8,
                                         Os::kWindows81, Os::kWindows10, Os::kWindows11));
}

TEST(OsTest, OsNameGivesTheShortNameOfEachRelease) {
  for (std::size_t i = 0; i < kemu::kOsCount; ++i) {
    EXPECT_EQ(kemu::OsName(kemu::AllOs()[i]), kNames[i]);
  }
}

TEST(OsTest, ParseOsRoundTripsEveryName) {
  for (Os os : kemu::AllOs()) {
    EXPECT_EQ(kemu::ParseOs(kemu::OsName(os)), os) << kemu::OsName(os);
  }
  for (std::string_view name : kNames) {
    const std::optional<Os> os = kemu::ParseOs(name);
    ASSERT_TRUE(os.has_value()) << name;
    EXPECT_EQ(kemu::OsName(*os), name);
  }
}

TEST(OsTest, ParseOsRejectsEverythingElse) {
  for (std::string_view name :
       {"", "win", "Win10", "WIN11", "windows10", "win 10", "win10 ", " xp", "win8_1", "win81",
        "win8.2", "win12", "nt4", "2000", "ws2008", "win7sp1"}) {
    EXPECT_EQ(kemu::ParseOs(name), std::nullopt) << '"' << name << '"';
  }
}

TEST(OsTest, ParseOsRejectsANameWithATrailingNul) {
  EXPECT_EQ(kemu::ParseOs(std::string_view("vista\0", 6)), std::nullopt);
}

TEST(OsTest, StreamingAnOsPrintsItsShortName) {
  std::ostringstream out;
  out << Os::kWindows81 << ' ' << Os::kWindowsServer2003;
  EXPECT_EQ(out.str(), "win8.1 ws2003");
  EXPECT_EQ(::testing::PrintToString(Os::kWindowsXP), "xp");
}

TEST(OsTest, TestNameGeneratorReplacesTheDotOfWindows81) {
  const kemu::testing::OsName name;
  EXPECT_EQ(name(::testing::TestParamInfo<Os>(Os::kWindows81, 6)), "win8_1");
  EXPECT_EQ(name(::testing::TestParamInfo<Os>(Os::kWindows2000, 0)), "win2000");
  EXPECT_EQ(name(::testing::TestParamInfo<Os>(Os::kWindows11, 8)), "win11");
}

// ---------------------------------------------------------------------------------------------

struct VersionRow {
  Os os;
  std::string_view display_name;
  std::uint32_t major;
  std::uint32_t minor;
  std::uint32_t build;
  std::uint16_t service_pack;
  std::string_view csd_version;
  std::uint32_t ntddi;
};

// Each release at its last service pack (Windows 10 22H2, Windows 11 23H2).
constexpr VersionRow kVersions[] = {
    {Os::kWindows2000, "Windows 2000", 5, 0, 2195, 4, "Service Pack 4", 0x05000400},
    {Os::kWindowsXP, "Windows XP", 5, 1, 2600, 3, "Service Pack 3", 0x05010300},
    {Os::kWindowsServer2003, "Windows Server 2003", 5, 2, 3790, 2, "Service Pack 2", 0x05020200},
    {Os::kWindowsVista, "Windows Vista", 6, 0, 6002, 2, "Service Pack 2", 0x06000200},
    {Os::kWindows7, "Windows 7", 6, 1, 7601, 1, "Service Pack 1", 0x06010100},
    {Os::kWindows8, "Windows 8", 6, 2, 9200, 0, "", 0x06020000},
    {Os::kWindows81, "Windows 8.1", 6, 3, 9600, 0, "", 0x06030000},
    {Os::kWindows10, "Windows 10", 10, 0, 19045, 0, "", 0x0A000008},
    {Os::kWindows11, "Windows 11", 10, 0, 22631, 0, "", 0x0A00000C},
};

TEST(PersonalityTableTest, EveryReleaseReportsItsVersionNumbers) {
  ASSERT_EQ(std::size(kVersions), kemu::kOsCount);
  for (const VersionRow& row : kVersions) {
    SCOPED_TRACE(kemu::OsName(row.os));
    const kemu::Personality& p = kemu::GetPersonality(row.os);
    EXPECT_EQ(p.os, row.os);
    EXPECT_EQ(p.display_name, row.display_name);
    EXPECT_EQ(p.major_version, row.major);
    EXPECT_EQ(p.minor_version, row.minor);
    EXPECT_EQ(p.build_number, row.build);
    EXPECT_EQ(p.service_pack_major, row.service_pack);
    EXPECT_EQ(p.service_pack_minor, 0);
    EXPECT_EQ(p.csd_version, row.csd_version);
    EXPECT_EQ(p.ntddi_version, row.ntddi);
    // NTDDI_VERSION >> 16 is _WIN32_WINNT, (major << 8) | minor (0x0A00 for 10 and 11 alike).
    EXPECT_EQ(p.ntddi_version >> 16, (row.major << 8) | row.minor);
  }
}

TEST(PersonalityTableTest, Windows11IsToldFromWindows10OnlyByBuild) {
  const kemu::Personality& win10 = kemu::GetPersonality(Os::kWindows10);
  const kemu::Personality& win11 = kemu::GetPersonality(Os::kWindows11);
  EXPECT_EQ(win10.major_version, win11.major_version);
  EXPECT_EQ(win10.minor_version, win11.minor_version);
  EXPECT_LT(win10.build_number, 22000u);
  EXPECT_GE(win11.build_number, 22000u);
}

TEST(PersonalityTableTest, OnlyServer2003IsAServer) {
  for (Os os : kemu::AllOs()) {
    EXPECT_EQ(kemu::GetPersonality(os).product_type, os == Os::kWindowsServer2003 ? 3 : 1)
        << kemu::OsName(os);
  }
}

TEST(PersonalityTableTest, SynchLevelIsTwelveOnEveryRelease) {  // IRQL-7
  for (Os os : kemu::AllOs()) {
    EXPECT_EQ(kemu::GetPersonality(os).synch_level, 12) << kemu::OsName(os);
  }
}

TEST(PersonalityTableTest, MessageSignaledInterruptsAndConnectExStartWithVista) {
  for (Os os : kemu::AllOs()) {
    SCOPED_TRACE(kemu::OsName(os));
    const kemu::Personality& p = kemu::GetPersonality(os);
    const bool vista_or_later = os >= Os::kWindowsVista;
    EXPECT_EQ(p.supports_msi, vista_or_later);
    EXPECT_EQ(p.kernel_exports_connect_ex, vista_or_later);
  }
}

TEST(PersonalityTableTest, ConnectVersionsGrowWithEachGeneration) {
  using kemu::ConnectVersionBit;
  const std::uint32_t vista = ConnectVersionBit(CONNECT_FULLY_SPECIFIED) |
                              ConnectVersionBit(CONNECT_LINE_BASED) |
                              ConnectVersionBit(CONNECT_MESSAGE_BASED);
  const std::uint32_t win7 = vista | ConnectVersionBit(CONNECT_FULLY_SPECIFIED_GROUP);
  const std::uint32_t win8 = win7 | ConnectVersionBit(CONNECT_MESSAGE_BASED_PASSIVE);
  EXPECT_EQ(ConnectVersionBit(CONNECT_LINE_BASED), 1u << 2);
  const std::uint32_t expected[] = {0, 0, 0, vista, win7, win8, win8, win8, win8};
  for (std::size_t i = 0; i < kemu::kOsCount; ++i) {
    const Os os = kemu::AllOs()[i];
    EXPECT_EQ(kemu::GetPersonality(os).connect_versions, expected[i]) << kemu::OsName(os);
  }
}

TEST(PersonalityTableTest, VerifierChecksArriveWithTheirReleases) {
  for (Os os : kemu::AllOs()) {
    SCOPED_TRACE(kemu::OsName(os));
    const kemu::Personality& p = kemu::GetPersonality(os);
    EXPECT_EQ(p.verifier_irql_api_checks, os >= Os::kWindowsVista);
    EXPECT_EQ(p.verifier_lock_api_checks, os >= Os::kWindows7);      // 0xC4/0x1008, 0x1009
    EXPECT_EQ(p.verifier_resource_checks, os >= Os::kWindowsVista);  // 0xC4/0xD0-0xD2
    EXPECT_EQ(p.verifier_isr_checks, os >= Os::kWindows7);
    EXPECT_EQ(p.verifier_ddi_compliance, os >= Os::kWindows8);
  }
}

// CanCall: a driver may call it (export, inline or library routine). Exports: it resolves through
// MmGetSystemRoutineAddress. `first_callable` / `first_exported` are kOsCount for "never".
struct RoutineRow {
  std::string_view routine;
  std::size_t first_callable;
  std::size_t first_exported;
};

constexpr std::size_t kNever = kemu::kOsCount;

constexpr RoutineRow kRoutines[] = {
    // Inline on x64: callable everywhere, never resolvable by name.
    {"KeRaiseIrql", 0, kNever},
    {"KeAcquireSpinLock", 0, kNever},
    {"KeReleaseSpinLock", 0, 0},
    // KeInitializeSpinLock became a real export with Windows 8.
    {"KeInitializeSpinLock", 0, 5},
    {"KeAcquireInStackQueuedSpinLock", 1, 1},
    {"KeTestSpinLock", 2, 2},
    {"KeTryToAcquireSpinLockAtDpcLevel", 2, 2},
    {"KeAcquireInStackQueuedSpinLockForDpc", 3, 3},
    {"IoConnectInterruptEx", 3, 3},
    {"KeQueryActiveGroupCount", 4, 4},
    {"IoReportInterruptActive", 5, 5},
    // Iointex.lib: linked into the driver, so callable everywhere and never resolvable.
    {"WdmlibIoConnectInterruptEx", 0, kNever},
    {"NoSuchRoutine", kNever, kNever},
};

TEST(PersonalityTableTest, CanCallAndExportsFollowTheExportManifest) {
  for (const RoutineRow& row : kRoutines) {
    for (std::size_t i = 0; i < kemu::kOsCount; ++i) {
      const kemu::Personality& p = kemu::GetPersonality(kemu::AllOs()[i]);
      SCOPED_TRACE(::testing::Message() << row.routine << " on " << kemu::OsName(p.os));
      EXPECT_EQ(p.CanCall(row.routine), i >= row.first_callable);
      EXPECT_EQ(p.Exports(row.routine), i >= row.first_exported);
    }
  }
}

}  // namespace
