#include "model/generic_calls.hpp"

#include <fmt/format.h>

#include <vector>

#include "model/kernel.hpp"

namespace kemu::model {

void GenericCalls::Call(PKDEFERRED_ROUTINE routine, PVOID context) {
  const unsigned processors = kernel_.processor_count();
  Running& call = active_.emplace_back();
  call.remaining = static_cast<LONG>(processors);
  call.barrier.total = processors;
  call.dpcs.resize(processors);
  const unsigned self = kernel_.current_processor();
  // The other vCPUs' DPCs first, the caller's own last: queued below DISPATCH_LEVEL it runs at
  // once, and its first barrier must find the others' DPCs already queued.
  std::vector<unsigned> order;
  for (unsigned cpu = 0; cpu < processors; ++cpu) {
    if (cpu != self) order.push_back(cpu);
  }
  order.push_back(self);
  for (unsigned cpu : order) {
    PKDPC dpc = &call.dpcs[cpu];
    kernel_.dpcs().Initialize(dpc, routine, context, /*threaded=*/false);
    kernel_.dpcs().SetTargetProcessor(dpc, cpu);
    kernel_.dpcs().Insert(dpc, &call.remaining, &call.barrier);
  }
  if (call.remaining != 0) {
    kernel_.scheduler().WaitUntil(
        {.ready = [&call] { return call.remaining == 0; },
         .what = fmt::format("every vCPU's KeGenericCallDpc routine to call KeSignalCallDpcDone "
                             "({} of {} still to)",
                             call.remaining, processors)});
  }
  // Done is signalled from inside the routines: let each return before its KDPC goes.
  kernel_.dpcs().Flush();
  for (KDPC& dpc : call.dpcs) kernel_.dpcs().Forget(&dpc);
  // The KDPCs go with the call: a later call's may reuse their addresses, with other routines.
  kernel_.race().Forget(call.dpcs.data(), call.dpcs.size() * sizeof(KDPC));
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    if (&*it == &call) {
      active_.erase(it);
      break;
    }
  }
}

GenericCalls::Running* GenericCalls::FindByCount(const void* count) {
  for (Running& call : active_) {
    if (&call.remaining == count) return &call;
  }
  return nullptr;
}

GenericCalls::Running* GenericCalls::FindByBarrier(const void* barrier) {
  for (Running& call : active_) {
    if (&call.barrier == barrier) return &call;
  }
  return nullptr;
}

void GenericCalls::CheckAtDispatch(const char* routine) {
  const KIRQL irql = kernel_.cpu().irql;
  if (irql < DISPATCH_LEVEL) kernel_.verifier().IrqlBelowMinimum(routine, irql, DISPATCH_LEVEL);
  if (irql > DISPATCH_LEVEL) kernel_.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL);
}

LOGICAL GenericCalls::Synchronize(PVOID barrier) {
  static constexpr const char* kName = "KeSignalCallDpcSynchronize";
  Running* call = FindByBarrier(barrier);
  if (call == nullptr) {
    kernel_.verifier().InvalidKernelObject(
        kName, "the SystemArgument2 of a running KeGenericCallDpc routine", barrier);
  }
  CheckAtDispatch(kName);
  Barrier& state = call->barrier;
  const std::uint64_t round = state.round;
  if (++state.arrived == state.total) {
    state.arrived = 0;
    ++state.round;
    return TRUE;
  }
  kernel_.scheduler().WaitUntil(
      {.ready = [&state, round] { return state.round != round; },
       .what = fmt::format("KeSignalCallDpcSynchronize: the other vCPUs of the KeGenericCallDpc "
                           "to reach the barrier ({} of {} there)",
                           state.arrived, state.total)});
  return FALSE;
}

void GenericCalls::Done(PVOID count) {
  static constexpr const char* kName = "KeSignalCallDpcDone";
  Running* call = FindByCount(count);
  if (call == nullptr) {
    kernel_.verifier().InvalidKernelObject(
        kName, "the SystemArgument1 of a running KeGenericCallDpc routine", count);
  }
  CheckAtDispatch(kName);
  --call->remaining;
}

}  // namespace kemu::model
