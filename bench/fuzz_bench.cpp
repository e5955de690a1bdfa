// The example NIC driver's fuzz target in-process, as libFuzzer drives it minus libFuzzer: decode
// an input into a scenario and run it (kemu::fuzz::Decode + kemu::fuzz::Run), over the checked-in
// corpus and seeded random inputs in turn. The counter inputs_per_s is the throughput a fuzzer
// gets from kemu alone; the ratios compare one input with the baseline call and with a full
// scenario run (BM_RunScenario: a parsed YAML file, three frames). Built only with the examples.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "baseline.hpp"
#include "kemu/fuzz.hpp"
#include "nic_fuzz_target.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

std::vector<Bytes> Inputs() {
  std::vector<Bytes> inputs = kemu::fuzz::ReadCorpus(KEMU_BENCH_NIC_FUZZ_CORPUS);
  std::mt19937 random(42);  // seeded: the same mix every run
  for (int i = 0; i < 256; ++i) {
    Bytes bytes(random() % 160);
    for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

void BM_FuzzNicDecode(benchmark::State& state) {
  const kemu::fuzz::FuzzTarget target = kemu_example::NicFuzzTarget("nic");
  const std::vector<kemu::scenario::ActionInfo> actions = kemu::fuzz::TargetActions(target);
  const std::vector<Bytes> inputs = Inputs();
  std::size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kemu::fuzz::Decode(target, actions, inputs[next]));
    next = (next + 1) % inputs.size();
  }
  state.counters["inputs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FuzzNicDecode);

void BM_FuzzNicInput(benchmark::State& state) {
  const kemu::fuzz::FuzzTarget target = kemu_example::NicFuzzTarget("nic");
  const std::vector<kemu::scenario::ActionInfo> actions = kemu::fuzz::TargetActions(target);
  const std::vector<Bytes> inputs = Inputs();
  std::size_t next = 0;
  std::size_t findings = 0;
  for (auto _ : state) {
    // A finding is an outcome like any other here (libFuzzer would stop at it): counted, not
    // aborted on.
    const kemu::fuzz::Verdict verdict = kemu::fuzz::Run(
        target, kemu::fuzz::Decode(target, actions, inputs[next]), kemu::fuzz::Detail::kVerdict);
    findings += verdict.finding ? 1 : 0;
    next = (next + 1) % inputs.size();
  }
  state.counters["inputs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["finding_share"] =
      static_cast<double>(findings) /
      static_cast<double>(std::max<std::size_t>(1, state.iterations()));
}
// Process CPU time: where vCPUs run on host threads (KEMU_VCPU_CONTEXTS=threads) their work is
// not the benchmark thread's, and a fuzzer pays for it all the same.
BENCHMARK(BM_FuzzNicInput)->MeasureProcessCPUTime();

KEMU_BENCH_RATIO("BM_FuzzNicInput", kemu_bench::kCallBaseline,
                 "kemu_fuzz_nic decode+run of one input", "the baseline call", "x_baseline");
KEMU_BENCH_RATIO("BM_FuzzNicInput", "BM_RunScenario", "kemu_fuzz_nic decode+run of one input",
                 "Run(vista_fallback_connect)", "x_run_scenario");

}  // namespace
