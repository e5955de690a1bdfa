// kemu/kemu.hpp, the C++ test API in one include: every public part of it is reachable through the
// umbrella alone (this file includes nothing else of kemu's).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "kemu/kemu.hpp"

namespace {

TEST(KemuUmbrellaTest, DeclaresTheRoutinesAFaultMayName) {
  const auto& routines = kemu::FaultRoutines();
  EXPECT_NE(std::find(routines.begin(), routines.end(), std::string("IoConnectInterruptEx")),
            routines.end());
  EXPECT_TRUE(kemu::FaultReturnsStatus("IoConnectInterruptEx"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("ExAllocatePoolWithTag"));
}

TEST(KemuUmbrellaTest, DeclaresTheVersion) {
  EXPECT_EQ(std::string(KEMU_VERSION_STRING), std::to_string(KEMU_VERSION_MAJOR) + "." +
                                                  std::to_string(KEMU_VERSION_MINOR) + "." +
                                                  std::to_string(KEMU_VERSION_PATCH));
}

}  // namespace
