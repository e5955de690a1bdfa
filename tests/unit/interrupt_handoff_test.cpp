// Interrupts handed between vCPUs: each vCPU delivers what is routed to it and hands the rest to
// the vCPU it is routed to (INT-11, docs/concurrency.md). Two vCPUs that each have an interrupt
// for the other must both be served, not hand the pair back and forth: kemu did that, each
// pass nesting deeper, until its stack overflowed (found by kemu_fuzz_kernel_api; the input is
// tests/fuzz/corpus/kernel_api/interrupts_handed_back_and_forth).
#include <wdm.h>

#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

constexpr ULONG kLineVector = 0x51;
constexpr KIRQL kLineDirql = 11;  // above the messages' DIRQL, so it preempts their ISRs

struct Card {
  kemu::Device* msi = nullptr;
  kemu::Device* line = nullptr;
  std::vector<ULONG> message_cpus[2];  // the vCPU each message's ISR ran on, per call
  std::vector<ULONG> line_cpus;
  bool line_asserted_by_isr = false;
};

BOOLEAN LineIsr(PKINTERRUPT, PVOID context) {
  Card& card = *static_cast<Card*>(context);
  card.line_cpus.push_back(KeGetCurrentProcessorNumber());
  card.line->DeassertLine();
  return TRUE;
}

// Message 0's ISR raises the line, which only vCPU 0 takes, while message 1 is still pending:
// vCPU 0 is at the messages' DIRQL, so message 1 is now vCPU 1's and the line vCPU 0's.
BOOLEAN MessageIsr(PKINTERRUPT, PVOID context, ULONG message_id) {
  Card& card = *static_cast<Card*>(context);
  card.message_cpus[message_id].push_back(KeGetCurrentProcessorNumber());
  if (message_id == 0 && !card.line_asserted_by_isr) {
    card.line_asserted_by_isr = true;
    card.line->AssertLine();
  }
  return TRUE;
}

TEST(InterruptHandoffTest, TwoVcpusWithAnInterruptForEachOtherBothTakeTheirs) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Card card;
  card.msi = &machine.AddDevice({.name = "msi", .messages = 2});
  card.line = &machine.AddDevice(
      {.name = "line", .line = kemu::LineInterrupt{.vector = kLineVector, .irql = kLineDirql}});
  PKINTERRUPT line_interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&line_interrupt, &LineIsr, &card, nullptr, kLineVector, kLineDirql,
                               kLineDirql, LevelSensitive, FALSE, /*ProcessorEnableMask=*/1, FALSE),
            STATUS_SUCCESS);
  // Both messages are latched before their ISR is connected: the connect makes both deliverable
  // to the running vCPU 0 at once.
  card.msi->SignalMessage(0);
  card.msi->SignalMessage(1);
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_MESSAGE_BASED;
  params.MessageBased.PhysicalDeviceObject = card.msi->pdo();
  params.MessageBased.ConnectionContext.InterruptMessageTable = &table;
  params.MessageBased.MessageServiceRoutine = &MessageIsr;
  params.MessageBased.ServiceContext = &card;
  ASSERT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
  ASSERT_EQ(table->MessageCount, 2u);
  ASSERT_LT(table->UnifiedIrql, kLineDirql);

  EXPECT_EQ(card.message_cpus[0], std::vector<ULONG>{0});
  EXPECT_EQ(card.message_cpus[1], std::vector<ULONG>{1});
  EXPECT_EQ(card.line_cpus, std::vector<ULONG>{0});

  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
  disconnect.Version = CONNECT_MESSAGE_BASED;
  disconnect.ConnectionContext.InterruptMessageTable = table;
  IoDisconnectInterruptEx(&disconnect);
  IoDisconnectInterrupt(line_interrupt);
  machine.Shutdown();
}

}  // namespace
