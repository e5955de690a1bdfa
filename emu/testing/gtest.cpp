#include "kemu/testing/gtest.hpp"

#include <fmt/format.h>

#include <exception>
#include <optional>
#include <string>

namespace kemu {

void PrintTo(const BugCheck& bug_check, std::ostream* out) { *out << bug_check.report(); }

namespace testing {
namespace {

std::string Parameters(const std::array<std::uint64_t, 4>& p) {
  return fmt::format("(0x{:X}, 0x{:X}, 0x{:X}, 0x{:X})", p[0], p[1], p[2], p[3]);
}

std::string Describe(std::uint32_t code) {
  const std::string_view name = BugCheckName(code);
  return name.empty() ? fmt::format("0x{:X}", code) : fmt::format("0x{:X} {}", code, name);
}

// Installed for the whole test program as soon as kemu::gtest is linked in, so a Machine
// destroyed with leaks in any test fails that test instead of aborting the program.
class FailureHandlerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { previous_ = SetFailureHandler(&internal::RecordFailure); }
  void TearDown() override { SetFailureHandler(previous_); }

 private:
  FailureHandler previous_ = nullptr;
};

[[maybe_unused]] ::testing::Environment* const kFailureHandlerEnvironment =
    ::testing::AddGlobalTestEnvironment(new FailureHandlerEnvironment);

// A crashed machine re-raises its first bug check on every later kernel call
// (Machine::crashed()), so whatever a statement run on it raises says nothing about the statement.
std::optional<std::string> AlreadyCrashed() {
  const Machine* machine = Machine::CurrentOrNull();
  if (machine == nullptr || !machine->crashed()) return std::nullopt;
  return std::string(
      "the machine had already crashed before this statement ran, and a crashed machine "
      "re-raises its first bug check on every later kernel call, so the statement's own "
      "behaviour cannot be seen; check one bug check per machine (a machine of its own, or "
      "another test)");
}

}  // namespace

std::string OsName::operator()(const ::testing::TestParamInfo<Os>& info) const {
  std::string name(kemu::OsName(info.param));
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

BugCheck CrashOf(const std::function<void()>& statement, CallSite where) {
  if (const std::optional<std::string> crashed = AlreadyCrashed()) {
    ADD_FAILURE_AT(where.file, where.line) << *crashed;
  }
  try {
    statement();
  } catch (const BugCheck& crash) {
    return crash;
  }
  ADD_FAILURE_AT(where.file, where.line)
      << "expected a bug check, but the statement returned normally";
  return BugCheck(0, {}, "");
}

namespace internal {

// Defined here, beside the environment that installs it for the whole program, so that any test
// using a kemu fixture links this file and with it that environment.
// At the test's own file and line: a leak found in the fixture's TearDown is the test's, and
// ADD_FAILURE() would name this file, inside kemu.
void RecordFailure(const BugCheck& failure) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (test == nullptr || test->file() == nullptr) {
    ADD_FAILURE() << failure.report();
    return;
  }
  ADD_FAILURE_AT(test->file(), test->line()) << failure.report();
}

::testing::AssertionResult RaisesBugCheck(const std::function<void()>& statement,
                                          const char* statement_text, std::uint32_t code) {
  if (const std::optional<std::string> crashed = AlreadyCrashed()) {
    return ::testing::AssertionFailure() << "Expected: " << statement_text << " bug-checks with "
                                         << Describe(code) << "\n  Actual: " << *crashed;
  }
  Machine* machine = Machine::CurrentOrNull();
  const std::size_t recorded_before = machine != nullptr ? machine->bug_checks().size() : 0;
  try {
    statement();
  } catch (const BugCheck& bug_check) {
    if (bug_check.code() == code) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "Expected: " << statement_text << " bug-checks with " << Describe(code)
           << "\n  Actual: it bug-checked with " << Describe(bug_check.code()) << "\n"
           << bug_check.report();
  } catch (const std::exception& error) {
    // Not a bug check (kemu::Error, kemu::MissingExport, the test's own): reported here, at the
    // macro's line with the statement, rather than escaping to GoogleTest's "unknown file".
    return ::testing::AssertionFailure()
           << "Expected: " << statement_text << " bug-checks with " << Describe(code)
           << "\n  Actual: it threw an exception that is not a bug check: " << error.what();
  }
  if (machine != nullptr) {
    const auto& recorded = machine->bug_checks();
    for (std::size_t i = recorded_before; i < recorded.size(); ++i) {
      if (recorded[i].code() == code) return ::testing::AssertionSuccess();
    }
    if (recorded.size() > recorded_before) {
      return ::testing::AssertionFailure()
             << "Expected: " << statement_text << " bug-checks with " << Describe(code)
             << "\n  Actual: it recorded " << Describe(recorded[recorded_before].code()) << "\n"
             << recorded[recorded_before].report();
    }
  }
  return ::testing::AssertionFailure() << "Expected: " << statement_text << " bug-checks with "
                                       << Describe(code) << "\n  Actual: it returned normally";
}

bool BugCheckMatcher::MatchAndExplain(const BugCheck& bug_check,
                                      ::testing::MatchResultListener* listener) const {
  if (bug_check.code() != code_) {
    *listener << "which is bug check " << Describe(bug_check.code());
    return false;
  }
  if (parameter1_ && bug_check.parameter(0) != *parameter1_) {
    *listener << fmt::format("whose Arg1 is 0x{:X}", bug_check.parameter(0));
    return false;
  }
  if (parameters_ && bug_check.parameters() != *parameters_) {
    *listener << "whose parameters are " << Parameters(bug_check.parameters());
    return false;
  }
  return true;
}

void BugCheckMatcher::DescribeTo(std::ostream* out) const {
  *out << "is bug check " << Describe(code_);
  if (parameters_) {
    *out << " with parameters " << Parameters(*parameters_);
  } else if (parameter1_) {
    *out << fmt::format(" with Arg1 0x{:X}", *parameter1_);
  }
}

void BugCheckMatcher::DescribeNegationTo(std::ostream* out) const {
  *out << "is not bug check " << Describe(code_);
  if (parameters_) {
    *out << " with parameters " << Parameters(*parameters_);
  } else if (parameter1_) {
    *out << fmt::format(" with Arg1 0x{:X}", *parameter1_);
  }
}

}  // namespace internal
}  // namespace testing
}  // namespace kemu
