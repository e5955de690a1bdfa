#include "kemu/testing/matchers.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace kemu::testing {

std::string IrqlName(std::int64_t irql) {
  // x64 numbering only (kemu models x64), where SYNCH_LEVEL is 12 on every personality. Levels
  // with no name here are the ones the HAL hands to devices.
  static constexpr std::array<std::string_view, 16> kNames = {"PASSIVE_LEVEL",
                                                              "APC_LEVEL",
                                                              "DISPATCH_LEVEL",
                                                              "",
                                                              "",
                                                              "CMCI_LEVEL",
                                                              "",
                                                              "",
                                                              "",
                                                              "",
                                                              "",
                                                              "",
                                                              "SYNCH_LEVEL",
                                                              "CLOCK_LEVEL",
                                                              "IPI_LEVEL",
                                                              "HIGH_LEVEL"};
  if (irql < 0 || irql >= static_cast<std::int64_t>(kNames.size())) {
    return fmt::format("invalid IRQL {}", irql);
  }
  const std::string_view name = kNames[static_cast<std::size_t>(irql)];
  return name.empty() ? fmt::format("DIRQL {}", irql) : fmt::format("{} ({})", name, irql);
}

namespace internal {

std::int64_t AsIrql(std::int64_t value) { return value; }

std::int64_t AsNtStatusBits(std::int64_t value) { return static_cast<std::uint32_t>(value); }

std::string NameNtStatusBits(std::int64_t bits) {
  return FormatNtStatus(static_cast<NTSTATUS>(static_cast<std::uint32_t>(bits)));
}

bool NamedValueMatcher::Match(std::int64_t value, ::testing::MatchResultListener* listener) const {
  const std::int64_t normalized = normalize_(value);
  // Explained on a match too, so that a failing Not(StatusIs(...)) also reads by name.
  *listener << "which is " << name_(normalized);
  return normalized == expected_;
}

void NamedValueMatcher::DescribeTo(std::ostream* out) const { *out << "is " << name_(expected_); }

void NamedValueMatcher::DescribeNegationTo(std::ostream* out) const {
  *out << "isn't " << name_(expected_);
}

}  // namespace internal
}  // namespace kemu::testing
