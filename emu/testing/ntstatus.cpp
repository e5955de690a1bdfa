// The NTSTATUS name table: the common names first (where two names share a value, the one
// NtStatusName() returns comes first), then every name include/wdk/ntstatus.h defines, from the
// same generator (tools/gen-ntstatus). Each row takes its value from the header's own macro, so a
// row can be missing but never wrong; StatusIsTest.EveryStatusTheHeadersDefineHasItsName catches a
// missing one.
#include "kemu/testing/ntstatus.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace kemu::testing {
namespace {

struct StatusName {
  NTSTATUS value;
  std::string_view name;
};

#define KEMU_STATUS(name) \
  StatusName { name, #name }

// Where two names share a value, the one NtStatusName() returns comes first.
constexpr StatusName kStatusNames[] = {
    // Success and wait results.
    KEMU_STATUS(STATUS_SUCCESS),
    KEMU_STATUS(STATUS_WAIT_0),
    KEMU_STATUS(STATUS_WAIT_1),
    KEMU_STATUS(STATUS_WAIT_63),
    KEMU_STATUS(STATUS_ABANDONED),
    KEMU_STATUS(STATUS_ABANDONED_WAIT_0),
    KEMU_STATUS(STATUS_USER_APC),
    KEMU_STATUS(STATUS_ALERTED),
    KEMU_STATUS(STATUS_TIMEOUT),
    KEMU_STATUS(STATUS_PENDING),
    // Warnings.
    KEMU_STATUS(STATUS_DATATYPE_MISALIGNMENT),
    KEMU_STATUS(STATUS_BREAKPOINT),
    KEMU_STATUS(STATUS_BUFFER_OVERFLOW),
    KEMU_STATUS(STATUS_DEVICE_BUSY),
    KEMU_STATUS(STATUS_NO_MORE_ENTRIES),
    // Errors.
    KEMU_STATUS(STATUS_UNSUCCESSFUL),
    KEMU_STATUS(STATUS_NOT_IMPLEMENTED),
    KEMU_STATUS(STATUS_INFO_LENGTH_MISMATCH),
    KEMU_STATUS(STATUS_ACCESS_VIOLATION),
    KEMU_STATUS(STATUS_INVALID_HANDLE),
    KEMU_STATUS(STATUS_INVALID_PARAMETER),
    KEMU_STATUS(STATUS_NO_SUCH_DEVICE),
    KEMU_STATUS(STATUS_INVALID_DEVICE_REQUEST),
    KEMU_STATUS(STATUS_MORE_PROCESSING_REQUIRED),
    KEMU_STATUS(STATUS_NO_MEMORY),
    KEMU_STATUS(STATUS_ILLEGAL_INSTRUCTION),
    KEMU_STATUS(STATUS_ACCESS_DENIED),
    KEMU_STATUS(STATUS_BUFFER_TOO_SMALL),
    KEMU_STATUS(STATUS_OBJECT_TYPE_MISMATCH),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_MIX),
    KEMU_STATUS(STATUS_OBJECT_NAME_NOT_FOUND),
    KEMU_STATUS(STATUS_DELETE_PENDING),
    KEMU_STATUS(STATUS_REVISION_MISMATCH),
    KEMU_STATUS(STATUS_PROCEDURE_NOT_FOUND),
    KEMU_STATUS(STATUS_INTEGER_DIVIDE_BY_ZERO),
    KEMU_STATUS(STATUS_INTEGER_OVERFLOW),
    KEMU_STATUS(STATUS_PRIVILEGED_INSTRUCTION),
    KEMU_STATUS(STATUS_INSUFFICIENT_RESOURCES),
    KEMU_STATUS(STATUS_DEVICE_NOT_CONNECTED),
    KEMU_STATUS(STATUS_DEVICE_NOT_READY),
    KEMU_STATUS(STATUS_IO_TIMEOUT),
    KEMU_STATUS(STATUS_NOT_SUPPORTED),
    KEMU_STATUS(STATUS_INTERNAL_ERROR),
    // Errors naming which argument was wrong.
    KEMU_STATUS(STATUS_INVALID_PARAMETER_1),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_2),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_3),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_4),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_5),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_6),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_7),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_8),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_9),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_10),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_11),
    KEMU_STATUS(STATUS_INVALID_PARAMETER_12),
    // More errors.
    KEMU_STATUS(STATUS_CANCELLED),
    KEMU_STATUS(STATUS_INVALID_DEVICE_STATE),
    KEMU_STATUS(STATUS_IO_DEVICE_ERROR),
    KEMU_STATUS(STATUS_INVALID_BUFFER_SIZE),
    KEMU_STATUS(STATUS_NOT_FOUND),
    KEMU_STATUS(STATUS_DEVICE_REMOVED),
    KEMU_STATUS(STATUS_ASSERTION_FAILURE),
// Every name ntstatus.h defines, by value (these common names above take precedence).
#include "ntstatus_names.inc"
};

#undef KEMU_STATUS

}  // namespace

std::string_view NtStatusName(NTSTATUS status) {
  for (const StatusName& entry : kStatusNames) {
    if (entry.value == status) return entry.name;
  }
  return {};
}

std::string FormatNtStatus(NTSTATUS status) {
  // NTSTATUS is signed; people and the WDK write it as 32 unsigned hex digits.
  const auto bits = static_cast<std::uint32_t>(status);
  const std::string_view name = NtStatusName(status);
  return name.empty() ? fmt::format("NTSTATUS 0x{:08X}", bits)
                      : fmt::format("{} (0x{:08X})", name, bits);
}

std::optional<NTSTATUS> ParseNtStatus(std::string_view name) {
  for (const StatusName& entry : kStatusNames) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

}  // namespace kemu::testing
