// The interrupt round trip as the performance goal defines it: an edge on a device's line, the ISR
// at DIRQL under its interrupt lock making no kernel call but KeInsertQueueDpc, the DPC at
// DISPATCH_LEVEL, back to PASSIVE_LEVEL. interrupt_bench.cpp's round trip also reads and
// acknowledges a register through kemu; this one measures delivery, the lock, the DPC queue and
// the checks around them alone. Its reference is the same ISR and DPC on plain memory, called
// through function pointers.
#include <benchmark/benchmark.h>
#include <wdm.h>

#include "baseline.hpp"
#include "kemu/machine.hpp"

namespace {

constexpr kemu::LineInterrupt kEdgeLine{.vector = 0x52, .irql = 6, .mode = kemu::Trigger::kEdge};

struct EdgeCard {
  KDPC dpc;
  ULONG pending = 0;
  bool dpc_queued = false;  // the reference's stand-in for KeInsertQueueDpc
  benchmark::IterationCount dpc_runs = 0;
};

BOOLEAN EdgeIsr(PKINTERRUPT, PVOID context) {
  EdgeCard& card = *static_cast<EdgeCard*>(context);
  card.pending |= 1;
  KeInsertQueueDpc(&card.dpc, nullptr, nullptr);
  return TRUE;
}

BOOLEAN BareEdgeIsr(PKINTERRUPT, PVOID context) {
  EdgeCard& card = *static_cast<EdgeCard*>(context);
  card.pending |= 1;
  card.dpc_queued = true;
  return TRUE;
}

VOID EdgeDpc(PKDPC, PVOID context, PVOID, PVOID) {
  EdgeCard& card = *static_cast<EdgeCard*>(context);
  card.pending = 0;
  ++card.dpc_runs;
}

void BM_BaselinePhysicalEdgeIsrDpc(benchmark::State& state) {
  EdgeCard card;
  // Volatile pointers: the calls stay real calls, as they are when kemu dispatches.
  PKSERVICE_ROUTINE volatile isr = &BareEdgeIsr;
  PKDEFERRED_ROUTINE volatile dpc = &EdgeDpc;
  for (auto _ : state) {
    if (isr(nullptr, &card) && card.dpc_queued) {
      card.dpc_queued = false;
      dpc(nullptr, &card, nullptr, nullptr);
    }
  }
  if (card.dpc_runs != state.iterations()) state.SkipWithError("the DPC did not run every time");
}
BENCHMARK(BM_BaselinePhysicalEdgeIsrDpc);

// Arg 0: MachineOptions::trace.
void BM_InterruptEdgeIsrDpc(benchmark::State& state) {
  kemu::Machine machine(kemu::MachineOptions{.trace = state.range(0) != 0});
  kemu::Device& device = machine.AddDevice({.name = "edge0", .line = kEdgeLine});
  EdgeCard card;
  KeInitializeDpc(&card.dpc, &EdgeDpc, &card);
  PKINTERRUPT interrupt = nullptr;
  if (IoConnectInterrupt(&interrupt, &EdgeIsr, &card, nullptr, kEdgeLine.vector, kEdgeLine.irql,
                         kEdgeLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE) != STATUS_SUCCESS) {
    state.SkipWithError("IoConnectInterrupt failed");
    return;
  }
  for (auto _ : state) device.PulseLine();  // at PASSIVE_LEVEL: ISR, then DPC, at once
  IoDisconnectInterrupt(interrupt);
  if (card.dpc_runs != state.iterations()) {
    state.SkipWithError("the DPC did not run once per interrupt");
  }
}
BENCHMARK(BM_InterruptEdgeIsrDpc)->ArgName("trace")->Arg(0)->Arg(1);

KEMU_BENCH_RATIO("BM_InterruptEdgeIsrDpc/trace:0", "BM_BaselinePhysicalEdgeIsrDpc",
                 "edge -> ISR (KeInsertQueueDpc only) -> DPC (trace off)", "the physical limit",
                 "x_physical");
KEMU_BENCH_RATIO("BM_InterruptEdgeIsrDpc/trace:1", "BM_InterruptEdgeIsrDpc/trace:0",
                 "edge -> ISR -> DPC, trace on", "the same with trace off", "x_trace_off");

}  // namespace
