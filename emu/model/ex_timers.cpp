// System-allocated timers (see ex_timers.hpp).
#include "model/ex_timers.hpp"

#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "model/freed_objects.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr ULONG kKnownAttributes =
    EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE | EX_TIMER_NOTIFICATION;
constexpr const char* kExpected = "an EX_TIMER from ExAllocateTimer";

}  // namespace

ExTimers::~ExTimers() = default;

PEX_TIMER ExTimers::Allocate(PEXT_CALLBACK callback, PVOID context, ULONG attributes) {
  const bool both =
      (attributes & EX_TIMER_HIGH_RESOLUTION) != 0 && (attributes & EX_TIMER_NO_WAKE) != 0;
  // Unknown bits: UNCONFIRMED what Windows does; kemu refuses them with the documented pair.
  if (both || (attributes & ~kKnownAttributes) != 0) {
    kernel_.verifier().ExTimerArgument("ExAllocateTimer", nullptr, attributes,
                                       ex_timer_rule::kAttributes);
    return nullptr;  // kRecord: the allocation fails
  }
  auto entry = std::make_unique<Entry>();
  entry->owner = this;
  entry->callback = callback;
  entry->context = context;
  entry->attributes = attributes;
  kernel_.timers().Initialize(&entry->timer, (attributes & EX_TIMER_NOTIFICATION) != 0
                                                 ? NotificationTimer
                                                 : SynchronizationTimer);
  kernel_.dpcs().Initialize(&entry->dpc, &Expired, entry.get(), /*threaded=*/false);
  const PEX_TIMER handle = entry->handle();
  kernel_.race().NameCallbackDpc(&entry->dpc, "EX_TIMER callback",
                                 reinterpret_cast<const void*>(callback), "EX_TIMER", handle);
  timers_.emplace(handle, std::move(entry));
  return handle;
}

ExTimers::Entry* ExTimers::Lookup(const char* routine, PEX_TIMER timer) {
  const auto found = timers_.find(timer);
  if (found == timers_.end()) RejectInvalidObject(kernel_, routine, kExpected, timer);
  Entry& entry = *found->second;
  if (entry.state == State::kDeleted) {
    kernel_.verifier().ExTimerDeleted(routine, timer);
    return nullptr;
  }
  return &entry;
}

void ExTimers::CheckVersion(const char* routine, PEX_TIMER timer, ULONG version) {
  // UNCONFIRMED what Windows does with a version it does not know; it cannot read the rest.
  if (version != 0) {
    kernel_.verifier().ExTimerArgument(routine, timer, version, ex_timer_rule::kParametersVersion);
  }
}

BOOLEAN ExTimers::Set(PEX_TIMER timer, LONGLONG due, LONGLONG period_100ns,
                      const EXT_SET_PARAMETERS* parameters) {
  constexpr const char* kName = "ExSetTimer";
  Entry* entry = Lookup(kName, timer);
  if (entry == nullptr || entry->state == State::kDeleting) return FALSE;
  auto& verifier = kernel_.verifier();
  if ((entry->attributes & EX_TIMER_HIGH_RESOLUTION) != 0 && due >= 0) {
    verifier.ExTimerArgument(kName, timer, static_cast<std::uint64_t>(due),
                             ex_timer_rule::kHighResolutionAbsoluteDueTime);
    return FALSE;
  }
  if (period_100ns < 0 || period_100ns > MAXLONG) {
    verifier.ExTimerArgument(kName, timer, static_cast<std::uint64_t>(period_100ns),
                             ex_timer_rule::kPeriodOutOfRange);
    return FALSE;
  }
  if (parameters != nullptr) {
    CheckVersion(kName, timer, parameters->Version);
    const LONGLONG tolerance = parameters->NoWakeTolerance;
    if (tolerance < 0 && tolerance != EX_TIMER_UNLIMITED_TOLERANCE) {
      verifier.ExTimerArgument(kName, timer, static_cast<std::uint64_t>(tolerance),
                               ex_timer_rule::kNegativeNoWakeTolerance);
      return FALSE;
    }
  }
  // kemu expires every timer exactly at its due time: the resolution and any no-wake tolerance
  // are met.
  return kernel_.timers().Arm(kName, &entry->timer, due, static_cast<std::uint64_t>(period_100ns),
                              &entry->dpc);
}

BOOLEAN ExTimers::Cancel(PEX_TIMER timer, PEXT_CANCEL_PARAMETERS parameters) {
  constexpr const char* kName = "ExCancelTimer";
  Entry* entry = Lookup(kName, timer);
  if (entry == nullptr || entry->state == State::kDeleting) return FALSE;
  // Microsoft says drivers pass NULL; what Windows does otherwise is UNCONFIRMED.
  if (parameters != nullptr) {
    kernel_.verifier().ExTimerArgument(kName, timer, reinterpret_cast<std::uintptr_t>(parameters),
                                       ex_timer_rule::kCancelParameters);
  }
  return kernel_.timers().Cancel(kName, &entry->timer);
}

