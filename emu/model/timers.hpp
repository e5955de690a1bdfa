// Kernel timers (DPC-9): KTIMERs set to expire at an interrupt time, optionally periodic, that
// signal their dispatcher header and queue their DPC when virtual time reaches them. The
// schedule is kemu's side table keyed by the KTIMER address; the KTIMER itself holds DueTime,
// Period, Dpc and the header, as on Windows.
#ifndef KEMU_EMU_MODEL_TIMERS_HPP_
#define KEMU_EMU_MODEL_TIMERS_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/ex_timers.hpp"
#include "model/io_timers.hpp"

namespace kemu::model {

class Kernel;

class Timers {
 public:
  explicit Timers(Kernel& kernel) : kernel_(kernel), ex_(kernel), io_(kernel) {}

  void Initialize(PKTIMER timer, TIMER_TYPE type);
  /// KeSetTimer(Ex): `due` is the driver's DueTime (negative relative, positive absolute system
  /// time), `period_ms` 0 for one-shot. TRUE when the timer was already set.
  BOOLEAN Set(const char* routine, PKTIMER timer, LONGLONG due, LONG period_ms, PKDPC dpc);
  /// As Set, with the period in 100 ns units (ExSetTimer's).
  BOOLEAN Arm(const char* routine, PKTIMER timer, LONGLONG due, std::uint64_t period_100ns,
              PKDPC dpc);
  bool IsSet(PKTIMER timer) const { return set_.contains(timer); }
  BOOLEAN Cancel(const char* routine, PKTIMER timer);
  BOOLEAN ReadState(const char* routine, PKTIMER timer);

  /// Interrupt time of the earliest set timer.
  std::optional<std::uint64_t> NextDue() const;
  /// Expires every timer due at or before the current interrupt time, earliest first.
  void ExpireDue();

  /// The system-allocated timers (EX_TIMER), each over a KTIMER of this table.
  ExTimers& ex() { return ex_; }
  const ExTimers& ex() const { return ex_; }
  /// The device objects' one-second timers (IoInitializeTimer), each over a KTIMER of this table.
  IoTimers& io() { return io_; }

  /// Driver KTIMERs still set (they would fire after the driver unloaded); an EX_TIMER's is
  /// ex()'s to report, and an I/O timer's ends with its device object.
  std::vector<std::string> DescribeSet() const;
  std::uintptr_t FirstSet() const;
  /// The earliest-due set timer that queues a DPC when it expires, and that DPC.
  struct SetWithDpc {
    PKTIMER timer;
    PKDPC dpc;
  };
  std::optional<SetWithDpc> FirstSetWithDpc() const;
  /// A set timer whose KTIMER lies within [begin, end) (memory being freed), or nullptr.
  PKTIMER SetTimerIn(const void* begin, const void* end) const;

 private:
  using Key = std::pair<std::uint64_t, std::uint64_t>;  ///< (due time, order of setting)
  struct Setting {
    Key key;
    std::uint64_t period_100ns = 0;
    /// Kept here, not read back from the KTIMER: re-initializing a set timer does not stop its
    /// DPC (DPC-9).
    PKDPC dpc = nullptr;
  };

  /// A KTIMER inside an EX_TIMER or an I/O timer: kemu's memory, not the driver's.
  bool KemuOwned(PKTIMER timer) const { return ex_.Owns(timer) || io_.Owns(timer); }
  void Expire(PKTIMER timer);
  void Insert(PKTIMER timer, std::uint64_t due, std::uint64_t period_100ns, PKDPC dpc);

  Kernel& kernel_;
  std::map<Key, PKTIMER> schedule_;  ///< expiry order, ties in the order they were set
  std::map<PKTIMER, Setting> set_;
  std::uint64_t sets_ = 0;
  ExTimers ex_;
  IoTimers io_;
};

/// Interrupt time a driver's timeout or due time stands for: negative values are relative to
/// now, positive ones absolute system times (before boot: now).
std::uint64_t DeadlineFromDriverTime(std::uint64_t now_100ns, LONGLONG value);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_TIMERS_HPP_
