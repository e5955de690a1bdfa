#include "model/bugcheck_callbacks.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/kernel.hpp"

namespace kemu::model {

BOOLEAN BugCheckCallbacks::Register(PKBUGCHECK_CALLBACK_RECORD record,
                                    PKBUGCHECK_CALLBACK_ROUTINE routine, PVOID buffer, ULONG length,
                                    PUCHAR component) {
  if (record->State != BufferEmpty) return FALSE;
  record->CallbackRoutine = routine;
  record->Buffer = buffer;
  record->Length = length;
  record->Component = component;
  // UNCONFIRMED what Windows writes to Checksum (its own bookkeeping); kemu writes 0.
  record->Checksum = 0;
  record->State = BufferInserted;
  registered_.push_back(record);
  return TRUE;
}

BOOLEAN BugCheckCallbacks::Deregister(PKBUGCHECK_CALLBACK_RECORD record) {
  const auto it = std::find(registered_.begin(), registered_.end(), record);
  if (it == registered_.end() || record->State != BufferInserted) return FALSE;
  registered_.erase(it);
  record->State = BufferEmpty;
  return TRUE;
}

void BugCheckCallbacks::Run() {
  if (running_ || registered_.empty()) return;
  running_ = true;
  kernel_.scheduler().Hold();
  Cpu& cpu = kernel_.cpu();
  kernel_.WriteIrql(cpu, HIGH_LEVEL);
  // Newest first (UNCONFIRMED: Windows keeps them on a list it walks; the order is not
  // documented). A copy: a callback cannot register, but the list must not move under the loop.
  const std::vector<PKBUGCHECK_CALLBACK_RECORD> records(registered_.rbegin(), registered_.rend());
  for (PKBUGCHECK_CALLBACK_RECORD record : records) {
    record->State = BufferStarted;
    try {
      record->CallbackRoutine(record->Buffer, record->Length);
    } catch (...) {
      // A bug check (or harness error) inside a callback: Windows would stop there; kemu stops
      // calling callbacks and raises the bug check that started them.
      record->State = BufferIncomplete;
      break;
    }
    record->State = BufferFinished;
  }
  kernel_.scheduler().Unhold();
  running_ = false;
}

std::vector<std::string> BugCheckCallbacks::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (PKBUGCHECK_CALLBACK_RECORD record : registered_) {
    lines.push_back(fmt::format(
        "the bug-check callback record at {} (component \"{}\") is still registered "
        "(KeRegisterBugCheckCallback without KeDeregisterBugCheckCallback)",
        static_cast<const void*>(record),
        record->Component != nullptr ? reinterpret_cast<const char*>(record->Component) : ""));
  }
  return lines;
}

std::uintptr_t BugCheckCallbacks::FirstLeak() const {
  return registered_.empty() ? 0 : reinterpret_cast<std::uintptr_t>(registered_.front());
}

}  // namespace kemu::model
