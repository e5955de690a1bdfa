#include "model/ipi_calls.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// Restores what a run changed, on the way out of a bug check too: the running vCPU, and the
// scheduler's hold.
class Borrow {
 public:
  Borrow(Kernel& kernel, unsigned cpu) : kernel_(kernel), home_(kernel.current_processor()) {
    kernel_.SetCurrentProcessor(cpu);
  }
  ~Borrow() { kernel_.SetCurrentProcessor(home_); }
  Borrow(const Borrow&) = delete;
  Borrow& operator=(const Borrow&) = delete;

 private:
  Kernel& kernel_;
  unsigned home_;
};

class HoldScheduler {
 public:
  explicit HoldScheduler(Scheduler& scheduler) : scheduler_(scheduler) { scheduler_.Hold(); }
  ~HoldScheduler() { scheduler_.Unhold(); }
  HoldScheduler(const HoldScheduler&) = delete;
  HoldScheduler& operator=(const HoldScheduler&) = delete;

 private:
  Scheduler& scheduler_;
};

}  // namespace

ULONG_PTR IpiCalls::Call(PKIPI_BROADCAST_WORKER routine, ULONG_PTR context) {
  const unsigned processors = kernel_.processor_count();
  const unsigned self = kernel_.current_processor();
  if (running_ != nullptr) {
    // From a broadcast routine, at IPI_LEVEL (Verifier and a checked kernel stopped at the IRQL
    // rule already): every processor is in the broadcast, none can take the new interrupt, and
    // the caller waits for them forever. The hang report, as for any wait that cannot end.
    kernel_.verifier().WaitNeverCompletes(
        self, kernel_.scheduler().DescribeRunning(),
        fmt::format("every vCPU to take a nested KeIpiGenericCall's interrupt, while all of them "
                    "run the broadcast routine {} at IPI_LEVEL",
                    reinterpret_cast<const void*>(running_)),
        kernel_.scheduler().DescribeContexts());
  }
  // A vCPU already at IPI_LEVEL or above (HIGH_LEVEL, another broadcast) takes the interrupt
  // only when it comes back below it.
  kernel_.scheduler().WaitUntil(
      {.ready =
           [this, processors, self] {
             for (unsigned cpu = 0; cpu < processors; ++cpu) {
               if (cpu != self && kernel_.cpu(cpu).irql >= IPI_LEVEL) return false;
             }
             return true;
           },
       .what = "every other vCPU to be below IPI_LEVEL, for KeIpiGenericCall's interrupt"});
  // Keys for the race detector: each run starts after the call and ends before it returns.
  // Two bytes apart, so that a run's end (key + 1) is no other run's start.
  std::vector<std::uint16_t> keys(processors);
  race::Detector& race = kernel_.race();
  for (const std::uint16_t& key : keys) race.Release(&key);
  ULONG_PTR own = 0;
  {
    const HoldScheduler hold(kernel_.scheduler());
    const Broadcasting broadcasting(*this, routine);
    const unsigned first = kernel_.scheduler().Choose(processors);
    for (unsigned step = 0; step < processors; ++step) {
      const unsigned cpu = (first + step) % processors;
      const ULONG_PTR result = RunOn(cpu, routine, context, &keys[cpu]);
      if (cpu == self) own = result;
    }
  }
  for (const std::uint16_t& key : keys) race.Acquire(reinterpret_cast<const char*>(&key) + 1);
  race.Forget(keys.data(), keys.size() * sizeof(keys[0]));
  // What became deliverable meanwhile (a device event due, a DPC a routine queued) goes now.
  kernel_.irql().DeliverPending(kernel_.cpu());
  return own;
}

ULONG_PTR IpiCalls::RunOn(unsigned cpu, PKIPI_BROADCAST_WORKER routine, ULONG_PTR context,
                          const void* key) {
  const Borrow borrow(kernel_, cpu);
  Cpu& target = kernel_.cpu();
  const KIRQL interrupted = target.irql;
  kernel_.WriteIrql(target, IPI_LEVEL);
  race::Detector& race = kernel_.race();
  race.BeginIsr(key, reinterpret_cast<const void*>(routine), 0, IPI_LEVEL, std::uint64_t{1} << cpu,
                cpu, __builtin_frame_address(0));
  struct End {
    ~End() { race.End(cpu); }
    race::Detector& race;
    unsigned cpu;
  } end{race, cpu};
  const ULONG_PTR result = routine(context);
  // Back to the interrupted level without delivering: what is pending there is that vCPU's to
  // take, on its own context, once the broadcast is over.
  kernel_.WriteIrql(target, interrupted);
  return result;
}

}  // namespace kemu::model
