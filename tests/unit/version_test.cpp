// Version and processor queries per personality: RtlGetVersion, PsGetVersion,
// RtlIsNtDdiVersionAvailable, RtlIsServicePackVersionInstalled, IoIsWdmVersionAvailable
// (docs/windows-facts.md §10, docs/conformance.md §2.8), the KeQueryActiveProcessor* family and
// virtual time (KeStallExecutionProcessor, KeQueryInterruptTime).
//
// Expected values are written out here from docs/windows-facts.md §10 rather than read back from
// the personality table, so a wrong table entry fails a test.
#include <wdm.h>

#include <cstring>
#include <string>

#include "kemu/testing/gtest.hpp"

// wdm_version_calls.c, built for two targets.
extern "C" BOOLEAN WdmVersionOfDefaultBuildAvailable(PUCHAR major, PUCHAR minor);
extern "C" BOOLEAN WdmVersionOfXpBuildAvailable(PUCHAR major, PUCHAR minor);

namespace {

// One release as RtlGetVersion must describe it: each personality is its release at the last
// service pack (docs/windows-facts.md §10.1; Windows 10 22H2 and Windows 11 23H2).
struct ExpectedVersion {
  ULONG major;
  ULONG minor;
  ULONG build;
  const wchar_t* csd;
  USHORT service_pack;
  UCHAR product_type;
};

ExpectedVersion Expected(kemu::Os os) {
  switch (os) {
    case kemu::Os::kWindows2000:
      return {5, 0, 2195, L"Service Pack 4", 4, VER_NT_WORKSTATION};
    case kemu::Os::kWindowsXP:
      return {5, 1, 2600, L"Service Pack 3", 3, VER_NT_WORKSTATION};
    case kemu::Os::kWindowsServer2003:
      return {5, 2, 3790, L"Service Pack 2", 2, VER_NT_SERVER};
    case kemu::Os::kWindowsVista:
      return {6, 0, 6002, L"Service Pack 2", 2, VER_NT_WORKSTATION};
    case kemu::Os::kWindows7:
      return {6, 1, 7601, L"Service Pack 1", 1, VER_NT_WORKSTATION};
    case kemu::Os::kWindows8:
      return {6, 2, 9200, L"", 0, VER_NT_WORKSTATION};
    case kemu::Os::kWindows81:
      return {6, 3, 9600, L"", 0, VER_NT_WORKSTATION};
    case kemu::Os::kWindows10:
      return {10, 0, 19045, L"", 0, VER_NT_WORKSTATION};
    case kemu::Os::kWindows11:
      return {10, 0, 22631, L"", 0, VER_NT_WORKSTATION};
  }
  return {};
}

constexpr ULONG kFill32 = 0x55555555;
// ALL_PROCESSOR_GROUPS of the WDK's wdm.h (kemu's headers do not define it yet).
constexpr USHORT kAllProcessorGroups = 0xFFFF;
constexpr USHORT kFill16 = 0x5555;

class VersionTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, VersionTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// RtlGetVersion (docs/windows-facts.md §10.2).

TEST_P(VersionTest, RtlGetVersionFillsTheBasicStructure) {
  const ExpectedVersion expected = Expected(GetParam());
  // An EX-sized buffer with the basic size: the EX fields must stay untouched.
  RTL_OSVERSIONINFOEXW info;
  std::memset(&info, 0x55, sizeof(info));
  info.dwOSVersionInfoSize = sizeof(RTL_OSVERSIONINFOW);
  ASSERT_EQ(RtlGetVersion(reinterpret_cast<PRTL_OSVERSIONINFOW>(&info)), STATUS_SUCCESS);
  EXPECT_EQ(info.dwOSVersionInfoSize, sizeof(RTL_OSVERSIONINFOW));
  EXPECT_EQ(info.dwMajorVersion, expected.major);
  EXPECT_EQ(info.dwMinorVersion, expected.minor);
  EXPECT_EQ(info.dwBuildNumber, expected.build);
  EXPECT_EQ(info.dwPlatformId, static_cast<ULONG>(VER_PLATFORM_WIN32_NT));
  EXPECT_EQ(std::wstring(info.szCSDVersion), expected.csd);
  EXPECT_EQ(info.wServicePackMajor, kFill16);
  EXPECT_EQ(info.wServicePackMinor, kFill16);
  EXPECT_EQ(info.wProductType, 0x55);
}

TEST_P(VersionTest, RtlGetVersionFillsTheExStructure) {
  const ExpectedVersion expected = Expected(GetParam());
  RTL_OSVERSIONINFOEXW info;
  std::memset(&info, 0x55, sizeof(info));
  info.dwOSVersionInfoSize = sizeof(info);
  ASSERT_EQ(RtlGetVersion(reinterpret_cast<PRTL_OSVERSIONINFOW>(&info)), STATUS_SUCCESS);
  EXPECT_EQ(info.dwMajorVersion, expected.major);
  EXPECT_EQ(info.dwMinorVersion, expected.minor);
  EXPECT_EQ(info.dwBuildNumber, expected.build);
  EXPECT_EQ(info.dwPlatformId, static_cast<ULONG>(VER_PLATFORM_WIN32_NT));
  EXPECT_EQ(std::wstring(info.szCSDVersion), expected.csd);
  EXPECT_EQ(info.wServicePackMajor, expected.service_pack);
  EXPECT_EQ(info.wServicePackMinor, 0);
  EXPECT_EQ(info.wProductType, expected.product_type);
}

// docs/windows-facts.md §10.1: only the build number tells Windows 11 from Windows 10.
TEST_P(VersionTest, WindowsElevenIsToldFromTenOnlyByItsBuildNumber) {
  RTL_OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
  ASSERT_EQ(RtlGetVersion(&info), STATUS_SUCCESS);
  const bool reports_ten = info.dwMajorVersion == 10 && info.dwMinorVersion == 0;
  EXPECT_EQ(reports_ten, GetParam() >= kemu::Os::kWindows10);
  EXPECT_EQ(reports_ten && info.dwBuildNumber >= 22000, GetParam() == kemu::Os::kWindows11);
}

TEST_P(VersionTest, RtlGetVersionRejectsATooSmallStructureWithoutWritingIt) {
  RTL_OSVERSIONINFOW info;
  std::memset(&info, 0x55, sizeof(info));
  info.dwOSVersionInfoSize = sizeof(RTL_OSVERSIONINFOW) - 1;
  EXPECT_EQ(RtlGetVersion(&info), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(info.dwMajorVersion, kFill32);
  info.dwOSVersionInfoSize = 0;
  EXPECT_EQ(RtlGetVersion(&info), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(info.dwBuildNumber, kFill32);
}

// ---------------------------------------------------------------------------------------------
// PsGetVersion (docs/windows-facts.md §10.3).

TEST_P(VersionTest, PsGetVersionReportsTheVersionAndTheCsdString) {
  const ExpectedVersion expected = Expected(GetParam());
  ULONG major = 0, minor = 0, build = 0;
  UNICODE_STRING csd{};
  PsGetVersion(&major, &minor, &build, &csd);
  EXPECT_EQ(major, expected.major);
  EXPECT_EQ(minor, expected.minor);
  EXPECT_EQ(build, expected.build);
  ASSERT_NE(csd.Buffer, nullptr);
  EXPECT_EQ(std::wstring(csd.Buffer, csd.Length / sizeof(WCHAR)), expected.csd);
  EXPECT_EQ(csd.MaximumLength, csd.Length + sizeof(WCHAR));
}

TEST_P(VersionTest, PsGetVersionAcceptsNullForEveryOutput) {
  // Driver Verifier (the default) runs on a free build.
  EXPECT_EQ(PsGetVersion(nullptr, nullptr, nullptr, nullptr), FALSE);
}

TEST(VersionTest, PsGetVersionReturnsTrueOnlyOnACheckedBuildOfAReleaseThatHadThem) {
  for (kemu::Os os : kemu::AllOs()) {
    kemu::Machine machine({.os = os, .verifier = false, .checked_build = true});
    // Checked builds ended before Windows 10 version 1803; kemu's Windows 10 is 22H2.
    const BOOLEAN expected = os < kemu::Os::kWindows10 ? TRUE : FALSE;
    EXPECT_EQ(PsGetVersion(nullptr, nullptr, nullptr, nullptr), expected) << os;
  }
}

TEST(VersionTest, PsGetVersionReturnsFalseUnderDriverVerifierWhateverCheckedBuildSays) {
  for (kemu::Os os : kemu::AllOs()) {
    kemu::Machine machine({.os = os, .verifier = true, .checked_build = true});
    EXPECT_EQ(PsGetVersion(nullptr, nullptr, nullptr, nullptr), FALSE) << os;
  }
}

TEST(VersionTest, PsGetVersionReturnsFalseOnAFreeBuild) {
  for (kemu::Os os : kemu::AllOs()) {
    kemu::Machine machine({.os = os, .verifier = false, .checked_build = false});
    ULONG major = 0;
    EXPECT_EQ(PsGetVersion(&major, nullptr, nullptr, nullptr), FALSE) << os;
    EXPECT_EQ(major, Expected(os).major) << os;
  }
}

// ---------------------------------------------------------------------------------------------
// RtlIsNtDdiVersionAvailable, RtlIsServicePackVersionInstalled (docs/windows-facts.md §10.4).

TEST_P(VersionTest, RtlIsNtDdiVersionAvailableComparesWithTheRunningRelease) {
  const kemu::Os os = GetParam();
  EXPECT_TRUE(RtlIsNtDdiVersionAvailable(NTDDI_WIN2K));
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WINXP), os >= kemu::Os::kWindowsXP);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WS03), os >= kemu::Os::kWindowsServer2003);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_VISTA), os >= kemu::Os::kWindowsVista);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN7), os >= kemu::Os::kWindows7);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN8), os >= kemu::Os::kWindows8);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WINBLUE), os >= kemu::Os::kWindows81);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN10), os >= kemu::Os::kWindows10);
  // Windows 10 releases differ in the low byte: 22H2 (VB) has RS5 but not CO (= NTDDI_WIN11).
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN10_RS5), os >= kemu::Os::kWindows10);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN10_VB), os >= kemu::Os::kWindows10);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN10_CO), os == kemu::Os::kWindows11);
  EXPECT_EQ(RtlIsNtDdiVersionAvailable(NTDDI_WIN10_NI), os == kemu::Os::kWindows11);
  EXPECT_FALSE(RtlIsNtDdiVersionAvailable(NTDDI_WIN11_GE));
}

