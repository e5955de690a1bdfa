// Storms beyond the level-triggered case: an edge or message source that re-raises while it is
// being serviced is bounded by MachineOptions::storm_threshold too (spec §9.4), so a runaway
// device ends a test with 0xF2 instead of hanging it.
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

kemu::Device* g_device = nullptr;
int g_calls = 0;

// An ISR whose device raises a new edge every time it is serviced.
BOOLEAN ReRaisingIsr(PKINTERRUPT, PVOID) {
  ++g_calls;
  g_device->PulseLine();
  return TRUE;
}

// An ISR whose device raises one more edge and then stays quiet.
BOOLEAN OnceMoreIsr(PKINTERRUPT, PVOID) {
  if (++g_calls == 1) g_device->PulseLine();
  return TRUE;
}

class EdgeStormTest : public ::testing::Test {
 protected:
  EdgeStormTest() : machine_({.os = kemu::Os::kWindows10, .storm_threshold = 8}) {
    g_calls = 0;
    g_device = &machine_.AddDevice(
        {.name = "edge0",
         .line = kemu::LineInterrupt{.vector = 0x61, .irql = 6, .mode = kemu::Trigger::kEdge}});
  }

  PKINTERRUPT Connect(PKSERVICE_ROUTINE isr) {
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(
        IoConnectInterrupt(&interrupt, isr, nullptr, nullptr, 0x61, 6, 6, Latched, FALSE, 1, FALSE),
        STATUS_SUCCESS);
    return interrupt;
  }

  kemu::Machine machine_;
};

TEST_F(EdgeStormTest, AnEdgeReRaisedDuringEveryServiceBecomesAStorm) {
  PKINTERRUPT interrupt = Connect(ReRaisingIsr);
  EXPECT_THAT([] { g_device->PulseLine(); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kHardwareInterruptStorm,
                                                reinterpret_cast<std::uintptr_t>(&ReRaisingIsr), 0,
                                                reinterpret_cast<std::uintptr_t>(interrupt), 1)));
  EXPECT_EQ(g_calls, 9);  // threshold 8: the 9th re-raise is the storm
}

TEST_F(EdgeStormTest, AnEdgeRaisedOnceMoreDuringServiceIsDeliveredAndIsNoStorm) {
  PKINTERRUPT interrupt = Connect(OnceMoreIsr);
  g_device->PulseLine();
  EXPECT_EQ(g_calls, 2);
  IoDisconnectInterrupt(interrupt);
}

}  // namespace
