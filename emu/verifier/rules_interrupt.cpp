// Interrupt rules: docs/windows-facts.md §3, §4.2, §9.4; conformance INT-*, EX-6.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

const void* Isr(const KINTERRUPT& interrupt) {
  return interrupt.ServiceRoutine != nullptr
             ? reinterpret_cast<const void*>(interrupt.ServiceRoutine)
             : reinterpret_cast<const void*>(interrupt.MessageServiceRoutine);
}

}  // namespace

void Verifier::InvalidInterruptObject(const char* routine, const void* pointer, bool disconnected) {
  const std::string summary =
      // "Disconnected" without "already": a KeSynchronizeExecution that started first and met
      // the disconnect of another vCPU while it waited is reported the same way, and its call
      // history shows the call before the disconnect.
      disconnected ? fmt::format(
                         "{} was given the interrupt connection {}, which is disconnected: "
                         "IoDisconnectInterrupt(Ex) ran before the call used it (before the call "
                         "or, on another processor, while it was in progress).",
                         routine, pointer)
                   : fmt::format(
                         "{} was given {}, which is not an interrupt object or message table "
                         "IoConnectInterrupt(Ex) returned.",
                         routine, pointer);
  if (mode_ == CheckMode::kVerifier) {
    host_.Crash(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {verifier_code::kInvalidInterruptObject, Address(pointer),
                        disconnected ? 1u : 0u, 0},
         .parameter_names = {"kemu: invalid interrupt connection", "pointer passed",
                             disconnected ? "1: disconnected" : "0: never an interrupt connection",
                             nullptr},
         .summary = summary});
  }
  host_.Crash(AccessViolation(summary, Address(pointer)));
}

void Verifier::DisconnectMismatch(const char* routine, ULONG passed, ULONG connected,
                                  const void* context) {
  // Undocumented on Windows (docs/windows-facts.md §3, UNCONFIRMED): strict under Verifier, lenient
  // otherwise.
  if (mode_ != CheckMode::kVerifier) return;
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kDisconnectMismatch, passed, connected, Address(context)},
       .parameter_names = {"kemu: Version does not match the connection", "Version passed",
                           "Version the connect returned", "ConnectionContext"},
       .summary =
           fmt::format("{} was called with Version {} for a connection whose IoConnectInterruptEx "
                       "returned Version {}. Save the Version the connect call wrote back and pass "
                       "it with the matching ConnectionContext member.",
                       routine, passed, connected)});
}

void Verifier::ConnectionPartPassed(const char* routine, const void* passed, const void* handle,
                                    const std::string& what) {
  // Windows finds what it frees or marks from the handle, and from another part finds garbage
  // (UNCONFIRMED how it fails): strict under Verifier, lenient otherwise, as a Version mismatch.
  if (mode_ != CheckMode::kVerifier) return;
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kInvalidInterruptObject, Address(passed), 2, Address(handle)},
       .parameter_names = {"kemu: invalid interrupt connection", "pointer passed",
                           "2: a part of a connection, not its handle",
                           "the handle its connect returned"},
       .summary = fmt::format("{} was given {}, {}. Pass the pointer the connect call wrote back "
                              "({}), which stands for the whole connection.",
                              routine, passed, what, handle)});
}

