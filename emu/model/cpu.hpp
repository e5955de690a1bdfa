// One virtual processor: its IRQL, DPC queue and what runs on it. The execution context that
// runs it is the scheduler's (model/scheduler.hpp).
#ifndef KEMU_EMU_MODEL_CPU_HPP_
#define KEMU_EMU_MODEL_CPU_HPP_

#include <wdm.h>

#include <cstdint>
#include <vector>

#include "model/ring_deque.hpp"

namespace kemu::model {

struct DpcState;

/// A DPC in a vCPU's queue, with kemu's state for it (Dpcs keeps it, and drops the entry from
/// every queue before it forgets the state), so running it needs no second lookup.
struct QueuedDpc {
  PKDPC dpc;
  DpcState* state;
};

/// The DPC watchdog's marks for the outermost ISR or DPC routine running on a vCPU
/// (model/allotment.hpp).
struct Allotment {
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  std::uint64_t began_100ns = 0;  ///< virtual time when the routine began
  std::uint64_t began_calls = 0;  ///< kernel calls made before it began
  /// The kernel-call count at which the routine has used its allotment, as far as the time
  /// already passed inside it shows; kNever when no routine runs.
  std::uint64_t call_limit = kNever;
  const void* routine = nullptr;  ///< the ISR or DPC routine, for the report
  const void* object = nullptr;   ///< its KINTERRUPT or KDPC
  bool isr = false;
  bool threaded = false;  ///< a threaded DPC routine run at PASSIVE_LEVEL
};

/// A KeSaveFloatingPointState not yet restored (model/floating_state.hpp).
struct FloatingSave {
  const void* buffer;      ///< the driver's KFLOATING_SAVE
  std::uintptr_t thread;   ///< the thread it was saved in (a DPC or ISR: the one it interrupted)
  KIRQL irql;              ///< the IRQL the save ran at
  std::uint64_t sequence;  ///< its trace event
};

struct Cpu {
  explicit Cpu(unsigned number) : index(number) {}
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  unsigned index;
  KIRQL irql = PASSIVE_LEVEL;
  RingDeque<QueuedDpc> dpc_queue;
  /// Nesting depth of DPC routines running on this vCPU (DPC-8: >0 while one runs).
  unsigned dpc_depth = 0;
  /// IRQL the innermost running DPC routine was called at: DISPATCH_LEVEL, or PASSIVE_LEVEL for a
  /// threaded DPC run as one. Lowering below it inside the routine is a DPC IRQL violation.
  KIRQL dpc_irql = DISPATCH_LEVEL;
  /// The lowest insert serial among the DPC routines running on this vCPU (nested when ordinary
  /// DPCs preempt a threaded one), UINT64_MAX when none runs: KeFlushQueuedDpcs waits while it is
  /// at or below the flush's serial.
  std::uint64_t oldest_running_dpc = UINT64_MAX;
  /// Interrupt dispatches in progress on this vCPU (nested ones included).
  unsigned dispatching = 0;
  /// The interrupt burst this vCPU is in: one number per outermost delivery on it.
  std::uint64_t burst = 0;
  /// Nesting depth of KeSynchronizeExecution routines running on this vCPU.
  unsigned sync_depth = 0;
  /// True while this vCPU retires its DPC queue, so lowering inside does not recurse.
  bool retiring_dpcs = false;
  /// DPC routines run in this vCPU's current burst (one retirement of its queue) for the DPC
  /// watchdog. Per vCPU: another vCPU's retirement, nested inside one of this vCPU's DPCs (a
  /// KeFlushQueuedDpcs), must not restart this vCPU's count.
  std::uint64_t dpcs_in_burst = 0;
  /// True while this vCPU hands queued DPCs to the others (Dpcs::RetireQueued), so a retirement
  /// nested in a hand-off leaves the handing to the outer one.
  bool handing_off = false;
  /// True while this vCPU hands pending interrupts to the others (Interrupts::DeliverRaised): it
  /// scans again when that returns, so the others hand it nothing meanwhile.
  bool handing_interrupts = false;
  /// The thread running here set or reverted its system affinity at DISPATCH_LEVEL: it moves
  /// once its IRQL drops below DISPATCH_LEVEL (Affinity::MoveDeferred).
  bool deferred_move = false;
  /// DpcState::chain of the innermost DPC routine running here.
  std::uint64_t dpc_chain = 0;
  /// The outermost ISR or DPC routine running on this vCPU, for the DPC watchdog.
  Allotment allotment;
  /// Stand-in for the KTHREAD running on this vCPU: checked kernels stamp its address into a
  /// held spin lock's word (SL-3). Its address is all that matters.
  alignas(16) std::uint8_t thread_stub[16] = {};
  /// Floating-point saves made on this vCPU not yet restored, innermost last.
  std::vector<FloatingSave> floating_saves;

  /// A threaded DPC routine runs here at PASSIVE_LEVEL (its ...ForDpc lock routines raise).
  bool InThreadedDpc() const { return dpc_depth > 0 && dpc_irql < DISPATCH_LEVEL; }

  std::uintptr_t thread_address() const { return reinterpret_cast<std::uintptr_t>(thread_stub); }
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_CPU_HPP_
