#include "verifier/verifier.hpp"

namespace kemu::verifier {

Verifier::Verifier(Host& host, const MachineOptions& options)
    : host_(host),
      mode_(options.verifier        ? CheckMode::kVerifier
            : options.checked_build ? CheckMode::kChecked
                                    : CheckMode::kRetail),
      // The host is the kernel under construction; its personality is set before its verifier.
      deadlock_detection_(mode_ == CheckMode::kVerifier &&
                          host.personality().os >= Os::kWindowsXP) {}

}  // namespace kemu::verifier
