// kemu/testing/matchers.hpp — GoogleMock matchers for IRQLs and NTSTATUS values that say what
// they compare by name (included by kemu/testing/gtest.hpp).
//
//   using kemu::testing::IrqlIs, kemu::testing::StatusIs;
//   EXPECT_THAT(KeGetCurrentIrql(), IrqlIs(DISPATCH_LEVEL));
//   //   Expected: is DISPATCH_LEVEL (2)
//   //     Actual: '\0' (of type unsigned char), which is PASSIVE_LEVEL (0)
//   EXPECT_THAT(IoConnectInterruptEx(&params), StatusIs(STATUS_INVALID_PARAMETER_1));
//   //   Expected: is STATUS_INVALID_PARAMETER_1 (0xC00000EF)
//   //     Actual: 0 (of type int), which is STATUS_SUCCESS (0x00000000)
//
// There is deliberately no "is an error" or "failed" matcher: a driver test names the exact status
// Windows returns, as the verifier tests name the exact bug check.
#ifndef KEMU_TESTING_MATCHERS_HPP_
#define KEMU_TESTING_MATCHERS_HPP_

#include <gmock/gmock.h>
#include <wdm.h>

#include <concepts>
#include <cstdint>
#include <ostream>
#include <string>

#include "kemu/testing/ntstatus.hpp"

namespace kemu::testing {

/// An x64 IRQL as people say it: "DISPATCH_LEVEL (2)" for the named levels (PASSIVE, APC,
/// DISPATCH, CMCI 5, SYNCH 12, CLOCK 13, IPI 14, HIGH 15), "DIRQL 7" for the other device levels,
/// "invalid IRQL 16" outside 0..15.
std::string IrqlName(std::int64_t irql);

namespace internal {

/// Matches an integer equal to one expected value, naming both in descriptions. `normalize` maps
/// the value to what is compared (an NTSTATUS compares as its 32 bits, whatever integer type holds
/// it); `name` says what a normalized value means.
class NamedValueMatcher {
 public:
  using is_gtest_matcher = void;
  using Normalize = std::int64_t (*)(std::int64_t value);
  using Name = std::string (*)(std::int64_t value);

  NamedValueMatcher(std::int64_t expected, Normalize normalize, Name name)
      : expected_(normalize(expected)), normalize_(normalize), name_(name) {}

  template <std::integral T>
  bool MatchAndExplain(T value, ::testing::MatchResultListener* listener) const {
    return Match(static_cast<std::int64_t>(value), listener);
  }
  void DescribeTo(std::ostream* out) const;
  void DescribeNegationTo(std::ostream* out) const;

 private:
  bool Match(std::int64_t value, ::testing::MatchResultListener* listener) const;

  std::int64_t expected_;
  Normalize normalize_;
  Name name_;
};

// The normalize and name functions of IrqlIs and StatusIs.
std::int64_t AsIrql(std::int64_t value);
std::int64_t AsNtStatusBits(std::int64_t value);
std::string NameNtStatusBits(std::int64_t bits);

}  // namespace internal

/// Matches a KIRQL (or any integer) equal to `level`: EXPECT_THAT(irql, IrqlIs(DISPATCH_LEVEL)).
inline internal::NamedValueMatcher IrqlIs(std::int64_t level) {
  return {level, &internal::AsIrql, &IrqlName};
}

/// Matches an NTSTATUS equal to `status`, compared as 32 bits so a ULONG holding one matches too.
inline internal::NamedValueMatcher StatusIs(NTSTATUS status) {
  return {status, &internal::AsNtStatusBits, &internal::NameNtStatusBits};
}

}  // namespace kemu::testing

#endif  // KEMU_TESTING_MATCHERS_HPP_
