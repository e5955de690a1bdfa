#include "model/error_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "kemu/bugcheck.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// Under Driver Verifier an entry is checked as special pool checks a block (model/pool.cpp): the
// bytes after EntrySize up to the end of its 16-byte unit, and a guard after that, hold
// kGuardFill until the entry is written or freed. The guard is there in every mode, so a driver
// that writes a little past its entry never reaches memory kemu does not own.
constexpr std::size_t kUnitBytes = 16;
constexpr std::size_t kGuardBytes = 16;
constexpr unsigned char kGuardFill = 0x5C;

template <typename T>
T ReadAt(const std::uint8_t* bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes + offset, sizeof value);
  return value;
}

// One character as UTF-16: a surrogate pair above the BMP, U+FFFD for what no code point is.
void AppendUtf16(std::u16string& text, std::uint32_t code_point) {
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = 0xFFFD;
  }
  if (code_point < 0x10000) {
    text.push_back(static_cast<char16_t>(code_point));
    return;
  }
  code_point -= 0x10000;
  text.push_back(static_cast<char16_t>(0xD800 + (code_point >> 10)));
  text.push_back(static_cast<char16_t>(0xDC00 + (code_point & 0x3FF)));
}

}  // namespace

void ErrorLog::CheckIrql(const char* routine, std::uint64_t ddi_rule) const {
  const KIRQL irql = kernel_.cpu().irql;
  if (irql > DISPATCH_LEVEL) {
    kernel_.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL, ddi_rule);
  }
}

void ErrorLog::CheckGuard(const char* routine, PVOID entry, const Allocation& allocation) const {
  if (!allocation.guarded) return;
  const auto* bytes = static_cast<const unsigned char*>(entry);
  for (std::size_t i = allocation.bytes; i < allocation.guard_end; ++i) {
    if (bytes[i] != kGuardFill) {
      kernel_.verifier().ErrorLogEntryOverrun(routine, entry, bytes + i, allocation.bytes);
      return;
    }
  }
}

PVOID ErrorLog::Allocate(const char* routine, PVOID io_object, UCHAR size) {
  CheckIrql(routine);
  // The routine reads the object to find the driver it names.
  kernel_.verifier().Dereferenced(routine, io_object, "IoObject");
  if (size > ERROR_LOG_MAXIMUM_SIZE) return nullptr;
  // UNCONFIRMED what Windows gives for less than the header; kemu gives the whole header, so the
  // fields a driver sets stay inside the entry.
  const std::size_t bytes = std::max<std::size_t>(size, sizeof(IO_ERROR_LOG_PACKET));
  const std::size_t guard_end = (bytes + kUnitBytes - 1) / kUnitBytes * kUnitBytes + kGuardBytes;
  Allocation allocation;
  allocation.storage = std::make_unique<std::uint64_t[]>(guard_end / 8);  // zeroed
  allocation.bytes = bytes;
  allocation.guard_end = guard_end;
  allocation.guarded = kernel_.verifier().mode() == verifier::CheckMode::kVerifier;
  if (allocation.guarded) {
    std::memset(reinterpret_cast<unsigned char*>(allocation.storage.get()) + bytes, kGuardFill,
                guard_end - bytes);
  }
  allocation.io_object = io_object;
  allocation.allocated_at = kernel_.trace().sequence();
  PVOID entry = allocation.storage.get();
  live_.emplace(reinterpret_cast<std::uintptr_t>(entry), std::move(allocation));
  return entry;
}

ErrorLog::Allocation& ErrorLog::Lookup(const char* routine, PVOID entry) {
  const auto it = live_.find(reinterpret_cast<std::uintptr_t>(entry));
  if (it == live_.end()) kernel_.verifier().InvalidErrorLogEntry(routine, entry);
  return it->second;
}

void ErrorLog::Release(PVOID entry) {
  const auto it = live_.find(reinterpret_cast<std::uintptr_t>(entry));
  kernel_.race().Forget(entry, it->second.bytes);
  live_.erase(it);
}

