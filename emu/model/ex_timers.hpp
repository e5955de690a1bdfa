// System-allocated timers (EX_TIMER; ExAllocateTimer, ExSetTimer, ExCancelTimer, ExDeleteTimer;
// docs/kernel.md, "EX_TIMER"). kemu owns each timer's memory: a KTIMER (so a wait on the EX_TIMER
// is a wait on a timer object) and a KDPC whose routine calls the driver's callback at
// DISPATCH_LEVEL. Both live in the kernel timers' wheel and DPC queues (timers.hpp, dpcs.hpp); no
// second timer model. A deleted timer's memory is kept until the machine ends, so an address never
// names two timers. A timer not deleted at Machine::Shutdown is a leak.
#ifndef KEMU_EMU_MODEL_EX_TIMERS_HPP_
#define KEMU_EMU_MODEL_EX_TIMERS_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

class ExTimers {
 public:
  explicit ExTimers(Kernel& kernel) : kernel_(kernel) {}
  ExTimers(const ExTimers&) = delete;
  ExTimers& operator=(const ExTimers&) = delete;
  ~ExTimers();

  /// ExAllocateTimer (its attributes checked).
  PEX_TIMER Allocate(PEXT_CALLBACK callback, PVOID context, ULONG attributes);
  /// ExSetTimer: `period_100ns` 0 for one-shot. FALSE, doing nothing, once the timer is deleted.
  BOOLEAN Set(PEX_TIMER timer, LONGLONG due, LONGLONG period_100ns,
              const EXT_SET_PARAMETERS* parameters);
  BOOLEAN Cancel(PEX_TIMER timer, PEXT_CANCEL_PARAMETERS parameters);
  /// ExDeleteTimer; the caller has checked the IRQL for `wait`.
  BOOLEAN Delete(PEX_TIMER timer, BOOLEAN cancel, BOOLEAN wait,
                 const EXT_DELETE_PARAMETERS* parameters);

  /// Whether `timer` is the KTIMER inside one of these timers.
  bool Owns(const KTIMER* timer) const;

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  enum class State { kLive, kDeleting, kDeleted };
  struct Entry {
    KTIMER timer;  ///< first: the PEX_TIMER is its address
    KDPC dpc;
    ExTimers* owner = nullptr;
    PEXT_CALLBACK callback = nullptr;
    PVOID context = nullptr;
    ULONG attributes = 0;
    State state = State::kLive;
    bool in_callback = false;
    unsigned callback_cpu = 0;  ///< the vCPU the running callback runs on
    PEXT_DELETE_CALLBACK delete_callback = nullptr;
    PVOID delete_context = nullptr;

    PEX_TIMER handle() { return reinterpret_cast<PEX_TIMER>(&timer); }
  };

  static VOID Expired(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2);
  /// The live or deleting timer at `timer`; nullptr (after the report, under kRecord) for one
  /// already deleted. Any other pointer is kemu's invalid-object report.
  Entry* Lookup(const char* routine, PEX_TIMER timer);
  /// Still expiring: set, its DPC queued, or its callback running.
  bool Pending(const Entry& entry) const;
  void CheckVersion(const char* routine, PEX_TIMER timer, ULONG version);
  /// The deletion completes: the timer never fires again and the delete callback runs.
  void Finish(Entry& entry);

  Kernel& kernel_;
  std::map<PEX_TIMER, std::unique_ptr<Entry>> timers_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_EX_TIMERS_HPP_
