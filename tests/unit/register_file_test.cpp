// kemu::RegisterFile (emu/model/register_file.cpp): plain registers, read-to-clear,
// write-1-to-clear, OnWrite callbacks, and InterruptStatus registers driving the device's line —
// the driver's ISR acknowledging through WRITE_REGISTER_ULONG silences a level line, a missing
// acknowledgement is an interrupt storm (0xF2). The driver side is the C core in
// io_space_driver.c.
#include <wdm.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "io_space_driver.h"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
namespace bugcheck = ::kemu::bugcheck;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
constexpr std::uint32_t kBarBytes = 0x100;
constexpr unsigned kStormThreshold = 4;
constexpr auto kMemory = kemu::Space::kMemory;

kemu::DeviceConfig Uart(kemu::Hardware& hardware, kemu::Trigger mode = kemu::Trigger::kLevel) {
  return {.name = "uart0",
          .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql, .mode = mode},
          .memory_bytes = kBarBytes,
          .hardware = &hardware};
}

// The file as the device's hardware, with the C driver started on it (BAR mapped, ISR connected).
class Started {
 public:
  Started(kemu::Machine& machine, kemu::RegisterFile& regs, bool acknowledge = true,
          kemu::Trigger mode = kemu::Trigger::kLevel)
      : device_(machine.AddDevice(Uart(regs, mode))) {
    drv_.Acknowledge = acknowledge ? TRUE : FALSE;
    EXPECT_EQ(IoDrvStart(&drv_, device_.translated_resources()), STATUS_SUCCESS);
  }
  void Stop() { IoDrvStop(&drv_); }

  kemu::Device& device() { return device_; }
  IO_DRV_DEVICE& drv() { return drv_; }

 private:
  kemu::Device& device_;
  IO_DRV_DEVICE drv_{};
};

class RegisterFileTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, RegisterFileTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Plain registers and side effects (no machine needed).

TEST(RegisterFileTest, PokedValuesReadBackLittleEndianAtEveryWidth) {
  kemu::RegisterFile regs(0x10);
  regs.Poke(0x0, 0x44332211);
  regs.Poke(0x4, 0x88776655);
  EXPECT_EQ(regs.Read(kMemory, 0x0, 1), 0x11u);
  EXPECT_EQ(regs.Read(kMemory, 0x1, 2), 0x3322u);
  EXPECT_EQ(regs.Read(kMemory, 0x2, 4), 0x66554433u);
  EXPECT_EQ(regs.Read(kemu::Space::kPort, 0x0, 8), 0x8877665544332211u);
}

TEST(RegisterFileTest, AnAccessOutsideTheFileIsAHarnessError) {
  kemu::RegisterFile regs(0x10);
  EXPECT_THROW(regs.Read(kMemory, 0xE, 4), kemu::Error);
  EXPECT_THROW(regs.Write(kMemory, 0x10, 1, 0), kemu::Error);
  EXPECT_THROW(regs.Read(kMemory, 0x0, 3), kemu::Error);  // no 3-byte accesses
  EXPECT_THROW(regs.Peek(0x10), kemu::Error);
}

TEST(RegisterFileTest, SideEffectsNeedARegisterAlignedOffset) {
  kemu::RegisterFile regs(0x10);
  EXPECT_THROW(regs.ReadToClear(0x2), kemu::Error);
  EXPECT_THROW(regs.InterruptStatus(0x10), kemu::Error);
}

TEST(RegisterFileTest, ReadToClearReturnsTheValueThenClearsTheRegister) {
  kemu::RegisterFile regs(0x10);
  regs.ReadToClear(0x4);
  regs.Poke(0x4, 0x5);
  regs.Poke(0x8, 0x7);
  EXPECT_EQ(regs.Read(kMemory, 0x4, 4), 0x5u);
  EXPECT_EQ(regs.Read(kMemory, 0x4, 4), 0x0u);
  EXPECT_EQ(regs.Read(kMemory, 0x8, 4), 0x7u);  // its neighbour is plain
  EXPECT_EQ(regs.Read(kMemory, 0x8, 4), 0x7u);
}

