// What kemu replaces: a team that cannot run its ISR anywhere but Windows hides the kernel behind
// an interface and tests the ISR against a gMock double of it. One iteration is what one such test
// does for one interrupt: set the expectations (connect succeeds, the ISR reads and acknowledges
// the cause register and requests its DPC), connect, call the ISR and the DPC by hand, verify.
// Compared with kemu's real round trip (BM_InterruptIsrDpc: the line raised, the ISR delivered at
// DIRQL under its lock, the DPC queued and run at DISPATCH_LEVEL), which also checks every IRQL
// and lock rule on the way.
#include <benchmark/benchmark.h>
#include <gmock/gmock.h>
#include <wdm.h>

#include "baseline.hpp"

namespace {

using ::testing::Return;

// The seam such a driver is written against instead of the WDK.
class KernelSeam {
 public:
  virtual ~KernelSeam() = default;
  virtual NTSTATUS ConnectInterrupt(PKSERVICE_ROUTINE isr, PVOID context) = 0;
  virtual ULONG ReadRegister(volatile ULONG* reg) = 0;
  virtual void WriteRegister(volatile ULONG* reg, ULONG value) = 0;
  virtual BOOLEAN InsertQueueDpc(PKDPC dpc) = 0;
};

class MockKernelSeam : public KernelSeam {
 public:
  MOCK_METHOD(NTSTATUS, ConnectInterrupt, (PKSERVICE_ROUTINE isr, PVOID context), (override));
  MOCK_METHOD(ULONG, ReadRegister, (volatile ULONG * reg), (override));
  MOCK_METHOD(void, WriteRegister, (volatile ULONG * reg, ULONG value), (override));
  MOCK_METHOD(BOOLEAN, InsertQueueDpc, (PKDPC dpc), (override));
};

// The same driver logic as bench/interrupt_bench.cpp's card, written against the seam.
struct SeamCard {
  KernelSeam* kernel = nullptr;
  volatile ULONG cause = 0;
  KDPC dpc{};
  ULONG pending_causes = 0;
  benchmark::IterationCount dpc_runs = 0;
};

BOOLEAN SeamIsr(PKINTERRUPT, PVOID context) {
  SeamCard& card = *static_cast<SeamCard*>(context);
  const ULONG causes = card.kernel->ReadRegister(&card.cause);
  if (causes == 0) return FALSE;
  card.kernel->WriteRegister(&card.cause, causes);
  card.pending_causes |= causes;
  card.kernel->InsertQueueDpc(&card.dpc);
  return TRUE;
}

void SeamDpc(SeamCard& card) {
  card.pending_causes = 0;
  ++card.dpc_runs;
}

void BM_GmockDoubleIsrDpc(benchmark::State& state) {
  MockKernelSeam kernel;
  SeamCard card;
  card.kernel = &kernel;
  const auto any = ::testing::_;  // `_` itself names the benchmark's loop variable below
  for (auto _ : state) {
    EXPECT_CALL(kernel, ConnectInterrupt(any, any)).WillOnce(Return(STATUS_SUCCESS));
    EXPECT_CALL(kernel, ReadRegister(&card.cause)).WillOnce(Return(1));
    EXPECT_CALL(kernel, WriteRegister(&card.cause, 1));
    EXPECT_CALL(kernel, InsertQueueDpc(&card.dpc)).WillOnce(Return(TRUE));
    if (kernel.ConnectInterrupt(&SeamIsr, &card) != STATUS_SUCCESS) break;
    SeamIsr(nullptr, &card);
    SeamDpc(card);
    if (!::testing::Mock::VerifyAndClearExpectations(&kernel)) break;
  }
  if (card.dpc_runs != state.iterations()) state.SkipWithError("the double was not satisfied");
}
BENCHMARK(BM_GmockDoubleIsrDpc);

// Reported as the double's time over kemu's: how many times faster kemu's checked round trip is.
KEMU_BENCH_RATIO("BM_GmockDoubleIsrDpc", "BM_InterruptIsrDpc/trace:0",
                 "a gMock double of connect + ISR + DPC request", "kemu's round trip (trace off)",
                 "x_kemu");
KEMU_BENCH_RATIO("BM_GmockDoubleIsrDpc", "BM_InterruptIsrDpc/trace:1",
                 "a gMock double of connect + ISR + DPC request", "kemu's round trip (trace on)",
                 "x_kemu_traced");

}  // namespace
