// The example NIC driver's receive path (examples/nic): one frame arrives, the card interrupts, the
// driver's ISR acknowledges and queues its DPC, the DPC takes the causes under
// KeSynchronizeExecution and drains the ring under its spin lock. Built only with the examples.
#include <benchmark/benchmark.h>

#include "baseline.hpp"
#include "nic_receive.hpp"

namespace {

void BM_NicReceiveFrame(benchmark::State& state) {
  kemu_bench::NicReceiveFrames(state, {.os = kemu::Os::kWindows10, .trace = false});
}
BENCHMARK(BM_NicReceiveFrame);
KEMU_BENCH_RATIO("BM_NicReceiveFrame", kemu_bench::kCallBaseline, "NIC example: receive one frame",
                 "the baseline call", "x_baseline");

}  // namespace
