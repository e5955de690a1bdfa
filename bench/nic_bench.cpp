// The example NIC driver's receive path (examples/nic): one frame arrives, the card interrupts, the
// driver's ISR acknowledges and queues its DPC, the DPC takes the causes under
// KeSynchronizeExecution and drains the ring under its spin lock. Built only with the examples.
#include <benchmark/benchmark.h>

#include "baseline.hpp"
#include "driver/nic_driver.h"
#include "kemu/machine.hpp"
#include "nic_device.hpp"

namespace {

void BM_NicReceiveFrame(benchmark::State& state) {
  kemu_example::NicDevice nic;  // the hardware outlives the machine, as kemu requires
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindows10, .trace = false});
  kemu::Device& device = machine.AddDevice(nic.Config());
  NIC_EXTENSION extension{};
  if (!NT_SUCCESS(NicStartDevice(&extension, device.pdo(), device.raw_resources(),
                                 device.translated_resources()))) {
    state.SkipWithError("NicStartDevice failed");
    return;
  }
  for (auto _ : state) nic.ReceiveFrames(1);
  NIC_STATISTICS statistics{};
  NicGetStatistics(&extension, &statistics);
  NicStopDevice(&extension);
  if (static_cast<benchmark::IterationCount>(statistics.FramesReceived) != state.iterations())
    state.SkipWithError("frames were lost");
}
BENCHMARK(BM_NicReceiveFrame);
KEMU_BENCH_RATIO("BM_NicReceiveFrame", kemu_bench::kCallBaseline, "NIC example: receive one frame",
                 "the baseline call", "x_baseline");

}  // namespace
