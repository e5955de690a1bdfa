// RtlVerifyVersionInfo and VerSetConditionMask (docs/windows-facts.md §10.7), the routines
// Microsoft points drivers to for "is this release X or later?", and the IRQL rules of the older
// version queries PsGetVersion (docs/windows-facts.md §10.3) and IoIsWdmVersionAvailable
// (docs/windows-facts.md §10.6); audit round 15, P1-P3.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

// version_verify_calls.c: a C17 driver's "Windows 7 SP1 or later?" with VER_SET_CONDITION.
extern "C" NTSTATUS VersionVerifyWin7Sp1OrLater(void);
extern "C" BOOLEAN VersionVerifyWs08Sp2Installed(void);

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;

class VersionVerifyTest : public kemu::testing::PersonalityTest {
 protected:
  // Under Verifier: the DDI compliance rule from Windows 8, Verifier's IRQL check on Vista and 7,
  // and before Vista the kernel's own 0xA (as every routine kemu checks with abi::AtMost).
  ::testing::Matcher<const kemu::BugCheck&> IrqlReport(KIRQL irql, std::uint64_t ddi_rule) {
    if (machine().personality().verifier_ddi_compliance) {
      return BugCheckIs(kVerifier, ddi_rule, 0, 0, 0);
    }
    if (machine().personality().verifier_irql_api_checks) {
      return BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, irql, 0, 0);
    }
    return BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, irql, 0, 0);
  }

  // A requirement of major.minor with service pack sp_major.0.
  static RTL_OSVERSIONINFOEXW Requirement(ULONG major, ULONG minor, USHORT sp_major) {
    RTL_OSVERSIONINFOEXW info{};
    info.dwOSVersionInfoSize = sizeof(info);
    info.dwMajorVersion = major;
    info.dwMinorVersion = minor;
    info.wServicePackMajor = sp_major;
    return info;
  }

  // "major.minor SP sp_major or later", as Microsoft's pages build it.
  static NTSTATUS AtLeast(ULONG major, ULONG minor, USHORT sp_major) {
    RTL_OSVERSIONINFOEXW info = Requirement(major, minor, sp_major);
    ULONGLONG conditions = 0;
    VER_SET_CONDITION(conditions, VER_MAJORVERSION, VER_GREATER_EQUAL);
    VER_SET_CONDITION(conditions, VER_MINORVERSION, VER_GREATER_EQUAL);
    VER_SET_CONDITION(conditions, VER_SERVICEPACKMAJOR, VER_GREATER_EQUAL);
    VER_SET_CONDITION(conditions, VER_SERVICEPACKMINOR, VER_GREATER_EQUAL);
    return RtlVerifyVersionInfo(
        &info, VER_MAJORVERSION | VER_MINORVERSION | VER_SERVICEPACKMAJOR | VER_SERVICEPACKMINOR,
        conditions);
  }

  bool IsAtLeast(kemu::Os os) const { return GetParam() >= os; }
};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, VersionVerifyTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST(VersionVerifyConditionTest, VerSetConditionMaskStoresThreeBitsAtThreeTimesTheMemberBit) {
  kemu::Machine machine(kemu::MachineOptions{});
  EXPECT_EQ(VerSetConditionMask(0, VER_MINORVERSION, VER_EQUAL), 0x1u);
  EXPECT_EQ(VerSetConditionMask(0, VER_MAJORVERSION, VER_GREATER_EQUAL), 0x3u << 3);
  EXPECT_EQ(VerSetConditionMask(0, VER_SERVICEPACKMAJOR, VER_LESS), 0x4ull << 15);
  EXPECT_EQ(VerSetConditionMask(0, VER_PRODUCT_TYPE, VER_EQUAL), 0x1ull << 21);
  EXPECT_EQ(VerSetConditionMask(0, VER_SUITENAME, VER_OR), 0x7ull << 18);
  // Every member a TypeMask names gets the condition; one set again is replaced.
  EXPECT_EQ(VerSetConditionMask(0, VER_MINORVERSION | VER_MAJORVERSION, VER_GREATER),
            (0x2u << 3) | 0x2u);
  EXPECT_EQ(VerSetConditionMask(0x3u << 3, VER_MAJORVERSION, VER_EQUAL), 0x1u << 3);
  // No member, or no condition: unchanged.
  EXPECT_EQ(VerSetConditionMask(0x5, 0, VER_EQUAL), 0x5u);
  EXPECT_EQ(VerSetConditionMask(0x5, VER_BUILDNUMBER, 0), 0x5u);
}

