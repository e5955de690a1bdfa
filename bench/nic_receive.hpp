// bench/nic_receive.hpp — the example NIC driver receiving one frame per iteration, on a machine
// built from `options` (kemu_bench and kemu_race_bench both measure it).
#ifndef KEMU_BENCH_NIC_RECEIVE_HPP_
#define KEMU_BENCH_NIC_RECEIVE_HPP_

#include <benchmark/benchmark.h>

#include "driver/nic_driver.h"
#include "kemu/machine.hpp"
#include "nic_device.hpp"

namespace kemu_bench {

inline void NicReceiveFrames(benchmark::State& state, const kemu::MachineOptions& options) {
  kemu_example::NicDevice nic;  // the hardware outlives the machine, as kemu requires
  kemu::Machine machine(options);
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
  if (static_cast<benchmark::IterationCount>(statistics.FramesReceived) != state.iterations()) {
    state.SkipWithError("frames were lost");
  }
}

}  // namespace kemu_bench

#endif  // KEMU_BENCH_NIC_RECEIVE_HPP_
