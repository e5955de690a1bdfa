// Error log entries (IoAllocateErrorLogEntry, IoWriteErrorLogEntry, IoFreeErrorLogEntry). kemu
// owns each entry's memory, zero-filled, in a side table keyed by its address; a written entry is
// copied into the machine's error log (Machine::error_log()) and freed, as Windows frees it once
// queued to the logging thread. An entry neither written nor freed at Machine::Shutdown is a leak.
#ifndef KEMU_EMU_MODEL_ERROR_LOG_HPP_
#define KEMU_EMU_MODEL_ERROR_LOG_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kemu/error_log.hpp"

namespace kemu::model {

class Kernel;

class ErrorLog {
 public:
  explicit ErrorLog(Kernel& kernel) : kernel_(kernel) {}

  /// IoAllocateErrorLogEntry: a zeroed entry of `size` bytes (never less than the packet
  /// header), or NULL when `size` is above ERROR_LOG_MAXIMUM_SIZE.
  PVOID Allocate(const char* routine, PVOID io_object, UCHAR size);
  /// IoWriteErrorLogEntry: records the entry and frees it.
  void Write(const char* routine, PVOID entry);
  /// IoFreeErrorLogEntry.
  void Free(const char* routine, PVOID entry);

  const std::vector<ErrorLogEntry>& written() const { return written_; }
  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  struct Allocation {
    std::unique_ptr<std::uint64_t[]> storage;  ///< 8-byte aligned, as the packet needs
    std::size_t bytes = 0;
    PVOID io_object = nullptr;
    std::uint64_t allocated_at = 0;  ///< trace sequence of the allocation, for the leak report
  };

  void CheckIrql(const char* routine) const;
  /// The live entry at `entry`; a verifier stop for anything else.
  Allocation& Lookup(const char* routine, PVOID entry);
  void Release(PVOID entry);
  static ErrorLogEntry Decode(const Allocation& allocation);

  Kernel& kernel_;
  std::map<std::uintptr_t, Allocation> live_;
  std::vector<ErrorLogEntry> written_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_ERROR_LOG_HPP_
