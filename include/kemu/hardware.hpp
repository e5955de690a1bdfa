// kemu/hardware.hpp — the register and port side of an emulated device.
//
// A driver reaches its device through READ_/WRITE_REGISTER_* on memory it mapped with
// MmMapIoSpace, and READ_/WRITE_PORT_* on its port range. kemu routes every such access to the
// device's `kemu::Hardware`. Two ready-made models: `kemu::RegisterFile` (plain registers with
// side effects such as write-1-to-clear) and `kemu::testing::MockRegisters` (GoogleMock).
//
//   kemu::RegisterFile regs(0x100);
//   regs.InterruptStatus(0x10, 0x1);          // line asserted while bit 0 of 0x10 is set
//   regs.WriteOneToClear(0x10);               // the ISR acknowledges by writing the bit back
//   kemu::Device& dev = machine.AddDevice({.name = "uart0", .line = line, .memory_bytes = 0x100,
//                                          .hardware = &regs});
//   regs.Raise(0x10, 0x1);                    // the device interrupts; the driver's ISR runs
#ifndef KEMU_HARDWARE_HPP_
#define KEMU_HARDWARE_HPP_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace kemu {

class Device;

/// Which of the device's spaces an access goes to.
enum class Space { kMemory, kPort };

/// A device's registers as the driver sees them. `width` is 1, 2, 4 or 8 bytes; `offset` counts
/// from the start of the space (the memory BAR or the first port). Implementations are called on
/// the machine's thread, from inside the driver's READ_/WRITE_* call.
class Hardware {
 public:
  virtual ~Hardware() = default;
  virtual std::uint64_t Read(Space space, std::uint32_t offset, unsigned width) = 0;
  virtual void Write(Space space, std::uint32_t offset, unsigned width, std::uint64_t value) = 0;
  /// Called once by Machine::AddDevice with the device this hardware belongs to, so that a model
  /// can raise the device's interrupt. The default ignores it.
  virtual void Attach(Device& device) { (void)device; }
};

/// Plain little-endian registers, optionally with side effects per 32-bit register (offsets of
/// side-effect registers are multiples of 4). Memory and port space share one backing store of
/// `size_bytes`. A RegisterFile belongs to at most one device. It may outlive its Machine: once the
/// machine (and with it the device) is destroyed, the file is detached, and Raise / Clear / driver
/// writes only change the registers, as on a file never attached.
class RegisterFile : public Hardware {
 public:
  explicit RegisterFile(std::uint32_t size_bytes);

  std::uint64_t Read(Space space, std::uint32_t offset, unsigned width) override;
  void Write(Space space, std::uint32_t offset, unsigned width, std::uint64_t value) override;

  /// Test-side access: no read or write side effects, and the line is left alone.
  std::uint32_t Peek(std::uint32_t offset) const;
  void Poke(std::uint32_t offset, std::uint32_t value);

  /// Any driver read of the register returns its value and then clears the whole register.
  RegisterFile& ReadToClear(std::uint32_t offset);
  /// Writing 1 to a bit clears that bit; 0 bits are left alone.
  RegisterFile& WriteOneToClear(std::uint32_t offset);
  /// Called after every driver write touching the register, with the bits written in register
  /// position (a one-byte write to offset+1 arrives shifted left by 8).
  RegisterFile& OnWrite(std::uint32_t offset, std::function<void(std::uint32_t)> callback);
  /// The register is the interrupt cause register of the device this file is attached to. On a
  /// level line the line is asserted while (value & mask) != 0 for any such register and
  /// deasserted when that stops, whoever changed the bits (driver write, read-to-clear, Clear).
  /// On an edge line a raise pulses the line; on a device granted MSI messages it signals
  /// message 0.
  RegisterFile& InterruptStatus(std::uint32_t offset, std::uint32_t mask = ~std::uint32_t{0});

  /// Device side: sets cause bits in `offset`. On an InterruptStatus register this asserts the
  /// level line, or pulses the edge line / signals message 0 once per call.
  void Raise(std::uint32_t offset, std::uint32_t bits);
  /// Device side: clears bits in `offset`, deasserting a level line when no cause is left (for
  /// hardware whose acknowledgement goes to another register: call it from an OnWrite callback).
  void Clear(std::uint32_t offset, std::uint32_t bits);

  /// Called by kemu when the file is attached to a device. If a level cause is already pending
  /// the line is asserted at once. The file follows the device's Device::lifetime(), so it never
  /// reaches a device that is gone.
  void Attach(Device& device) override;

  std::uint32_t size() const { return static_cast<std::uint32_t>(bytes_.size()); }

 private:
  struct Behaviour {
    bool read_to_clear = false;
    bool write_one_to_clear = false;
    bool interrupt_status = false;
    std::uint32_t interrupt_mask = 0;
    std::vector<std::function<void(std::uint32_t)>> on_write;
  };
  /// A register with side effects. Kept in a sorted vector rather than a map: every access looks
  /// up the (at most three) registers it overlaps, and registers are added rarely, mostly while
  /// the test sets the file up.
  struct Entry {
    std::uint32_t offset = 0;
    Behaviour behaviour;
  };
  /// An InterruptStatus register, kept apart so that following a level line reads only these.
  struct Cause {
    std::uint32_t offset = 0;
    std::uint32_t mask = 0;
  };
  void CheckRegister(std::uint32_t offset) const;
  /// The first register with side effects at or after `offset`.
  std::vector<Entry>::const_iterator FirstFrom(std::uint32_t offset) const;
  /// The register's behaviour, created on first use.
  Behaviour& At(std::uint32_t offset);
  /// The register's behaviour, or nullptr when it has none.
  const Behaviour* Find(std::uint32_t offset) const;
  void CheckAccess(std::uint32_t offset, unsigned width) const;
  std::uint32_t Load32(std::uint32_t offset) const;
  void Store32(std::uint32_t offset, std::uint32_t value);
  /// Write for an access that is not exactly one register with side effects; `it` is the first
  /// such register it overlaps.
  void WriteAcross(std::vector<Entry>::const_iterator it, std::uint32_t offset, unsigned width,
                   std::uint64_t value);
  /// The register's entry among the InterruptStatus registers, or nullptr.
  const Cause* CauseAt(std::uint32_t offset) const;
  /// Calls the register's OnWrite callbacks with the `bits` a driver wrote to it.
  void CallOnWrite(std::uint32_t reg, std::uint32_t bits);
  /// True when some InterruptStatus register has a cause bit set.
  bool CauseActive() const;
  /// Moves the device's interrupt after an interrupt-status register changed; `raised` are the
  /// cause bits that were newly raised.
  void FollowLine(std::uint32_t raised);

  std::vector<std::uint8_t> bytes_;
  std::vector<Entry> behaviours_;   ///< sorted by offset
  std::vector<Cause> causes_;       ///< every InterruptStatus register, in no particular order
  bool any_read_to_clear_ = false;  ///< lets a read skip looking for registers it clears
  /// The attached device, nullptr once it is destroyed (Device::lifetime()); empty: never attached.
  std::shared_ptr<Device* const> device_;
  /// How the attached device interrupts, read from it once by Attach.
  enum class Interrupt : std::uint8_t { kNone, kMessage, kEdge, kLevel };
  Interrupt interrupt_ = Interrupt::kNone;
};

}  // namespace kemu

#endif  // KEMU_HARDWARE_HPP_
