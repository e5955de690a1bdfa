// What every extern "C" export does first: find the thread's machine, refuse a
// routine the personality lacks, record the call with its arguments.
//
//   extern "C" VOID KeLowerIrql(KIRQL NewIrql) {
//     KEMU_ENTER(KeLowerIrql, KEMU_ARG(NewIrql)).irql().Lower(NewIrql);
//   }
#ifndef KEMU_EMU_ABI_ENTRY_HPP_
#define KEMU_EMU_ABI_ENTRY_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kemu/machine.hpp"
#include "model/current_machine.hpp"
#include "model/kernel.hpp"
#include "personality/export_manifest.hpp"

namespace kemu::abi {

// The manifest is the personality layer's (emu/personality/export_manifest.hpp); the shims name
// its routines as abi::ExportId.
using personality::ExportId;
using personality::ExportInfo;
using personality::Info;

template <typename T>
std::uint64_t Arg(const T& value) {
  if constexpr (std::is_pointer_v<T>) {
    return reinterpret_cast<std::uintptr_t>(value);
  } else if constexpr (std::is_enum_v<T>) {
    // A C driver may pass any integer as an enum. The bytes are copied, never loaded as the
    // enum, so even an enum without a fixed underlying type cannot make this undefined.
    std::make_unsigned_t<std::underlying_type_t<T>> bits;
    static_assert(sizeof bits == sizeof value);
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
  } else {
    return static_cast<std::uint64_t>(value);
  }
}

/// Every export's entry when it cannot run: no machine on this thread, or a routine the
/// personality lacks. Throws (and ends the machine when a driver callback made the call).
[[noreturn]] void Refuse(ExportId id);

/// The machine of the calling thread, once it is known to offer routine `id`.
[[gnu::always_inline]] inline model::Kernel& CallableKernel(ExportId id) {
  Machine* const machine = model::current_machine;
  if (machine == nullptr || !machine->kernel().callable(id)) [[unlikely]] {
    Refuse(id);
  }
  return machine->kernel();
}

/// Inline: this is the first thing every kernel call does, and on the common path it is three
/// loads and two compares before the kernel records the call. The arguments are an array so that
/// their count is a constant where the export is written (Kernel::EnterCall).
template <std::size_t N>
[[gnu::always_inline]] inline model::Kernel& Enter(ExportId id, const model::CallArg (&args)[N]) {
  model::Kernel& kernel = CallableKernel(id);
  kernel.EnterCall(Info(id).name.data(), args);
  return kernel;
}
/// Enter for a routine without arguments.
[[gnu::always_inline]] inline model::Kernel& Enter(ExportId id) {
  model::Kernel& kernel = CallableKernel(id);
  kernel.EnterCall(Info(id).name.data());
  return kernel;
}

/// The IRQL rule most routines document, "IRQL <= `maximum`": above it, the verifier's report for
/// `routine`. Returns `kernel` so a shim can chain on it.
/// `routine` runs at IRQL <= `maximum`; `ddi_rule` is the Verifier DDI compliance rule that lists
/// it, if any (Windows 8 on reports that rule's code instead of Vista's IRQL check).
inline model::Kernel& AtMost(model::Kernel& kernel, const char* routine, KIRQL maximum,
                             std::uint64_t ddi_rule = 0) {
  const KIRQL irql = kernel.irql().Current();
  if (irql > maximum) kernel.verifier().IrqlAboveMaximum(routine, irql, maximum, ddi_rule);
  return kernel;
}

/// A pointer parameter `routine` dereferences: NULL (or anything in the first 64 KiB) is the access
/// violation the kernel's own
/// access takes (0x1E, or 0xA at DISPATCH_LEVEL and above), reported by the verifier.
inline void NotNull(model::Kernel& kernel, const char* routine, const void* pointer,
                    const char* parameter) {
  kernel.verifier().Dereferenced(routine, pointer, parameter);
}

}  // namespace kemu::abi

#define KEMU_ARG(x) \
  ::kemu::model::CallArg { #x, ::kemu::abi::Arg(x), std::is_pointer_v < decltype(x)> }
#define KEMU_ENTER(name, ...) \
  ::kemu::abi::Enter(::kemu::abi::ExportId::k##name __VA_OPT__(, {__VA_ARGS__}))
/// In a routine that can fail: returns the injected status when a Fault says this call fails.
#define KEMU_FAULT_POINT(kernel, name)                                                 \
  if (const auto kemu_fault = (kernel).faults().Check(::kemu::abi::ExportId::k##name); \
      kemu_fault.has_value())                                                          \
  return *kemu_fault
/// The body of every routine the manifest marks NotModelled: entered with its arguments, so a
/// routine the release lacks is reported as missing and, under Driver Verifier, a pointer into
/// freed pool as the driver's bug (0xD5), before the call stops by name (kemu::NotModelled).
#define KEMU_NOT_MODELLED(name, ...) \
  KEMU_ENTER(name __VA_OPT__(, ) __VA_ARGS__).ThrowNotModelled(#name)

#endif  // KEMU_EMU_ABI_ENTRY_HPP_
