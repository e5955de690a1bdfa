// A vector shared by two devices routed to different processors (LineInterrupt::affinity): the
// interrupt goes to a vCPU where the ISR of the device that raised it is connected. It went to the
// running vCPU, where only the other device's ISR was: an edge was lost, and a level line stormed
// (0xF2) while the right vCPU idled (audit round 16, S3; docs/kernel.md, "Which device a legacy
// connection belongs to").
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::testing::IsEmpty;

struct Card {
  kemu::Device* device = nullptr;
  PKINTERRUPT interrupt = nullptr;
  int calls = 0;
  int claims = 0;
  ULONG cpu = ~0u;
};

// Claims only when its own device holds the line (a level device) or raised it (an edge).
BOOLEAN CardIsr(PKINTERRUPT, PVOID context) {
  Card& card = *static_cast<Card*>(context);
  ++card.calls;
  card.cpu = KeGetCurrentProcessorNumber();
  if (card.device->line_asserted()) {
    card.device->DeassertLine();
    ++card.claims;
    return TRUE;
  }
  return FALSE;
}

class InterruptSharedAffinityTest : public ::testing::TestWithParam<kemu::Trigger> {};

INSTANTIATE_TEST_SUITE_P(LevelAndEdge, InterruptSharedAffinityTest,
                         ::testing::Values(kemu::Trigger::kLevel, kemu::Trigger::kEdge));

TEST_P(InterruptSharedAffinityTest, TheInterruptReachesTheVcpuWhereItsDevicesIsrIsConnected) {
  const kemu::Trigger mode = GetParam();
  kemu::Machine machine(kemu::MachineOptions{.processors = 2});
  Card cards[2];
  for (unsigned i = 0; i < 2; ++i) {
    const kemu::LineInterrupt line{
        .vector = 0xA1, .irql = 10, .mode = mode, .shared = true, .affinity = KAFFINITY{1} << i};
    cards[i].device = &machine.AddDevice({.name = i == 0 ? "card1" : "card2", .line = line});
    ASSERT_EQ(IoConnectInterrupt(&cards[i].interrupt, &CardIsr, &cards[i], nullptr, line.vector,
                                 line.irql, line.irql,
                                 mode == kemu::Trigger::kEdge ? Latched : LevelSensitive, TRUE,
                                 line.affinity, FALSE),
              STATUS_SUCCESS);
  }
  Card& card2 = cards[1];
  if (mode == kemu::Trigger::kEdge) {
    // An edge leaves no line asserted for the ISR to see: count the call as the claim.
    card2.device->PulseLine();
  } else {
    card2.device->AssertLine();
  }
  machine.Settle();
  EXPECT_EQ(card2.calls, 1);
  EXPECT_EQ(card2.cpu, 1u);
  if (mode == kemu::Trigger::kLevel) {
    EXPECT_EQ(card2.claims, 1);
  }
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
  for (Card& card : cards) IoDisconnectInterrupt(card.interrupt);
}

}  // namespace
