// BugCheckWith: kemu::testing::BugCheckIs with all four parameters, the ones not given 0, for the
// rules whose unused parameters Windows documents as zero.
#ifndef KEMU_TESTS_UNIT_BUGCHECK_WITH_HPP_
#define KEMU_TESTS_UNIT_BUGCHECK_WITH_HPP_

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace kemu_test {

inline ::testing::Matcher<const kemu::BugCheck&> BugCheckWith(std::uint32_t code, std::uint64_t p1,
                                                              std::uint64_t p2 = 0,
                                                              std::uint64_t p3 = 0,
                                                              std::uint64_t p4 = 0) {
  return kemu::testing::BugCheckIs(code, p1, p2, p3, p4);
}

}  // namespace kemu_test

#endif  // KEMU_TESTS_UNIT_BUGCHECK_WITH_HPP_