void ErrorLog::Write(const char* routine, PVOID entry) {
  // IoWriteErrorLogEntry is one of the routines of the DDI compliance rule IrqlDispatch.
  CheckIrql(routine, verifier_code::kIrqlDispatch);
  const Allocation& allocation = Lookup(routine, entry);
  CheckGuard(routine, entry, allocation);
  ErrorLogEntry written = Decode(allocation);
  written.time_100ns = kernel_.clock().now_100ns();
  written.cpu = kernel_.current_processor();
  written_.push_back(std::move(written));
  Release(entry);
}

void ErrorLog::Free(const char* routine, PVOID entry) {
  // The routine's page gives no IRQL; kemu takes IoWriteErrorLogEntry's (UNCONFIRMED).
  CheckIrql(routine);
  CheckGuard(routine, entry, Lookup(routine, entry));
  Release(entry);
}

ErrorLogEntry ErrorLog::Decode(const Allocation& allocation) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(allocation.storage.get());
  using Packet = IO_ERROR_LOG_PACKET;
  ErrorLogEntry entry;
  entry.io_object = allocation.io_object;
  entry.major_function_code = ReadAt<UCHAR>(bytes, offsetof(Packet, MajorFunctionCode));
  entry.retry_count = ReadAt<UCHAR>(bytes, offsetof(Packet, RetryCount));
  entry.event_category = ReadAt<USHORT>(bytes, offsetof(Packet, EventCategory));
  entry.error_code = ReadAt<NTSTATUS>(bytes, offsetof(Packet, ErrorCode));
  entry.unique_error_value = ReadAt<ULONG>(bytes, offsetof(Packet, UniqueErrorValue));
  entry.final_status = ReadAt<NTSTATUS>(bytes, offsetof(Packet, FinalStatus));
  entry.sequence_number = ReadAt<ULONG>(bytes, offsetof(Packet, SequenceNumber));
  entry.io_control_code = ReadAt<ULONG>(bytes, offsetof(Packet, IoControlCode));
  entry.device_offset = ReadAt<LONGLONG>(bytes, offsetof(Packet, DeviceOffset));
  // Dump data and strings are cut at the end of the entry: the sizes are the driver's to get
  // right, and kemu reads only memory the entry owns.
  const std::size_t dump_bytes =
      std::min<std::size_t>(ReadAt<USHORT>(bytes, offsetof(Packet, DumpDataSize)),
                            allocation.bytes - offsetof(Packet, DumpData));
  for (std::size_t i = 0; i + sizeof(ULONG) <= dump_bytes; i += sizeof(ULONG)) {
    entry.dump_data.push_back(ReadAt<ULONG>(bytes, offsetof(Packet, DumpData) + i));
  }
  std::size_t at = ReadAt<USHORT>(bytes, offsetof(Packet, StringOffset));
  const USHORT strings = ReadAt<USHORT>(bytes, offsetof(Packet, NumberOfStrings));
  // The strings are the driver's WCHARs (kemu's WCHAR is the host's wchar_t, docs/differences.md),
  // handed to the test as UTF-16 as the event log holds them.
  for (USHORT s = 0; s < strings && at + sizeof(WCHAR) <= allocation.bytes; ++s) {
    std::u16string text;
    for (; at + sizeof(WCHAR) <= allocation.bytes; at += sizeof(WCHAR)) {
      const auto unit = static_cast<std::uint32_t>(ReadAt<WCHAR>(bytes, at));
      if (unit == 0) {
        at += sizeof(WCHAR);
        break;
      }
      AppendUtf16(text, unit);
    }
    entry.strings.push_back(std::move(text));
  }
  return entry;
}

std::vector<std::string> ErrorLog::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (const auto& [address, allocation] : live_) {
    lines.push_back(fmt::format(
        "an error log entry at {:#x} ({} bytes, for the object at {}) allocated by "
        "IoAllocateErrorLogEntry (trace event #{}) was never written (IoWriteErrorLogEntry) or "
        "freed (IoFreeErrorLogEntry)",
        address, allocation.bytes, allocation.io_object, allocation.allocated_at));
  }
  return lines;
}

std::uintptr_t ErrorLog::FirstLeak() const { return live_.empty() ? 0 : live_.begin()->first; }

}  // namespace kemu::model
