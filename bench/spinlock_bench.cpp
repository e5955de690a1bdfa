// Spin locks: the classic KeAcquireSpinLock/KeReleaseSpinLock pair and the in-stack queued variant,
// uncontended at PASSIVE_LEVEL, as a driver's dispatch routines take them.
#include <benchmark/benchmark.h>
#include <wdm.h>

#include "baseline.hpp"
#include "kemu/machine.hpp"

namespace {

// Arg 0: MachineOptions::trace, so that the cost of recording shows as its own ratio.
void BM_KeAcquireReleaseSpinLock(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{.trace = state.range(0) != 0});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  for (auto _ : state) {
    KIRQL old_irql;
    KeAcquireSpinLock(&lock, &old_irql);
    KeReleaseSpinLock(&lock, old_irql);
  }
}
// Trace off first: the trace-on run's ratio to it is computed as soon as it is reported.
BENCHMARK(BM_KeAcquireReleaseSpinLock)->ArgName("trace")->Arg(0)->Arg(1);
KEMU_BENCH_RATIO("BM_KeAcquireReleaseSpinLock/trace:0", kemu_bench::kAtomicBaseline,
                 "KeAcquireSpinLock+KeReleaseSpinLock", "an atomic exchange lock", "x_baseline");
KEMU_BENCH_RATIO("BM_KeAcquireReleaseSpinLock/trace:1", "BM_KeAcquireReleaseSpinLock/trace:0",
                 "KeAcquireSpinLock+KeReleaseSpinLock, trace on", "the same with trace off",
                 "x_trace_off");

void BM_InStackQueuedSpinLock(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{.trace = state.range(0) != 0});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  for (auto _ : state) {
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLock(&lock, &handle);
    KeReleaseInStackQueuedSpinLock(&handle);
  }
}
BENCHMARK(BM_InStackQueuedSpinLock)->ArgName("trace")->Arg(0)->Arg(1);
KEMU_BENCH_RATIO("BM_InStackQueuedSpinLock/trace:0", kemu_bench::kAtomicBaseline,
                 "KeAcquire/ReleaseInStackQueuedSpinLock", "an atomic exchange lock", "x_baseline");
KEMU_BENCH_RATIO("BM_InStackQueuedSpinLock/trace:1", "BM_InStackQueuedSpinLock/trace:0",
                 "KeAcquire/ReleaseInStackQueuedSpinLock, trace on", "the same with trace off",
                 "x_trace_off");

}  // namespace
