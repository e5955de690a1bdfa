// The locks of a message-based connection (docs/windows-facts.md §2.8): without a caller
// SpinLock each message has a kernel lock of its own, which its ISR runs under and which
// KeSynchronizeExecution and KeAcquireInterruptSpinLock take for that message's interrupt object;
// with a caller SpinLock every message runs under it.
#include <wdm.h>

#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

struct Messages {
  std::vector<ULONG> ran;  // message ids, in the order their ISRs ran
};

BOOLEAN CountingMessageIsr(PKINTERRUPT, PVOID context, ULONG message_id) {
  static_cast<Messages*>(context)->ran.push_back(message_id);
  return TRUE;
}

class MessageLockTest : public ::testing::Test {
 protected:
  void Connect(PKSPIN_LOCK spin_lock) {
    device_ = &machine_.AddDevice({.name = "msi", .line = std::nullopt, .messages = 2});
    IO_CONNECT_INTERRUPT_PARAMETERS params{};
    params.Version = CONNECT_MESSAGE_BASED;
    params.MessageBased.PhysicalDeviceObject = device_->pdo();
    params.MessageBased.ConnectionContext.InterruptMessageTable = &table_;
    params.MessageBased.MessageServiceRoutine = &CountingMessageIsr;
    params.MessageBased.ServiceContext = &messages_;
    params.MessageBased.SpinLock = spin_lock;
    ASSERT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);
    ASSERT_EQ(table_->MessageCount, 2u);
  }
  void TearDown() override {
    if (table_ == nullptr) return;
    IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
    disconnect.Version = CONNECT_MESSAGE_BASED;
    disconnect.ConnectionContext.InterruptMessageTable = table_;
    IoDisconnectInterruptEx(&disconnect);
    machine_.Shutdown();
  }
  PKINTERRUPT Object(ULONG message) { return table_->MessageInfo[message].InterruptObject; }

  kemu::Machine machine_{{.os = kemu::Os::kWindows10, .processors = 2}};
  kemu::Device* device_ = nullptr;
  PIO_INTERRUPT_MESSAGE_INFO table_ = nullptr;
  Messages messages_;
};

struct Signals {
  kemu::Device* device;
  Messages* messages;
  std::vector<ULONG> ran_inside;  // what had run when the synchronize routine ended
};

// Inside message 0's lock: message 1 and then message 0 are signalled.
BOOLEAN SignalBoth(PVOID context) {
  auto& signals = *static_cast<Signals*>(context);
  signals.device->SignalMessage(1);
  signals.device->SignalMessage(0);
  signals.ran_inside = signals.messages->ran;
  return TRUE;
}

TEST_F(MessageLockTest, WithoutACallerLockEachMessageHasItsOwn) {
  Connect(nullptr);
  EXPECT_NE(Object(0)->ActualLock, Object(1)->ActualLock);
  Signals signals{.device = device_, .messages = &messages_, .ran_inside = {}};
  ASSERT_TRUE(KeSynchronizeExecution(Object(0), &SignalBoth, &signals));
  // Message 1's ISR ran on the other vCPU while message 0's lock was held; message 0's waited.
  EXPECT_EQ(signals.ran_inside, std::vector<ULONG>{1});
  EXPECT_EQ(messages_.ran, (std::vector<ULONG>{1, 0}));
}

TEST_F(MessageLockTest, WithACallerLockEveryMessageWaitsForIt) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  Connect(&lock);
  EXPECT_EQ(Object(0)->ActualLock, &lock);
  EXPECT_EQ(Object(1)->ActualLock, &lock);
  Signals signals{.device = device_, .messages = &messages_, .ran_inside = {}};
  ASSERT_TRUE(KeSynchronizeExecution(Object(0), &SignalBoth, &signals));
  EXPECT_TRUE(signals.ran_inside.empty());
  EXPECT_EQ(messages_.ran.size(), 2u);  // both once the lock was free
}

TEST_F(MessageLockTest, TheInterruptSpinLockOfOneMessageHoldsOffOnlyThatMessage) {
  Connect(nullptr);
  const KIRQL old = KeAcquireInterruptSpinLock(Object(1));
  device_->SignalMessage(0);
  device_->SignalMessage(1);
  EXPECT_EQ(messages_.ran, std::vector<ULONG>{0});
  KeReleaseInterruptSpinLock(Object(1), old);
  EXPECT_EQ(messages_.ran, (std::vector<ULONG>{0, 1}));
}

}  // namespace
