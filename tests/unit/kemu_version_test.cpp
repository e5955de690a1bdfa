// kemu/version.hpp: the version macros, and that CMake's project version is the header's (the
// top-level CMakeLists.txt reads it from there, so a package and the headers agree).
#include <gtest/gtest.h>

#include <string>

#include "kemu/version.hpp"

namespace {

TEST(KemuVersionTest, TheStringSpellsTheThreeNumbers) {
  EXPECT_EQ(std::string(KEMU_VERSION_STRING), std::to_string(KEMU_VERSION_MAJOR) + "." +
                                                  std::to_string(KEMU_VERSION_MINOR) + "." +
                                                  std::to_string(KEMU_VERSION_PATCH));
}

TEST(KemuVersionTest, TheCMakeProjectVersionIsTheHeaders) {
  EXPECT_STREQ(KEMU_PROJECT_VERSION, KEMU_VERSION_STRING);
}

}  // namespace
