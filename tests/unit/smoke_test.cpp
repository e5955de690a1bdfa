#include <wdm.h>

#include "kemu/testing/gtest.hpp"

TEST(SmokeTest, RaiseAndLower) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(machine.CurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
}
