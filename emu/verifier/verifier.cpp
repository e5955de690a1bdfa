#include "verifier/verifier.hpp"

#include "model/kernel.hpp"

namespace kemu::verifier {

Verifier::Verifier(model::Kernel& kernel)
    : kernel_(kernel),
      mode_(kernel.options().verifier        ? CheckMode::kVerifier
            : kernel.options().checked_build ? CheckMode::kChecked
                                             : CheckMode::kRetail) {}

}  // namespace kemu::verifier