BOOLEAN ExTimers::Delete(PEX_TIMER timer, BOOLEAN cancel, BOOLEAN wait,
                         const EXT_DELETE_PARAMETERS* parameters) {
  constexpr const char* kName = "ExDeleteTimer";
  Entry* entry = Lookup(kName, timer);
  if (wait && !cancel) {
    kernel_.verifier().ExTimerArgument(kName, timer, 0, ex_timer_rule::kWaitWithoutCancel);
    wait = FALSE;  // kRecord: as without Wait (waiting for a timer left set could never end)
  }
  // A second ExDeleteTimer on a timer still expiring does nothing.
  if (entry == nullptr || entry->state == State::kDeleting) return FALSE;
  if (parameters != nullptr) CheckVersion(kName, timer, parameters->Version);
  entry->state = State::kDeleting;
  if (parameters != nullptr) {
    entry->delete_callback = parameters->DeleteCallback;
    entry->delete_context = parameters->DeleteContext;
  }
  const BOOLEAN cancelled = cancel ? kernel_.timers().Cancel(kName, &entry->timer) : FALSE;
  // From inside its own callback (the IRQL report already made, or Verifier off) the wait could
  // never end: the deletion completes when the callback returns, as without Wait.
  if (entry->in_callback && entry->callback_cpu == kernel_.current_processor()) wait = FALSE;
  if (wait && Pending(*entry)) {
    // Only an expiry already under way is left (the timer was cancelled): its DPC is queued on,
    // or its callback runs on, another vCPU.
    kernel_.scheduler().WaitUntil(
        {.ready = [this, entry] { return !Pending(*entry); },
         .what = fmt::format("the callback of the EX_TIMER at {} to finish (ExDeleteTimer with "
                             "Wait)",
                             static_cast<const void*>(timer))});
    // What the callback did happens before ExDeleteTimer returns.
    kernel_.race().Acquire(&entry->dpc);
  }
  // Not pending: deleted now, its delete callback run before the return. Otherwise the last
  // expiry deletes it, after the callback (Expired).
  if (!Pending(*entry)) Finish(*entry);
  return cancelled;
}

bool ExTimers::Pending(const Entry& entry) const {
  return entry.in_callback || kernel_.timers().IsSet(const_cast<PKTIMER>(&entry.timer)) ||
         kernel_.dpcs().IsQueued(const_cast<PKDPC>(&entry.dpc));
}

void ExTimers::Finish(Entry& entry) {
  // Once: the last expiry's DPC may finish it while an ExDeleteTimer with Wait waits for it.
  if (entry.state == State::kDeleted) return;
  entry.state = State::kDeleted;
  kernel_.timers().Cancel("ExDeleteTimer", &entry.timer);
  if (entry.delete_callback != nullptr) entry.delete_callback(entry.delete_context);
}

VOID ExTimers::Expired(PKDPC, PVOID context, PVOID, PVOID) {
  Entry& entry = *static_cast<Entry*>(context);
  if (entry.state == State::kDeleted) return;  // cannot happen: Finish waits for the DPC
  // A timer deleted without Cancel expires once more at most, even a periodic one.
  if (entry.state == State::kDeleting) {
    entry.owner->kernel_.timers().Cancel("ExDeleteTimer", &entry.timer);
  }
  if (entry.callback != nullptr) {
    entry.in_callback = true;
    entry.callback_cpu = entry.owner->kernel_.current_processor();
    entry.callback(entry.handle(), entry.context);
    entry.in_callback = false;
    // What the callback did happens before an ExDeleteTimer that waited for it returns.
    entry.owner->kernel_.race().Release(&entry.dpc);
  }
  if (entry.state == State::kDeleting && !entry.owner->Pending(entry)) entry.owner->Finish(entry);
}

bool ExTimers::Owns(const KTIMER* timer) const {
  // The KTIMER is the first member: its address is the PEX_TIMER.
  return timers_.contains(reinterpret_cast<PEX_TIMER>(const_cast<KTIMER*>(timer)));
}

std::vector<std::string> ExTimers::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (const auto& [handle, entry] : timers_) {
    if (entry->state == State::kDeleted) continue;
    const bool set = kernel_.timers().IsSet(&entry->timer);
    if (entry->state == State::kDeleting) {
      lines.push_back(fmt::format(
          "the EX_TIMER at {} given to ExDeleteTimer is still expiring ({}): its callback would "
          "run after unload; delete it with Cancel and Wait TRUE",
          static_cast<const void*>(handle),
          set ? fmt::format("set without Cancel, due at interrupt time {}",
                            entry->timer.DueTime.QuadPart)
              : std::string("its callback's DPC is still queued")));
    } else {
      lines.push_back(
          fmt::format("the EX_TIMER at {} from ExAllocateTimer was never deleted (ExDeleteTimer){}",
                      static_cast<const void*>(handle),
                      set ? fmt::format(", and is still set (due at interrupt time {})",
                                        entry->timer.DueTime.QuadPart)
                          : ""));
    }
  }
  return lines;
}

std::uintptr_t ExTimers::FirstLeak() const {
  for (const auto& [handle, entry] : timers_) {
    if (entry->state != State::kDeleted) return reinterpret_cast<std::uintptr_t>(handle);
  }
  return 0;
}

}  // namespace kemu::model
