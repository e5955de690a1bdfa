// nic_device.hpp — the hardware half of the NIC example: a kemu::RegisterFile that behaves like
// the card in driver/nic_hw.h, plus the wire side a test drives (frames arriving, link changes,
// transmit completions).
//
// The card interrupts while a cause in ISR is enabled by IMR and CTRL.INT_ENABLE is set: on a
// level line the line stays asserted until the driver writes the causes back (write 1 to clear),
// so a driver that forgets is caught as an interrupt storm. With MSI the card sends a message when
// an enabled cause appears while none was pending, as much MSI hardware does, so a driver that
// forgets an acknowledgement there gets no further interrupts at all. An acknowledgement that
// leaves enabled causes set (they arrived after the driver read ISR) sends the next message.
//
//   kemu_example::NicDevice nic;                            // must outlive the Machine
//   kemu::Device& device = machine.AddDevice(nic.Config());  // line + 4 messages + BAR
//   NicStartDevice(&ext, device.pdo(), device.raw_resources(), device.translated_resources());
//   nic.ReceiveFrames(3);                                   // three interrupts, ISR and DPC each
#ifndef KEMU_EXAMPLES_NIC_NIC_DEVICE_HPP_
#define KEMU_EXAMPLES_NIC_NIC_DEVICE_HPP_

#include <cstdint>

#include "driver/nic_hw.h"
#include "kemu/device.hpp"
#include "kemu/hardware.hpp"

namespace kemu_example {

/// The NIC's legacy interrupt: vector 0x51 at DIRQL 5, level-triggered, shared with other devices.
inline constexpr kemu::LineInterrupt kNicLine{
    .vector = 0x51, .irql = 5, .mode = kemu::Trigger::kLevel, .shared = true};
/// MSI messages the NIC asks for; granted from Vista on.
inline constexpr unsigned kNicMessages = 4;
/// Length of the frames ReceiveFrames() delivers unless told otherwise.
inline constexpr std::uint32_t kNicFrameBytes = 64;

class NicDevice : public kemu::RegisterFile {
 public:
  NicDevice() : kemu::RegisterFile(NIC_BAR_BYTES) {
    // Masked until the driver enables interrupts (see UpdateMask).
    InterruptStatus(NIC_REG_ISR, 0).WriteOneToClear(NIC_REG_ISR);
    ReadToClear(NIC_REG_RX_MISSED);
    OnWrite(NIC_REG_CTRL, [this](std::uint32_t bits) { OnControlWrite(bits); });
    OnWrite(NIC_REG_IMR, [this](std::uint32_t) { UpdateMask(); });
    OnWrite(NIC_REG_ISR, [this](std::uint32_t) { ResendIfStillPending(); });
    Poke(NIC_REG_STATUS, NIC_STATUS_LINK_UP);
  }
  NicDevice(const NicDevice&) = delete;
  NicDevice& operator=(const NicDevice&) = delete;

  /// The card as Machine::AddDevice wants it: line, MSI messages and a memory BAR, with this model
  /// behind the BAR. Change fields (e.g. `.withhold_msi = true`) before adding it.
  kemu::DeviceConfig Config() {
    return {.name = "nic0",
            .line = kNicLine,
            .messages = kNicMessages,
            .memory_bytes = NIC_BAR_BYTES,
            .hardware = this};
  }

  // --- The wire side.

  /// `count` frames arrive, each completed into the ring with its own RX_DONE interrupt. A frame
  /// that finds the ring full is counted in RX_MISSED; with the receiver off it is not seen.
  void ReceiveFrames(unsigned count, std::uint32_t length = kNicFrameBytes) {
    for (unsigned i = 0; i < count; ++i) {
      if (PlaceFrame(length)) RaiseCause(NIC_INT_RX_DONE);
    }
  }

  /// Puts `count` frames in the ring and latches RX_DONE without interrupting: the interrupt comes
  /// when the test delivers InterruptAction(), e.g. with Device::ScheduleAfterCalls.
  void StageFrames(unsigned count, std::uint32_t length = kNicFrameBytes) {
    bool placed = false;
    for (unsigned i = 0; i < count; ++i) placed |= PlaceFrame(length);
    if (placed) Poke(NIC_REG_ISR, Peek(NIC_REG_ISR) | NIC_INT_RX_DONE);
  }

  /// How this card signals a latched cause on the connection it was granted.
  kemu::DeviceAction InterruptAction() const {
    if (device_->granted_messages() > 0) return kemu::DeviceAction::kSignalMessage;
    return device_->config().line->mode == kemu::Trigger::kLevel ? kemu::DeviceAction::kAssertLine
                                                                 : kemu::DeviceAction::kPulseLine;
  }

  /// What the card does when a staged cause's moment comes: interrupt on its connection if a
  /// latched cause is enabled, nothing otherwise (a masked card stays quiet; an acknowledged
  /// cause is gone). Tests schedule it with Device::ScheduleAfterCalls to land an interrupt
  /// between two of the driver's statements.
  void InterruptIfPending() {
    if (device_ == nullptr || (Peek(NIC_REG_ISR) & mask_) == 0) return;
    device_->Perform(InterruptAction());
  }

