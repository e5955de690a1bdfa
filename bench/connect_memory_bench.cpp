// Memory a machine keeps as a driver connects and disconnects its interrupt in a loop (a start and
// stop each): the heap in use after 10^5 cycles against after 10^3, on one machine. The goal is at
// most 2x (issue 12); kemu keeps the connected records and the last
// Interrupts::kKeptDisconnected disconnected ones. Heap bytes come from glibc's mallinfo2(), so the
// benchmark reports an error elsewhere.
#include <benchmark/benchmark.h>
#include <wdm.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstddef>
#include <cstdint>

#include "kemu/machine.hpp"

namespace {

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

BOOLEAN QuietIsr(PKINTERRUPT, PVOID) { return FALSE; }

bool Cycle() {
  PKINTERRUPT interrupt = nullptr;
  if (IoConnectInterrupt(&interrupt, &QuietIsr, nullptr, nullptr, kVector, kDirql, kDirql,
                         LevelSensitive, TRUE, ~KAFFINITY{0}, FALSE) != STATUS_SUCCESS) {
    return false;
  }
  IoDisconnectInterrupt(interrupt);
  return true;
}

void BM_ConnectCycleMemory(benchmark::State& state) {
#if defined(__GLIBC__)
  double after_thousand = 0;
  double after_hundred_thousand = 0;
  for (auto _ : state) {
    const std::size_t heap_before = mallinfo2().uordblks;
    kemu::Machine machine(kemu::MachineOptions{.trace = false});
    machine.AddDevice(
        {.name = "card0", .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql}});
    for (int i = 0; i < 100000; ++i) {
      if (!Cycle()) {
        state.SkipWithError("IoConnectInterrupt failed");
        return;
      }
      if (i + 1 == 1000) {
        after_thousand = static_cast<double>(mallinfo2().uordblks - heap_before);
      }
    }
    after_hundred_thousand = static_cast<double>(mallinfo2().uordblks - heap_before);
  }
  state.counters["bytes_after_1e3"] = after_thousand;
  state.counters["bytes_after_1e5"] = after_hundred_thousand;
  state.counters["x_after_1e3"] = after_hundred_thousand / after_thousand;
#else
  state.SkipWithError("needs glibc's mallinfo2()");
#endif
}
BENCHMARK(BM_ConnectCycleMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
