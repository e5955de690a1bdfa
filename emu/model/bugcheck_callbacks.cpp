#include "model/bugcheck_callbacks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "model/bugcheck_report.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// The buffer the system lends a KbCallbackSecondaryDumpData callback, and the most it may hand
// back. Windows' sizes are not documented (UNCONFIRMED); kemu lends one page and keeps up to 64
// KiB, enough for what drivers put there (a few registers, a ring's indices).
constexpr ULONG kInBufferLength = 0x1000;
constexpr ULONG kMaximumAllowed = 0x10000;

const char* ReasonName(KBUGCHECK_CALLBACK_REASON reason) {
  switch (reason) {
    case KbCallbackInvalid:
      return "KbCallbackInvalid";
    case KbCallbackReserved1:
      return "KbCallbackReserved1";
    case KbCallbackSecondaryDumpData:
      return "KbCallbackSecondaryDumpData";
    case KbCallbackDumpIo:
      return "KbCallbackDumpIo";
    case KbCallbackAddPages:
      return "KbCallbackAddPages";
    case KbCallbackSecondaryMultiPartDumpData:
      return "KbCallbackSecondaryMultiPartDumpData";
    case KbCallbackRemovePages:
      return "KbCallbackRemovePages";
    case KbCallbackTriageDumpData:
      return "KbCallbackTriageDumpData";
    case KbCallbackReserved2:
      return "KbCallbackReserved2";
    case KbCallbackReserved3:
      return "KbCallbackReserved3";
  }
  return nullptr;
}

// Why kemu does not run a callback for `reason`, for the NotModelled report.
std::string WhyNotModelled(KBUGCHECK_CALLBACK_REASON reason) {
  const char* name = ReasonName(reason);
  if (name == nullptr) return fmt::format("with Reason {} (no KBUGCHECK_CALLBACK_REASON)", +reason);
  switch (reason) {
    case KbCallbackInvalid:
    case KbCallbackReserved1:
    case KbCallbackReserved2:
    case KbCallbackReserved3:
      return fmt::format(
          "with Reason {} (reserved for the system; what Windows does with it is "
          "not documented)",
          name);
    default:
      return fmt::format(
          "with Reason {} (kemu writes no crash dump file to call it for; it "
          "models only KbCallbackSecondaryDumpData)",
          name);
  }
}

// The component name kemu keeps (the driver's string is read once, at registration).
constexpr std::size_t kMostComponentChars = 256;

std::string CopyComponent(PUCHAR component) {
  if (component == nullptr) return "";
  const auto* text = reinterpret_cast<const char*>(component);
  return std::string(text, strnlen(text, kMostComponentChars));
}

