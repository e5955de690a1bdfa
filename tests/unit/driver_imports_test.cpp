// The load check (include/kemu/driver_imports.hpp): a driver's imports against each release's
// exports, Machine::LoadDriver, and the list kemu_check_imports generates from a library.
#include "kemu/driver_imports.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kemu/kemu.hpp"
#include "kemu_test_xp_only_driver_imports.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DriverImportsTest, TheGeneratedListHoldsTheLibrarysImportsOnly) {
  // KeFlushQueuedDpcs is only looked up by name; KemuPagedCode-style kemu internals and the
  // library's own functions are not WDK routines.
  EXPECT_EQ(kXpOnlyDriverImports.driver, "kemu_test_xp_only_driver");
  EXPECT_THAT(kXpOnlyDriverImports.routines,
              ElementsAre("DbgPrintEx", "KeInitializeDpc", "MmGetSystemRoutineAddress"));
}

TEST(DriverImportsTest, MissingImportsNamesWhatAReleaseDoesNotExport) {
  EXPECT_THAT(kemu::MissingImports(kXpOnlyDriverImports, kemu::Os::kWindows2000),
              ElementsAre("DbgPrintEx"));
  EXPECT_TRUE(kemu::MissingImports(kXpOnlyDriverImports, kemu::Os::kWindowsXP).empty());
}

TEST(DriverImportsTest, OsesThatLoadStartWhereTheNewestImportAppears) {
  EXPECT_THAT(kemu::OsesThatLoad(kXpOnlyDriverImports),
              ElementsAre(kemu::Os::kWindowsXP, kemu::Os::kWindowsServer2003,
                          kemu::Os::kWindowsVista, kemu::Os::kWindows7, kemu::Os::kWindows8,
                          kemu::Os::kWindows81, kemu::Os::kWindows10, kemu::Os::kWindows11));
}

TEST(DriverImportsTest, DescribeLoadabilityListsReleasesThenWhatEachOtherLacks) {
  EXPECT_EQ(kemu::DescribeLoadability(kXpOnlyDriverImports),
            "kemu_test_xp_only_driver loads on: xp ws2003 vista win7 win8 win8.1 win10 win11\n"
            "  not on win2000: it lacks DbgPrintEx");
  EXPECT_EQ(kemu::DescribeLoadability({"vista_only", {"IoConnectInterruptEx"}}),
            "vista_only loads on: vista win7 win8 win8.1 win10 win11\n"
            "  not on win2000: it lacks IoConnectInterruptEx\n"
            "  not on xp: it lacks IoConnectInterruptEx\n"
            "  not on ws2003: it lacks IoConnectInterruptEx");
}

TEST(DriverImportsTest, LoadDriverFailsNamingEveryImportTheReleaseLacks) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  const kemu::DriverImports imports{"two_missing",
                                    {"KeInitializeDpc", "DbgPrintEx", "KeFlushQueuedDpcs"}};
  try {
    machine.LoadDriver(imports);
    FAIL() << "LoadDriver accepted a driver Windows 2000 cannot load";
  } catch (const kemu::LoadFailure& failure) {
    EXPECT_EQ(failure.status(), static_cast<std::int32_t>(0xC0000263u));
    EXPECT_EQ(failure.driver(), "two_missing");
    EXPECT_THAT(failure.missing(), ElementsAre("DbgPrintEx", "KeFlushQueuedDpcs"));
    EXPECT_THAT(failure.what(), HasSubstr("two_missing does not load on Windows 2000: it imports "
                                          "DbgPrintEx, KeFlushQueuedDpcs"));
    EXPECT_THAT(failure.what(), HasSubstr("STATUS_DRIVER_ENTRYPOINT_NOT_FOUND"));
  }
  // A refused load is not a crash: the machine can go on (e.g. load another build).
  EXPECT_FALSE(machine.crashed());
  EXPECT_NO_THROW(machine.Shutdown());
}

TEST(DriverImportsTest, LoadDriverWhereEveryImportExistsIsSilent) {
  for (kemu::Os os : kemu::AllOs()) {
    if (os == kemu::Os::kWindows2000) continue;
    kemu::Machine machine(os);
    EXPECT_NO_THROW(machine.LoadDriver(kXpOnlyDriverImports)) << kemu::OsName(os);
  }
}

TEST(DriverImportsTest, ARoutineKemuDoesNotKnowIsAnErrorNamingIt) {
  kemu::Machine machine(kemu::Os::kWindows10);
  try {
    machine.LoadDriver({"mystery", {"KeInitializeDpc", "NdisMIndicateStatusEx"}});
    FAIL() << "an unknown import was accepted";
  } catch (const kemu::LoadFailure&) {
    FAIL() << "an unknown import is kemu's gap, not the release's";
  } catch (const kemu::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("mystery imports 'NdisMIndicateStatusEx', which is not in "
                                        "kemu's export manifest"));
  }
}

}  // namespace
