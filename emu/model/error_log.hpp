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
    /// 8-byte aligned, as the packet needs; `bytes` and then the guard (kGuardBytes past the
    /// 16-byte unit), so a write past the end stays in memory kemu owns.
    std::unique_ptr<std::uint64_t[]> storage;
    std::size_t bytes = 0;
    std::size_t guard_end = 0;  ///< end of the guard bytes (offset)
    bool guarded = false;       ///< under Verifier: the guard is checked at the write or free
    PVOID io_object = nullptr;
    std::uint64_t allocated_at = 0;  ///< trace sequence of the allocation, for the leak report
  };

  /// `ddi_rule`: the DDI compliance rule's 0xC4 code Microsoft documents for the routine, or 0.
  void CheckIrql(const char* routine, std::uint64_t ddi_rule = 0) const;
  /// Special pool's check: the bytes after the entry are as Allocate left them.
  void CheckGuard(const char* routine, PVOID entry, const Allocation& allocation) const;
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
