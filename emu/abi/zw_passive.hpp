// The IRQL check every Zw registry routine shares (zw_registry.cpp, zw_registry_key.cpp).
#ifndef KEMU_EMU_ABI_ZW_PASSIVE_HPP_
#define KEMU_EMU_ABI_ZW_PASSIVE_HPP_

#include <wdm.h>

#include "abi/entry.hpp"

namespace kemu::abi {

/// Every Zw routine runs at PASSIVE_LEVEL only: the DDI compliance rule IrqlZwPassive.
inline void CheckZwPassive(model::Kernel& kernel, const char* routine) {
  const KIRQL irql = kernel.irql().Current();
  if (irql != PASSIVE_LEVEL) {
    kernel.verifier().IrqlAboveMaximum(routine, irql, PASSIVE_LEVEL,
                                       kemu::verifier_code::kIrqlZwPassive);
  }
}

}  // namespace kemu::abi

#endif  // KEMU_EMU_ABI_ZW_PASSIVE_HPP_
