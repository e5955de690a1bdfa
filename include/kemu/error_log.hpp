// kemu/error_log.hpp — the error log entries a driver wrote (IoWriteErrorLogEntry), as the test
// reads them back from Machine::error_log().
//
//   ASSERT_EQ(machine.error_log().size(), 1u);
//   const kemu::ErrorLogEntry& entry = machine.error_log()[0];
//   EXPECT_EQ(entry.error_code, MY_DEVICE_TIMEOUT);
//   EXPECT_EQ(entry.dump_data, (std::vector<std::uint32_t>{0x80, 0x01}));
#ifndef KEMU_ERROR_LOG_HPP_
#define KEMU_ERROR_LOG_HPP_

#include <cstdint>
#include <string>
#include <vector>

namespace kemu {

/// One IO_ERROR_LOG_PACKET as it was when the driver wrote it.
struct ErrorLogEntry {
  /// The device or driver object passed to IoAllocateErrorLogEntry.
  const void* io_object = nullptr;
  std::uint8_t major_function_code = 0;
  std::uint8_t retry_count = 0;
  std::uint16_t event_category = 0;
  std::int32_t error_code = 0;  ///< NTSTATUS-shaped message code
  std::uint32_t unique_error_value = 0;
  std::int32_t final_status = 0;  ///< NTSTATUS
  std::uint32_t sequence_number = 0;
  std::uint32_t io_control_code = 0;
  std::int64_t device_offset = 0;
  /// DumpData: DumpDataSize bytes as ULONGs (a partial last ULONG is dropped), cut at the end
  /// of the entry.
  std::vector<std::uint32_t> dump_data;
  /// The NumberOfStrings insertion strings at StringOffset, each up to its NUL, cut at the end
  /// of the entry.
  std::vector<std::u16string> strings;
  /// Virtual interrupt time (100 ns units) of the IoWriteErrorLogEntry call.
  std::uint64_t time_100ns = 0;
  /// The vCPU that wrote it.
  unsigned cpu = 0;
};

}  // namespace kemu

#endif  // KEMU_ERROR_LOG_HPP_
