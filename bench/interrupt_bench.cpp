// Interrupts: a device interrupt delivered to a connected ISR that acknowledges its card and queues
// a DPC, then the DPC; and KeSynchronizeExecution on that interrupt. The reference for delivery is
// the same ISR and DPC called directly through their function pointers, so the ratio is what
// kemu's dispatch (delivery, IRQL, interrupt lock, DPC queue) adds to the driver's own code.
#include <benchmark/benchmark.h>
#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "baseline.hpp"
#include "kemu/hardware.hpp"
#include "kemu/machine.hpp"

namespace {

constexpr std::uint32_t kCauseRegister = 0x10;
constexpr std::uint32_t kBarBytes = 0x100;
constexpr kemu::LineInterrupt kLine{.vector = 0x51, .irql = 5, .mode = kemu::Trigger::kLevel};

// The driver side: the mapped BAR, its DPC and what the ISR handed to the DPC.
struct Card {
  PUCHAR registers = nullptr;
  KDPC dpc;
  ULONG pending_causes = 0;
  benchmark::IterationCount dpc_runs = 0;
  bool queue_dpc = true;
};

PULONG CauseRegister(Card& card) {
  return reinterpret_cast<PULONG>(card.registers + kCauseRegister);
}

BOOLEAN CardIsr(PKINTERRUPT, PVOID context) {
  Card& card = *static_cast<Card*>(context);
  const ULONG causes = READ_REGISTER_ULONG(CauseRegister(card));
  if (causes == 0) return FALSE;
  WRITE_REGISTER_ULONG(CauseRegister(card), causes);  // write 1 to clear: the line drops
  card.pending_causes |= causes;
  if (card.queue_dpc) KeInsertQueueDpc(&card.dpc, nullptr, nullptr);
  return TRUE;
}

VOID CardDpc(PKDPC, PVOID context, PVOID, PVOID) {
  Card& card = *static_cast<Card*>(context);
  card.pending_causes = 0;
  ++card.dpc_runs;
}

BOOLEAN CardSynchronized(PVOID context) {
  benchmark::DoNotOptimize(static_cast<Card*>(context)->pending_causes);
  return TRUE;
}

// A win10 machine with the card started: BAR mapped, DPC initialised, ISR connected to the line.
class Rig {
 public:
  explicit Rig(bool trace, unsigned processors = 1, kemu::ScheduleOptions schedule = {})
      : registers_(kBarBytes),
        machine_(
            kemu::MachineOptions{.processors = processors, .trace = trace, .schedule = schedule}) {
    registers_.InterruptStatus(kCauseRegister, 0x1).WriteOneToClear(kCauseRegister);
    kemu::Device& device = machine_.AddDevice(
        {.name = "card0", .line = kLine, .memory_bytes = kBarBytes, .hardware = &registers_});
    PHYSICAL_ADDRESS base;
    base.QuadPart = static_cast<LONGLONG>(device.memory_base());
    card_.registers = static_cast<PUCHAR>(MmMapIoSpace(base, kBarBytes, MmNonCached));
    KeInitializeDpc(&card_.dpc, &CardDpc, &card_);
    connected_ = IoConnectInterrupt(&interrupt_, &CardIsr, &card_, nullptr, kLine.vector,
                                    kLine.irql, kLine.irql, LevelSensitive, FALSE, ~KAFFINITY{0},
                                    FALSE) == STATUS_SUCCESS;
  }
  ~Rig() {
    // Leave nothing behind: the machine's shutdown bug-checks on a connected interrupt.
    if (connected_) IoDisconnectInterrupt(interrupt_);
    if (card_.registers != nullptr) MmUnmapIoSpace(card_.registers, kBarBytes);
  }
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  bool connected() const { return connected_; }
  /// One disconnect and connect of the card's ISR (what a driver's stop and start do).
  void Reconnect() {
    if (connected_) IoDisconnectInterrupt(interrupt_);
    connected_ = IoConnectInterrupt(&interrupt_, &CardIsr, &card_, nullptr, kLine.vector,
                                    kLine.irql, kLine.irql, LevelSensitive, FALSE, ~KAFFINITY{0},
                                    FALSE) == STATUS_SUCCESS;
  }
  kemu::Machine& machine() { return machine_; }
  Card& card() { return card_; }
  kemu::RegisterFile& registers() { return registers_; }
  PKINTERRUPT interrupt() { return interrupt_; }

