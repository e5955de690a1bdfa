// The last kernel calls a driver made, for bug-check reports: a fixed-size ring, so recording is
// cheap and memory is bounded however long a test runs.
#ifndef KEMU_EMU_MODEL_CALL_LOG_HPP_
#define KEMU_EMU_MODEL_CALL_LOG_HPP_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace kemu::model {

/// One named argument of a kernel call, kept as a raw 64-bit value.
struct CallArg {
  const char* name;
  std::uint64_t value;
};

struct CallRecord {
  std::uint64_t sequence = 0;  ///< 1 for the machine's first call
  unsigned cpu = 0;
  std::uint8_t irql = 0;  ///< IRQL on entry
  std::uint64_t time_100ns = 0;
  const char* routine = "";
  std::array<CallArg, 4> args{};
  std::uint8_t arg_count = 0;
};

class CallLog {
 public:
  explicit CallLog(unsigned capacity);

  void Record(const CallRecord& record);
  /// Remembered calls, oldest first.
  std::vector<CallRecord> Recent() const;
  std::uint64_t total() const { return total_; }

  /// "KeRaiseIrql(NewIrql=0x2)".
  static std::string Describe(const CallRecord& record);

 private:
  std::vector<CallRecord> ring_;
  std::uint64_t total_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_CALL_LOG_HPP_
