// nic_double.hpp — the hardware half of the example: a NIC with a read-to-clear interrupt status
// register, which the fallback driver's ISR reads through its acknowledge hook.
//
// kemu has no register doubles yet, so this class plays the device: RaiseInterrupt() latches a
// status bit and signals the interrupt the way the connection expects (a message or the line);
// Acknowledge() is the ISR's register read, which clears the bit and drops a level line.
//
//   NicDouble nic(device);
//   FallbackInitializeExtension(&ext, &NicDouble::Acknowledge, &nic);
//   FallbackStartDevice(&ext, device.pdo(), device.translated_resources());
//   nic.RaiseInterrupt(ext.MessageUsed);     // the ISR runs, then its DPC
#ifndef KEMU_EXAMPLES_VISTA_FALLBACK_NIC_DOUBLE_HPP_
#define KEMU_EXAMPLES_VISTA_FALLBACK_NIC_DOUBLE_HPP_

#include <cstdint>

#include "driver/fallback_driver.h"
#include "kemu/device.hpp"

namespace kemu_example {

class NicDouble {
 public:
  explicit NicDouble(kemu::Device& device) : device_(device) {}
  NicDouble(const NicDouble&) = delete;
  NicDouble& operator=(const NicDouble&) = delete;

  /// Raises one interrupt: message 0 when the driver connected messages, else the (level) line,
  /// which stays asserted until the ISR acknowledges it.
  void RaiseInterrupt(bool as_message) {
    status_pending_ = true;
    if (as_message) {
      device_.SignalMessage(0);
    } else {
      device_.AssertLine();
    }
  }

  /// Clears what RaiseInterrupt() left when no ISR will: after the driver has stopped.
  void Quiesce() {
    status_pending_ = false;
    if (device_.line_asserted()) device_.DeassertLine();
  }

  /// FALLBACK_ACKNOWLEDGE_ROUTINE: reads and clears the status register. TRUE when this NIC had
  /// raised the interrupt; FALSE means another device on the shared line did.
  static BOOLEAN Acknowledge(PVOID hardware_context, ULONG message_id) {
    auto& nic = *static_cast<NicDouble*>(hardware_context);
    nic.last_message_id_ = message_id;
    if (!nic.status_pending_) return FALSE;
    nic.status_pending_ = false;
    if (nic.device_.line_asserted()) nic.device_.DeassertLine();
    ++nic.acknowledged_;
    return TRUE;
  }

  bool status_pending() const { return status_pending_; }
  std::uint64_t acknowledged() const { return acknowledged_; }
  ULONG last_message_id() const { return last_message_id_; }

 private:
  kemu::Device& device_;
  bool status_pending_ = false;
  std::uint64_t acknowledged_ = 0;
  ULONG last_message_id_ = FALLBACK_LINE_INTERRUPT;
};

}  // namespace kemu_example

#endif  // KEMU_EXAMPLES_VISTA_FALLBACK_NIC_DOUBLE_HPP_
