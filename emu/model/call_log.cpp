#include "model/call_log.hpp"

#include <fmt/format.h>

namespace kemu::model {

CallLog::CallLog(unsigned capacity) : ring_(capacity == 0 ? 1 : capacity) {}

void CallLog::Record(const CallRecord& record) {
  ring_[total_ % ring_.size()] = record;
  ++total_;
}

std::vector<CallRecord> CallLog::Recent() const {
  std::vector<CallRecord> out;
  const std::uint64_t kept = total_ < ring_.size() ? total_ : ring_.size();
  out.reserve(kept);
  for (std::uint64_t i = total_ - kept; i < total_; ++i) out.push_back(ring_[i % ring_.size()]);
  return out;
}

std::string CallLog::Describe(const CallRecord& record) {
  std::string text = fmt::format("{}(", record.routine);
  for (std::uint8_t i = 0; i < record.arg_count; ++i) {
    if (i > 0) text += ", ";
    text += fmt::format("{}={:#x}", record.args[i].name, record.args[i].value);
  }
  text += ')';
  return text;
}

}  // namespace kemu::model