TEST(RegisterFileTest, WriteOneToClearClearsOnlyTheBitsWrittenAsOne) {
  kemu::RegisterFile regs(0x10);
  regs.WriteOneToClear(0x0);
  regs.Poke(0x0, 0b1011);
  regs.Write(kMemory, 0x0, 4, 0b0010);
  EXPECT_EQ(regs.Peek(0x0), 0b1001u);
  regs.Write(kMemory, 0x0, 1, 0b1000);
  EXPECT_EQ(regs.Peek(0x0), 0b0001u);
}

TEST(RegisterFileTest, OnWriteSeesNarrowWritesInRegisterPosition) {
  kemu::RegisterFile regs(0x10);
  std::vector<std::uint32_t> seen;
  regs.OnWrite(0x8, [&](std::uint32_t bits) { seen.push_back(bits); });
  regs.Write(kMemory, 0x9, 1, 0x80);
  regs.Write(kMemory, 0x8, 4, 0x12345678);
  regs.Write(kMemory, 0x4, 8, 0xAABBCCDD00000000);  // upper half lands in the register
  regs.Write(kMemory, 0x0, 4, 0xFF);                // another register: no callback
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0x8000, 0x12345678, 0xAABBCCDD}));
  EXPECT_EQ(regs.Peek(0x8), 0xAABBCCDDu);
}

TEST(RegisterFileTest, AMisalignedEightByteWriteResolvesEachRegisterItOverlaps) {
  kemu::RegisterFile regs(0x10);
  std::vector<std::uint32_t> seen;
  regs.WriteOneToClear(0x0);
  regs.OnWrite(0x8, [&](std::uint32_t bits) { seen.push_back(bits); });
  regs.Poke(0x0, 0xFFFFFFFF);
  regs.Poke(0x8, 0x11111111);

  // Bytes 2-3 land in the write-1-to-clear register, 4-7 in a plain one, 8-9 in the watched one.
  regs.Write(kMemory, 0x2, 8, 0x8877665544332211);

  EXPECT_EQ(regs.Peek(0x0), 0xDDEEFFFFu);
  EXPECT_EQ(regs.Peek(0x4), 0x66554433u);
  EXPECT_EQ(regs.Peek(0x8), 0x11118877u);
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0x8877}));
}

TEST(RegisterFileTest, RaiseAndClearWithoutADeviceOnlyChangeBits) {
  kemu::RegisterFile regs(0x10);
  regs.InterruptStatus(0x0);
  regs.Raise(0x0, 0x6);
  regs.Clear(0x0, 0x2);
  EXPECT_EQ(regs.Peek(0x0), 0x4u);
}

// ---------------------------------------------------------------------------------------------
// InterruptStatus and the device's line.

TEST_P(RegisterFileTest, RaiseAssertsTheLevelLineAndTheIsrAcknowledgingSilencesIt) {
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE).WriteOneToClear(IO_DRV_CAUSE);
  Started uart(machine(), regs);

  regs.Raise(IO_DRV_CAUSE, IO_DRV_CAUSE_RX);

  EXPECT_EQ(uart.drv().IsrCalls, 1u);  // one delivery: the acknowledgement deasserted the line
  EXPECT_EQ(uart.drv().LastCause, static_cast<ULONG>(IO_DRV_CAUSE_RX));
  EXPECT_EQ(regs.Peek(IO_DRV_CAUSE), 0u);
  EXPECT_FALSE(uart.device().line_asserted());
  EXPECT_EQ(uart.device().connection()->isr_claimed, 1u);
  uart.Stop();
}

