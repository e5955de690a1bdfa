#include "model/irql.hpp"

#include "model/kernel.hpp"

namespace kemu::model {

KIRQL Irql::Raise(const char* routine, KIRQL new_irql) {
  const KIRQL old = Current();
  if (new_irql > HIGH_LEVEL) kernel_.verifier().IrqlOutOfRange(routine, old, new_irql);
  // A retail kernel just writes the new level (IRQL-8), so after the rule the raise still happens.
  if (new_irql < old) kernel_.verifier().RaiseBelowCurrent(routine, old, new_irql);
  Set(new_irql);
  return old;
}

KIRQL Irql::RaiseTo(const char* routine, KIRQL target) {
  const KIRQL old = Current();
  if (old > target) kernel_.verifier().RaiseBelowCurrent(routine, old, target);
  Set(target);
  return old;
}

}  // namespace kemu::model