  void CompleteTransmit() { RaiseCause(NIC_INT_TX_DONE); }

  void SetLink(bool up) {
    Poke(NIC_REG_STATUS, up ? NIC_STATUS_LINK_UP : 0);
    RaiseCause(NIC_INT_LINK);
  }

  // --- Test-side views of the registers (no side effects).

  std::uint32_t causes() const { return Peek(NIC_REG_ISR); }
  /// Causes that interrupt: IMR while CTRL.INT_ENABLE is set, else none.
  std::uint32_t interrupt_mask() const { return mask_; }
  std::uint32_t rx_head() const { return Peek(NIC_REG_RX_HEAD); }
  std::uint32_t rx_tail() const { return Peek(NIC_REG_RX_TAIL); }
  bool receiver_enabled() const { return (Peek(NIC_REG_CTRL) & NIC_CTRL_RX_ENABLE) != 0; }
  /// Resets the driver asked for (CTRL.RESET writes).
  unsigned resets() const { return resets_; }
  /// Frames that arrived while the receiver was off.
  unsigned frames_ignored() const { return frames_ignored_; }

  /// kemu calls this from Machine::AddDevice; the model needs the device to send messages.
  void Attach(kemu::Device& device) override {
    device_ = &device;
    kemu::RegisterFile::Attach(device);
  }

 private:
  bool UsesMessages() const { return device_ != nullptr && device_->granted_messages() > 0; }

  // Writes a completed descriptor at RX_TAIL and advances it; false when the frame was dropped.
  bool PlaceFrame(std::uint32_t length) {
    if (!receiver_enabled()) {
      ++frames_ignored_;
      return false;
    }
    const std::uint32_t tail = Peek(NIC_REG_RX_TAIL) % NIC_RX_RING_SIZE;
    const std::uint32_t next = (tail + 1) % NIC_RX_RING_SIZE;
    if (next == Peek(NIC_REG_RX_HEAD) % NIC_RX_RING_SIZE) {
      Poke(NIC_REG_RX_MISSED, Peek(NIC_REG_RX_MISSED) + 1);  // one slot always stays empty
      return false;
    }
    Poke(NIC_RX_DESC(tail) + NIC_RX_DESC_LENGTH, length);
    Poke(NIC_RX_DESC(tail) + NIC_RX_DESC_FLAGS, NIC_RX_DESC_DONE);
    Poke(NIC_REG_RX_TAIL, next);
    return true;
  }

  // After an acknowledgement: with MSI, causes that arrived between the driver's read of ISR and
  // its write-back are still set and, having found a cause pending, sent no message of their
  // own. Like most MSI hardware the card sends one now, or they would never be serviced (with two
  // vCPUs the other one's traffic lands exactly there).
  void ResendIfStillPending() {
    if (UsesMessages() && (Peek(NIC_REG_ISR) & mask_) != 0) device_->SignalMessage(0);
  }

  // Sets cause bits. RegisterFile::Raise signals a message on every raise; this card, like most
  // MSI hardware, sends one only when no enabled cause was already pending.
  void RaiseCause(std::uint32_t bits) {
    if (UsesMessages() && (Peek(NIC_REG_ISR) & mask_) != 0) {
      Poke(NIC_REG_ISR, Peek(NIC_REG_ISR) | bits);
      return;
    }
    Raise(NIC_REG_ISR, bits);
  }

  void OnControlWrite(std::uint32_t bits) {
    if ((bits & NIC_CTRL_RESET) != 0) {
      ++resets_;
      // Everything but the link state returns to its power-on value; the reset completes at once.
      for (std::uint32_t offset = 0; offset < NIC_BAR_BYTES; offset += 4) {
        if (offset != NIC_REG_STATUS) Poke(offset, 0);
      }
    }
    UpdateMask();
  }

  // Recomputes which causes interrupt, and moves the interrupt accordingly: unmasking a pending
  // cause interrupts at once, masking the last one drops a level line.
  void UpdateMask() {
    const bool enabled = (Peek(NIC_REG_CTRL) & NIC_CTRL_INT_ENABLE) != 0;
    const std::uint32_t mask = enabled ? Peek(NIC_REG_IMR) & NIC_INT_ALL : 0;
    const std::uint32_t newly_enabled = Peek(NIC_REG_ISR) & mask & ~mask_;
    const bool was_pending = (Peek(NIC_REG_ISR) & mask_) != 0;
    mask_ = mask;
    InterruptStatus(NIC_REG_ISR, mask);
    if (newly_enabled != 0 && !(UsesMessages() && was_pending)) {
      Raise(NIC_REG_ISR, newly_enabled);
    } else {
      Clear(NIC_REG_ISR, 0);
    }
  }

  kemu::Device* device_ = nullptr;
  std::uint32_t mask_ = 0;
  unsigned resets_ = 0;
  unsigned frames_ignored_ = 0;
};

}  // namespace kemu_example

#endif  // KEMU_EXAMPLES_NIC_NIC_DEVICE_HPP_
