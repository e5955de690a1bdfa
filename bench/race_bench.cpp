// What race detection costs (docs/concurrency.md "Race detection"): the example NIC driver built
// with kemu_instrument_driver() receives frames with the detector on, compared with the same
// instrumented build on a machine with MachineOptions::race_detection off, which is what the
// uninstrumented driver costs plus one call per access. Its own program, kemu_race_bench: linking
// instrumented code turns the detector's bookkeeping on for every machine in the process, which
// must not touch kemu_bench's other figures.
#include <benchmark/benchmark.h>

#include "baseline.hpp"
#include "nic_receive.hpp"

namespace {

void ReceiveFrames(benchmark::State& state, bool race_detection, unsigned processors) {
  kemu_bench::NicReceiveFrames(state, {.os = kemu::Os::kWindows10,
                                       .processors = processors,
                                       .trace = false,
                                       .race_detection = race_detection});
}

void BM_RaceNicReceiveDetectionOff(benchmark::State& state) { ReceiveFrames(state, false, 1); }
void BM_RaceNicReceiveDetectionOn(benchmark::State& state) { ReceiveFrames(state, true, 1); }
void BM_RaceNicReceiveDetectionOnTwoVcpus(benchmark::State& state) {
  ReceiveFrames(state, true, 2);
}
BENCHMARK(BM_RaceNicReceiveDetectionOff);
BENCHMARK(BM_RaceNicReceiveDetectionOn);
BENCHMARK(BM_RaceNicReceiveDetectionOnTwoVcpus);
KEMU_BENCH_RATIO("BM_RaceNicReceiveDetectionOff", kemu_bench::kCallBaseline,
                 "NIC example, instrumented, detection off: receive one frame", "the baseline call",
                 "x_baseline");
KEMU_BENCH_RATIO("BM_RaceNicReceiveDetectionOn", "BM_RaceNicReceiveDetectionOff",
                 "NIC example receive with race detection (goal <= 5x)", "detection off",
                 "x_detection_off");
KEMU_BENCH_RATIO("BM_RaceNicReceiveDetectionOnTwoVcpus", "BM_RaceNicReceiveDetectionOff",
                 "NIC example receive with race detection, 2 vCPUs (goal <= 5x)",
                 "detection off, 1 vCPU", "x_detection_off");

}  // namespace
