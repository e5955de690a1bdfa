// KeGenericCallDpc: a routine run as a DPC on every vCPU at once, with the reverse barrier
// (KeSignalCallDpcSynchronize) its rounds meet at and the count KeSignalCallDpcDone brings to
// zero (DPC-10). The call's KDPCs, count and barrier are kemu's; the routine gets pointers to the
// count (SystemArgument1) and the barrier (SystemArgument2), whose contents are internal.
#ifndef KEMU_EMU_MODEL_GENERIC_CALLS_HPP_
#define KEMU_EMU_MODEL_GENERIC_CALLS_HPP_

#include <wdm.h>

#include <cstdint>
#include <list>
#include <vector>

namespace kemu::model {

class Kernel;

class GenericCalls {
 public:
  explicit GenericCalls(Kernel& kernel) : kernel_(kernel) {}

  /// Queues `routine` on every vCPU, runs the caller's own at once, and returns when every one
  /// has called KeSignalCallDpcDone and returned.
  void Call(PKDEFERRED_ROUTINE routine, PVOID context);
  /// KeSignalCallDpcSynchronize: waits for every vCPU of the call to arrive; TRUE on the last to
  /// arrive (exactly one per round), FALSE on the others.
  LOGICAL Synchronize(PVOID barrier);
  /// KeSignalCallDpcDone: this vCPU's routine is done.
  void Done(PVOID count);

 private:
  struct Barrier {
    ULONG arrived = 0;
    ULONG total = 0;
    std::uint64_t round = 0;
  };
  struct Running {
    LONG remaining = 0;  ///< SystemArgument1 points here
    Barrier barrier;     ///< SystemArgument2 points here
    std::vector<KDPC> dpcs;
  };

  Running* FindByCount(const void* count);
  Running* FindByBarrier(const void* barrier);
  void CheckAtDispatch(const char* routine);

  Kernel& kernel_;
  std::list<Running> active_;  ///< stable addresses: the DPCs hold pointers into each
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_GENERIC_CALLS_HPP_
