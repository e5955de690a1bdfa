// A full scenario run: scenarios/vista_fallback_connect.yaml on win10 with the example NIC driver's
// adapter (machine, device, start, three frames, DPCs, stop, every expectation, shutdown). The
// reference is its C++ twin, the same steps written directly against the driver, so the ratio is
// what the scenario runner adds. Built only with the examples.
#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <string>

#include "baseline.hpp"
#include "driver/nic_driver.h"
#include "kemu/machine.hpp"
#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/runner.hpp"
#include "nic_adapter.hpp"
#include "nic_device.hpp"
#include "scenario_text.hpp"

namespace {

constexpr unsigned kFrames = 3;

// The scenario's steps by hand; runs the same Machine options a scenario run uses.
void BM_VistaFallbackTwin(benchmark::State& state) {
  for (auto _ : state) {
    kemu_example::NicDevice nic;
    kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .seed = 7});
    kemu::Device& device = machine.AddDevice(nic.Config());
    NIC_EXTENSION extension{};
    if (!NT_SUCCESS(NicStartDevice(&extension, device.pdo(), device.raw_resources(),
                                   device.translated_resources()))) {
      state.SkipWithError("NicStartDevice failed");
      break;
    }
    nic.ReceiveFrames(kFrames);
    machine.RunPendingDpcs();
    NIC_STATISTICS statistics{};
    NicGetStatistics(&extension, &statistics);
    benchmark::DoNotOptimize(statistics);
    NicStopDevice(&extension);
    machine.Shutdown();
  }
}
BENCHMARK(BM_VistaFallbackTwin);

void BM_RunScenario(benchmark::State& state) {
  const kemu::scenario::Scenario scenario =
      kemu::scenario::ParseScenario(kemu_bench::ScenarioText(), KEMU_BENCH_SCENARIO);
  const kemu::scenario::AdapterFactory factory = [] {
    return std::make_unique<kemu_example::NicAdapter>();
  };
  for (auto _ : state) {
    const kemu::scenario::Outcome outcome = kemu::scenario::Run(
        scenario, kemu::Os::kWindows10, factory, {.seed = std::nullopt, .keep_trace = false});
    if (!outcome.passed()) {
      state.SkipWithError(outcome.failures.front().message.c_str());
      break;
    }
  }
}
BENCHMARK(BM_RunScenario);

KEMU_BENCH_RATIO("BM_VistaFallbackTwin", kemu_bench::kCallBaseline,
                 "vista_fallback_connect in C++ (win10)", "the baseline call", "x_baseline");
KEMU_BENCH_RATIO("BM_RunScenario", kemu_bench::kCallBaseline, "Run(vista_fallback_connect, win10)",
                 "the baseline call", "x_baseline");
KEMU_BENCH_RATIO("BM_RunScenario", "BM_VistaFallbackTwin", "Run(vista_fallback_connect, win10)",
                 "its C++ twin", "x_twin");

}  // namespace
