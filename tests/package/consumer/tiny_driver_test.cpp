// The consumer's driver tests: what a project using kemu through its CMake package writes.
#include "tiny_driver.h"

#include <kemu/kemu.hpp>
#include <kemu/testing/gtest.hpp>

#include "tiny_driver_imports.hpp"

namespace {

constexpr kemu::LineInterrupt kTinyLine{.vector = 0x51, .irql = 5, .mode = kemu::Trigger::kEdge};

class TinyDriverTest : public kemu::testing::PersonalityTest {};

TEST_P(TinyDriverTest, LoadsWhereverItsImportsAreExported) {
  // kTinyDriverImports comes from kemu_check_imports (tiny_driver_imports.hpp).
  EXPECT_NO_THROW(machine().LoadDriver(kTinyDriverImports));
}

TEST_P(TinyDriverTest, IsrRunsOncePerEdge) {
  kemu::Device& device = machine().AddDevice({.name = "tiny0", .line = kTinyLine});
  TINY_EXTENSION extension{};
  ASSERT_EQ(TinyStartDevice(&extension, device.pdo(), device.translated_resources()),
            STATUS_SUCCESS);
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, ULONG{CONNECT_FULLY_SPECIFIED});

  device.PulseLine();
  EXPECT_EQ(extension.IsrCalls, 1u);

  TinyStopDevice(&extension);
  EXPECT_EQ(device.connection(), nullptr);
}

TEST_P(TinyDriverTest, RaisingToALowerIrqlBugChecks) {
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  EXPECT_BUGCHECK(KeRaiseIrql(PASSIVE_LEVEL, &old_irql), 0xC4);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, TinyDriverTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