TEST_P(VersionVerifyTest, EveryReleaseMeetsItsOwnVersionAndServicePack) {
  const kemu::Personality& running = machine().personality();
  EXPECT_EQ(AtLeast(running.major_version, running.minor_version, running.service_pack_major),
            STATUS_SUCCESS);
  RTL_OSVERSIONINFOEXW info =
      Requirement(running.major_version, running.minor_version, running.service_pack_major);
  info.dwBuildNumber = running.build_number;
  info.wProductType = running.product_type;
  info.dwPlatformId = VER_PLATFORM_WIN32_NT;
  ULONGLONG conditions = 0;
  VER_SET_CONDITION(conditions,
                    VER_MAJORVERSION | VER_MINORVERSION | VER_SERVICEPACKMAJOR | VER_BUILDNUMBER |
                        VER_PLATFORMID | VER_PRODUCT_TYPE,
                    VER_EQUAL);
  EXPECT_EQ(RtlVerifyVersionInfo(&info,
                                 VER_MAJORVERSION | VER_MINORVERSION | VER_SERVICEPACKMAJOR |
                                     VER_BUILDNUMBER | VER_PLATFORMID | VER_PRODUCT_TYPE,
                                 conditions),
            STATUS_SUCCESS);
}

// The four version numbers are one version: a later major version meets "6.1 SP1 or later"
// although its minor version (0 for Windows 10) and service pack (0) are lower.
TEST_P(VersionVerifyTest, WindowsSevenSp1OrLaterIsAnsweredAsOneVersion) {
  EXPECT_EQ(AtLeast(6, 1, 1),
            IsAtLeast(kemu::Os::kWindows7) ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH);
  EXPECT_EQ(AtLeast(5, 1, 2),
            IsAtLeast(kemu::Os::kWindowsXP) ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH);
  EXPECT_EQ(AtLeast(10, 0, 0),
            IsAtLeast(kemu::Os::kWindows10) ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH);
  EXPECT_EQ(AtLeast(11, 0, 0), STATUS_REVISION_MISMATCH);  // no major version 11 exists
}

TEST_P(VersionVerifyTest, TheCDriverFollowingMicrosoftsRecipeCompilesAndAsks) {
  EXPECT_EQ(VersionVerifyWin7Sp1OrLater(),
            IsAtLeast(kemu::Os::kWindows7) ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH);
  // NTDDI_WS08SP2 names Server 2008 SP2, the server twin of kemu's Vista SP2 (audit round 15, P5).
  EXPECT_EQ(VersionVerifyWs08Sp2Installed(), GetParam() == kemu::Os::kWindowsVista);
}

TEST_P(VersionVerifyTest, EachConditionComparesTheBuildNumber) {
  const ULONG build = machine().personality().build_number;
  const auto check = [&](ULONG required, UCHAR condition) {
    RTL_OSVERSIONINFOEXW info = Requirement(0, 0, 0);
    info.dwBuildNumber = required;
    return RtlVerifyVersionInfo(&info, VER_BUILDNUMBER,
                                VerSetConditionMask(0, VER_BUILDNUMBER, condition));
  };
  EXPECT_EQ(check(build, VER_EQUAL), STATUS_SUCCESS);
  EXPECT_EQ(check(build + 1, VER_EQUAL), STATUS_REVISION_MISMATCH);
  EXPECT_EQ(check(build - 1, VER_GREATER), STATUS_SUCCESS);
  EXPECT_EQ(check(build, VER_GREATER), STATUS_REVISION_MISMATCH);
  EXPECT_EQ(check(build, VER_GREATER_EQUAL), STATUS_SUCCESS);
  EXPECT_EQ(check(build + 1, VER_LESS), STATUS_SUCCESS);
  EXPECT_EQ(check(build, VER_LESS), STATUS_REVISION_MISMATCH);
  EXPECT_EQ(check(build, VER_LESS_EQUAL), STATUS_SUCCESS);
  EXPECT_EQ(check(build + 1, VER_GREATER_EQUAL), STATUS_REVISION_MISMATCH);
}