bool Inside(const void* address, const void* begin, const void* end) {
  return address >= begin && address < end;
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

BOOLEAN BugCheckCallbacks::RegisterReason(PKBUGCHECK_REASON_CALLBACK_RECORD record,
                                          PKBUGCHECK_REASON_CALLBACK_ROUTINE routine,
                                          KBUGCHECK_CALLBACK_REASON reason, PUCHAR component) {
  if (reason != KbCallbackSecondaryDumpData) {
    kernel_.ThrowNotModelled("KeRegisterBugCheckReasonCallback " + WhyNotModelled(reason));
  }
  if (record->State != BufferEmpty) return FALSE;
  record->CallbackRoutine = routine;
  record->Component = component;
  record->Checksum = 0;  // UNCONFIRMED, as for the plain records
  record->Reason = reason;
  record->State = BufferInserted;
  reasons_.push_back({.record = record,
                      .routine = routine,
                      .reason = reason,
                      .component = CopyComponent(component)});
  return TRUE;
}

BOOLEAN BugCheckCallbacks::DeregisterReason(PKBUGCHECK_REASON_CALLBACK_RECORD record) {
  const auto it =
      std::find_if(reasons_.begin(), reasons_.end(),
                   [record](const ReasonRegistration& r) { return r.record == record; });
  if (it == reasons_.end() || it->freed_by != nullptr || record->State != BufferInserted) {
    return FALSE;
  }
  reasons_.erase(it);
  record->State = BufferEmpty;
  return TRUE;
}

bool BugCheckCallbacks::Intact(const Registration& registration) {
  if (registration.freed_by != nullptr) return false;
  const KBUGCHECK_CALLBACK_RECORD& record = *registration.record;
  return record.State == BufferInserted && record.CallbackRoutine == registration.routine &&
         record.Buffer == registration.buffer && record.Length == registration.length;
}

bool BugCheckCallbacks::Intact(const ReasonRegistration& registration) {
  if (registration.freed_by != nullptr) return false;
  const KBUGCHECK_REASON_CALLBACK_RECORD& record = *registration.record;
  return record.State == BufferInserted && record.CallbackRoutine == registration.routine &&
         record.Reason == registration.reason;
}

void BugCheckCallbacks::Freed(const void* begin, const void* end, const char* routine) {
  for (Registration& registration : registered_) {
    if (Inside(registration.record, begin, end) && registration.freed_by == nullptr) {
      registration.freed_by = routine;
    }
  }
  for (ReasonRegistration& registration : reasons_) {
    if (Inside(registration.record, begin, end) && registration.freed_by == nullptr) {
      registration.freed_by = routine;
    }
  }
}

template <typename Call>
bool BugCheckCallbacks::CallOne(const std::string& description, Call&& call) {
  running_callback_ = fmt::format(
      "This happened inside {}, which kemu ran at HIGH_LEVEL for the bug check 0x{:08X} that "
      "stopped the machine.",
      description, code_);
  bool returned = true;
  try {
    call();
  } catch (const kemu::BugCheck& nested) {
    // Windows would stop there; kemu stops calling callbacks, raises the bug check that started
    // them, and shows this one in its report.
    const std::string& report = nested.report();
    if (!nested_) nested_ = report.substr(0, MachineContextOffset(report));
    returned = false;
  } catch (...) {
    returned = false;  // a harness error: the same stop, nothing to show
  }
  running_callback_.clear();
  return returned;
}

std::optional<std::string> BugCheckCallbacks::TakeNested() {
  std::optional<std::string> nested = std::move(nested_);
  nested_.reset();
  return nested;
}

void BugCheckCallbacks::Run(std::uint32_t code) {
  if (running_ || (registered_.empty() && reasons_.empty())) return;
  running_ = true;
  code_ = code;
  nested_.reset();
  secondary_.clear();
  kernel_.scheduler().Hold();
  Cpu& cpu = kernel_.cpu();
  kernel_.WriteIrql(cpu, HIGH_LEVEL);
  // The dump is written first, asking the reason callbacks for their data; the plain callbacks
  // run after it (docs/windows-facts.md §15.4). Within each kind newest first (UNCONFIRMED).
  // Copies: a callback cannot register, but the lists must not move under the loops.
  // Windows would walk into whatever now lies where a record was; kemu passes it over (the leak
  // report names it if the machine is shut down).
  const std::vector<ReasonRegistration> reasons(reasons_.rbegin(), reasons_.rend());
  bool ended = false;
  for (const ReasonRegistration& registration : reasons) {
    if (!Intact(registration)) continue;
    if (!RunSecondaryDumpData(registration, code)) {
      ended = true;
      break;
    }
  }
  if (!ended) RunPlain();
  kernel_.scheduler().Unhold();
  running_ = false;
}

bool BugCheckCallbacks::RunSecondaryDumpData(const ReasonRegistration& registration,
                                             std::uint32_t code) {
  PKBUGCHECK_REASON_CALLBACK_RECORD record = registration.record;
  std::vector<std::uint8_t> in_buffer(kInBufferLength, 0);
  KBUGCHECK_SECONDARY_DUMP_DATA data{};
  data.InBuffer = in_buffer.data();
  data.InBufferLength = kInBufferLength;
  data.MaximumAllowed = kMaximumAllowed;
  record->State = BufferStarted;
  const std::string description = fmt::format(
      "the bug-check reason callback routine {} (KbCallbackSecondaryDumpData, record {}, "
      "component \"{}\")",
      reinterpret_cast<const void*>(registration.routine), static_cast<const void*>(record),
      registration.component);
  const bool returned = CallOne(description, [&] {
    // First the size request (OutBuffer NULL), then the data request (OutBuffer = InBuffer): the
    // two calls the documentation describes (UNCONFIRMED whether Windows always makes both).
    data.OutBuffer = nullptr;
    registration.routine(KbCallbackSecondaryDumpData, record, &data, sizeof(data));
    data.OutBuffer = data.InBuffer;
    data.OutBufferLength = 0;
    registration.routine(KbCallbackSecondaryDumpData, record, &data, sizeof(data));
  });
  if (!returned) {
    // As for the plain callbacks: no more callbacks are called.
    record->State = BufferIncomplete;
    return false;
  }
  record->State = BufferFinished;
  SecondaryDumpData kept;
  kept.record = record;
  kept.component = registration.component;
  std::memcpy(kept.guid.data(), &data.Guid, sizeof(data.Guid));
  kept.bugcheck_code = code;
  // Data past MaximumAllowed does not fit in the dump (cut there; UNCONFIRMED whether Windows
  // cuts or drops it).
  const ULONG length = std::min(data.OutBufferLength, data.MaximumAllowed);
  if (data.OutBuffer != nullptr && length > 0) {
    const auto* bytes = static_cast<const std::uint8_t*>(data.OutBuffer);
    kept.data.assign(bytes, bytes + length);
  }
  secondary_.push_back(std::move(kept));
  return true;
}

void BugCheckCallbacks::RunPlain() {
  const std::vector<Registration> registrations(registered_.rbegin(), registered_.rend());
  for (const Registration& registration : registrations) {
    if (!Intact(registration)) continue;
    PKBUGCHECK_CALLBACK_RECORD record = registration.record;
    record->State = BufferStarted;
    const std::string description = fmt::format(
        "the bug-check callback routine {} (KeRegisterBugCheckCallback, record {}, component "
        "\"{}\")",
        reinterpret_cast<const void*>(registration.routine), static_cast<const void*>(record),
        registration.component);
    if (!CallOne(description,
                 [&] { registration.routine(registration.buffer, registration.length); })) {
      // A bug check (or harness error) inside a callback: no more callbacks are called.
      record->State = BufferIncomplete;
      break;
    }
    record->State = BufferFinished;
  }
}

std::vector<std::string> BugCheckCallbacks::DescribeLeaks() const {
  std::vector<std::string> lines;
  const auto freed = [](const char* freed_by) {
    return freed_by != nullptr ? fmt::format(", and {} freed the pool block holding it", freed_by)
                               : std::string();
  };
  for (const Registration& registration : registered_) {
    lines.push_back(
        fmt::format("the bug-check callback record at {} (component \"{}\") is still registered "
                    "(KeRegisterBugCheckCallback without KeDeregisterBugCheckCallback){}",
                    static_cast<const void*>(registration.record), registration.component,
                    freed(registration.freed_by)));
  }
  for (const ReasonRegistration& registration : reasons_) {
    lines.push_back(fmt::format(
        "the bug-check reason callback record at {} (component \"{}\", {}) is still registered "
        "(KeRegisterBugCheckReasonCallback without KeDeregisterBugCheckReasonCallback){}",
        static_cast<const void*>(registration.record), registration.component,
        ReasonName(registration.reason), freed(registration.freed_by)));
  }
  return lines;
}

std::uintptr_t BugCheckCallbacks::FirstLeak() const {
  if (!registered_.empty()) return reinterpret_cast<std::uintptr_t>(registered_.front().record);
  return reasons_.empty() ? 0 : reinterpret_cast<std::uintptr_t>(reasons_.front().record);
}

}  // namespace kemu::model
