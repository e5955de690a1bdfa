// Deferred procedure calls: per-vCPU queues retired when the vCPU's IRQL drops below
// DISPATCH_LEVEL. Queue state lives in a side table keyed by the driver's KDPC address, so a KDPC
// that never went through KeInitializeDpc is recognised (DPC-12).
#ifndef KEMU_EMU_MODEL_DPCS_HPP_
#define KEMU_EMU_MODEL_DPCS_HPP_

#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/address_map.hpp"

namespace kemu::model {

class Kernel;
struct Cpu;
struct QueuedDpc;

/// kemu's state for one KDPC, keyed by its address. A queued entry (QueuedDpc) points at it.
struct DpcState {
  bool queued = false;
  std::uint64_t serial = 0;  ///< order of the insert that queued it (KeFlushQueuedDpcs)
  int target = -1;           ///< vCPU set by KeSetTargetProcessorDpc, -1 = the inserting vCPU
  bool threaded = false;
  /// The routine KeInitializeDpc gave, kept for reports that may run after the KDPC's storage is
  /// gone (the shutdown check of a machine destroyed after the test's locals).
  PKDEFERRED_ROUTINE routine = nullptr;
  /// How many DPC routines in a row queued it, each queued by the one before (0: queued by a
  /// thread or an ISR). Bounds DPCs that keep queueing each other across vCPUs.
  std::uint64_t chain = 0;
};

class Dpcs {
 public:
  /// DPC routines one retirement of one vCPU's queue may run before the DPC watchdog fires (a DPC
  /// that re-queues itself forever would otherwise hang the test).
  static constexpr std::uint64_t kWatchdogLimit = 100000;
  /// DPCs queued by DPC routines in a row before kemu stops a livelock (docs/kernel.md, "DPC
  /// chains"). Twice the watchdog's bound, so one vCPU's self-queueing DPC is 0x133 first.
  static constexpr std::uint64_t kChainLimit = 2 * kWatchdogLimit;

  /// `threaded_enabled`: threaded DPCs run at PASSIVE_LEVEL (MachineOptions::threaded_dpcs).
  Dpcs(Kernel& kernel, bool threaded_enabled)
      : kernel_(kernel), threaded_enabled_(threaded_enabled) {}

  void Initialize(PKDPC dpc, PKDEFERRED_ROUTINE routine, PVOID context, bool threaded);
  BOOLEAN Insert(PKDPC dpc, PVOID argument1, PVOID argument2);
  BOOLEAN Remove(PKDPC dpc);
  void SetImportance(PKDPC dpc, KDPC_IMPORTANCE importance);
  /// `routine`: KeSetTargetProcessorDpc or ...Ex, named when the DPC was never initialised.
  void SetTargetProcessor(PKDPC dpc, unsigned processor,
                          const char* routine = "KeSetTargetProcessorDpc");
  /// KeFlushQueuedDpcs: returns once every DPC queued before the call has run, on every vCPU
  /// (DPC-11), letting the other vCPUs run meanwhile.
  void Flush();

  /// Runs the DPCs queued on `cpu` (the running vCPU) while it is below DISPATCH_LEVEL, then
  /// hands other vCPUs below DISPATCH_LEVEL with DPCs queued their work.
  /// Inline and a compare when no DPC is queued anywhere (every IRQL lowering calls it).
  void Retire(Cpu& cpu) {
    if (queued_ != 0) RetireQueued(cpu);
  }
  /// Runs or hands over the queued DPCs of every vCPU below DISPATCH_LEVEL.
  void RetireAll();
  /// While one lives, a DPC queued on the running vCPU waits, as if it were at DISPATCH_LEVEL;
  /// at the end the queue is retired. Timer expiry holds them: Windows expires every timer due
  /// at a tick before any of their DPCs runs, so DPCs of timers due together may overlap.
  class Hold {
   public:
    explicit Hold(Dpcs& dpcs) : dpcs_(dpcs) { ++dpcs_.holding_; }
    ~Hold() noexcept(false);
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    Dpcs& dpcs_;
  };
  /// Hands the DPCs queued on the other vCPUs below DISPATCH_LEVEL to them, whatever the schedule:
  /// a busy wait (KeStallExecutionProcessor) at DISPATCH_LEVEL or above polls for their effect,
  /// and on Windows their processors take the DPC interrupt at once.
  void HandOffOthers();

  bool IsQueued(PKDPC dpc) const;
  /// The routine `dpc` was last initialised with, or nullptr for a KDPC never initialised.
  PKDEFERRED_ROUTINE RoutineOf(PKDPC dpc) const;
  /// `dpc` still holds the type and routine KeInitializeDpc (or ...ThreadedDpc) wrote, as kemu
  /// recorded them (true for a KDPC never initialised: nothing to compare). A KDPC left queued or
  /// set in a stack frame that returned, or in memory reused meanwhile, does not (docs/kernel.md).
  bool Intact(PKDPC dpc) const;
  /// A queued DPC whose KDPC lies within [begin, end) (memory being freed), or nullptr.
  PKDPC QueuedDpcIn(const void* begin, const void* end) const;
  /// The KDPCs within [begin, end) die with that memory (Pool::Free): a later call on one finds
  /// no KDPC and its report names the free. A queued one stays known (its queue entry points at
  /// its state; the free was reported as a DPC in freed pool).
  void ForgetRange(const void* begin, const void* end);
  /// A kemu-owned KDPC (KeGenericCallDpc's) that has run and is about to be freed. Still queued
  /// (its routine queued it again), it leaves the queues first: no entry outlives its state.
  void Forget(PKDPC dpc);
  std::vector<std::string> DescribeQueued() const;
  std::uintptr_t FirstQueued() const;

 private:
  using State = DpcState;

  void RetireQueued(Cpu& cpu);
  State& Lookup(const char* routine, PKDPC dpc);
  void RetireOne(Cpu& cpu);
  /// The oldest ordinary (not threaded) DPC queued on `cpu`, or nullptr.
  static const QueuedDpc* FirstOrdinary(const Cpu& cpu);
  /// Runs `entry`, just taken off `cpu`'s queue, counting it for the DPC watchdog.
  void RunDequeued(Cpu& cpu, QueuedDpc entry);
  /// Runs the ordinary DPCs queued on `cpu` inside the threaded DPC running there at
  /// PASSIVE_LEVEL, as the DISPATCH_LEVEL interrupt preempts its thread on Windows.
  void PreemptThreaded(Cpu& cpu);
  void Run(Cpu& cpu, QueuedDpc entry);
  /// Takes `dpc` off every vCPU's queue.
  void Unqueue(PKDPC dpc);
  /// Hands vCPU `cpu`'s queue to its own context if it can run DPCs now.
  void HandOff(unsigned cpu);
  /// HandOff for every vCPU but `cpu`.
  void HandOffAllBut(unsigned cpu);
  /// Whether any DPC queued at or before insert `serial` is still queued or running on a vCPU
  /// other than `skip_cpu` (-1: none skipped).
  bool AnyUpTo(std::uint64_t serial, int skip_cpu) const;

  Kernel& kernel_;
  const bool threaded_enabled_;
  AddressMap<PKDPC, State> dpcs_;
  std::uint64_t serial_ = 0;  ///< inserts so far
  std::size_t queued_ = 0;    ///< DPCs in every vCPU's dpc_queue together
  unsigned holding_ = 0;      ///< Hold scopes alive
  std::uint64_t runs_ = 0;    ///< DPC routines run so far, on every vCPU
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_DPCS_HPP_
