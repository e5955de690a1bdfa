// kemu/testing/ntstatus.hpp — NTSTATUS values by name, for messages people read.
//
// Test failures and scenario reports say "STATUS_INVALID_PARAMETER_1 (0xC00000EF)" rather than
// "-1073741585". No GoogleTest dependency, so a scenario runner can use it too:
//
//   kemu::testing::NtStatusName(STATUS_NOT_SUPPORTED);      // "STATUS_NOT_SUPPORTED"
//   kemu::testing::FormatNtStatus(STATUS_NOT_SUPPORTED);    // "STATUS_NOT_SUPPORTED (0xC00000BB)"
//   kemu::testing::ParseNtStatus("STATUS_PENDING");         // 0x00000103
#ifndef KEMU_TESTING_NTSTATUS_HPP_
#define KEMU_TESTING_NTSTATUS_HPP_

#include <wdm.h>

#include <optional>
#include <string>
#include <string_view>

namespace kemu::testing {

/// The symbolic name of `status` ("STATUS_SUCCESS"), or "" when kemu's headers define no name for
/// it. Where two names share a value (STATUS_WAIT_0 is STATUS_SUCCESS) the common one is returned.
std::string_view NtStatusName(NTSTATUS status);

/// "NAME (0xXXXXXXXX)", or "NTSTATUS 0xXXXXXXXX" for a value without a name.
std::string FormatNtStatus(NTSTATUS status);

/// The value of a status name kemu's headers define (aliases included), or std::nullopt.
std::optional<NTSTATUS> ParseNtStatus(std::string_view name);

}  // namespace kemu::testing

#endif  // KEMU_TESTING_NTSTATUS_HPP_