TEST(RegisterFileTest, AMissingAcknowledgementIsAnInterruptStorm) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .storm_threshold = kStormThreshold});
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE).WriteOneToClear(IO_DRV_CAUSE);
  Started uart(machine, regs, /*acknowledge=*/false);

  EXPECT_BUGCHECK(regs.Raise(IO_DRV_CAUSE, IO_DRV_CAUSE_RX), bugcheck::kHardwareInterruptStorm);
  EXPECT_EQ(uart.drv().IsrCalls, 1 + kStormThreshold);  // the first delivery, then re-fires
}

TEST(RegisterFileTest, ReadToClearCauseSilencesTheLineWithoutAWrite) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .storm_threshold = kStormThreshold});
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE).ReadToClear(IO_DRV_CAUSE);
  Started uart(machine, regs, /*acknowledge=*/false);

  regs.Raise(IO_DRV_CAUSE, IO_DRV_CAUSE_RX);

  EXPECT_EQ(uart.drv().IsrCalls, 1u);
  EXPECT_FALSE(uart.device().line_asserted());
  uart.Stop();
}

TEST(RegisterFileTest, AnAcknowledgeRegisterCanClearTheCauseThroughOnWrite) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .storm_threshold = kStormThreshold});
  kemu::RegisterFile regs(kBarBytes);
  // Hardware where the ISR writes the bits to clear into a separate register.
  constexpr std::uint32_t kAck = 0x14;
  regs.InterruptStatus(IO_DRV_CAUSE).OnWrite(kAck, [&](std::uint32_t bits) {
    regs.Clear(IO_DRV_CAUSE, bits);
  });
  kemu::Device& device = machine.AddDevice(Uart(regs));
  PUCHAR base = static_cast<PUCHAR>(MmMapIoSpace(device.translated_resources()
                                                     ->List[0]
                                                     .PartialResourceList.PartialDescriptors[0]
                                                     .u.Memory.Start,
                                                 kBarBytes, MmNonCached));
  regs.Raise(IO_DRV_CAUSE, 0x3);
  EXPECT_TRUE(device.line_asserted());  // nobody connected yet

  WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(base + kAck), 0x1);
  EXPECT_TRUE(device.line_asserted());  // bit 1 is still a cause
  WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG*>(base + kAck), 0x2);
  EXPECT_FALSE(device.line_asserted());
  MmUnmapIoSpace(base, kBarBytes);
}

TEST(RegisterFileTest, BitsOutsideTheMaskDoNotAssertTheLine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE, /*mask=*/0x1);
  kemu::Device& device = machine.AddDevice(Uart(regs));
  regs.Raise(IO_DRV_CAUSE, 0x2);
  EXPECT_FALSE(device.line_asserted());
  regs.Raise(IO_DRV_CAUSE, 0x1);
  EXPECT_TRUE(device.line_asserted());
}

TEST(RegisterFileTest, ASecondInterruptStatusCallReplacesTheMask) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE, /*mask=*/0x1).InterruptStatus(IO_DRV_CAUSE, /*mask=*/0x2);
  kemu::Device& device = machine.AddDevice(Uart(regs));
  regs.Raise(IO_DRV_CAUSE, 0x1);
  EXPECT_FALSE(device.line_asserted());
  regs.Raise(IO_DRV_CAUSE, 0x2);
  EXPECT_TRUE(device.line_asserted());
}

TEST(RegisterFileTest, RaisingARegisterThatIsNoCauseLeavesTheLineAlone) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  constexpr std::uint32_t kOther = IO_DRV_CAUSE + 4;
  regs.InterruptStatus(IO_DRV_CAUSE).WriteOneToClear(kOther);
  kemu::Device& device = machine.AddDevice(Uart(regs));
  regs.Raise(kOther, 0x1);
  EXPECT_EQ(regs.Peek(kOther), 0x1u);
  EXPECT_FALSE(device.line_asserted());
}

