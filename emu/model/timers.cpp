// Kernel timers (DPC-9).
#include "model/timers.hpp"

#include <fmt/format.h>

#include "model/dispatcher.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr std::uint64_t k100nsPerMillisecond = 10000;

// The KTIMER still holds what KeInitializeTimer(Ex) and KeSetTimer(Ex) wrote: its memory was not
// reused while it was set (a stack frame left with the timer set). Its Dpc field is `dpc`, or NULL
// once the driver re-initialised the set timer, which still queues `dpc` (DPC-9). Not
// instrumented: under ASan the bytes of a frame that was left may lie in a live frame's redzone.
[[gnu::no_sanitize_address]] bool Holds(const KTIMER& timer, PKDPC dpc) {
  const DISPATCHER_HEADER& header = timer.Header;
  return (header.Type == TimerNotificationObject || header.Type == TimerSynchronizationObject) &&
         header.Size == sizeof(KTIMER) / sizeof(LONG) && (timer.Dpc == dpc || timer.Dpc == nullptr);
}

}  // namespace

std::uint64_t DeadlineFromDriverTime(std::uint64_t now_100ns, LONGLONG value) {
  if (value < 0) {
    const std::uint64_t relative = std::uint64_t{0} - static_cast<std::uint64_t>(value);
    return now_100ns + relative;
  }
  const auto absolute = static_cast<std::uint64_t>(value);
  const std::uint64_t now_system = kBootSystemTime + now_100ns;
  return absolute <= now_system ? now_100ns : absolute - kBootSystemTime;
}

void Timers::Initialize(PKTIMER timer, TIMER_TYPE type) {
  DISPATCHER_HEADER& header = timer->Header;
  header.Lock = 0;
  // DPC-9: Type 8 (notification) / 9 (synchronization), SignalState 0.
  header.Type = type == SynchronizationTimer ? TimerSynchronizationObject : TimerNotificationObject;
  header.Size = static_cast<UCHAR>(sizeof(KTIMER) / sizeof(LONG));
  header.SignalState = 0;
  InitializeListHead(&header.WaitListHead);
  timer->DueTime.QuadPart = 0;
  InitializeListHead(&timer->TimerListEntry);
  timer->Dpc = nullptr;
  timer->Processor = 0;
  timer->Period = 0;
  // A timer that is still set stays scheduled (DPC-9: Windows still calls its DPC), and its DPC
  // keeps the KeSetTimer edge (kept under the KDPC); the timer's own signals are the old object's.
  kernel_.dispatcher().NewObject(&header);
}

void Timers::Insert(PKTIMER timer, std::uint64_t due, std::uint64_t period_100ns, PKDPC dpc) {
  const Key key{due, ++sets_};
  schedule_.emplace(key, timer);
  set_[timer] = {.key = key, .period_100ns = period_100ns, .dpc = dpc};
  timer->DueTime.QuadPart = static_cast<ULONGLONG>(due);
}

BOOLEAN Timers::Set(const char* routine, PKTIMER timer, LONGLONG due, LONG period_ms, PKDPC dpc) {
  // A negative period is a driver bug Windows does not check; its ULONG value is a long period.
  const auto period = static_cast<ULONG>(period_ms);
  return Arm(routine, timer, due, std::uint64_t{period} * k100nsPerMillisecond, dpc);
}

BOOLEAN Timers::Arm(const char* routine, PKTIMER timer, LONGLONG due, std::uint64_t period_100ns,
                    PKDPC dpc) {
  kernel_.dispatcher().CheckObject(routine, timer);
  const BOOLEAN was_set = Cancel(routine, timer);
  const std::uint64_t now = kernel_.clock().now_100ns();
  const std::uint64_t deadline = DeadlineFromDriverTime(now, due);
  timer->Header.SignalState = 0;
  timer->Period = static_cast<ULONG>(period_100ns / k100nsPerMillisecond);
  timer->Dpc = dpc;
  // What the caller did so far happens before the timer's DPC runs, as for KeInsertQueueDpc, and
  // before a wait the expiry satisfies. Only that: the expiry itself publishes nothing (Expire).
  if (dpc != nullptr) kernel_.race().Release(dpc);
  kernel_.race().Release(&timer->Header);
  Insert(timer, deadline, period_100ns, dpc);
  // A due time already reached expires the timer at once, as Windows does when it finds the time
  // passed on insertion.
  if (deadline <= now) ExpireDue();
  return was_set;
}

BOOLEAN Timers::Cancel(const char* routine, PKTIMER timer) {
  kernel_.dispatcher().CheckObject(routine, timer);
  const auto found = set_.find(timer);
  if (found == set_.end()) return FALSE;
  schedule_.erase(found->second.key);
  set_.erase(found);
  return TRUE;
}

