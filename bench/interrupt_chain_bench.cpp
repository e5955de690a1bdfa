// An edge interrupt on a vector shared by a chain of ISRs: Windows calls every ISR on an edge
// vector, so a pulse costs the dispatch plus one call per ISR. The chain of 16 against the chain
// of 1 shows whether that cost is linear in the chain (at most 16x) or worse, as it was when each
// ISR counted the held locks of the whole chain (issue 12).
#include <benchmark/benchmark.h>
#include <wdm.h>

#include <vector>

#include "baseline.hpp"
#include "kemu/machine.hpp"

namespace {

constexpr ULONG kVector = 0x52;
constexpr KIRQL kDirql = 6;

BOOLEAN CountingIsr(PKINTERRUPT, PVOID context) {
  ++*static_cast<benchmark::IterationCount*>(context);
  return TRUE;
}

void BM_InterruptEdgeChain(benchmark::State& state) {
  const auto isrs = static_cast<std::size_t>(state.range(0));
  kemu::Machine machine(kemu::MachineOptions{.trace = false});
  kemu::Device& device = machine.AddDevice(
      {.name = "edge0",
       .line = kemu::LineInterrupt{
           .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge, .shared = true}});
  benchmark::IterationCount calls = 0;
  std::vector<PKINTERRUPT> chain(isrs);
  for (PKINTERRUPT& interrupt : chain) {
    if (IoConnectInterrupt(&interrupt, &CountingIsr, &calls, nullptr, kVector, kDirql, kDirql,
                           Latched, TRUE, ~KAFFINITY{0}, FALSE) != STATUS_SUCCESS) {
      state.SkipWithError("IoConnectInterrupt failed");
      return;
    }
  }
  for (auto _ : state) device.PulseLine();
  for (PKINTERRUPT interrupt : chain) IoDisconnectInterrupt(interrupt);
  if (calls != state.iterations() * static_cast<benchmark::IterationCount>(isrs)) {
    state.SkipWithError("not every ISR of the chain ran once per pulse");
  }
}
BENCHMARK(BM_InterruptEdgeChain)->ArgName("isrs")->Arg(1)->Arg(16);
KEMU_BENCH_RATIO("BM_InterruptEdgeChain/isrs:16", "BM_InterruptEdgeChain/isrs:1",
                 "an edge on a chain of 16 ISRs", "a chain of 1 (linear: at most 16x)",
                 "x_chain_of_1");

}  // namespace
