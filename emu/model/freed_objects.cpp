#include "model/freed_objects.hpp"

#include <cstdint>
#include <string>

#include "model/kernel.hpp"
#include "verifier/verifier.hpp"

namespace kemu::model {

void RejectIfInFreedPool(Kernel& kernel, const char* routine, const char* expected,
                         const void* object) {
  const auto address = reinterpret_cast<std::uintptr_t>(object);
  // In the quarantine only when the free came while `routine` ran (a DPC, another vCPU): a
  // pointer into it was refused before the call began (Pool::CheckArguments).
  if (kernel.pool().quarantine().Holding(address) != nullptr) {
    kernel.verifier().KernelObjectInFreedPool(routine, expected, object,
                                              kernel.DescribePoolAddress(address),
                                              /*quarantined=*/true);
  }
  if (const std::string freed = kernel.pool().DescribeFreed(address); !freed.empty()) {
    kernel.verifier().KernelObjectInFreedPool(routine, expected, object, freed,
                                              /*quarantined=*/false);
  }
}

void RejectInvalidObject(Kernel& kernel, const char* routine, const char* expected,
                         const void* object) {
  RejectIfInFreedPool(kernel, routine, expected, object);
  kernel.verifier().InvalidKernelObject(routine, expected, object);
}

}  // namespace kemu::model
