// kemu/testing/gtest.hpp — GoogleTest and GoogleMock helpers for driver tests (target
// kemu::gtest).
//
//   class StartTest : public kemu::testing::PersonalityTest {};  // one Machine per Os
//   TEST_P(StartTest, RaisingBelowCurrentIrqlBugChecks) {
//     KIRQL old;
//     KeRaiseIrql(DISPATCH_LEVEL, &old);
//     EXPECT_BUGCHECK(KeRaiseIrql(PASSIVE_LEVEL, &old), 0xC4);
//   }
//   INSTANTIATE_TEST_SUITE_P(AllWindows, StartTest, kemu::testing::AllOs(),
//                            kemu::testing::OsName());
#ifndef KEMU_TESTING_GTEST_HPP_
#define KEMU_TESTING_GTEST_HPP_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "kemu/kemu.hpp"
#include "kemu/testing/fixtures.hpp"
#include "kemu/testing/listener.hpp"
#include "kemu/testing/matchers.hpp"
#include "kemu/testing/mock_registers.hpp"
#include "kemu/testing/schedules.hpp"

namespace kemu {

/// Prints a bug check in GoogleTest messages as its report.
void PrintTo(const BugCheck& bug_check, std::ostream* out);

namespace testing {

/// Parameter generator over every kemu::Os, oldest first.
inline auto AllOs() { return ::testing::ValuesIn(kemu::AllOs()); }

/// Parameter generator over every kemu::Os whose personality satisfies `predicate`, oldest first:
///   OsWhere([](const kemu::Personality& p) { return p.kernel_exports_connect_ex; })
template <typename Predicate>
auto OsWhere(Predicate predicate) {
  std::vector<Os> selected;
  for (Os os : kemu::AllOs()) {
    if (predicate(GetPersonality(os))) selected.push_back(os);
  }
  return ::testing::ValuesIn(selected);
}

/// Parameter generator over every kemu::Os from `first` on, oldest first.
inline auto OsFrom(Os first) {
  return OsWhere([first](const Personality& personality) { return personality.os >= first; });
}

/// Where a helper was called: a file and line for its failure message. std::source_location
/// would do, but Clang 14 with libstdc++ 12 (Debian 12) has no `__builtin_source_location` and so
/// no std::source_location; the builtins below are in every compiler kemu supports, and as default
/// arguments they give the line of the call (audit round 20, D4).
struct CallSite {
  const char* file = "";
  int line = 0;
  static constexpr CallSite Here(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    return CallSite{file, line};
  }
};

/// The bug check `statement` raises, for a test to inspect; when it returns normally, records a
/// test failure at the caller's line and returns a bug check with code 0. A machine that crashed
/// before the statement re-raises that first bug check on every kernel call, which says nothing
/// about the statement: that is a test failure too (check one bug check per machine).
BugCheck CrashOf(const std::function<void()>& statement, CallSite where = CallSite::Here());

/// Test-name generator: "win2000", "xp", ..., "win8_1", "win10", "win11" (GoogleTest names allow
/// only letters, digits and '_').
struct OsName {
  std::string operator()(const ::testing::TestParamInfo<Os>& info) const;
};

/// Fixture owning a kemu::Machine for GetParam(); TearDown() checks Machine::Shutdown() and
/// records any leak as a test failure. Override Options() to change the machine. KEMU_SEED, when
/// set, replaces the seed (see kemu/testing/fixtures.hpp).
class PersonalityTest : public internal::MachineFixture<Os> {
 protected:
  /// Options for the machine of this test; the default is the parameter's Os and nothing else.
  MachineOptions Options() const override { return MachineOptions{.os = GetParam()}; }
};

namespace internal {

/// Runs `statement`; success when it raises (throws, or records under kRecord) bug check `code`.
::testing::AssertionResult RaisesBugCheck(const std::function<void()>& statement,
                                          const char* statement_text, std::uint32_t code);

class BugCheckMatcher {
 public:
  using is_gtest_matcher = void;
  BugCheckMatcher(std::uint32_t code, std::optional<std::uint64_t> parameter1,
                  std::optional<std::array<std::uint64_t, 4>> parameters = std::nullopt)
      : code_(code), parameter1_(parameter1), parameters_(parameters) {}
  bool MatchAndExplain(const BugCheck& bug_check, ::testing::MatchResultListener* listener) const;
  void DescribeTo(std::ostream* out) const;
  void DescribeNegationTo(std::ostream* out) const;

 private:
  std::uint32_t code_;
  std::optional<std::uint64_t> parameter1_;
  std::optional<std::array<std::uint64_t, 4>> parameters_;
};

}  // namespace internal

/// Matches a kemu::BugCheck with this code (there is deliberately no "any bug check" matcher).
inline internal::BugCheckMatcher BugCheckIs(std::uint32_t code) { return {code, std::nullopt}; }
/// Matches a kemu::BugCheck with this code and first parameter (Arg1, e.g. the 0xC4 sub-code).
inline internal::BugCheckMatcher BugCheckIs(std::uint32_t code, std::uint64_t parameter1) {
  return {code, parameter1};
}
/// Matches a kemu::BugCheck with this code and exactly these four parameters (Arg1..Arg4).
inline internal::BugCheckMatcher BugCheckIs(std::uint32_t code, std::uint64_t parameter1,
                                            std::uint64_t parameter2, std::uint64_t parameter3,
                                            std::uint64_t parameter4) {
  return {code, parameter1,
          std::array<std::uint64_t, 4>{parameter1, parameter2, parameter3, parameter4}};
}

}  // namespace testing
}  // namespace kemu

/// Expects `statement` to crash the emulated system with bug check `code`.
#define EXPECT_BUGCHECK(statement, code)                                                           \
  GTEST_ASSERT_(::kemu::testing::internal::RaisesBugCheck([&] { statement; }, #statement, (code)), \
                GTEST_NONFATAL_FAILURE_)
/// As EXPECT_BUGCHECK, but ends the test on failure.
#define ASSERT_BUGCHECK(statement, code)                                                           \
  GTEST_ASSERT_(::kemu::testing::internal::RaisesBugCheck([&] { statement; }, #statement, (code)), \
                GTEST_FATAL_FAILURE_)

#endif  // KEMU_TESTING_GTEST_HPP_