// A service pack of the running release at or below the installed one is TRUE; any other release,
// older or newer, is FALSE ("also returns FALSE if the major version ... does not match").
TEST_P(VersionTest, RtlIsServicePackVersionInstalledAnswersForTheRunningReleaseOnly) {
  switch (GetParam()) {
    case kemu::Os::kWindows2000:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN2K));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN2KSP4));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN2KSP4 + 0x100));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WINXP));
      break;
    case kemu::Os::kWindowsXP:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WINXP));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WINXPSP2));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WINXPSP3));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WINXPSP3 + 0x100));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN2K));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN2KSP4));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WS03));
      break;
    case kemu::Os::kWindowsServer2003:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WS03));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WS03SP2));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WINXPSP2));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_VISTA));
      break;
    case kemu::Os::kWindowsVista:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_VISTA));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_VISTASP2));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WINXPSP2));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WS03SP2));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN7));
      break;
    case kemu::Os::kWindows7:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN7 + 0x100));   // SP1
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN7 + 0x200));  // SP2 never shipped
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_VISTASP1));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN8));
      break;
    case kemu::Os::kWindows8:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN8));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN7 + 0x100));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WINBLUE));
      break;
    case kemu::Os::kWindows81:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WINBLUE));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN8));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN10));
      break;
    case kemu::Os::kWindows10:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN10));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN10_RS5));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN10_VB));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN10_CO));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WINBLUE));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_VISTASP1));
      break;
    case kemu::Os::kWindows11:
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN10));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN10_CO));
      EXPECT_TRUE(RtlIsServicePackVersionInstalled(NTDDI_WIN10_NI));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN11_GE));
      EXPECT_FALSE(RtlIsServicePackVersionInstalled(NTDDI_WIN8));
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// IoIsWdmVersionAvailable: 2000 1.10, XP 1.20, 2003 1.30, Vista and later 6.00 (minor versions
// are hexadecimal, per the IoIsWdmVersionAvailable documentation).

