// kemu/testing/listener.hpp — a GoogleTest event listener that ends the output of a test that
// failed on a kemu bug check with one line saying how to replay it (included by
// kemu/testing/gtest.hpp; kemu::gtest_main installs it).
//
//   [ RUN      ] AllWindows/StartTest.Connects/xp
//   ... the failure, with the full bug-check report ...
//   kemu: bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, seed 7 (replay with KEMU_SEED=7)
//   [  FAILED  ] AllWindows/StartTest.Connects/xp
//
// With your own main():
//   ::testing::UnitTest::GetInstance()->listeners().Append(new kemu::testing::BugCheckListener);
#ifndef KEMU_TESTING_LISTENER_HPP_
#define KEMU_TESTING_LISTENER_HPP_

#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kemu::testing {

/// Prints a replay summary at the end of each test that failed with a kemu bug-check report in a
/// failure message (an escaped kemu::BugCheck, a wrong EXPECT_BUGCHECK, a leak at TearDown).
class BugCheckListener : public ::testing::EmptyTestEventListener {
 public:
  BugCheckListener() : BugCheckListener(std::cout) {}
  /// Writes to `out` instead of stdout; `out` must outlive the listener.
  explicit BugCheckListener(std::ostream& out) : out_(&out) {}

  void OnTestStart(const ::testing::TestInfo& test_info) override;
  void OnTestPartResult(const ::testing::TestPartResult& result) override;
  void OnTestEnd(const ::testing::TestInfo& test_info) override;

  /// "kemu: bug check 0xC4 NAME, seed N (replay with KEMU_SEED=N)" for a failure message that
  /// contains a kemu bug-check report (it starts "*** kemu bug check"), else std::nullopt.
  static std::optional<std::string> Summarize(std::string_view failure_message);

 private:
  std::ostream* out_;
  // Summaries of the running test's failures, printed when it ends: GoogleTest calls OnTestEnd
  // of appended listeners before the default printer's "[  FAILED  ]" line.
  std::vector<std::string> summaries_;
};

}  // namespace kemu::testing

#endif  // KEMU_TESTING_LISTENER_HPP_
