// bench/baseline.cpp — the references most benchmarks are compared with, and the ratio registry.
#include "baseline.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <utility>

namespace kemu_bench {
namespace {

std::vector<Ratio>& MutableRatios() {
  // A function-local static: ratios are registered during static initialisation of other files.
  static std::vector<Ratio> ratios;
  return ratios;
}

}  // namespace

bool AddRatio(Ratio ratio) {
  MutableRatios().push_back(std::move(ratio));
  return true;
}

const std::vector<Ratio>& Ratios() { return MutableRatios(); }

extern "C" int KemuBenchTrivial(int value) { return value + 1; }

namespace {

// One out-of-line call: what a kernel routine would cost if kemu added nothing to it.
void BM_BaselineCall(benchmark::State& state) {
  // Called through a volatile pointer as well, so that even LTO cannot inline it.
  int (*volatile call)(int) = &KemuBenchTrivial;
  int value = 0;
  for (auto _ : state) {
    value = call(value);
    benchmark::DoNotOptimize(value);
  }
}
BENCHMARK(BM_BaselineCall);

// An uncontended test-and-set acquire plus release: what a spin lock costs on the host.
void BM_BaselineAtomicExchange(benchmark::State& state) {
  std::atomic<long> word{0};
  for (auto _ : state) {
    while (word.exchange(1, std::memory_order_acquire) != 0) {
    }
    word.store(0, std::memory_order_release);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BaselineAtomicExchange);

}  // namespace
}  // namespace kemu_bench
