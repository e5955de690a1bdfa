// Spin locks: the classic KeAcquireSpinLock/KeReleaseSpinLock pair and the in-stack queued variant,
// uncontended at PASSIVE_LEVEL, as a driver's dispatch routines take them.
#include <benchmark/benchmark.h>
#include <wdm.h>

#include "baseline.hpp"
#include "kemu/machine.hpp"

namespace {

void BM_KeAcquireReleaseSpinLock(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{.trace = false});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  for (auto _ : state) {
    KIRQL old_irql;
    KeAcquireSpinLock(&lock, &old_irql);
    KeReleaseSpinLock(&lock, old_irql);
  }
}
BENCHMARK(BM_KeAcquireReleaseSpinLock);
KEMU_BENCH_RATIO("BM_KeAcquireReleaseSpinLock", kemu_bench::kAtomicBaseline,
                 "KeAcquireSpinLock+KeReleaseSpinLock", "an atomic exchange lock", "x_baseline");

void BM_InStackQueuedSpinLock(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{.trace = false});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  for (auto _ : state) {
    KLOCK_QUEUE_HANDLE handle;
    KeAcquireInStackQueuedSpinLock(&lock, &handle);
    KeReleaseInStackQueuedSpinLock(&handle);
  }
}
BENCHMARK(BM_InStackQueuedSpinLock);
KEMU_BENCH_RATIO("BM_InStackQueuedSpinLock", kemu_bench::kAtomicBaseline,
                 "KeAcquire/ReleaseInStackQueuedSpinLock", "an atomic exchange lock", "x_baseline");

}  // namespace
