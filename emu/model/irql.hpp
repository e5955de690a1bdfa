// IRQL of the running vCPU: raising, lowering, and what lowering releases (DPCs now; pending
// interrupts once devices exist).
#ifndef KEMU_EMU_MODEL_IRQL_HPP_
#define KEMU_EMU_MODEL_IRQL_HPP_

#include <wdm.h>

namespace kemu::model {

class Kernel;
struct Cpu;

// Current, Lower, Set and DeliverPending are inline, defined in model/kernel.hpp (they need
// Kernel).
class Irql {
 public:
  explicit Irql(Kernel& kernel) : kernel_(kernel) {}

  KIRQL Current() const;
  /// KeRaiseIrql: checks direction, returns the previous IRQL.
  KIRQL Raise(const char* routine, KIRQL new_irql);
  /// KeLowerIrql: checks direction; work pending below the new level runs before it returns.
  void Lower(KIRQL new_irql);
  /// KeRaiseIrqlToDpcLevel / KeRaiseIrqlToSynchLevel: raise to `target` from at most `target`.
  KIRQL RaiseTo(const char* routine, KIRQL target);
  /// Sets the running vCPU's IRQL with no checks (the kernel's own transitions), then runs what
  /// became deliverable.
  void Set(KIRQL new_irql);
  /// Runs work pending on `cpu` at its current IRQL (DPCs below DISPATCH_LEVEL).
  void DeliverPending(Cpu& cpu);

 private:
  Kernel& kernel_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_IRQL_HPP_
