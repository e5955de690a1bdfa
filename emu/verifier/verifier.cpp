#include "verifier/verifier.hpp"

namespace kemu::verifier {

Verifier::Verifier(Host& host, const MachineOptions& options)
    : host_(host),
      mode_(options.verifier        ? CheckMode::kVerifier
            : options.checked_build ? CheckMode::kChecked
                                    : CheckMode::kRetail) {}

}  // namespace kemu::verifier