TEST(RegisterFileTest, ACausePendingWhenTheDeviceIsAddedAssertsTheLine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE);
  regs.Raise(IO_DRV_CAUSE, 0x1);
  kemu::Device& device = machine.AddDevice(Uart(regs));
  EXPECT_TRUE(device.line_asserted());
}

TEST(RegisterFileTest, EachRaiseOnAnEdgeLinePulsesItOnce) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE).WriteOneToClear(IO_DRV_CAUSE);
  // Not acknowledged: an edge needs no acknowledgement to stop.
  Started uart(machine, regs, /*acknowledge=*/false, kemu::Trigger::kEdge);

  regs.Raise(IO_DRV_CAUSE, IO_DRV_CAUSE_RX);
  regs.Raise(IO_DRV_CAUSE, IO_DRV_CAUSE_RX);

  EXPECT_EQ(uart.drv().IsrCalls, 2u);
  EXPECT_FALSE(uart.device().line_asserted());
  uart.Stop();
}

TEST(RegisterFileTest, RaiseAndClearAfterTheMachineIsGoneOnlyChangeBits) {
  // The file outlives its machine (declared first); the device it was attached to died with the
  // machine. Raise and Clear must not reach it (a heap-use-after-free under ASan before).
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE).WriteOneToClear(IO_DRV_CAUSE);
  {
    kemu::Machine machine(kemu::Os::kWindows10);
    kemu::Device& device = machine.AddDevice(Uart(regs));
    regs.Raise(IO_DRV_CAUSE, 0x1);
    EXPECT_TRUE(device.line_asserted());
    regs.Clear(IO_DRV_CAUSE, 0x1);
    EXPECT_FALSE(device.line_asserted());
  }
  regs.Raise(IO_DRV_CAUSE, 0x3);
  EXPECT_EQ(regs.Peek(IO_DRV_CAUSE), 0x3u);
  regs.Clear(IO_DRV_CAUSE, 0x1);
  EXPECT_EQ(regs.Peek(IO_DRV_CAUSE), 0x2u);
  regs.Write(kMemory, IO_DRV_CAUSE, 4, 0x2);  // a write-1-to-clear acknowledgement, no device
  EXPECT_EQ(regs.Peek(IO_DRV_CAUSE), 0u);
}

BOOLEAN CountingMessageIsr(PKINTERRUPT, PVOID context, ULONG message_id) {
  auto& calls = *static_cast<std::vector<ULONG>*>(context);
  calls.push_back(message_id);
  return TRUE;
}

TEST(RegisterFileTest, RaiseOnADeviceGrantedMessagesSignalsMessageZero) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::RegisterFile regs(kBarBytes);
  regs.InterruptStatus(IO_DRV_CAUSE);
  kemu::Device& device = machine.AddDevice(
      {.name = "nic", .messages = 2, .memory_bytes = kBarBytes, .hardware = &regs});
  ASSERT_EQ(device.granted_messages(), 2u);
  std::vector<ULONG> calls;
  PIO_INTERRUPT_MESSAGE_INFO table = nullptr;
  IO_CONNECT_INTERRUPT_PARAMETERS params{};
  params.Version = CONNECT_MESSAGE_BASED;
  params.MessageBased.PhysicalDeviceObject = device.pdo();
  params.MessageBased.ConnectionContext.InterruptMessageTable = &table;
  params.MessageBased.MessageServiceRoutine = &CountingMessageIsr;
  params.MessageBased.ServiceContext = &calls;
  ASSERT_EQ(IoConnectInterruptEx(&params), STATUS_SUCCESS);

  regs.Raise(IO_DRV_CAUSE, 0x1);

  EXPECT_EQ(calls, (std::vector<ULONG>{0}));
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect{};
  disconnect.Version = CONNECT_MESSAGE_BASED;
  disconnect.ConnectionContext.InterruptMessageTable = table;
  IoDisconnectInterruptEx(&disconnect);
}

}  // namespace