TEST_P(VersionTest, IoIsWdmVersionAvailableFollowsTheDocumentedTable) {
  const kemu::Os os = GetParam();
  EXPECT_TRUE(IoIsWdmVersionAvailable(1, 0x00));
  EXPECT_TRUE(IoIsWdmVersionAvailable(1, 0x05));
  EXPECT_TRUE(IoIsWdmVersionAvailable(1, 0x10));
  EXPECT_EQ(IoIsWdmVersionAvailable(1, 0x20), os >= kemu::Os::kWindowsXP);
  EXPECT_EQ(IoIsWdmVersionAvailable(1, 0x30), os >= kemu::Os::kWindowsServer2003);
  EXPECT_EQ(IoIsWdmVersionAvailable(6, 0x00), os >= kemu::Os::kWindowsVista);
  EXPECT_FALSE(IoIsWdmVersionAvailable(6, 0x01));
  EXPECT_FALSE(IoIsWdmVersionAvailable(7, 0x00));
}

// The headers' own WDM version follows the target the driver is built for (wdm_version_calls.c):
// 6.00 for the default, Windows 10, which older releases lack; 1.20 for an XP build.
TEST_P(VersionTest, TheWdmVersionADriverIsBuiltWithIsAvailableFromItsTarget) {
  const kemu::Os os = GetParam();
  UCHAR major = 0;
  UCHAR minor = 0xFF;
  EXPECT_EQ(WdmVersionOfDefaultBuildAvailable(&major, &minor), os >= kemu::Os::kWindowsVista);
  EXPECT_EQ(major, 0x06);
  EXPECT_EQ(minor, 0x00);
  EXPECT_EQ(WdmVersionOfXpBuildAvailable(&major, &minor), os >= kemu::Os::kWindowsXP);
  EXPECT_EQ(major, 0x01);
  EXPECT_EQ(minor, 0x20);
}

