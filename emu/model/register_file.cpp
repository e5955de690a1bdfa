// kemu::RegisterFile: plain device registers with the side effects real interrupt-cause registers
// have, wired to the device's interrupt so that acknowledging through registers silences it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/error.hpp"
#include "kemu/hardware.hpp"

namespace kemu {
namespace {

constexpr std::uint32_t kRegister = 4;  // side effects are per 32-bit register
// An access of at most 8 bytes overlaps at most three registers (a misaligned 8-byte one).
constexpr unsigned kMostRegistersPerAccess = 3;

// The low `count` bytes (1 to 4) of a register.
std::uint32_t LowBytes(unsigned count) {
  return count >= kRegister ? ~std::uint32_t{0} : (std::uint32_t{1} << (count * 8)) - 1;
}

// The part of a `width`-byte `value` written at `offset` that lands in the register at `reg`,
// in register position, and which of the register's bits the write covered. The register
// overlaps the access: offset & ~3 <= reg < offset + width.
struct Slice {
  std::uint32_t bits = 0;
  std::uint32_t covered = 0;
};
Slice SliceOf(std::uint32_t reg, std::uint32_t offset, unsigned width, std::uint64_t value) {
  if (offset >= reg) {  // the access starts inside the register
    const unsigned skip = offset - reg;
    const std::uint32_t mask = LowBytes(std::min(width, kRegister - skip));
    return {(static_cast<std::uint32_t>(value) & mask) << (skip * 8), mask << (skip * 8)};
  }
  const unsigned skip = reg - offset;  // the register starts inside the access
  const std::uint32_t mask = LowBytes(std::min(width - skip, kRegister));
  return {static_cast<std::uint32_t>(value >> (skip * 8)) & mask, mask};
}

[[noreturn]] void BadWidth(unsigned width) {
  throw Error(fmt::format("kemu: RegisterFile access width must be 1, 2, 4 or 8, got {}", width));
}

[[noreturn]] void Outside(std::uint32_t offset, unsigned width, std::size_t size) {
  // The device's BAR or port range is larger than the RegisterFile the test gave it.
  throw Error(
      fmt::format("kemu: a {}-byte access at offset {:#x} is outside this {:#x}-byte "
                  "RegisterFile; make it as large as the device's BAR and port range",
                  width, offset, size));
}

// Fixed-size copies, so that each width is one load or store (the host is little-endian).
template <typename T>
std::uint64_t LoadAs(const std::uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

template <typename T>
void StoreAs(std::uint8_t* at, std::uint64_t value) {
  const auto narrow = static_cast<T>(value);
  std::memcpy(at, &narrow, sizeof narrow);
}

std::uint64_t LoadBytes(const std::uint8_t* at, unsigned width) {
  switch (width) {
    case 1:
      return *at;
    case 2:
      return LoadAs<std::uint16_t>(at);
    case 4:
      return LoadAs<std::uint32_t>(at);
    default:
      return LoadAs<std::uint64_t>(at);
  }
}

void StoreBytes(std::uint8_t* at, unsigned width, std::uint64_t value) {
  switch (width) {
    case 1:
      *at = static_cast<std::uint8_t>(value);
      return;
    case 2:
      return StoreAs<std::uint16_t>(at, value);
    case 4:
      return StoreAs<std::uint32_t>(at, value);
    default:
      return StoreAs<std::uint64_t>(at, value);
  }
}

[[noreturn]] void Unaligned(std::uint32_t offset) {
  throw Error(
      fmt::format("kemu: RegisterFile side effects are per 32-bit register; offset "
                  "{:#x} is not a multiple of 4",
                  offset));
}

}  // namespace

RegisterFile::RegisterFile(std::uint32_t size_bytes) : bytes_(size_bytes, 0) {}

void RegisterFile::CheckAccess(std::uint32_t offset, unsigned width) const {
  constexpr unsigned kWidths = (1u << 1) | (1u << 2) | (1u << 4) | (1u << 8);  // 1, 2, 4 and 8
  if (width > 8 || ((kWidths >> width) & 1) == 0) [[unlikely]] {
    BadWidth(width);
  }
  if (offset > bytes_.size() || bytes_.size() - offset < width) [[unlikely]] {
    Outside(offset, width, bytes_.size());
  }
}

std::uint32_t RegisterFile::Load32(std::uint32_t offset) const {
  return static_cast<std::uint32_t>(LoadAs<std::uint32_t>(bytes_.data() + offset));
}

void RegisterFile::Store32(std::uint32_t offset, std::uint32_t value) {
  StoreAs<std::uint32_t>(bytes_.data() + offset, value);
}

void RegisterFile::CheckRegister(std::uint32_t offset) const {
  if (offset % kRegister != 0) [[unlikely]] {
    Unaligned(offset);
  }
  CheckAccess(offset, kRegister);
}

std::vector<RegisterFile::Entry>::const_iterator RegisterFile::FirstFrom(
    std::uint32_t offset) const {
  return std::lower_bound(behaviours_.begin(), behaviours_.end(), offset,
                          [](const Entry& entry, std::uint32_t at) { return entry.offset < at; });
}

RegisterFile::Behaviour& RegisterFile::At(std::uint32_t offset) {
  CheckRegister(offset);
  auto it = FirstFrom(offset);
  if (it == behaviours_.end() || it->offset != offset) {
    it = behaviours_.insert(it, Entry{.offset = offset, .behaviour = {}});
  }
  return behaviours_[static_cast<std::size_t>(it - behaviours_.begin())].behaviour;
}

const RegisterFile::Behaviour* RegisterFile::Find(std::uint32_t offset) const {
  CheckRegister(offset);
  const auto it = FirstFrom(offset);
  return it == behaviours_.end() || it->offset != offset ? nullptr : &it->behaviour;
}

std::uint32_t RegisterFile::Peek(std::uint32_t offset) const {
  CheckAccess(offset, kRegister);
  return Load32(offset);
}

void RegisterFile::Poke(std::uint32_t offset, std::uint32_t value) {
  CheckAccess(offset, kRegister);
  Store32(offset, value);
}

RegisterFile& RegisterFile::ReadToClear(std::uint32_t offset) {
  At(offset).read_to_clear = true;
  any_read_to_clear_ = true;
  return *this;
}

RegisterFile& RegisterFile::WriteOneToClear(std::uint32_t offset) {
  At(offset).write_one_to_clear = true;
  return *this;
}

RegisterFile& RegisterFile::OnWrite(std::uint32_t offset,
                                    std::function<void(std::uint32_t)> callback) {
  At(offset).on_write.push_back(std::move(callback));
  return *this;
}

RegisterFile& RegisterFile::InterruptStatus(std::uint32_t offset, std::uint32_t mask) {
  Behaviour& behaviour = At(offset);
  if (!behaviour.interrupt_status) causes_.push_back({.offset = offset, .mask = 0});
  for (Cause& cause : causes_) {
    if (cause.offset == offset) cause.mask = mask;  // a second call replaces the mask
  }
  behaviour.interrupt_status = true;
  behaviour.interrupt_mask = mask;
  return *this;
}

std::uint64_t RegisterFile::Read(Space space, std::uint32_t offset, unsigned width) {
  (void)space;  // one backing store for both spaces
  CheckAccess(offset, width);
  const std::uint64_t value = LoadBytes(bytes_.data() + offset, width);
  if (!any_read_to_clear_) return value;
  bool status_changed = false;
  for (auto it = FirstFrom(offset & ~(kRegister - 1));
       it != behaviours_.end() && it->offset < offset + width; ++it) {
    if (!it->behaviour.read_to_clear || Load32(it->offset) == 0) continue;
    Store32(it->offset, 0);
    status_changed |= it->behaviour.interrupt_status;
  }
  if (status_changed) FollowLine(0);
  return value;
}

void RegisterFile::Write(Space space, std::uint32_t offset, unsigned width, std::uint64_t value) {
  (void)space;
  CheckAccess(offset, width);
  std::uint8_t* const at = bytes_.data() + offset;
  auto it = FirstFrom(offset & ~(kRegister - 1));
  const auto overlaps = [&] { return it != behaviours_.end() && it->offset < offset + width; };
  if (!overlaps()) {  // plain bytes only
    StoreBytes(at, width, value);
    return;
  }
  if (width == kRegister && it->offset == offset) {
    // Exactly one register, as an ISR's acknowledgement is: WriteAcross's steps, with nothing
    // else in the access.
    const Behaviour& behaviour = it->behaviour;
    const auto bits = static_cast<std::uint32_t>(value);
    const std::uint32_t before = Load32(offset);
    const std::uint32_t after = behaviour.write_one_to_clear ? before & ~bits : bits;
    Store32(offset, after);
    const bool call_back = !behaviour.on_write.empty();
    if (behaviour.interrupt_status) FollowLine(after & ~before & behaviour.interrupt_mask);
    if (call_back) CallOnWrite(offset, bits);
    return;
  }
  WriteAcross(it, offset, width, value);
}

void RegisterFile::WriteAcross(std::vector<Entry>::const_iterator it, std::uint32_t offset,
                               unsigned width, std::uint64_t value) {
  // Registers with side effects are resolved one by one, from the values before the write. The
  // access is then stored as plain bytes, and those registers are stored over it.
  const auto overlaps = [&] { return it != behaviours_.end() && it->offset < offset + width; };
  struct Resolved {
    std::uint32_t reg = 0;
    std::uint32_t after = 0;
    std::uint32_t bits = 0;  ///< for OnWrite callbacks
    bool call_back = false;
  };
  std::array<Resolved, kMostRegistersPerAccess> resolved{};
  unsigned count = 0;
  std::uint32_t raised = 0;
  bool status_touched = false;
  for (; overlaps(); ++it) {
    const Behaviour& behaviour = it->behaviour;
    const Slice slice = SliceOf(it->offset, offset, width, value);
    const std::uint32_t before = Load32(it->offset);
    const std::uint32_t after = behaviour.write_one_to_clear
                                    ? before & ~slice.bits
                                    : (before & ~slice.covered) | slice.bits;
    if (behaviour.interrupt_status) {
      status_touched = true;
      raised |= after & ~before & behaviour.interrupt_mask;
    }
    resolved[count++] = {it->offset, after, slice.bits, !behaviour.on_write.empty()};
  }
  StoreBytes(bytes_.data() + offset, width, value);
  for (unsigned i = 0; i < count; ++i) Store32(resolved[i].reg, resolved[i].after);
  if (status_touched) FollowLine(raised);
  for (unsigned i = 0; i < count; ++i) {
    if (resolved[i].call_back) CallOnWrite(resolved[i].reg, resolved[i].bits);
  }
}

void RegisterFile::CallOnWrite(std::uint32_t reg, std::uint32_t bits) {
  // Looked up again, and a copy: a callback may add registers and callbacks (or run an ISR that
  // does).
  const auto callbacks = Find(reg)->on_write;
  for (const auto& callback : callbacks) callback(bits);
}

const RegisterFile::Cause* RegisterFile::CauseAt(std::uint32_t offset) const {
  CheckRegister(offset);
  for (const Cause& cause : causes_) {
    if (cause.offset == offset) return &cause;
  }
  return nullptr;
}

void RegisterFile::Raise(std::uint32_t offset, std::uint32_t bits) {
  const Cause* cause = CauseAt(offset);
  Store32(offset, Load32(offset) | bits);
  // Every raise is one device event: an edge line pulses (and an MSI is sent) each time, even if
  // the cause bit was still set from an earlier one.
  if (cause != nullptr) FollowLine(bits & cause->mask);
}

void RegisterFile::Clear(std::uint32_t offset, std::uint32_t bits) {
  const Cause* cause = CauseAt(offset);
  Store32(offset, Load32(offset) & ~bits);
  if (cause != nullptr) FollowLine(0);
}

void RegisterFile::Attach(Device& device) {
  device_ = device.lifetime();
  // The device's grant and line are settled before its hardware is attached
  // (model::Devices::Add) and never change after, so they are looked at once, here.
  if (device.granted_messages() > 0) {
    interrupt_ = Interrupt::kMessage;
  } else if (!device.config().line) {
    interrupt_ = Interrupt::kNone;
  } else {
    interrupt_ =
        device.config().line->mode == Trigger::kEdge ? Interrupt::kEdge : Interrupt::kLevel;
  }
  if (CauseActive()) FollowLine(0);
}

bool RegisterFile::CauseActive() const {
  for (const Cause& cause : causes_) {
    if ((Load32(cause.offset) & cause.mask) != 0) return true;
  }
  return false;
}

void RegisterFile::FollowLine(std::uint32_t raised) {
  // Never attached, or the device died with its machine: only the registers change.
  Device* device = device_ != nullptr ? *device_ : nullptr;
  if (device == nullptr) return;
  switch (interrupt_) {
    case Interrupt::kNone:
      return;
    case Interrupt::kMessage:
      if (raised != 0) device->SignalMessage(0);
      return;
    case Interrupt::kEdge:
      if (raised != 0) device->PulseLine();
      return;
    case Interrupt::kLevel:
      break;
  }
  // Level: the line is the OR of the causes. Asserting may run the ISR at once, which may clear
  // the cause and deassert the line again before AssertLine returns.
  const bool active = CauseActive();
  if (active && !device->line_asserted()) {
    device->AssertLine();
  } else if (!active && device->line_asserted()) {
    device->DeassertLine();
  }
}

}  // namespace kemu
