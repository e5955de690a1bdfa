// What the verifier needs from the machine it checks: the personality, where the driver runs, and
// a way to raise the bug check a rule decided on. model::Kernel implements it, so emu/verifier/
// includes nothing of emu/model/ (docs/architecture.md, "Dependency direction").
#ifndef KEMU_EMU_VERIFIER_HOST_HPP_
#define KEMU_EMU_VERIFIER_HOST_HPP_

#include <cstdint>
#include <cstdlib>
#include <string>

#include "kemu/personality.hpp"
#include "verifier/violation.hpp"

namespace kemu::verifier {

class Host {
 public:
  virtual const Personality& personality() const = 0;
  /// The vCPU running the code being checked.
  virtual unsigned current_processor() const = 0;
  /// That vCPU's IRQL: a fault the kernel takes at DISPATCH_LEVEL or above is 0xA, not an
  /// exception.
  virtual std::uint8_t current_irql() const = 0;
  /// The sequence number the next trace event gets: orders what a rule records.
  virtual std::uint64_t trace_sequence() const = 0;
  /// Who runs the code being checked, for reports: "vCPU 0", or "the system thread 0x1000 (start
  /// routine ..., thread object ...)" (with " on vCPU n" while it holds one).
  virtual std::string RunningContext() const = 0;
  /// The driver callback running on the current vCPU ("an ISR on vCPU 0 ..."), or "".
  virtual std::string RunningCallback() const = 0;
  /// The driver source line and routine at code address `pc` ("capture.c:331 in CapDpcForIsr"),
  /// or "" when nothing names it: the model symbolizes, so rules need not reach the race layer.
  virtual std::string DescribeCode(std::uintptr_t pc) const = 0;
  /// What the spin lock at `lock` is, for lock reports: an interrupt object's lock, or where it
  /// lies in pool ("offset 0x8 of the 368-byte pool block tagged 'Stor' that ..."); "" when kemu
  /// knows neither.
  virtual std::string DescribeLock(std::uintptr_t lock) const = 0;
  /// Raises `violation`. Returns only when the machine records bug checks instead of throwing;
  /// the caller then continues as a retail kernel would.
  virtual void BugCheck(const Violation& violation) = 0;
  /// Raises `violation`, after which nothing can continue.
  [[noreturn]] void Crash(const Violation& violation) {
    RaiseFatal(violation);
    std::abort();  // RaiseFatal never returns; a compiler cannot know that of a virtual call
  }

 protected:
  ~Host() = default;
  /// Crash: throws, or aborts after printing; never returns.
  virtual void RaiseFatal(const Violation& violation) = 0;
};

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_HOST_HPP_
