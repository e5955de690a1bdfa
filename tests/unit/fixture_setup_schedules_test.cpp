// A fixture that extends SetUp and TearDown with machine(), the usual GoogleTest way. Under
// KEMU_SCHEDULES the second seed skips one-vCPU tests, and the fixture's machine must exist all
// the same: it was built after the skip, and machine() followed an empty optional (SIGSEGV; audit
// round 16, S1). The ctest kemu_unit_fixture_setup_under_schedules runs this file's tests with
// KEMU_SCHEDULES=2; what the skipped body would have freed is no leak.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

constexpr ULONG kTag = 0x64726143;  // "Card"

class CardFixtureTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    card_ = &machine().AddDevice({.name = "card"});
    buffer_ = ExAllocatePoolWithTag(NonPagedPoolNx, 64, kTag);  // the body frees it
  }
  void TearDown() override {
    machine().Settle();
    PersonalityTest::TearDown();
  }

  kemu::Device* card_ = nullptr;
  PVOID buffer_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(AllWindows, CardFixtureTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(CardFixtureTest, TheFixturesDeviceAndBufferAreThere) {
  EXPECT_EQ(card_->name(), "card");
  ASSERT_NE(buffer_, nullptr);
  ExFreePoolWithTag(buffer_, kTag);
}

}  // namespace