// ---------------------------------------------------------------------------------------------
// Processors.

class VersionFourCpuTest : public VersionTest {
 protected:
  kemu::MachineOptions Options() const override { return {.os = GetParam(), .processors = 4}; }
};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, VersionFourCpuTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// Routines that are only exported from a given release (docs/windows-facts.md §10.5, export
// manifest).
bool HasProcessorCount(kemu::Os os) { return os >= kemu::Os::kWindowsVista; }
bool HasProcessorGroups(kemu::Os os) { return os >= kemu::Os::kWindows7; }

void ExpectProcessorQueries(kemu::Os os, ULONG count, KAFFINITY mask) {
  EXPECT_EQ(KeQueryActiveProcessors(), mask);
  if (HasProcessorCount(os)) {
    KAFFINITY affinity = 0;
    EXPECT_EQ(KeQueryActiveProcessorCount(&affinity), count);
    EXPECT_EQ(affinity, mask);
    EXPECT_EQ(KeQueryActiveProcessorCount(nullptr), count);
  } else {
    EXPECT_THROW(KeQueryActiveProcessorCount(nullptr), kemu::MissingExport);
  }
  if (HasProcessorGroups(os)) {
    EXPECT_EQ(KeQueryActiveProcessorCountEx(0), count);
    EXPECT_EQ(KeQueryActiveProcessorCountEx(kAllProcessorGroups), count);
    EXPECT_EQ(KeQueryActiveProcessorCountEx(1), 0u);  // kemu machines have one group
    EXPECT_EQ(KeQueryActiveGroupCount(), 1);
  } else {
    EXPECT_THROW(KeQueryActiveProcessorCountEx(0), kemu::MissingExport);
    EXPECT_THROW(KeQueryActiveGroupCount(), kemu::MissingExport);
  }
}

TEST_P(VersionTest, OneProcessorIsReportedByEveryQueryTheReleaseHas) {
  ExpectProcessorQueries(GetParam(), 1, 0x1);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
}

TEST_P(VersionFourCpuTest, FourProcessorsAreReportedByEveryQueryTheReleaseHas) {
  ExpectProcessorQueries(GetParam(), 4, 0xF);
}

TEST_P(VersionFourCpuTest, KeGetCurrentProcessorNumberNamesTheRunningVcpu) {
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
  machine().SwitchToProcessor(3);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 3u);
  machine().SwitchToProcessor(0);
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
}

TEST(VersionTest, SixtyFourProcessorsFillTheWholeAffinityMask) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 64});
  EXPECT_EQ(KeQueryActiveProcessors(), ~KAFFINITY{0});
  EXPECT_EQ(KeQueryActiveProcessorCount(nullptr), 64u);
}

// ---------------------------------------------------------------------------------------------
// Virtual time (docs/decisions.md, decision 4).

TEST_P(VersionTest, KeStallExecutionProcessorAdvancesInterruptTimeByTenUnitsPerMicrosecond) {
  const ULONGLONG start = KeQueryInterruptTime();
  EXPECT_EQ(start, 0u);
  KeStallExecutionProcessor(1);
  EXPECT_EQ(KeQueryInterruptTime(), start + 10);
  KeStallExecutionProcessor(250);
  EXPECT_EQ(KeQueryInterruptTime(), start + 10 + 2500);
  EXPECT_EQ(machine().InterruptTime(), start + 2510);
}

TEST_P(VersionTest, NothingButAStallMovesVirtualTime) {
  const ULONGLONG start = KeQueryInterruptTime();
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeLowerIrql(old);
  RTL_OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
  RtlGetVersion(&info);
  KeQueryActiveProcessors();
  KeStallExecutionProcessor(0);
  for (int i = 0; i < 100; ++i) KeQueryInterruptTime();
  EXPECT_EQ(KeQueryInterruptTime(), start);
  EXPECT_EQ(machine().InterruptTime(), start);
}

}  // namespace
