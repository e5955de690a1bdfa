// Scenario scripts: parsing scenarios/vista_fallback_connect.yaml. The reference is one pass over
// the same text, so the ratio is the parser's cost per byte relative to merely reading it.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "baseline.hpp"
#include "kemu/scenario/parser.hpp"
#include "scenario_text.hpp"

namespace kemu_bench {

std::string ScenarioText() {
  std::ifstream in(KEMU_BENCH_SCENARIO);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

void BM_BaselineScanScenarioText(benchmark::State& state) {
  const std::string text = ScenarioText();
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    benchmark::DoNotOptimize(std::count(text.begin(), text.end(), '\n'));
  }
}
BENCHMARK(BM_BaselineScanScenarioText);

void BM_ParseScenario(benchmark::State& state) {
  const std::string text = ScenarioText();
  if (text.empty()) {
    state.SkipWithError("cannot read " KEMU_BENCH_SCENARIO);
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(kemu::scenario::ParseScenario(text, KEMU_BENCH_SCENARIO));
  }
}
BENCHMARK(BM_ParseScenario);
KEMU_BENCH_RATIO("BM_ParseScenario", "BM_BaselineScanScenarioText",
                 "ParseScenario(vista_fallback_connect)", "a scan of its text", "x_scan");

}  // namespace
}  // namespace kemu_bench
