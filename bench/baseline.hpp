// bench/baseline.hpp — how kemu's benchmarks are judged: every benchmark is reported as a ratio to
// a reference measured in the same process, never as an absolute time, because absolute times say
// more about the machine that ran them than about kemu.
//
// A benchmark file registers its benchmark and the reference it is compared with:
//
//   BENCHMARK(BM_KeRaiseLowerIrql);
//   KEMU_BENCH_RATIO(BM_KeRaiseLowerIrql, "BM_BaselineCall", "KeRaiseIrql+KeLowerIrql",
//                    "the baseline call", "x_baseline");
//
// References whose names start with "BM_Baseline" run first (bench/main.cpp); any other reference
// must be measured earlier in the same run, e.g. registered earlier in the same file.
#ifndef KEMU_BENCH_BASELINE_HPP_
#define KEMU_BENCH_BASELINE_HPP_

#include <string>
#include <vector>

namespace kemu_bench {

/// Names of the reference benchmarks in baseline.cpp.
inline constexpr char kCallBaseline[] = "BM_BaselineCall";
inline constexpr char kAtomicBaseline[] = "BM_BaselineAtomicExchange";

/// Benchmarks whose names start with this run before all others, so that every ratio can be shown
/// next to the benchmark it belongs to.
inline constexpr char kBaselinePrefix[] = "BM_Baseline";

/// "`benchmark`'s CPU time per iteration is N times `reference`'s", shown as the user counter
/// `counter` and as the line "`what`: Nx `versus`" of the summary.
struct Ratio {
  std::string benchmark;  ///< full run name, e.g. "BM_Interrupt/trace:1"
  std::string reference;
  std::string what;
  std::string versus;
  std::string counter;
};

/// Registers a ratio; returns true so that it can initialise a namespace-scope constant.
bool AddRatio(Ratio ratio);

/// Every registered ratio, in registration order within each file.
const std::vector<Ratio>& Ratios();

/// A trivial C-linkage function in its own translation unit, so the compiler cannot inline it:
/// the cheapest possible "kernel call".
extern "C" int KemuBenchTrivial(int value);

}  // namespace kemu_bench

#define KEMU_BENCH_CONCAT_INNER(a, b) a##b
#define KEMU_BENCH_CONCAT(a, b) KEMU_BENCH_CONCAT_INNER(a, b)
/// Registers a ratio at namespace scope (see the file comment).
#define KEMU_BENCH_RATIO(benchmark_name, reference_name, what_text, versus_text, counter_name) \
  [[maybe_unused]] static const bool KEMU_BENCH_CONCAT(kemu_bench_ratio_, __LINE__) =          \
      ::kemu_bench::AddRatio({.benchmark = benchmark_name,                                     \
                              .reference = reference_name,                                     \
                              .what = what_text,                                               \
                              .versus = versus_text,                                           \
                              .counter = counter_name})

#endif  // KEMU_BENCH_BASELINE_HPP_
