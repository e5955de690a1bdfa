// One virtual processor: its IRQL and DPC queue. vCPUs are data; one host thread runs them all.
#ifndef KEMU_EMU_MODEL_CPU_HPP_
#define KEMU_EMU_MODEL_CPU_HPP_

#include <wdm.h>

#include <cstdint>
#include <deque>

namespace kemu::model {

struct Cpu {
  explicit Cpu(unsigned number) : index(number) {}
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  unsigned index;
  KIRQL irql = PASSIVE_LEVEL;
  std::deque<PKDPC> dpc_queue;
  /// Nesting depth of DPC routines running on this vCPU (DPC-8: >0 while one runs).
  unsigned dpc_depth = 0;
  /// Nesting depth of KeSynchronizeExecution routines running on this vCPU.
  unsigned sync_depth = 0;
  /// True while this vCPU retires its DPC queue, so lowering inside does not recurse.
  bool retiring_dpcs = false;
  /// DPC routines run in this vCPU's current burst (one retirement of its queue) for the DPC
  /// watchdog. Per vCPU: another vCPU's retirement, nested inside one of this vCPU's DPCs (a
  /// KeFlushQueuedDpcs), must not restart this vCPU's count.
  std::uint64_t dpcs_in_burst = 0;
  /// Stand-in for the KTHREAD running on this vCPU: checked kernels stamp its address into a
  /// held spin lock's word (SL-3). Its address is all that matters.
  alignas(16) std::uint8_t thread_stub[16] = {};

  std::uintptr_t thread_address() const { return reinterpret_cast<std::uintptr_t>(thread_stub); }
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_CPU_HPP_
