// kemu::RegisterFile: plain device registers with the side effects real interrupt-cause registers
// have, wired to the device's interrupt so that acknowledging through registers silences it.
#include <fmt/format.h>

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

bool Overlaps(std::uint32_t reg, std::uint32_t offset, unsigned width) {
  return reg < offset + width && offset < reg + kRegister;
}

// The part of a `width`-byte `value` written at `offset` that lands in the register at `reg`,
// in register position, and which of the register's bits the write covered.
struct Slice {
  std::uint32_t bits = 0;
  std::uint32_t covered = 0;
};
Slice SliceOf(std::uint32_t reg, std::uint32_t offset, unsigned width, std::uint64_t value) {
  Slice slice;
  for (unsigned i = 0; i < width; ++i) {
    const std::uint32_t at = offset + i;
    if (at < reg || at >= reg + kRegister) continue;
    const unsigned shift = (at - reg) * 8;
    slice.bits |= static_cast<std::uint32_t>((value >> (i * 8)) & 0xFF) << shift;
    slice.covered |= std::uint32_t{0xFF} << shift;
  }
  return slice;
}

}  // namespace

RegisterFile::RegisterFile(std::uint32_t size_bytes) : bytes_(size_bytes, 0) {}

void RegisterFile::CheckAccess(std::uint32_t offset, unsigned width) const {
  if (width != 1 && width != 2 && width != 4 && width != 8) {
    throw Error(fmt::format("kemu: RegisterFile access width must be 1, 2, 4 or 8, got {}", width));
  }
  if (offset > bytes_.size() || bytes_.size() - offset < width) {
    // The device's BAR or port range is larger than the RegisterFile the test gave it.
    throw Error(
        fmt::format("kemu: a {}-byte access at offset {:#x} is outside this {:#x}-byte "
                    "RegisterFile; make it as large as the device's BAR and port range",
                    width, offset, bytes_.size()));
  }
}

std::uint32_t RegisterFile::Load32(std::uint32_t offset) const {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes_.data() + offset, sizeof value);  // the host is little-endian
  return value;
}

void RegisterFile::Store32(std::uint32_t offset, std::uint32_t value) {
  std::memcpy(bytes_.data() + offset, &value, sizeof value);
}

void RegisterFile::CheckRegister(std::uint32_t offset) const {
  if (offset % kRegister != 0) {
    throw Error(
        fmt::format("kemu: RegisterFile side effects are per 32-bit register; offset "
                    "{:#x} is not a multiple of 4",
                    offset));
  }
  CheckAccess(offset, kRegister);
}

RegisterFile::Behaviour& RegisterFile::At(std::uint32_t offset) {
  CheckRegister(offset);
  return behaviours_[offset];
}

const RegisterFile::Behaviour* RegisterFile::Find(std::uint32_t offset) const {
  CheckRegister(offset);
  const auto it = behaviours_.find(offset);
  return it == behaviours_.end() ? nullptr : &it->second;
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
  behaviour.interrupt_status = true;
  behaviour.interrupt_mask = mask;
  return *this;
}

std::uint64_t RegisterFile::Read(Space space, std::uint32_t offset, unsigned width) {
  (void)space;  // one backing store for both spaces
  CheckAccess(offset, width);
  std::uint64_t value = 0;
  std::memcpy(&value, bytes_.data() + offset, width);
  bool status_changed = false;
  for (auto it = behaviours_.lower_bound(offset & ~(kRegister - 1));
       it != behaviours_.end() && Overlaps(it->first, offset, width); ++it) {
    if (!it->second.read_to_clear || Load32(it->first) == 0) continue;
    Store32(it->first, 0);
    status_changed |= it->second.interrupt_status;
  }
  if (status_changed) FollowLine(0);
  return value;
}

void RegisterFile::Write(Space space, std::uint32_t offset, unsigned width, std::uint64_t value) {
  (void)space;
  CheckAccess(offset, width);
  // Registers with side effects are resolved one by one; plain bytes are simply stored.
  struct Touched {
    std::uint32_t reg;
    std::uint32_t bits;
  };
  std::vector<Touched> touched;
  std::uint32_t raised = 0;
  bool status_touched = false;
  for (auto it = behaviours_.lower_bound(offset & ~(kRegister - 1));
       it != behaviours_.end() && Overlaps(it->first, offset, width); ++it) {
    const Slice slice = SliceOf(it->first, offset, width, value);
    const std::uint32_t before = Load32(it->first);
    const std::uint32_t after = it->second.write_one_to_clear
                                    ? before & ~slice.bits
                                    : (before & ~slice.covered) | slice.bits;
    Store32(it->first, after);
    if (it->second.interrupt_status) {
      status_touched = true;
      raised |= after & ~before & it->second.interrupt_mask;
    }
    if (!it->second.on_write.empty()) touched.push_back({it->first, slice.bits});
  }
  for (unsigned i = 0; i < width; ++i) {
    const std::uint32_t at = offset + i;
    if (behaviours_.count(at & ~(kRegister - 1)) != 0) continue;
    bytes_[at] = static_cast<std::uint8_t>(value >> (i * 8));
  }
  if (status_touched) FollowLine(raised);
  for (const Touched& t : touched) {
    // A copy: a callback may add callbacks (or run an ISR that does).
    const auto callbacks = behaviours_[t.reg].on_write;
    for (const auto& callback : callbacks) callback(t.bits);
  }
}

void RegisterFile::Raise(std::uint32_t offset, std::uint32_t bits) {
  const Behaviour* behaviour = Find(offset);
  Store32(offset, Load32(offset) | bits);
  // Every raise is one device event: an edge line pulses (and an MSI is sent) each time, even if
  // the cause bit was still set from an earlier one.
  if (behaviour != nullptr && behaviour->interrupt_status) {
    FollowLine(bits & behaviour->interrupt_mask);
  }
}

void RegisterFile::Clear(std::uint32_t offset, std::uint32_t bits) {
  const Behaviour* behaviour = Find(offset);
  Store32(offset, Load32(offset) & ~bits);
  if (behaviour != nullptr && behaviour->interrupt_status) FollowLine(0);
}

void RegisterFile::Attach(Device& device) {
  device_ = device.lifetime();
  if (CauseActive()) FollowLine(0);
}

bool RegisterFile::CauseActive() const {
  for (const auto& [offset, behaviour] : behaviours_) {
    if (behaviour.interrupt_status && (Load32(offset) & behaviour.interrupt_mask) != 0) {
      return true;
    }
  }
  return false;
}

void RegisterFile::FollowLine(std::uint32_t raised) {
  // Never attached, or the device died with its machine: only the registers change.
  Device* device = device_ != nullptr ? *device_ : nullptr;
  if (device == nullptr) return;
  if (device->granted_messages() > 0) {
    if (raised != 0) device->SignalMessage(0);
    return;
  }
  const std::optional<LineInterrupt>& line = device->config().line;
  if (!line) return;
  if (line->mode == Trigger::kEdge) {
    if (raised != 0) device->PulseLine();
    return;
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