BOOLEAN Timers::ReadState(const char* routine, PKTIMER timer) {
  kernel_.dispatcher().CheckObject(routine, timer);
  return timer->Header.SignalState > 0 ? TRUE : FALSE;
}

std::optional<std::uint64_t> Timers::NextDue() const {
  if (schedule_.empty()) return std::nullopt;
  return schedule_.begin()->first.first;
}

void Timers::ExpireDue() {
  const std::uint64_t now = kernel_.clock().now_100ns();
  if (schedule_.empty() || schedule_.begin()->first.first > now) return;
  // Every timer due now is signalled and its DPC queued before any of those DPCs runs, as
  // Windows' expiry at a clock tick does: a DPC sees the other timers due with its own already
  // signalled, and DPCs targeted at other vCPUs may overlap (audit round 17, Y2).
  const Dpcs::Hold hold(kernel_.dpcs());
  while (!schedule_.empty() && schedule_.begin()->first.first <= now) {
    Expire(schedule_.begin()->second);
  }
}

void Timers::Expire(PKTIMER timer) {
  const Setting setting = set_.at(timer);
  // Before the KTIMER's header is signalled and its KDPC written and queued: left set in a stack
  // frame that returned, or in memory reused, both may be garbage by now (docs/kernel.md).
  const PKDEFERRED_ROUTINE routine =
      setting.dpc != nullptr ? kernel_.dpcs().RoutineOf(setting.dpc) : nullptr;
  if (!Holds(*timer, setting.dpc)) [[unlikely]] {
    kernel_.verifier().TimerOrDpcOverwritten(timer, /*timer=*/true, setting.dpc, routine);
  }
  // A KDPC kemu never saw initialised is KeInsertQueueDpc's report (DPC-12).
  if (routine != nullptr && !kernel_.dpcs().Intact(setting.dpc)) [[unlikely]] {
    kernel_.verifier().TimerOrDpcOverwritten(setting.dpc, /*timer=*/false, setting.dpc, routine);
  }
  schedule_.erase(setting.key);
  set_.erase(timer);
  if (setting.period_100ns != 0) {
    Insert(timer, setting.key.first + setting.period_100ns, setting.period_100ns, setting.dpc);
  }
  // Whoever moved the clock expires the timer on the setter's behalf: none of its own history
  // reaches the DPC or the waiters (race::BehalfScope).
  const race::BehalfScope behalf(kernel_.race());
  kernel_.dispatcher().Signal(&timer->Header);
  if (setting.dpc != nullptr) {
    // The DPC's system arguments are the system time of the expiry, low and high halves.
    const std::uint64_t system_time = kBootSystemTime + kernel_.clock().now_100ns();
    kernel_.dpcs().Insert(setting.dpc,
                          reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(system_time & 0xFFFFFFFF)),
                          reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(system_time >> 32)));
  }
}

std::vector<std::string> Timers::DescribeSet() const {
  std::vector<std::string> lines;
  for (const auto& [key, timer] : schedule_) {
    if (KemuOwned(timer)) continue;
    const Setting& setting = set_.at(timer);
    lines.push_back(fmt::format(
        "the KTIMER at {} is still set (due at interrupt time {}{}{}): cancel it with "
        "KeCancelTimer before unload",
        static_cast<const void*>(timer), key.first,
        setting.period_100ns != 0 ? fmt::format(", every {} ms", timer->Period) : "",
        setting.dpc != nullptr ? fmt::format(", DPC at {}", static_cast<const void*>(setting.dpc))
                               : ""));
  }
  return lines;
}

std::uintptr_t Timers::FirstSet() const {
  for (const auto& [key, timer] : schedule_) {
    if (!KemuOwned(timer)) return reinterpret_cast<std::uintptr_t>(timer);
  }
  return 0;
}

std::optional<Timers::SetWithDpc> Timers::FirstSetWithDpc() const {
  for (const auto& [key, timer] : schedule_) {
    // An EX_TIMER's DPC is kemu's (ex() reports the timer the driver did not delete), and so is
    // an I/O timer's.
    if (KemuOwned(timer)) continue;
    if (PKDPC dpc = set_.at(timer).dpc; dpc != nullptr) return SetWithDpc{timer, dpc};
  }
  return std::nullopt;
}

PKTIMER Timers::SetTimerIn(const void* begin, const void* end) const {
  // Keyed by address: the first timer at or after `begin` is the only candidate.
  const auto it = set_.lower_bound(static_cast<PKTIMER>(const_cast<void*>(begin)));
  return it != set_.end() && static_cast<const void*>(it->first) < end ? it->first : nullptr;
}

}  // namespace kemu::model
