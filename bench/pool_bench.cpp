// Pool: an ExAllocatePoolWithTag/ExFreePoolWithTag pair, as a driver's request path allocates and
// frees a small context. A free forgets the kernel objects kemu knows in the freed block (spin
// locks, KDPCs, lock-order nodes, set timers), so its cost must not grow with the number of such
// objects alive elsewhere on the machine.
#include <benchmark/benchmark.h>
#include <wdm.h>

#include <vector>

#include "baseline.hpp"
#include "kemu/machine.hpp"

namespace {

constexpr ULONG kTag = 0x74736554;  // 'Test'

VOID IdleDpc(PKDPC, PVOID, PVOID, PVOID) {}

// Arg 0: a fresh machine (the reference); 1: 10,000 spin locks, KDPCs and timers initialised, and
// each lock taken once under one outer lock, so the verifier's lock-order graph holds them all.
void BM_PoolAllocateFreeAfter(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{});
  const std::size_t objects = state.range(0) == 0 ? 0 : 10000;
  std::vector<KSPIN_LOCK> locks(objects);
  std::vector<KDPC> dpcs(objects);
  std::vector<KTIMER> timers(objects);
  KSPIN_LOCK outer;
  KeInitializeSpinLock(&outer);
  for (std::size_t i = 0; i < objects; ++i) {
    KeInitializeSpinLock(&locks[i]);
    KeInitializeDpc(&dpcs[i], &IdleDpc, nullptr);
    KeInitializeTimer(&timers[i]);
    KIRQL old_irql;
    KeAcquireSpinLock(&outer, &old_irql);
    KeAcquireSpinLockAtDpcLevel(&locks[i]);
    KeReleaseSpinLockFromDpcLevel(&locks[i]);
    KeReleaseSpinLock(&outer, old_irql);
  }
  for (auto _ : state) {
    void* block = ExAllocatePoolWithTag(NonPagedPoolNx, 64, kTag);
    benchmark::DoNotOptimize(block);
    ExFreePoolWithTag(block, kTag);
  }
}
BENCHMARK(BM_PoolAllocateFreeAfter)->ArgName("after")->DenseRange(0, 1);
KEMU_BENCH_RATIO("BM_PoolAllocateFreeAfter/after:1", "BM_PoolAllocateFreeAfter/after:0",
                 "pool allocate+free with 10,000 locks, DPCs and timers alive", "a fresh machine",
                 "x_fresh");

}  // namespace
