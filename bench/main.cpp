// kemu_bench — kemu's benchmarks, each reported as a ratio to a reference measured in the same run
// (bench/baseline.hpp). The references run first; every later benchmark then gets a user counter
// per ratio ("x_baseline=41.3"), and a summary of all ratios ends the output. Takes Google
// Benchmark's usual flags (--benchmark_filter, --benchmark_min_time, ...).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "baseline.hpp"
#include "kemu/version.hpp"

namespace {

// CPU time rather than wall time: the machines that run this are shared, and CPU time is what a
// descheduled benchmark does not pay for.
double SecondsPerIteration(const benchmark::BenchmarkReporter::Run& run) {
  return run.iterations == 0 ? 0.0 : run.cpu_accumulated_time / static_cast<double>(run.iterations);
}

// The console reporter, plus the ratio counters. Remembers every run's time so that later
// benchmarks and the summary can refer to it.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(bool color) : ConsoleReporter(color ? OO_ColorTabular : OO_Tabular) {}

  bool ReportContext(const Context& context) override {
    // Both passes report a context; the header is printed once.
    if (context_printed_) return true;
    context_printed_ = true;
    return ConsoleReporter::ReportContext(context);
  }

  void ReportRuns(const std::vector<Run>& reports) override {
    std::vector<Run> shown;
    for (Run run : reports) {
      const std::string name = run.benchmark_name();
      const bool baseline = name.rfind(kemu_bench::kBaselinePrefix, 0) == 0;
      // The second pass may match a baseline again; it was shown and measured in the first.
      if (baseline && seconds_.count(name) != 0) continue;
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        seconds_[name] = SecondsPerIteration(run);
        for (const kemu_bench::Ratio& ratio : kemu_bench::Ratios()) {
          if (ratio.benchmark != name) continue;
          const auto reference = seconds_.find(ratio.reference);
          if (reference == seconds_.end() || reference->second <= 0.0) continue;
          run.counters[ratio.counter] = seconds_[name] / reference->second;
        }
      }
      shown.push_back(run);
    }
    if (!shown.empty()) ConsoleReporter::ReportRuns(shown);
  }

  // The summary: every ratio whose two sides ran.
  void PrintSummary() const {
    std::printf("\nRatios (CPU time per iteration, both sides measured in this run):\n");
    for (const kemu_bench::Ratio& ratio : kemu_bench::Ratios()) {
      const auto measured = seconds_.find(ratio.benchmark);
      const auto reference = seconds_.find(ratio.reference);
      if (measured == seconds_.end() || reference == seconds_.end() || reference->second <= 0.0) {
        continue;
      }
      const std::string what = ratio.what + ":";
      std::printf("  %-44s %9.1fx %s\n", what.c_str(), measured->second / reference->second,
                  ratio.versus.c_str());
    }
  }

 private:
  bool context_printed_ = false;
  std::map<std::string, double> seconds_;
};

// Google Benchmark's --benchmark_color applies only to the reporter it makes itself; this one
// follows it, and stays plain when the output is not a terminal (ctest logs).
bool WantsColor(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--benchmark_color=false") == 0) return false;
    if (std::strcmp(argv[i], "--benchmark_color=true") == 0) return true;
  }
  return isatty(STDOUT_FILENO) != 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Google Benchmark has no --version of its own; kemu's runners all answer it.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("kemu_bench (kemu %s)\n", KEMU_VERSION_STRING);
      return 0;
    }
  }
  const bool color = WantsColor(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::string filter = benchmark::GetBenchmarkFilter();

  RatioReporter reporter(color);
  // Pass 1: every reference, whatever the filter, so each selected benchmark has its ratio.
  benchmark::RunSpecifiedBenchmarks(&reporter, std::string("^") + kemu_bench::kBaselinePrefix);
  // Pass 2: the selection; without a filter, everything but the references already measured.
  const bool everything = filter.empty() || filter == "." || filter == "all";
  benchmark::RunSpecifiedBenchmarks(
      &reporter, everything ? std::string("-^") + kemu_bench::kBaselinePrefix : filter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
