// IRQL: the KeRaiseIrql/KeLowerIrql pair a driver wraps around every short critical section.
#include <benchmark/benchmark.h>
#include <wdm.h>

#include "baseline.hpp"
#include "kemu/machine.hpp"

namespace {

// Arg 0: MachineOptions::trace, so that the cost of recording shows as its own ratio.
void BM_KeRaiseLowerIrql(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{.trace = state.range(0) != 0});
  for (auto _ : state) {
    KIRQL old_irql;
    KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
    KeLowerIrql(old_irql);
  }
}
// Trace off first: the trace-on run's ratio to it is computed as soon as it is reported.
BENCHMARK(BM_KeRaiseLowerIrql)->ArgName("trace")->Arg(0)->Arg(1);

KEMU_BENCH_RATIO("BM_KeRaiseLowerIrql/trace:0", kemu_bench::kCallBaseline,
                 "KeRaiseIrql+KeLowerIrql (trace off)", "the baseline call", "x_baseline");
KEMU_BENCH_RATIO("BM_KeRaiseLowerIrql/trace:1", kemu_bench::kCallBaseline,
                 "KeRaiseIrql+KeLowerIrql (trace on)", "the baseline call", "x_baseline");
KEMU_BENCH_RATIO("BM_KeRaiseLowerIrql/trace:1", "BM_KeRaiseLowerIrql/trace:0",
                 "KeRaiseIrql+KeLowerIrql, trace on", "the same with trace off", "x_trace_off");

}  // namespace