void Verifier::IsrChangedIrql(const KINTERRUPT& interrupt, KIRQL before, KIRQL after) {
  const std::string summary = fmt::format(
      "The interrupt service routine {} was called at IRQL {} and returned at IRQL {}; an ISR "
      "must return at the IRQL it was called at.",
      Isr(interrupt), before, after);
  if (mode_ == CheckMode::kVerifier && host_.personality().verifier_isr_checks) {
    host_.Crash(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {verifier_code::kIsrChangedIrql, Address(Isr(interrupt)), before, after},
         .parameter_names = {"0x111: ISR returned a changed IRQL", "ISR address",
                             "IRQL before the ISR", "IRQL after the ISR"},
         .summary = summary});
  }
  // Older Verifiers and plain kernels notice when the interrupt exit finds the wrong IRQL. The
  // 0xC8 page documents UniqueValue 3 for this case, with Arg2 = the interrupt's ServiceRoutine
  // and Arg3 = the KINTERRUPT (kemu used UniqueValue 0, which names APC fields, and zeros).
  constexpr std::uint64_t kUniqueInterruptServiceRoutine = 3;
  host_.Crash({.code = bugcheck::kIrqlUnexpectedValue,
               .parameters = {(std::uint64_t{after} << 16) | (std::uint64_t{before} << 8) |
                                  kUniqueInterruptServiceRoutine,
                              Address(Isr(interrupt)), Address(&interrupt), 0},
               .parameter_names = {"(current IRQL << 16) | (expected IRQL << 8) | 3",
                                   "the interrupt's ServiceRoutine", "KINTERRUPT", nullptr},
               .summary = summary});
}

void Verifier::IsrReturnedHoldingLock(const KINTERRUPT& interrupt) {
  // UNCONFIRMED: no kernel without Verifier is known to look. The lock stays held by the vCPU: the
  // next acquire there spins (0xF), and Machine::Shutdown lists it.
  if (mode_ != CheckMode::kVerifier) return;
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kIsrReturnedHoldingLock, Address(Isr(interrupt)),
                              Address(&interrupt), 0},
               .parameter_names = {"kemu: ISR returned holding a spin lock", "ISR address",
                                   "interrupt object", nullptr},
               .summary = fmt::format("The interrupt service routine {} returned with a spin "
                                      "lock it acquired still held.",
                                      Isr(interrupt))});
}

void Verifier::InterruptStorm(const KINTERRUPT& first, bool chained, std::uint64_t deliveries,
                              const std::string& source) {
  host_.Crash({.code = bugcheck::kHardwareInterruptStorm,
               .parameters = {Address(Isr(first)), Address(first.ServiceContext), Address(&first),
                              chained ? 2u : 1u},
               .parameter_names = {"ISR (first in the chain)", "ISR context", "interrupt object",
                                   chained ? "2: chained" : "1: unchained"},
               .summary = fmt::format(
                   "The interrupt on vector {:#x} was delivered {} times in a row, still pending "
                   "after every one of those deliveries: {}. "
                   "The ISR that owns the device must acknowledge it at the device before "
                   "returning (and return TRUE only for its own interrupts); a driver stopping "
                   "its device disables the device's interrupts before disconnecting its ISR.",
                   first.Vector, deliveries, source)});
}

void Verifier::InterruptWhileInactive(const KINTERRUPT& interrupt) {
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kInterruptWhileInactive, Address(&interrupt), 0, 0},
               .parameter_names = {"kemu: interrupt while reported inactive", "interrupt object",
                                   nullptr, nullptr},
               .summary = fmt::format("An interrupt arrived on vector {:#x} while its ISR was "
                                      "reported inactive (IoReportInterruptInactive).",
                                      interrupt.Vector)});
}

void Verifier::InterruptLockOnPassiveIsr(const char* routine, const KINTERRUPT& interrupt) {
  // The kernel's own check, in every mode (Bug Check 0x13B: Arg1 0x1 names the acquire; kemu
  // raises the same for KeReleaseInterruptSpinLock, UNCONFIRMED).
  host_.Crash(
      {.code = bugcheck::kPassiveInterruptError,
       .parameters = {1, Address(&interrupt), 0, 0},
       .parameter_names = {"0x1: interrupt spin lock of a passive-level interrupt object",
                           "KINTERRUPT of the passive-level interrupt", "reserved", "reserved"},
       .summary = fmt::format("{} was called for a passive-level interrupt object, which has no "
                              "spin lock: its ISR runs at PASSIVE_LEVEL. Use "
                              "KeSynchronizeExecution to synchronise with it.",
                              routine)});
}

}  // namespace kemu::verifier
