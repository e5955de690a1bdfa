// kemu::KernelMode: the retail / checked / Driver Verifier choice as one value, mapped onto
// MachineOptions::verifier and MachineOptions::checked_build.
#include "kemu/machine.hpp"

namespace kemu {

std::string_view KernelModeName(KernelMode mode) {
  switch (mode) {
    case KernelMode::kRetail:
      return "retail";
    case KernelMode::kChecked:
      return "checked";
    case KernelMode::kVerifier:
      return "verifier";
  }
  return "unknown";
}

MachineOptions WithKernelMode(MachineOptions options, KernelMode mode) {
  options.verifier = mode == KernelMode::kVerifier;
  // Driver Verifier runs on either kernel; kemu's verifier rules replace the checked kernel's
  // checks, so checked_build only matters with it off. A checked kernel under it is the default.
  options.checked_build = mode != KernelMode::kRetail;
  return options;
}

KernelMode KernelModeOf(const MachineOptions& options) {
  if (options.verifier) return KernelMode::kVerifier;
  return options.checked_build ? KernelMode::kChecked : KernelMode::kRetail;
}

}  // namespace kemu
