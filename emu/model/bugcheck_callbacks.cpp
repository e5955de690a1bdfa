#include "model/bugcheck_callbacks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// The component name kemu keeps (the driver's string is read once, at registration).
constexpr std::size_t kMostComponentChars = 256;

std::string CopyComponent(PUCHAR component) {
  if (component == nullptr) return "";
  const auto* text = reinterpret_cast<const char*>(component);
  return std::string(text, strnlen(text, kMostComponentChars));
}

}  // namespace

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
  registered_.push_back({.record = record,
                         .routine = routine,
                         .buffer = buffer,
                         .length = length,
                         .component = CopyComponent(component)});
  return TRUE;
}

BOOLEAN BugCheckCallbacks::Deregister(PKBUGCHECK_CALLBACK_RECORD record) {
  const auto it = std::find_if(registered_.begin(), registered_.end(),
                               [record](const Registration& r) { return r.record == record; });
  if (it == registered_.end() || it->freed_by != nullptr || record->State != BufferInserted) {
    return FALSE;
  }
  registered_.erase(it);
  record->State = BufferEmpty;
  return TRUE;
}

bool BugCheckCallbacks::Intact(const Registration& registration) {
  if (registration.freed_by != nullptr) return false;
  const KBUGCHECK_CALLBACK_RECORD& record = *registration.record;
  return record.State == BufferInserted && record.CallbackRoutine == registration.routine &&
         record.Buffer == registration.buffer && record.Length == registration.length;
}

void BugCheckCallbacks::Freed(const void* begin, const void* end, const char* routine) {
  for (Registration& registration : registered_) {
    const void* record = registration.record;
    if (record >= begin && record < end && registration.freed_by == nullptr) {
      registration.freed_by = routine;
    }
  }
}

void BugCheckCallbacks::Run() {
  if (running_ || registered_.empty()) return;
  running_ = true;
  kernel_.scheduler().Hold();
  Cpu& cpu = kernel_.cpu();
  kernel_.WriteIrql(cpu, HIGH_LEVEL);
  // Newest first (UNCONFIRMED: Windows keeps them on a list it walks; the order is not
  // documented). A copy: a callback cannot register, but the list must not move under the loop.
  const std::vector<Registration> registrations(registered_.rbegin(), registered_.rend());
  for (const Registration& registration : registrations) {
    // Windows would walk into whatever now lies where the record was; kemu passes it over (the
    // leak report names it if the machine is shut down).
    if (!Intact(registration)) continue;
    PKBUGCHECK_CALLBACK_RECORD record = registration.record;
    record->State = BufferStarted;
    try {
      registration.routine(registration.buffer, registration.length);
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
  for (const Registration& registration : registered_) {
    std::string line = fmt::format(
        "the bug-check callback record at {} (component \"{}\") is still registered "
        "(KeRegisterBugCheckCallback without KeDeregisterBugCheckCallback)",
        static_cast<const void*>(registration.record), registration.component);
    if (registration.freed_by != nullptr) {
      line += fmt::format(", and {} freed the pool block holding it", registration.freed_by);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::uintptr_t BugCheckCallbacks::FirstLeak() const {
  return registered_.empty() ? 0 : reinterpret_cast<std::uintptr_t>(registered_.front().record);
}

}  // namespace kemu::model