TEST_P(VersionVerifyTest, AServerRequirementFailsOnAWorkstation) {
  RTL_OSVERSIONINFOEXW info = Requirement(0, 0, 0);
  info.wProductType = VER_NT_SERVER;
  const NTSTATUS status = RtlVerifyVersionInfo(&info, VER_PRODUCT_TYPE,
                                               VerSetConditionMask(0, VER_PRODUCT_TYPE, VER_EQUAL));
  EXPECT_EQ(status,
            GetParam() == kemu::Os::kWindowsServer2003 ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH);
}

TEST_P(VersionVerifyTest, TheSuiteMaskIsComparedAsASet) {
  const USHORT running = machine().personality().suite_mask;
  constexpr USHORT kAbsentSuite = 0x8000;  // a bit no personality's suite mask has
  ASSERT_EQ(running & kAbsentSuite, 0);
  RTL_OSVERSIONINFOEXW info = Requirement(0, 0, 0);
  info.wSuiteMask = static_cast<USHORT>(running | kAbsentSuite);
  EXPECT_EQ(
      RtlVerifyVersionInfo(&info, VER_SUITENAME, VerSetConditionMask(0, VER_SUITENAME, VER_AND)),
      STATUS_REVISION_MISMATCH);
  EXPECT_EQ(
      RtlVerifyVersionInfo(&info, VER_SUITENAME, VerSetConditionMask(0, VER_SUITENAME, VER_OR)),
      running != 0 ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH);
  info.wSuiteMask = running;
  EXPECT_EQ(
      RtlVerifyVersionInfo(&info, VER_SUITENAME, VerSetConditionMask(0, VER_SUITENAME, VER_AND)),
      STATUS_SUCCESS);
  // A suite mask is a set: a numeric comparison is no answer.
  EXPECT_EQ(RtlVerifyVersionInfo(&info, VER_SUITENAME,
                                 VerSetConditionMask(0, VER_SUITENAME, VER_GREATER)),
            STATUS_INVALID_PARAMETER);
}

TEST_P(VersionVerifyTest, NoMemberOrNoConditionIsAnInvalidParameter) {
  RTL_OSVERSIONINFOEXW info = Requirement(5, 0, 0);
  const ULONGLONG major_at_least = VerSetConditionMask(0, VER_MAJORVERSION, VER_GREATER_EQUAL);
  EXPECT_EQ(RtlVerifyVersionInfo(&info, 0, major_at_least), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlVerifyVersionInfo(&info, VER_MAJORVERSION, 0), STATUS_INVALID_PARAMETER);
  // The minor version is named but given no condition.
  EXPECT_EQ(RtlVerifyVersionInfo(&info, VER_MAJORVERSION | VER_MINORVERSION, major_at_least),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlVerifyVersionInfo(&info, VER_MAJORVERSION, major_at_least), STATUS_SUCCESS);
}

// PASSIVE_LEVEL routines whose DDI compliance rules Verifier checks from Windows 8.
TEST_P(VersionVerifyTest, PsGetVersionAbovepassiveLevelIsTheIrqlPsPassiveRule) {
  EXPECT_THAT(CrashOf([] {
                KIRQL old;
                KeRaiseIrql(DISPATCH_LEVEL, &old);
                PsGetVersion(nullptr, nullptr, nullptr, nullptr);
              }),
              IrqlReport(DISPATCH_LEVEL, kemu::verifier_code::kIrqlPsPassive));
}

TEST_P(VersionVerifyTest, IoIsWdmVersionAvailableAbovePassiveLevelIsTheIrqlIoPassive5Rule) {
  EXPECT_THAT(CrashOf([] {
                KIRQL old;
                KeRaiseIrql(APC_LEVEL, &old);
                IoIsWdmVersionAvailable(1, 0x10);
              }),
              IrqlReport(APC_LEVEL, kemu::verifier_code::kIrqlIoPassive5));
}

TEST_P(VersionVerifyTest, TheVersionQueriesAtPassiveLevelStaySilent) {
  ULONG major = 0;
  PsGetVersion(&major, nullptr, nullptr, nullptr);
  EXPECT_EQ(major, machine().personality().major_version);
  EXPECT_EQ(IoIsWdmVersionAvailable(1, 0x10), TRUE);
  EXPECT_FALSE(machine().crashed());
}

}  // namespace