 private:
  kemu::RegisterFile registers_;  // declared first: the hardware outlives the machine
  kemu::Machine machine_;
  Card card_;
  PKINTERRUPT interrupt_ = nullptr;
  bool connected_ = false;
};

void BM_BaselineDirectIsrDpc(benchmark::State& state) {
  Rig rig(/*trace=*/false);
  Card& card = rig.card();
  card.queue_dpc = false;
  // Volatile pointers: the calls stay real calls, as they are when kemu dispatches.
  PKSERVICE_ROUTINE volatile isr = &CardIsr;
  PKDEFERRED_ROUTINE volatile dpc = &CardDpc;
  for (auto _ : state) {
    rig.registers().Poke(kCauseRegister, 0x1);  // latched without touching the line
    isr(rig.interrupt(), &card);
    dpc(&card.dpc, &card, nullptr, nullptr);
  }
  if (card.dpc_runs != state.iterations()) state.SkipWithError("the DPC did not run every time");
}
BENCHMARK(BM_BaselineDirectIsrDpc);

// The physical limit: the same ISR and DPC logic on plain memory, with nothing between the device
// and the driver. The cause register is a volatile word, acknowledging it is a store, and
// "queueing the DPC" sets a flag the caller tests, as an interrupt controller and a DPC queue
// with no bookkeeping at all would. kemu's round trip divided by this is what kemu adds in all.
struct BareCard {
  volatile ULONG cause = 0;
  ULONG pending_causes = 0;
  bool dpc_queued = false;
  benchmark::IterationCount dpc_runs = 0;
};

BOOLEAN BareIsr(PKINTERRUPT, PVOID context) {
  BareCard& card = *static_cast<BareCard*>(context);
  const ULONG causes = card.cause;
  if (causes == 0) return FALSE;
  card.cause = card.cause & ~causes;  // write 1 to clear
  card.pending_causes |= causes;
  card.dpc_queued = true;
  return TRUE;
}

VOID BareDpc(PKDPC, PVOID context, PVOID, PVOID) {
  BareCard& card = *static_cast<BareCard*>(context);
  card.pending_causes = 0;
  ++card.dpc_runs;
}

void BM_BaselinePhysicalIsrDpc(benchmark::State& state) {
  BareCard card;
  PKSERVICE_ROUTINE volatile isr = &BareIsr;
  PKDEFERRED_ROUTINE volatile dpc = &BareDpc;
  for (auto _ : state) {
    card.cause = 0x1;  // the device latches a cause
    if (isr(nullptr, &card) && card.dpc_queued) {
      card.dpc_queued = false;
      dpc(nullptr, &card, nullptr, nullptr);
    }
  }
  if (card.dpc_runs != state.iterations()) state.SkipWithError("the DPC did not run every time");
}
BENCHMARK(BM_BaselinePhysicalIsrDpc);

// Arg 0: MachineOptions::trace.
void BM_InterruptIsrDpc(benchmark::State& state) {
  Rig rig(state.range(0) != 0);
  if (!rig.connected()) {
    state.SkipWithError("IoConnectInterrupt failed");
    return;
  }
  for (auto _ : state) {
    // Asserts the level line: at PASSIVE_LEVEL the ISR runs at once, and its DPC as the IRQL
    // drops back.
    rig.registers().Raise(kCauseRegister, 0x1);
  }
  if (rig.card().dpc_runs != state.iterations()) {
    state.SkipWithError("the DPC did not run once per interrupt");
  }
}
BENCHMARK(BM_InterruptIsrDpc)->ArgName("trace")->Arg(0)->Arg(1);

// The same round trip on a machine with a second vCPU, under the default schedule: the interrupt
// and its DPC stay on the running vCPU, so no context switch happens and the schedule points are
// all the second vCPU costs (target: at most 2x the one-vCPU round trip).
void BM_InterruptIsrDpcTwoVcpus(benchmark::State& state) {
  Rig rig(/*trace=*/false, /*processors=*/2);
  if (!rig.connected()) {
    state.SkipWithError("IoConnectInterrupt failed");
    return;
  }
  for (auto _ : state) rig.registers().Raise(kCauseRegister, 0x1);
  if (rig.card().dpc_runs != state.iterations()) {
    state.SkipWithError("the DPC did not run once per interrupt");
  }
}
BENCHMARK(BM_InterruptIsrDpcTwoVcpus);

KEMU_BENCH_RATIO("BM_InterruptIsrDpcTwoVcpus", "BM_InterruptIsrDpc/trace:0",
                 "interrupt -> ISR -> DPC on 2 vCPUs (no switch)", "the same on 1 vCPU",
                 "x_one_vcpu");

// The same on two vCPUs under an exploring schedule (seeded random): the interrupt is routed to
// either vCPU and every schedule point may switch, so this is what a test exploring interleavings
// pays per interrupt, vCPU context switches included. Raising a register is no schedule point, so
// each iteration settles the machine (runs every vCPU until none has work) to finish the round
// trip.
void BM_InterruptIsrDpcTwoVcpusExploring(benchmark::State& state) {
  Rig rig(/*trace=*/false, /*processors=*/2,
          {.strategy = kemu::Strategy::kRandom, .seed = 1, .depth = 2});
  if (!rig.connected()) {
    state.SkipWithError("IoConnectInterrupt failed");
    return;
  }
  for (auto _ : state) {
    rig.registers().Raise(kCauseRegister, 0x1);
    rig.machine().Settle();
  }
  if (rig.card().dpc_runs != state.iterations()) {
    state.SkipWithError("the DPC did not run once per interrupt");
  }
}
BENCHMARK(BM_InterruptIsrDpcTwoVcpusExploring);

KEMU_BENCH_RATIO("BM_InterruptIsrDpcTwoVcpusExploring", "BM_InterruptIsrDpc/trace:0",
                 "interrupt -> ISR -> DPC on 2 vCPUs, exploring", "the same on 1 vCPU",
                 "x_one_vcpu");

KEMU_BENCH_RATIO("BM_InterruptIsrDpc/trace:0", "BM_BaselineDirectIsrDpc",
                 "interrupt -> ISR -> DPC (trace off)", "the ISR and DPC called directly",
                 "x_direct");
KEMU_BENCH_RATIO("BM_InterruptIsrDpc/trace:1", "BM_BaselineDirectIsrDpc",
                 "interrupt -> ISR -> DPC (trace on)", "the ISR and DPC called directly",
                 "x_direct");
KEMU_BENCH_RATIO("BM_InterruptIsrDpc/trace:0", "BM_BaselinePhysicalIsrDpc",
                 "interrupt -> ISR -> DPC (trace off)", "the physical limit", "x_physical");
KEMU_BENCH_RATIO("BM_InterruptIsrDpc/trace:1", "BM_BaselinePhysicalIsrDpc",
                 "interrupt -> ISR -> DPC (trace on)", "the physical limit", "x_physical");
KEMU_BENCH_RATIO("BM_InterruptIsrDpc/trace:1", "BM_InterruptIsrDpc/trace:0",
                 "interrupt -> ISR -> DPC, trace on", "the same with trace off", "x_trace_off");

BOOLEAN IdleIsr(PKINTERRUPT, PVOID) { return FALSE; }

// Costs that must stay flat: the round trip of BM_InterruptIsrDpc/trace:0 on a machine that has
// been through something first. Arg 0: nothing (the fresh case, the reference); 1: 10,000 spin
// locks initialised; 2: 10,000 disconnect/connect cycles of the ISR; 3: 99 more devices, each
// with an ISR connected on its own line; 4: 64 vCPUs.
void BM_InterruptIsrDpcAfter(benchmark::State& state) {
  const int before = static_cast<int>(state.range(0));
  Rig rig(/*trace=*/false, /*processors=*/before == 4 ? 64 : 1);
  std::vector<KSPIN_LOCK> locks(before == 1 ? 10000 : 0);
  for (KSPIN_LOCK& lock : locks) KeInitializeSpinLock(&lock);
  for (int i = 0; before == 2 && i < 10000; ++i) rig.Reconnect();
  std::vector<PKINTERRUPT> others(before == 3 ? 99 : 0);
  for (std::size_t i = 0; i < others.size(); ++i) {
    const auto vector = static_cast<ULONG>(0x60 + i);
    rig.machine().AddDevice({.name = "idle" + std::to_string(i),
                             .line = kemu::LineInterrupt{.vector = vector, .irql = kLine.irql}});
    if (IoConnectInterrupt(&others[i], &IdleIsr, nullptr, nullptr, vector, kLine.irql, kLine.irql,
                           LevelSensitive, FALSE, ~KAFFINITY{0}, FALSE) != STATUS_SUCCESS) {
      state.SkipWithError("IoConnectInterrupt of an idle device failed");
      return;
    }
  }
  if (!rig.connected()) {
    state.SkipWithError("IoConnectInterrupt failed");
    return;
  }
  for (auto _ : state) rig.registers().Raise(kCauseRegister, 0x1);
  for (PKINTERRUPT other : others) IoDisconnectInterrupt(other);
  if (rig.card().dpc_runs != state.iterations()) {
    state.SkipWithError("the DPC did not run once per interrupt");
  }
}
BENCHMARK(BM_InterruptIsrDpcAfter)->ArgName("after")->DenseRange(0, 4);
KEMU_BENCH_RATIO("BM_InterruptIsrDpcAfter/after:1", "BM_InterruptIsrDpcAfter/after:0",
                 "round trip after 10,000 spin locks initialised", "a fresh machine", "x_fresh");
KEMU_BENCH_RATIO("BM_InterruptIsrDpcAfter/after:2", "BM_InterruptIsrDpcAfter/after:0",
                 "round trip after 10,000 connect cycles", "a fresh machine", "x_fresh");
KEMU_BENCH_RATIO("BM_InterruptIsrDpcAfter/after:3", "BM_InterruptIsrDpcAfter/after:0",
                 "round trip with 100 devices connected", "one device", "x_fresh");
KEMU_BENCH_RATIO("BM_InterruptIsrDpcAfter/after:4", "BM_InterruptIsrDpcAfter/after:0",
                 "round trip on 64 vCPUs", "one vCPU", "x_fresh");

void BM_KeSynchronizeExecution(benchmark::State& state) {
  Rig rig(/*trace=*/false);
  if (!rig.connected()) {
    state.SkipWithError("IoConnectInterrupt failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        KeSynchronizeExecution(rig.interrupt(), &CardSynchronized, &rig.card()));
  }
}
BENCHMARK(BM_KeSynchronizeExecution);
KEMU_BENCH_RATIO("BM_KeSynchronizeExecution", kemu_bench::kAtomicBaseline, "KeSynchronizeExecution",
                 "an atomic exchange lock", "x_baseline");

}  // namespace
